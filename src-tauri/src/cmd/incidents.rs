//! The alarm desk: the list, one incident, the actions on it, the siren.

use tauri::{AppHandle, State};
use uuid::Uuid;
use vigil_api::{ApiError, GuardView, IncidentAction, IncidentDetail, IncidentView, LinkedCamera};

use crate::attention::{self, SirenStatus};
use crate::state::AppState;

#[tauri::command]
pub async fn incidents(state: State<'_, AppState>) -> Result<Vec<IncidentView>, ApiError> {
    state.run(|ws, _| ws.incidents(None, 10_000)).await
}

#[tauri::command]
pub async fn incident_detail(
    state: State<'_, AppState>,
    id: Uuid,
    language: String,
) -> Result<IncidentDetail, ApiError> {
    state.run(move |ws, _| ws.incident_detail(id, &language)).await
}

/// Applies an action, then lets the siren follow at once (an acknowledgement stops it).
#[tauri::command]
pub async fn act_on_incident(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    action: IncidentAction,
) -> Result<IncidentView, ApiError> {
    state
        .run(move |ws, who| {
            let view = ws.act_on_incident(who, id, &action)?;
            attention::follow(&app);
            Ok(view)
        })
        .await
}

#[tauri::command]
pub async fn shelve_point(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    minutes: u32,
    reason: String,
) -> Result<(), ApiError> {
    state
        .run(move |ws, who| {
            ws.shelve_point(who, id, minutes, &reason)?;
            attention::follow(&app);
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn guards(state: State<'_, AppState>) -> Result<Vec<GuardView>, ApiError> {
    state.run(|ws, _| ws.guards()).await
}

#[tauri::command]
pub async fn silence_siren(state: State<'_, AppState>) -> Result<SirenStatus, ApiError> {
    let seconds = state.run(|ws, who| ws.silence_siren(who)).await?;
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
    state.run(move |ws, who| ws.set_procedure(who, &alarm_type, &language, &steps)).await
}

#[tauri::command]
pub async fn camera_candidates(state: State<'_, AppState>, point: Uuid) -> Result<Vec<LinkedCamera>, ApiError> {
    state.run(move |ws, _| ws.camera_candidates(point, 12)).await
}

#[tauri::command]
pub async fn link_cameras(state: State<'_, AppState>, point: Uuid, cameras: Vec<Uuid>) -> Result<(), ApiError> {
    state.run(move |ws, who| ws.link_cameras(who, point, &cameras)).await
}
