//! The settings screen: what `vigil.toml` says, without keys or tokens, and the central server
//! this workstation is enrolled with (enrolling it there, as an administrator).

use tauri::State;
use vigil_api::{ApiError, ErrorCode, SettingsView};

use crate::state::AppState;

#[tauri::command]
pub async fn settings_view(state: State<'_, AppState>) -> Result<SettingsView, ApiError> {
    Ok(state.workstation()?.settings_view())
}

fn api_error(e: vigil_engine::EngineError) -> ApiError {
    match e {
        vigil_engine::EngineError::Api(e) => e,
        other => ApiError::new(ErrorCode::Settings, other.to_string()),
    }
}

/// Publishes this workstation's campus (an administrator) for the server to hand to every other.
#[tauri::command]
pub async fn publish_campus(state: State<'_, AppState>) -> Result<vigil_api::PublishReport, ApiError> {
    state.run(|ws, who| ws.publish_campus(who)).await
}

/// The central server this workstation is enrolled with (never its token); `null` when it is not.
#[tauri::command]
pub async fn sync_enrollment(state: State<'_, AppState>) -> Result<Option<vigil_sync::EnrollmentView>, ApiError> {
    vigil_engine::enrollment(state.workstation()?.dir()).map_err(api_error)
}

/// Enrolls this workstation with the central server (an administrator, with a code from `vigil
/// server enroll`) and starts syncing at once.
#[tauri::command]
pub async fn enroll_workstation(
    state: State<'_, AppState>,
    server: String,
    code: String,
) -> Result<vigil_sync::EnrollmentView, ApiError> {
    let view = vigil_engine::enroll(state.workstation()?, state.who(), &server, &code).await.map_err(api_error)?;
    if let Some(engine) = state.running.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        engine.start_sync().map_err(api_error)?;
    }
    Ok(view)
}
