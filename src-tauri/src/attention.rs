//! Getting the operator's attention: the siren follows the open incidents, a new alarm brings the
//! window to the front and sends a desktop notification, and escalations notify the supervisor.
//! What to do is decided in `vigil_api::attention`; this module only plays, sends and shows.

use std::sync::Mutex;
use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager, UserAttentionType};
use vigil_api::attention::{siren_for, NoticeBoard};
use vigil_attention::{Notice, Notifier, Siren};
use vigil_domain::incident::Priority;

use crate::state::AppState;

/// A notification that has not gone out in this long is given up: the alarm path never waits.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(3);
/// Escalations are checked this often.
const TICK: Duration = Duration::from_secs(1);

/// The siren the open incidents ask for now, as the window shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SirenStatus {
    /// The priority (1–3) sounding, if any.
    pub playing: Option<u8>,
    pub loud: bool,
    /// How much longer the siren stays silenced, in ms (0 when not).
    pub silenced_for_ms: u64,
}

pub struct Attention {
    siren: Siren,
    notifier: Notifier,
    board: Mutex<NoticeBoard>,
}

fn level(priority: u8) -> Priority {
    Priority::from_level(priority)
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
            playing: s.playing.map(|p| match p {
                Priority::P1 => 1,
                Priority::P2 => 2,
                Priority::P3 => 3,
            }),
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

/// Lets the siren and the notices follow the open incidents now.
pub fn follow(app: &AppHandle) {
    let state = app.state::<AppState>();
    let Ok(ws) = state.workstation() else { return };
    let Ok(open) = ws.incidents(None, 10_000) else { return };
    state.attention.siren.sound(siren_for(&open).map(|(p, loud)| (level(p), loud)));
    let language = ws.language().ok().flatten().unwrap_or_else(|| "zh-CN".into());
    let due = state.attention.board.lock().unwrap_or_else(|p| p.into_inner()).due(&open, &language);
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

/// Runs beside the engine for the life of the window: every incident change is announced to the
/// web UI at once, a new alarm brings the window forward, and once a second the siren and the
/// escalations are brought up to date.
pub fn watch(app: AppHandle, mut news: tokio::sync::broadcast::Receiver<vigil_store::IncidentChange>) {
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                received = news.recv() => match received {
                    Ok(change) => {
                        let _ = app.emit("incident-news", serde_json::json!({
                            "incident_id": change.incident_id,
                            "device_id": change.device_id,
                            "floor_id": null,
                            "priority": match change.priority { Priority::P1 => 1, Priority::P2 => 2, Priority::P3 => 3 },
                            "opened": change.opened,
                            "received_at": change.received_at,
                        }));
                        if change.opened {
                            to_front(&app);
                        }
                        let handle = app.clone();
                        let _ = tokio::task::spawn_blocking(move || follow(&handle)).await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick() => {
                    let handle = app.clone();
                    let _ = tokio::task::spawn_blocking(move || follow(&handle)).await;
                }
            }
        }
    });
}
