//! Getting the operator's attention: the siren follows the open incidents, a new alarm brings the
//! window to the front and sends a desktop notification, and escalations notify the supervisor.
//! What to do is decided in `vigil_api::attention`; this module only plays, sends and shows.

use std::sync::Mutex;
use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, UserAttentionType};
use vigil_api::attention::{siren_for, NoticeBoard};
use vigil_api::{IncidentView, Workstation};
use vigil_attention::{Notice, Notifier, Siren};
use vigil_domain::incident::Priority;

use crate::state::AppState;

/// A notification that has not gone out in this long is given up: the alarm path never waits.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(3);
/// Escalations are checked this often.
const TICK: Duration = Duration::from_secs(1);

pub use vigil_api::shell::SirenStatus;

pub struct Attention {
    siren: Siren,
    notifier: Notifier,
    board: Mutex<NoticeBoard>,
}

impl Attention {
    pub fn new() -> Attention {
        Attention {
            siren: Siren::open_default(),
            notifier: Notifier::new("Vigil", NOTIFY_TIMEOUT),
            board: Mutex::new(NoticeBoard::default()),
        }
    }

    pub fn silence(&self, d: Duration) {
        self.siren.silence_for(d);
    }

    pub fn status(&self) -> SirenStatus {
        let s = self.siren.state();
        SirenStatus {
            playing: s.playing.map(Priority::level),
            loud: s.loud,
            silenced_for_ms: s.silenced_for.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }

    pub fn log(&self) -> serde_json::Value {
        serde_json::json!({
            "siren": self.siren.log(),
            "notifications": self.notifier.sent(),
        })
    }
}

impl Default for Attention {
    fn default() -> Self {
        Attention::new()
    }
}

/// Brings the window to the front: un-minimised, shown, focused, and flagged to the desktop.
fn to_front(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        let _ = window.request_user_attention(Some(UserAttentionType::Critical));
    }
}

/// Lets the siren and the notices follow the open incidents now (after an operator's action).
pub fn follow(app: &AppHandle) {
    let state = app.state::<AppState>();
    let Ok(ws) = state.workstation() else { return };
    if let Ok(open) = ws.incidents(None, 10_000) {
        follow_with(app, ws, &open);
    }
}

fn follow_with(app: &AppHandle, ws: &Workstation, open: &[IncidentView]) {
    let state = app.state::<AppState>();
    state.attention.siren.sound(siren_for(open).map(|(p, loud)| (Priority::from_level(p), loud)));
    let language = crate::cmd::app::console_language(ws);
    let due = state.attention.board.lock().unwrap_or_else(|p| p.into_inner()).due(open, &language);
    for notice in due {
        if notice.level != "new" {
            let _ = app.emit(
                "incident-escalated",
                serde_json::json!({ "incident_id": notice.incident, "level": notice.level }),
            );
        }
        state.attention.notifier.send(Notice { summary: notice.summary, body: notice.body, critical: notice.critical });
    }
}

/// One change as the web UI hears of it: which incident, whether it is new, when its alarm came in.
/// Runs beside the engine for the life of the window. Each batch of incident changes (one alarm,
/// or a burst of repeats) is announced to the web UI at once together with the open list, so the
/// row is drawn without another round trip; a new alarm brings the window forward; the siren and
/// the notices follow. Once a second, with or without news, the siren and escalations are updated.
///
/// `ws` is this loop's own connection: an operator's long read in the window never holds up a siren.
pub fn watch(app: AppHandle, mut news: tokio::sync::broadcast::Receiver<vigil_store::IncidentChange>, ws: Workstation) {
    let ws = std::sync::Arc::new(ws);
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut pacer = vigil_api::attention::NewsPacer::default();
        loop {
            let due_in = pacer.due_at().map(|at| {
                Duration::from_millis(u64::try_from(at.saturating_sub(vigil_store::Store::now_ms())).unwrap_or(0))
            });
            let first = tokio::select! {
                received = news.recv() => match received {
                    Ok(change) => Some(change),
                    // Missed changes are covered by the UI's own reload and the next tick.
                    Err(RecvError::Lagged(_)) => None,
                    Err(RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(due_in.unwrap_or(TICK)), if due_in.is_some() => None,
                _ = tick.tick() => None,
            };
            let mut batch = Vec::new();
            if let Some(first) = first {
                batch.push(first);
                loop {
                    match news.try_recv() {
                        Ok(change) => batch.push(change),
                        Err(TryRecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    }
                }
            }
            // Repeats pour in during a storm: the window hears of them a few times a second.
            let now = vigil_store::Store::now_ms();
            let batch = match if batch.is_empty() { pacer.poll(now) } else { pacer.offer(batch, now) } {
                Some(due) => due,
                None if pacer.due_at().is_some() => continue,
                None => Vec::new(),
            };
            let reader = ws.clone();
            let Ok(Ok(open)) = tokio::task::spawn_blocking(move || reader.incidents(None, 10_000)).await else {
                continue;
            };
            if !batch.is_empty() {
                // Every new incident by name; repeats and restores once for the batch.
                let mut told_repeat = false;
                let changes: Vec<vigil_api::shell::IncidentChange> = batch
                    .iter()
                    .filter(|c| c.opened || !std::mem::replace(&mut told_repeat, true))
                    .map(Into::into)
                    .collect();
                let news = vigil_api::shell::IncidentNews { changes, open: open.clone() };
                let _ = app.emit("incident-news", &news);
                if batch.iter().any(|c| c.opened) {
                    to_front(&app);
                }
            }
            let (handle, reader) = (app.clone(), ws.clone());
            let _ = tokio::task::spawn_blocking(move || follow_with(&handle, &reader, &open)).await;
        }
    });
}
