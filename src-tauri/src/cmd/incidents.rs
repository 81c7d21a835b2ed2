//! The alarm desk: the list, one incident, the actions on it, the siren.

use tauri::{AppHandle, State};
use uuid::Uuid;
use vigil_api::{ApiError, GuardView, IncidentAction, IncidentDetail, IncidentView, LinkedCamera};

use crate::attention::{self, SirenStatus};
use crate::state::AppState;

#[tauri::command]
pub async fn incidents(state: State<'_, AppState>) -> Result<Vec<IncidentView>, ApiError> {
    state.workstation()?.incidents(None, 10_000)
}

#[tauri::command]
pub async fn incident_detail(
    state: State<'_, AppState>,
    id: Uuid,
    language: String,
) -> Result<IncidentDetail, ApiError> {
    state.workstation()?.incident_detail(id, &language)
}

/// Applies an action, then lets the siren follow at once (an acknowledgement stops it).
#[tauri::command]
pub async fn act_on_incident(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    action: IncidentAction,
) -> Result<IncidentView, ApiError> {
    let view = state.workstation()?.act_on_incident(state.who(), id, &action)?;
    attention::follow(&app);
    Ok(view)
}

#[tauri::command]
pub async fn shelve_point(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    minutes: u32,
    reason: String,
) -> Result<(), ApiError> {
    state.workstation()?.shelve_point(state.who(), id, minutes, &reason)?;
    attention::follow(&app);
    Ok(())
}

#[tauri::command]
pub async fn guards(state: State<'_, AppState>) -> Result<Vec<GuardView>, ApiError> {
    state.workstation()?.guards()
}

#[tauri::command]
pub async fn silence_siren(state: State<'_, AppState>) -> Result<SirenStatus, ApiError> {
    let seconds = state.workstation()?.silence_siren(state.who())?;
    state.attention.silence(std::time::Duration::from_secs(u64::from(seconds)));
    Ok(state.attention.status())
}

#[tauri::command]
pub async fn siren_status(state: State<'_, AppState>) -> Result<SirenStatus, ApiError> {
    Ok(state.attention.status())
}

/// What the siren played and which notifications went out: for tests and the alarm benchmark.
#[tauri::command]
pub async fn attention_log(state: State<'_, AppState>) -> Result<serde_json::Value, ApiError> {
    Ok(state.attention.log())
}

/// An administrator's procedure for an alarm type, in one language.
#[tauri::command]
pub async fn set_procedure(
    state: State<'_, AppState>,
    alarm_type: String,
    language: String,
    steps: Vec<String>,
) -> Result<(), ApiError> {
    state.workstation()?.set_procedure(state.who(), &alarm_type, &language, &steps)
}

#[tauri::command]
pub async fn camera_candidates(state: State<'_, AppState>, point: Uuid) -> Result<Vec<LinkedCamera>, ApiError> {
    state.workstation()?.camera_candidates(point, 12)
}

#[tauri::command]
pub async fn link_cameras(state: State<'_, AppState>, point: Uuid, cameras: Vec<Uuid>) -> Result<(), ApiError> {
    state.workstation()?.link_cameras(state.who(), point, &cameras)
}
