//! Login, hand-over, lock and unlock of the operator at this window's seat. The window's login is
//! one session of the workstation among many; the shell keeps its token, the web UI never sees it.

use tauri::State;
use vigil_api::{AccountForm, AccountView, ApiError, SessionView};

use crate::state::AppState;

/// Logs in; whoever was logged in at this seat is logged out first (the shift hand-over).
#[tauri::command]
pub async fn login(state: State<'_, AppState>, name: String, pin: String) -> Result<SessionView, ApiError> {
    let current = state.seat.lock().unwrap_or_else(|p| p.into_inner()).take();
    match state.workstation()?.login(&name, &pin, current) {
        Ok((token, view)) => {
            state.set_seat(Some(token));
            Ok(view)
        }
        Err(e) => {
            // A failed login hands nothing over: the seat's session stays.
            if let Some(token) = current {
                if state.workstation()?.session(token).is_some() {
                    state.set_seat(Some(token));
                }
            }
            Err(e)
        }
    }
}

#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> Result<(), ApiError> {
    let who = state.who();
    state.set_seat(None);
    state.workstation()?.logout(who)
}

#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.workstation()?.lock(state.who())
}

#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, pin: String) -> Result<SessionView, ApiError> {
    state.workstation()?.unlock(state.who(), &pin)
}

#[tauri::command]
pub async fn session(state: State<'_, AppState>) -> Result<Option<SessionView>, ApiError> {
    Ok(state.workstation()?.session(state.who()))
}

/// The console accounts (administrators only; Rust says no to anyone else).
#[tauri::command]
pub async fn console_accounts(state: State<'_, AppState>) -> Result<Vec<AccountView>, ApiError> {
    state.workstation()?.accounts(state.who())
}

/// Adds or changes a console account as the seat's administrator; it reaches every workstation.
#[tauri::command]
pub async fn set_console_account(state: State<'_, AppState>, form: AccountForm) -> Result<AccountView, ApiError> {
    state.workstation()?.set_account(state.who(), &form)
}
