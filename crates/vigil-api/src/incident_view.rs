//! What the window is shown of an incident: its point, its timeline line by line, what it allows
//! now and when it escalates — read from the stored incident, never re-derived in the window.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use vigil_domain::incident::{
    allowed_actions, escalation, escalation_times, Action, ActionKind, CloseCategory, EntryKind, Escalation, Incident,
    IncidentState, Mark,
};
use vigil_domain::{floor_label, ClockFault, DeviceKind, DeviceStatus, Id, Label};
use vigil_store::{Store, StoredIncident};

use crate::LinkedCamera;

/// Where an incident's alarm point is, for the list and the map.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct PointView {
    pub id: Id,
    pub code: String,
    pub name: Label,
    pub kind: DeviceKind,
    pub building_id: Id,
    pub building_code: String,
    pub building_name: Label,
    pub floor_id: Id,
    pub floor_short: String,
    pub x: f64,
    pub y: f64,
    /// The device's status as the store keeps it (alarm or fault while an incident is open on it).
    pub status: DeviceStatus,
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TimelineLine {
    #[ts(type = "number")]
    pub at: i64,
    /// Who did it; none for what a sender reported.
    pub by: Option<String>,
    pub kind: TimelineKind,
    /// The guard dispatched, the close category, the note, the incident merged with.
    pub text: Option<String>,
    /// For a signal whose sender's clock was off: which way. `at` is then its receive time.
    pub clock_fault: Option<ClockFault>,
    /// What that sender's clock said.
    #[ts(type = "number | null")]
    pub sent_at: Option<i64>,
    /// Kept but not acted on (a second close, a late or inapplicable action from another
    /// workstation): a supervisor reviews it.
    pub mark: Option<Mark>,
}

/// What a line of the timeline records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    Opened,
    Repeat,
    Restore,
    Merged,
    /// A checkpoint of this missed round was checked after all (late); `text` names the check-in.
    CheckedLate,
    Acknowledge,
    Dispatch,
    OnScene,
    Resolve,
    Close,
    Note,
    CallPolice,
    Reopen,
    Reviewed,
}

impl From<ActionKind> for TimelineKind {
    fn from(kind: ActionKind) -> TimelineKind {
        match kind {
            ActionKind::Acknowledge => TimelineKind::Acknowledge,
            ActionKind::Dispatch => TimelineKind::Dispatch,
            ActionKind::OnScene => TimelineKind::OnScene,
            ActionKind::Resolve => TimelineKind::Resolve,
            ActionKind::Close => TimelineKind::Close,
            ActionKind::Note => TimelineKind::Note,
            ActionKind::CallPolice => TimelineKind::CallPolice,
            ActionKind::Reopen => TimelineKind::Reopen,
            ActionKind::Reviewed => TimelineKind::Reviewed,
            // Shelving is recorded on the point, never on an incident's timeline.
            ActionKind::Shelve => TimelineKind::Note,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct IncidentView {
    pub id: Id,
    #[ts(type = "1 | 2 | 3")]
    pub priority: u8,
    pub state: IncidentState,
    /// Open-ended: DC-09 codes map to the known ones (panic, fire, burglary …), and HTTP senders
    /// name their own (watchlist_hit); procedures exist per type.
    pub alarm_type: String,
    /// The point's device, or none for a sender with no point on the map ("unmapped").
    pub point: Option<PointView>,
    /// The point's key when there is no device: source, account and zone.
    pub point_key: String,
    #[ts(type = "number")]
    pub opened_at: i64,
    #[ts(type = "number | null")]
    pub acknowledged_at: Option<i64>,
    #[ts(type = "number | null")]
    pub on_scene_at: Option<i64>,
    /// The 5-minute on-scene target, as a time: past it, the incident is overdue.
    #[ts(type = "number")]
    pub target_at: i64,
    /// When it escalates for not being acknowledged (louder siren, supervisor told), if it still can.
    #[ts(type = "number | null")]
    pub unacknowledged_at: Option<i64>,
    /// When it becomes overdue (no guard on scene by the target), if it still can.
    #[ts(type = "number | null")]
    pub overdue_at: Option<i64>,
    /// Where it is in the three-level response at `version` time; the window moves it on by
    /// comparing its clock with `unacknowledged_at` and `overdue_at`.
    pub escalation: Escalation,
    /// What an operator can do to it now (the panel's buttons).
    pub allowed: Vec<ActionKind>,
    pub police_called: bool,
    pub category: Option<CloseCategory>,
    pub repeats: u32,
    /// Signals of this incident whose sender's clock was off (kept, ordered by receipt).
    pub clock_faults: u32,
    /// A line of its timeline is marked for a supervisor's review.
    pub needs_review: bool,
    pub timeline: Vec<TimelineLine>,
    #[ts(type = "number")]
    pub version: i64,
}

/// Everything the incident panel shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct IncidentDetail {
    pub incident: IncidentView,
    /// The procedure for this alarm type in the console's language.
    pub steps: Vec<String>,
    pub cameras: Vec<LinkedCamera>,
    pub police_post: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct GuardView {
    pub badge: String,
    pub name: String,
}

pub(crate) fn action_line(action: &Action) -> (&'static str, Option<String>) {
    let kind = match action {
        Action::Acknowledge => "acknowledge",
        Action::Dispatch { .. } => "dispatch",
        Action::OnScene => "on_scene",
        Action::Resolve => "resolve",
        Action::Close { .. } => "close",
        Action::Note { .. } => "note",
        Action::CallPolice => "call_police",
        Action::Reopen { .. } => "reopen",
        Action::Reviewed => "reviewed",
    };
    let text = match action {
        Action::Dispatch { guard } => Some(guard.clone()),
        Action::Close { category } => Some(category.as_str().to_owned()),
        Action::Note { text } => Some(text.clone()),
        _ => None,
    };
    (kind, text)
}

/// Finds the point views of many incidents with one lookup per device and per floor. Buildings and
/// floors are read when first needed: an empty alarm list (the usual case, asked every second)
/// reads none of them.
pub(crate) struct Places<'a> {
    store: &'a Store,
    buildings: OnceCell<HashMap<Id, (String, Label)>>,
    floors: RefCell<HashMap<Id, (Id, i32)>>,
}

impl<'a> Places<'a> {
    pub(crate) fn new(store: &'a Store) -> Places<'a> {
        Places { store, buildings: OnceCell::new(), floors: RefCell::new(HashMap::new()) }
    }

    fn floor(&self, id: Id) -> Option<(Id, i32)> {
        if let Some(found) = self.floors.borrow().get(&id) {
            return Some(*found);
        }
        let floor = self.store.floor(id).ok()?;
        self.floors.borrow_mut().insert(id, (floor.building_id, floor.level));
        Some((floor.building_id, floor.level))
    }

    pub(crate) fn point(&self, device: Option<Id>) -> Option<PointView> {
        let device = self.store.device(device?).ok()?;
        let (building_id, level) = self.floor(device.floor_id)?;
        let buildings = self.buildings.get_or_init(|| {
            let all = self.store.buildings().unwrap_or_default();
            all.into_iter().map(|b| (b.id, (b.code.to_string(), b.name))).collect()
        });
        let (building_code, building_name) = buildings.get(&building_id)?.clone();
        Some(PointView {
            id: device.id,
            code: device.code.to_string(),
            name: device.name,
            kind: device.kind,
            building_id,
            building_code,
            building_name,
            floor_id: device.floor_id,
            floor_short: floor_label(level),
            x: device.x,
            y: device.y,
            status: device.status,
        })
    }
}

pub(crate) fn view(
    stored: StoredIncident,
    point: Option<PointView>,
    now: i64,
    acknowledge_within_ms: i64,
) -> IncidentView {
    let i: Incident = stored.incident;
    let timeline: Vec<TimelineLine> = i
        .timeline
        .iter()
        .map(|e| {
            let (kind, text, clock) = match &e.what {
                EntryKind::Opened { clock, .. } => (TimelineKind::Opened, None, *clock),
                EntryKind::Repeat { clock, .. } => (TimelineKind::Repeat, None, *clock),
                EntryKind::Restore { clock, .. } => (TimelineKind::Restore, None, *clock),
                EntryKind::Merged { other } => (TimelineKind::Merged, Some(other.to_string()), None),
                EntryKind::CheckedLate { checkpoint, .. } => {
                    (TimelineKind::CheckedLate, Some(checkpoint.to_string()), None)
                }
                EntryKind::Acted { action } => (action.kind().into(), action_line(action).1, None),
            };
            TimelineLine {
                at: e.at,
                by: e.by.clone(),
                kind,
                text,
                clock_fault: clock.map(|c| c.fault),
                sent_at: clock.map(|c| c.sent_at),
                mark: e.mark,
            }
        })
        .collect();
    let (unacknowledged_at, overdue_at) = escalation_times(&i, acknowledge_within_ms);
    IncidentView {
        id: i.id,
        priority: i.priority.level(),
        state: i.state,
        alarm_type: i.alarm_type.clone(),
        point,
        point_key: i.point.clone(),
        opened_at: i.opened_at,
        acknowledged_at: i.acknowledged_at,
        on_scene_at: i.on_scene_at,
        target_at: i.opened_at + vigil_domain::incident::ON_SCENE_TARGET_MS,
        unacknowledged_at,
        overdue_at,
        escalation: escalation(&i, now, acknowledge_within_ms),
        allowed: allowed_actions(&i),
        police_called: timeline.iter().any(|l| l.kind == TimelineKind::CallPolice && l.mark.is_none()),
        category: i.category,
        repeats: i.repeats,
        clock_faults: i.clock_faults,
        needs_review: i.needs_review,
        timeline,
        version: stored.version,
    }
}
