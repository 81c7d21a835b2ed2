//! Login, hand-over, lock and unlock.

use tauri::State;
use vigil_api::{ApiError, SessionView};

use crate::state::AppState;

#[tauri::command]
pub async fn login(state: State<'_, AppState>, name: String, pin: String) -> Result<SessionView, ApiError> {
    state.workstation()?.login(&name, &pin)
}

#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.workstation()?.logout()
}

#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.workstation()?.lock()
}

#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, pin: String) -> Result<SessionView, ApiError> {
    state.workstation()?.unlock(&pin)
}

#[tauri::command]
pub async fn session(state: State<'_, AppState>) -> Result<Option<SessionView>, ApiError> {
    Ok(state.workstation()?.session())
}
