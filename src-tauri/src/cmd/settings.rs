//! The settings screen: what `vigil.toml` says, without keys or tokens.

use tauri::State;
use vigil_api::{ApiError, SettingsView};

use crate::state::AppState;

#[tauri::command]
pub async fn settings_view(state: State<'_, AppState>) -> Result<SettingsView, ApiError> {
    Ok(state.workstation()?.settings_view())
}
