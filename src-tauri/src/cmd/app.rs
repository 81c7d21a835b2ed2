//! Start-up state, language and the first-run demo.

use serde::Serialize;
use tauri::State;
use vigil_api::ApiError;
use vigil_demo::DemoOptions;

use crate::state::AppState;

#[derive(Serialize)]
pub struct Startup {
    data_dir: String,
    /// Why the console cannot run, shown instead of it.
    error: Option<ApiError>,
    /// No hospital yet: the window offers the demo.
    empty: bool,
    /// "zh-CN" or "en": the operator's last choice, else vigil.toml, else the system locale.
    language: String,
    /// Lock after this many minutes without a key or a click; 0 = never.
    lock_after_minutes: u32,
    /// Unacknowledged longer than this: louder siren, supervisor notified.
    acknowledge_within_seconds: u32,
}

/// Where the alarm receivers listen, or why they do not.
#[tauri::command]
pub async fn engine_status(state: State<'_, AppState>) -> Result<serde_json::Value, ApiError> {
    let status = state.engine.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let received = state
        .running
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|e| vigil_engine::Stats::get(&e.stats().frames_acknowledged));
    let mut value = serde_json::to_value(status).unwrap_or_default();
    value["acknowledged"] = serde_json::json!(received);
    Ok(value)
}

fn system_language() -> String {
    let locale = sys_locale::get_locale().unwrap_or_default();
    if locale.to_ascii_lowercase().starts_with("zh") {
        "zh-CN".into()
    } else {
        "en".into()
    }
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
                language: system_language(),
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
        language,
        lock_after_minutes: ws.settings().ui.lock_after_minutes,
        acknowledge_within_seconds: ws.settings().incidents.acknowledge_within_seconds,
    })
}

#[tauri::command]
pub async fn set_language(state: State<'_, AppState>, language: String) -> Result<(), ApiError> {
    state.workstation()?.set_language(state.who(), &language)
}

#[tauri::command]
pub async fn create_demo(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.workstation()?.create_demo(DemoOptions::default()).map(|_| ())
}
