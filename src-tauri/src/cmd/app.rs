//! Start-up state, language and the first-run demo.

use tauri::State;
use vigil_api::shell::{EngineStatus, Language, Startup};
use vigil_api::ApiError;
use vigil_demo::DemoOptions;

use crate::state::AppState;

/// Where the alarm receivers listen, or why they do not.
#[tauri::command]
pub async fn engine_status(state: State<'_, AppState>) -> Result<EngineStatus, ApiError> {
    let status = state.engine.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let acknowledged = state
        .running
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|e| vigil_engine::Stats::get(&e.stats().frames_acknowledged));
    Ok(EngineStatus { state: status, acknowledged })
}

/// Where sync with the central server stands; `null` when this workstation is not enrolled.
#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<Option<vigil_sync::SyncView>, ApiError> {
    Ok(state.running.lock().unwrap_or_else(|p| p.into_inner()).as_ref().and_then(|e| e.sync_status()))
}

fn system_language() -> String {
    let locale = sys_locale::get_locale().unwrap_or_default();
    if locale.to_ascii_lowercase().starts_with("zh") {
        "zh-CN".into()
    } else {
        "en".into()
    }
}

fn language_of(tag: &str) -> Language {
    Language::from_tag(tag)
}

/// The console's language: the operator's last choice, else vigil.toml, else the system locale.
pub fn console_language(ws: &vigil_api::Workstation) -> String {
    let configured = ws.settings().ui.language.clone();
    ws.language().ok().flatten().unwrap_or(if configured == "auto" { system_language() } else { configured })
}

#[tauri::command]
pub async fn startup(state: State<'_, AppState>) -> Result<Startup, ApiError> {
    let data_dir = state.data_dir.display().to_string();
    let ws = match state.workstation() {
        Ok(ws) => ws,
        Err(error) => {
            return Ok(Startup {
                data_dir,
                error: Some(error),
                empty: false,
                enrolled_with: None,
                language: language_of(&system_language()),
                lock_after_minutes: 0,
                acknowledge_within_seconds: 60,
            })
        }
    };
    let language = console_language(ws);
    Ok(Startup {
        data_dir,
        error: state.startup_error.clone(),
        empty: ws.is_empty()?,
        enrolled_with: vigil_engine::enrollment(ws.dir()).ok().flatten().map(|e| e.server),
        language: language_of(&language),
        lock_after_minutes: ws.settings().ui.lock_after_minutes,
        acknowledge_within_seconds: ws.settings().incidents.acknowledge_within_seconds,
    })
}

#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, language: String) -> Result<(), ApiError> {
    state.run(move |ws, who| ws.set_language(who, &language)).await
}

#[tauri::command]
pub async fn create_demo(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.run(|ws, _| ws.create_demo(DemoOptions::default()).map(|_| ())).await
}
