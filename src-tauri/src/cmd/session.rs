//! Login, hand-over, lock and unlock of the operator at this window's seat. The window's login is
//! one session of the workstation among many; the shell keeps its token, the web UI never sees it.

use tauri::State;
use vigil_api::{AccountForm, AccountView, ApiError, SessionView};

use crate::state::AppState;

/// Logs in; whoever was logged in at this seat is logged out first (the shift hand-over).
#[tauri::command]
pub async fn login(state: State<'_, AppState>, name: String, pin: String) -> Result<SessionView, ApiError> {
    let current = state.seat.lock().unwrap_or_else(|p| p.into_inner()).take();
    // A failed login hands nothing over: the seat's session stays (if it is still a session).
    let (seat, answer) = state
        .run(move |ws, _| {
            Ok(match ws.login(&name, &pin, current) {
                Ok((token, view)) => (Some(token), Ok(view)),
                Err(e) => (current.filter(|&token| ws.session(token).is_some()), Err(e)),
            })
        })
        .await?;
    if seat.is_some() {
        state.set_seat(seat);
    }
    answer
}

#[tauri::command]
pub async fn logout(state: State<'_, AppState>) -> Result<(), ApiError> {
    let who = state.who();
    state.set_seat(None);
    state.run(move |ws, _| ws.logout(who)).await
}

#[tauri::command]
pub async fn lock(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.run(|ws, who| ws.lock(who)).await
}

#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, pin: String) -> Result<SessionView, ApiError> {
    state.run(move |ws, who| ws.unlock(who, &pin)).await
}

#[tauri::command]
pub async fn session(state: State<'_, AppState>) -> Result<Option<SessionView>, ApiError> {
    state.run(|ws, who| Ok(ws.session(who))).await
}

/// The console accounts (administrators only; Rust says no to anyone else).
#[tauri::command]
pub async fn console_accounts(state: State<'_, AppState>) -> Result<Vec<AccountView>, ApiError> {
    state.run(|ws, who| ws.accounts(who)).await
}

/// Adds or changes a console account as the seat's administrator; it reaches every workstation.
#[tauri::command]
pub async fn set_console_account(state: State<'_, AppState>, form: AccountForm) -> Result<AccountView, ApiError> {
    state.run(move |ws, who| ws.set_account(who, &form)).await
}
