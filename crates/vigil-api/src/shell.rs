//! What the desktop shell sends the window besides the answers of `Workstation`: its start-up
//! facts, where the receivers listen, the siren's state, and the news of received alarms. Defined
//! here so that their TypeScript types are generated with the others (`bindings.rs`), and the
//! shell (`src-tauri`) only fills them in.

use vigil_domain::Id;

use crate::{ApiError, IncidentView};

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub enum Language {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Language {
    /// "zh…" is Chinese; everything else English.
    pub fn from_tag(tag: &str) -> Language {
        if tag.starts_with("zh") {
            Language::ZhCn
        } else {
            Language::En
        }
    }
}

/// What the window needs before it draws anything.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Startup {
    pub data_dir: String,
    /// Why the console cannot run, shown instead of it.
    pub error: Option<ApiError>,
    /// No hospital yet: the window offers the demo — or, when enrolled, waits for the campus.
    pub empty: bool,
    /// The central server this workstation is enrolled with, if any: an empty workstation fills
    /// itself from it (the campus an administrator published there).
    pub enrolled_with: Option<String>,
    /// The operator's last choice, else vigil.toml, else the system locale.
    pub language: Language,
    /// Lock after this many minutes without a key or a click; 0 = never.
    pub lock_after_minutes: u32,
    /// Unacknowledged longer than this: louder siren, supervisor notified.
    pub acknowledge_within_seconds: u32,
}

/// Where the alarm receivers listen, or why they do not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EngineState {
    Starting,
    Off,
    Listening { dc09_tcp: Option<String>, dc09_udp: Option<String>, http: Option<String> },
    Failed { message: String },
}

/// The receivers' state and how many DC-09 frames they acknowledged since the window started.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct EngineStatus {
    #[serde(flatten)]
    pub state: EngineState,
    #[ts(type = "number | null")]
    pub acknowledged: Option<u64>,
}

/// The siren as the shell plays it: what sounds now and until when it is silenced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SirenStatus {
    /// The priority sounding, if any.
    #[ts(type = "1 | 2 | 3 | null")]
    pub playing: Option<u8>,
    pub loud: bool,
    /// How much longer the siren stays silenced, in ms (0 when not).
    #[ts(type = "number")]
    pub silenced_for_ms: u64,
}

/// One incident a received alarm opened or changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct IncidentChange {
    pub incident_id: Id,
    pub device_id: Option<Id>,
    #[ts(type = "1 | 2 | 3")]
    pub priority: u8,
    /// A new incident, rather than a repeat or restore folded into one.
    pub opened: bool,
    /// When the signal was received (ms since the epoch): where an alarm's latency starts.
    #[ts(type = "number")]
    pub received_at: i64,
}

impl From<&vigil_store::IncidentChange> for IncidentChange {
    fn from(c: &vigil_store::IncidentChange) -> IncidentChange {
        IncidentChange {
            incident_id: c.incident_id,
            device_id: c.device_id,
            priority: c.priority.level(),
            opened: c.opened,
            received_at: c.received_at,
        }
    }
}

/// What the shell announces when received alarms open or change incidents: the changes, and the
/// open list as it is now (so the window draws it without asking).
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct IncidentNews {
    pub changes: Vec<IncidentChange>,
    pub open: Vec<IncidentView>,
}
