//! Incidents: what an alarm becomes in the control room, and every rule of how it moves from new to
//! closed. Pure functions over plain data, shared by the console, `vigil agent` and (later) the
//! server's fold of synchronised events.

use std::cmp::Ordering;

use crate::{ClockFault, Id};

/// P1 violence / panic / fire, P2 intrusion / watch-list hit, P3 technical and patrol exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Priority {
    P1,
    P2,
    P3,
}

impl Priority {
    /// 1, 2 or 3, as signals, the store and the API write it.
    pub fn level(self) -> u8 {
        match self {
            Priority::P1 => 1,
            Priority::P2 => 2,
            Priority::P3 => 3,
        }
    }

    /// From the 1–3 of a signal; anything else is the least urgent.
    pub fn from_level(level: u8) -> Priority {
        match level {
            1 => Priority::P1,
            2 => Priority::P2,
            _ => Priority::P3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    New,
    Acknowledged,
    Dispatched,
    OnScene,
    Resolved,
    Closed,
}

impl IncidentState {
    /// The name the store, the API and the console use (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::New => "new",
            IncidentState::Acknowledged => "acknowledged",
            IncidentState::Dispatched => "dispatched",
            IncidentState::OnScene => "on_scene",
            IncidentState::Resolved => "resolved",
            IncidentState::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Operator,
    Supervisor,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Operator, Role::Supervisor, Role::Administrator];

    /// The name the store, the API and the console use (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// What an incident turned out to be, chosen when closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CloseCategory {
    Real,
    False,
    Test,
    DeviceFault,
    Duplicate,
    Other,
}

impl CloseCategory {
    pub const ALL: [CloseCategory; 6] = [
        CloseCategory::Real,
        CloseCategory::False,
        CloseCategory::Test,
        CloseCategory::DeviceFault,
        CloseCategory::Duplicate,
        CloseCategory::Other,
    ];

    /// The name the API and the console use (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            CloseCategory::Real => "real",
            CloseCategory::False => "false",
            CloseCategory::Test => "test",
            CloseCategory::DeviceFault => "device_fault",
            CloseCategory::Duplicate => "duplicate",
            CloseCategory::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<CloseCategory> {
        CloseCategory::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

/// One received alarm signal, as far as incidents care.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signal {
    pub id: Id,
    /// The alarm point (a device id, or an `unmapped:` key for an unknown account and zone).
    pub point: String,
    pub alarm_type: String,
    pub priority: Priority,
    /// A restore ("the door is closed again"): shown, but it closes nothing by itself.
    pub restore: bool,
    /// The time that orders it, in milliseconds since the epoch: the sender's own time, or the
    /// receive time when the sender's clock is off (`clock`).
    pub at: i64,
    /// Set when the sender's clock was outside the window: its fault and the time it wrote.
    pub clock: Option<ClockNote>,
}

/// A sender's time that was not trusted to order its report (see `clock::judge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockNote {
    pub fault: ClockFault,
    /// What the sender's clock said, in milliseconds since the epoch.
    pub sent_at: i64,
}

/// The alarm type of the incident a missed patrol round opens (P3).
pub const ROUND_MISSED: &str = "patrol_round_missed";

/// The explanation written on an incident: its last note (a missed round closes only with one).
pub fn explanation(incident: &Incident) -> Option<&str> {
    incident.timeline.iter().rev().find_map(|e| match &e.what {
        EntryKind::Acted { action: Action::Note { text } } if e.mark.is_none() => Some(text.as_str()),
        _ => None,
    })
}

/// What an operator or supervisor does to an incident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Acknowledge,
    Dispatch {
        guard: String,
    },
    OnScene,
    Resolve,
    Close {
        category: CloseCategory,
    },
    Note {
        text: String,
    },
    /// The police post was called (the three-level response's last step).
    CallPolice,
    /// A supervisor reopens a closed incident; `close` names the close it reopens (its event).
    Reopen {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        close: Option<Id>,
    },
    /// A supervisor has looked at what was kept for review (a second close, a late action): the
    /// incident leaves the review list. The marked lines stay on its timeline.
    Reviewed,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    Opened {
        signal: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock: Option<ClockNote>,
    },
    Repeat {
        signal: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock: Option<ClockNote>,
    },
    Restore {
        signal: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock: Option<ClockNote>,
    },
    Acted {
        action: Action,
    },
    /// A checkpoint this missed round was raised for was checked after all (a wand file, a queued
    /// handheld): it counts as late now, and this line keeps when that became known.
    CheckedLate {
        check_in: Id,
        checkpoint: Id,
        /// When the guard touched it (the time it is judged at).
        touched: i64,
    },
    /// Another incident opened for the same point within the fold window (on another workstation)
    /// was merged with this one; `other` is its id, which now names this incident too.
    Merged {
        other: Id,
    },
}

/// Why an entry is kept but did not act: it was committed elsewhere before this workstation or
/// the server saw what had happened first. Each is listed for a supervisor's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// A second close: the first close stands.
    SecondClose,
    /// An action that reached an incident already closed.
    Late,
    /// An action the incident's state did not allow when it arrived (e.g. on scene before dispatch).
    NotApplicable,
}

/// One line of an incident's timeline: what happened, when, and who did it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub at: i64,
    pub by: Option<String>,
    pub what: EntryKind,
    /// The event this line comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<Mark>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Incident {
    pub id: Id,
    pub point: String,
    pub alarm_type: String,
    pub priority: Priority,
    pub state: IncidentState,
    pub opened_at: i64,
    /// Last signal folded in; repeats after this plus the fold window open a new incident.
    pub last_signal_at: i64,
    pub acknowledged_at: Option<i64>,
    pub on_scene_at: Option<i64>,
    pub category: Option<CloseCategory>,
    pub repeats: u32,
    /// Signals folded into this incident whose sender's clock was off (kept, ordered by receipt).
    #[serde(default)]
    pub clock_faults: u32,
    /// The opening signal's event stamp: of two incidents merged, the earlier one's id survives.
    #[serde(default)]
    pub opened_hlc: crate::event::Hlc,
    /// The event of the close that stands (the first one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<Id>,
    /// A line of the timeline is marked (second close, late or not applicable): a supervisor looks.
    #[serde(default)]
    pub needs_review: bool,
    pub timeline: Vec<Entry>,
}

/// A point whose signals open no incident until `until` (a chattering detector).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shelf {
    pub point: String,
    pub until: i64,
    pub by: String,
    pub reason: String,
}

/// Repeats from a point within this long of its last signal fold into its open incident.
pub const FOLD_WINDOW_MS: i64 = 10 * 60 * 1000;
/// A chattering point repeats thousands of times: the timeline keeps the first this many repeats
/// (and restores) one by one; after that `repeats` and `last_signal_at` carry the count, so an
/// incident stays small however long the storm.
pub const TIMELINE_SIGNALS_MAX: usize = 20;

fn signal_entries(incident: &Incident) -> usize {
    incident.timeline.iter().filter(|e| matches!(e.what, EntryKind::Repeat { .. } | EntryKind::Restore { .. })).count()
}

/// The on-scene target of the product brief: 5 minutes.
pub const ON_SCENE_TARGET_MS: i64 = 5 * 60 * 1000;
/// The longest an operator may shelve a point; supervisors may shelve up to a day.
pub const OPERATOR_SHELF_MAX_MS: i64 = 60 * 60 * 1000;
pub const SUPERVISOR_SHELF_MAX_MS: i64 = 24 * 60 * 60 * 1000;

/// What a signal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalOutcome {
    /// A new incident.
    Opened(Box<Incident>),
    /// Folded into the open incident at this index of the list given.
    Folded(usize),
    /// A restore noted on the open incident at this index.
    RestoreNoted(usize),
    /// A restore with no open incident: shown in the alarm history only.
    RestoreAlone,
    /// The point is shelved: recorded as a signal, no incident.
    Shelved,
}

/// Decides what `signal` does, given the incidents and shelves there are now, and applies it to
/// `incidents` (a folded signal updates its incident in place). `new_id` names an incident it opens.
pub fn on_signal(incidents: &mut [Incident], shelves: &[Shelf], signal: &Signal, new_id: Id) -> SignalOutcome {
    if shelves.iter().any(|s| s.point == signal.point && signal.at < s.until) {
        return SignalOutcome::Shelved;
    }
    let open = incidents.iter().position(|i| i.point == signal.point && i.state != IncidentState::Closed);
    let faults = u32::from(signal.clock.is_some());
    match (open, signal.restore) {
        (Some(index), true) => {
            incidents[index].clock_faults += faults;
            if signal_entries(&incidents[index]) < TIMELINE_SIGNALS_MAX {
                incidents[index].timeline.push(Entry {
                    at: signal.at,
                    by: None,
                    what: EntryKind::Restore { signal: signal.id, clock: signal.clock },
                    event: None,
                    mark: None,
                });
            }
            SignalOutcome::RestoreNoted(index)
        }
        (None, true) => SignalOutcome::RestoreAlone,
        (Some(index), false) if signal.at - incidents[index].last_signal_at <= FOLD_WINDOW_MS => {
            let incident = &mut incidents[index];
            incident.repeats += 1;
            incident.clock_faults += faults;
            incident.last_signal_at = incident.last_signal_at.max(signal.at);
            // A more urgent repeat (a fire after a fault) raises the incident; nothing lowers it.
            incident.priority = incident.priority.min(signal.priority);
            if signal_entries(incident) < TIMELINE_SIGNALS_MAX {
                incident.timeline.push(Entry {
                    at: signal.at,
                    by: None,
                    what: EntryKind::Repeat { signal: signal.id, clock: signal.clock },
                    event: None,
                    mark: None,
                });
            }
            SignalOutcome::Folded(index)
        }
        _ => SignalOutcome::Opened(Box::new(Incident {
            id: new_id,
            point: signal.point.clone(),
            alarm_type: signal.alarm_type.clone(),
            priority: signal.priority,
            state: IncidentState::New,
            opened_at: signal.at,
            last_signal_at: signal.at,
            acknowledged_at: None,
            on_scene_at: None,
            category: None,
            repeats: 0,
            clock_faults: faults,
            opened_hlc: crate::event::Hlc::default(),
            closed_by: None,
            needs_review: false,
            timeline: vec![Entry {
                at: signal.at,
                by: None,
                what: EntryKind::Opened { signal: signal.id, clock: signal.clock },
                event: None,
                mark: None,
            }],
        })),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActError {
    #[error("a {state:?} incident cannot be {action}")]
    NotNow { state: IncidentState, action: &'static str },
    #[error("only a supervisor or administrator may {0}")]
    NeedsSupervisor(&'static str),
    #[error("a real incident is closed after the guard was on scene")]
    RealNeedsOnScene,
    #[error("a note cannot be empty")]
    EmptyNote,
    #[error("say which guard is dispatched")]
    NoGuard,
    #[error("a missed patrol round is closed after its explanation is written as a note")]
    NeedsExplanation,
}

fn verb(action: &Action) -> &'static str {
    match action {
        Action::Acknowledge => "acknowledged",
        Action::Dispatch { .. } => "dispatched",
        Action::OnScene => "marked on scene",
        Action::Resolve => "resolved",
        Action::Close { .. } => "closed",
        Action::Note { .. } => "noted",
        Action::CallPolice => "passed to the police",
        Action::Reopen { .. } => "reopened",
        Action::Reviewed => "marked reviewed",
    }
}

/// Applies `action` by `actor` at `at`. The result is the incident with the action on its timeline,
/// or the reason it was refused (the incident is then unchanged). Acknowledging twice is not an
/// error: the first acknowledgement stands and nothing is added.
pub fn act(incident: &Incident, actor: &Actor, action: &Action, at: i64) -> Result<Incident, ActError> {
    use IncidentState::*;
    let state = incident.state;
    let not_now = || ActError::NotNow { state, action: verb(action) };
    let mut next = incident.clone();
    match action {
        Action::Acknowledge => match state {
            New => {
                next.state = Acknowledged;
                next.acknowledged_at = Some(at);
            }
            Closed => return Err(not_now()),
            _ => return Ok(next),
        },
        Action::Dispatch { guard } => {
            if guard.trim().is_empty() {
                return Err(ActError::NoGuard);
            }
            match state {
                New | Acknowledged | Dispatched => {
                    next.acknowledged_at.get_or_insert(at);
                    next.state = Dispatched;
                }
                _ => return Err(not_now()),
            }
        }
        Action::OnScene => match state {
            Dispatched => {
                next.state = OnScene;
                next.on_scene_at = Some(at);
            }
            _ => return Err(not_now()),
        },
        Action::Resolve => match state {
            OnScene => next.state = Resolved,
            _ => return Err(not_now()),
        },
        Action::Close { category } => {
            if state == Closed {
                return Err(not_now());
            }
            if *category == CloseCategory::Real && !matches!(state, OnScene | Resolved) {
                return Err(ActError::RealNeedsOnScene);
            }
            if incident.alarm_type == ROUND_MISSED && explanation(incident).is_none() {
                return Err(ActError::NeedsExplanation);
            }
            next.acknowledged_at.get_or_insert(at);
            next.state = Closed;
            next.category = Some(*category);
        }
        Action::Note { text } => {
            if text.trim().is_empty() {
                return Err(ActError::EmptyNote);
            }
        }
        Action::CallPolice => {
            if state == Closed {
                return Err(not_now());
            }
        }
        Action::Reopen { .. } => {
            if actor.role == Role::Operator {
                return Err(ActError::NeedsSupervisor("reopen an incident"));
            }
            if state != Closed {
                return Err(not_now());
            }
            next.state = Acknowledged;
            next.category = None;
            next.closed_by = None;
        }
        Action::Reviewed => {
            if actor.role == Role::Operator {
                return Err(ActError::NeedsSupervisor("mark an incident reviewed"));
            }
            // Reviewed twice (two supervisors at two workstations) is the same fact: no error, so
            // the second is not itself marked for review.
            next.needs_review = false;
        }
    }
    next.timeline.push(Entry {
        at,
        by: Some(actor.name.clone()),
        what: EntryKind::Acted { action: action.clone() },
        event: None,
        mark: None,
    });
    Ok(next)
}

/// Shelves a chattering point: operators for up to an hour, supervisors and administrators for up
/// to a day; the shelf records who and why.
pub fn shelve(actor: &Actor, point: &str, from: i64, until: i64, reason: &str) -> Result<Shelf, ActError> {
    let max = if actor.role == Role::Operator { OPERATOR_SHELF_MAX_MS } else { SUPERVISOR_SHELF_MAX_MS };
    if until <= from || until - from > max {
        return Err(if actor.role == Role::Operator {
            ActError::NeedsSupervisor("shelve a point for more than an hour")
        } else {
            ActError::NotNow { state: IncidentState::New, action: "shelved for more than a day" }
        });
    }
    if reason.trim().is_empty() {
        return Err(ActError::EmptyNote);
    }
    Ok(Shelf { point: point.to_owned(), until, by: actor.name.clone(), reason: reason.to_owned() })
}

/// The three-level response (三级响应) an incident is at now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Within its times.
    None,
    /// Unacknowledged for longer than the configured time: louder siren, supervisor notified.
    Unacknowledged,
    /// No guard on scene within the 5-minute target: overdue, call the police post.
    Overdue,
}

pub fn escalation(incident: &Incident, now: i64, acknowledge_within_ms: i64) -> Escalation {
    if matches!(incident.state, IncidentState::Closed | IncidentState::Resolved) || incident.on_scene_at.is_some() {
        return Escalation::None;
    }
    if now - incident.opened_at > ON_SCENE_TARGET_MS {
        Escalation::Overdue
    } else if incident.acknowledged_at.is_none() && now - incident.opened_at > acknowledge_within_ms {
        Escalation::Unacknowledged
    } else {
        Escalation::None
    }
}

/// When an incident reaches each level of the three-level response, if it still can: the window
/// compares these with its clock between reloads instead of repeating the rules.
pub fn escalation_times(incident: &Incident, acknowledge_within_ms: i64) -> (Option<i64>, Option<i64>) {
    if matches!(incident.state, IncidentState::Closed | IncidentState::Resolved) || incident.on_scene_at.is_some() {
        return (None, None);
    }
    let unacknowledged = incident.acknowledged_at.is_none().then_some(incident.opened_at + acknowledge_within_ms);
    (unacknowledged, Some(incident.opened_at + ON_SCENE_TARGET_MS))
}

/// What an operator can do to an incident, one per kind of action (and the console's panel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Acknowledge,
    Dispatch,
    OnScene,
    Resolve,
    Close,
    Note,
    CallPolice,
    Reopen,
    Shelve,
    /// Offered while the incident needs review (to a supervisor: `act` checks the role).
    Reviewed,
}

/// The actions an incident in its state allows now, whoever asks (roles are checked when one is
/// taken: reopening needs a supervisor). The console shows exactly these; `act` is the same rule,
/// with one difference on purpose: the police post is offered until it was called once, while
/// `act` still records a later call (a second call is a fact worth keeping, not an error).
pub fn allowed_actions(incident: &Incident) -> Vec<ActionKind> {
    use IncidentState::*;
    let police_called =
        incident.timeline.iter().any(|e| e.mark.is_none() && e.what == EntryKind::Acted { action: Action::CallPolice });
    let mut out = Vec::new();
    match incident.state {
        New => out.extend([ActionKind::Acknowledge, ActionKind::Dispatch]),
        Acknowledged | Dispatched => out.push(ActionKind::Dispatch),
        _ => {}
    }
    match incident.state {
        Dispatched => out.push(ActionKind::OnScene),
        OnScene => out.push(ActionKind::Resolve),
        _ => {}
    }
    if incident.state == Closed {
        out.extend([ActionKind::Note, ActionKind::Reopen]);
    } else {
        out.push(ActionKind::Close);
        out.push(ActionKind::Note);
        if !police_called {
            out.push(ActionKind::CallPolice);
        }
        out.push(ActionKind::Shelve);
    }
    if incident.needs_review {
        out.push(ActionKind::Reviewed);
    }
    out
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Acknowledge => ActionKind::Acknowledge,
            Action::Dispatch { .. } => ActionKind::Dispatch,
            Action::OnScene => ActionKind::OnScene,
            Action::Resolve => ActionKind::Resolve,
            Action::Close { .. } => ActionKind::Close,
            Action::Note { .. } => ActionKind::Note,
            Action::CallPolice => ActionKind::CallPolice,
            Action::Reopen { .. } => ActionKind::Reopen,
            Action::Reviewed => ActionKind::Reviewed,
        }
    }
}

/// The alarm list's order: open before closed, then by priority, then the oldest first.
pub fn list_order(a: &Incident, b: &Incident) -> Ordering {
    (a.state == IncidentState::Closed)
        .cmp(&(b.state == IncidentState::Closed))
        .then(a.priority.cmp(&b.priority))
        .then(a.opened_at.cmp(&b.opened_at))
        .then(a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn signal(point: &str, at: i64, priority: Priority, restore: bool) -> Signal {
        Signal { id: Id::now_v7(), point: point.into(), alarm_type: "panic".into(), priority, restore, at, clock: None }
    }

    fn operator() -> Actor {
        Actor { name: "张敏".into(), role: Role::Operator }
    }

    fn opened(s: &Signal) -> Incident {
        match on_signal(&mut [], &[], s, Id::now_v7()) {
            SignalOutcome::Opened(i) => *i,
            other => panic!("expected an incident, got {other:?}"),
        }
    }

    #[test]
    fn names_are_what_serde_writes() {
        for c in CloseCategory::ALL {
            assert_eq!(serde_json::to_value(c).ok(), Some(serde_json::json!(c.as_str())));
            assert_eq!(CloseCategory::parse(c.as_str()), Some(c));
        }
        use IncidentState::*;
        for s in [New, Acknowledged, Dispatched, OnScene, Resolved, Closed] {
            assert_eq!(serde_json::to_value(s).ok(), Some(serde_json::json!(s.as_str())));
        }
        assert_eq!(CloseCategory::parse("bogus"), None);
    }

    #[test]
    fn a_whole_incident_from_new_to_closed() {
        let mut i = opened(&signal("P1", 0, Priority::P1, false));
        let op = operator();
        for (action, state) in [
            (Action::Acknowledge, IncidentState::Acknowledged),
            (Action::Dispatch { guard: "G0001".into() }, IncidentState::Dispatched),
            (Action::OnScene, IncidentState::OnScene),
            (Action::Resolve, IncidentState::Resolved),
            (Action::Close { category: CloseCategory::Real }, IncidentState::Closed),
        ] {
            i = act(&i, &op, &action, 1000).expect("allowed");
            assert_eq!(i.state, state);
        }
        assert_eq!(i.timeline.len(), 6, "opened + five actions, each with who");
        assert!(i.timeline[1..].iter().all(|e| e.by.as_deref() == Some("张敏")));
        assert_eq!(
            act(&i, &op, &Action::Acknowledge, 2000),
            Err(ActError::NotNow { state: IncidentState::Closed, action: "acknowledged" })
        );
        assert_eq!(
            act(&i, &op, &Action::Reopen { close: None }, 2000),
            Err(ActError::NeedsSupervisor("reopen an incident"))
        );
        let sup = Actor { name: "李强".into(), role: Role::Supervisor };
        assert_eq!(
            act(&i, &sup, &Action::Reopen { close: None }, 2000).map(|i| i.state),
            Ok(IncidentState::Acknowledged)
        );
    }

    #[test]
    fn a_false_alarm_closes_without_a_dispatch_but_a_real_one_does_not() {
        let i = opened(&signal("P1", 0, Priority::P2, false));
        assert_eq!(
            act(&i, &operator(), &Action::Close { category: CloseCategory::Real }, 5),
            Err(ActError::RealNeedsOnScene)
        );
        let closed = act(&i, &operator(), &Action::Close { category: CloseCategory::False }, 5).expect("false alarm");
        assert_eq!(
            (closed.state, closed.category, closed.acknowledged_at),
            (IncidentState::Closed, Some(CloseCategory::False), Some(5))
        );
    }

    #[test]
    fn restores_are_noted_and_close_nothing() {
        let mut list = vec![opened(&signal("P1", 0, Priority::P1, false))];
        assert_eq!(
            on_signal(&mut list, &[], &signal("P1", 10, Priority::P1, true), Id::now_v7()),
            SignalOutcome::RestoreNoted(0)
        );
        assert_eq!(list[0].state, IncidentState::New);
        assert_eq!(
            on_signal(&mut list, &[], &signal("P9", 10, Priority::P1, true), Id::now_v7()),
            SignalOutcome::RestoreAlone
        );
    }

    #[test]
    fn a_sender_s_wrong_clock_is_kept_on_the_timeline_and_counted() {
        let note = ClockNote { fault: ClockFault::Ahead, sent_at: 2_112_000_000_000 };
        let mut first = signal("P1", 1_000, Priority::P2, false);
        first.clock = Some(note);
        let mut list = vec![opened(&first)];
        assert_eq!(list[0].clock_faults, 1);
        assert_eq!(list[0].opened_at, 1_000, "ordered by receipt, not by the sender's 2036");
        assert_eq!(list[0].timeline[0].what, EntryKind::Opened { signal: first.id, clock: Some(note) });
        on_signal(&mut list, &[], &signal("P1", 2_000, Priority::P2, false), Id::now_v7());
        let mut late = signal("P1", 3_000, Priority::P2, true);
        late.clock = Some(ClockNote { fault: ClockFault::Behind, sent_at: 0 });
        on_signal(&mut list, &[], &late, Id::now_v7());
        assert_eq!((list[0].clock_faults, list[0].repeats, list[0].timeline.len()), (2, 1, 3));
    }

    #[test]
    fn escalation_follows_the_three_levels() {
        let i = opened(&signal("P1", 0, Priority::P1, false));
        assert_eq!(escalation(&i, 30_000, 60_000), Escalation::None);
        assert_eq!(escalation(&i, 61_000, 60_000), Escalation::Unacknowledged);
        assert_eq!(escalation(&i, ON_SCENE_TARGET_MS + 1, 60_000), Escalation::Overdue);
        let acked = act(&i, &operator(), &Action::Acknowledge, 10_000).expect("ack");
        assert_eq!(escalation(&acked, 61_000, 60_000), Escalation::None);
        assert_eq!(escalation(&acked, ON_SCENE_TARGET_MS + 1, 60_000), Escalation::Overdue);
        let dispatched = act(&acked, &operator(), &Action::Dispatch { guard: "G1".into() }, 20_000).expect("dispatch");
        let there = act(&dispatched, &operator(), &Action::OnScene, 200_000).expect("on scene");
        assert_eq!(escalation(&there, ON_SCENE_TARGET_MS + 1, 60_000), Escalation::None);
    }

    #[test]
    fn shelving_is_limited_by_role_and_needs_a_reason() {
        let op = operator();
        assert!(shelve(&op, "P1", 0, 30 * 60 * 1000, "detector chattering in the rain").is_ok());
        assert!(shelve(&op, "P1", 0, 2 * 60 * 60 * 1000, "all night").is_err());
        assert!(shelve(
            &Actor { name: "李强".into(), role: Role::Supervisor },
            "P1",
            0,
            2 * 60 * 60 * 1000,
            "repair booked"
        )
        .is_ok());
        assert_eq!(shelve(&op, "P1", 0, 1000, " "), Err(ActError::EmptyNote));
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Acknowledge),
            "[a-z]{0,3}".prop_map(|g| Action::Dispatch { guard: g }),
            Just(Action::OnScene),
            Just(Action::Resolve),
            prop_oneof![Just(CloseCategory::Real), Just(CloseCategory::False), Just(CloseCategory::Test)]
                .prop_map(|category| Action::Close { category }),
            "[a-z ]{0,5}".prop_map(|text| Action::Note { text }),
            Just(Action::CallPolice),
            Just(Action::Reopen { close: None }),
        ]
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop_oneof![Just(Role::Operator), Just(Role::Supervisor), Just(Role::Administrator)]
    }

    proptest! {
        #[test]
        fn repeats_within_the_window_fold_into_one_incident(gaps in proptest::collection::vec(0i64..FOLD_WINDOW_MS, 1..30), levels in proptest::collection::vec(1u8..=3, 30)) {
            let mut list: Vec<Incident> = Vec::new();
            let mut at = 0;
            for (k, gap) in gaps.iter().enumerate() {
                at += gap;
                let s = signal("OPD-1F-ALM-001", at, Priority::from_level(levels[k]), false);
                if let SignalOutcome::Opened(i) = on_signal(&mut list, &[], &s, Id::now_v7()) {
                    list.push(*i);
                }
            }
            prop_assert_eq!(list.len(), 1);
            prop_assert_eq!(list[0].repeats as usize, gaps.len() - 1);
            let most_urgent = levels[..gaps.len()].iter().map(|l| Priority::from_level(*l)).min();
            prop_assert_eq!(Some(list[0].priority), most_urgent);
            prop_assert_eq!(list[0].timeline.len(), gaps.len().min(1 + TIMELINE_SIGNALS_MAX), "the timeline stays bounded");
        }

        #[test]
        fn a_shelved_point_opens_nothing_until_the_shelf_ends(times in proptest::collection::vec(0i64..100_000, 1..20)) {
            let shelf = Shelf { point: "P".into(), until: 50_000, by: "x".into(), reason: "r".into() };
            let mut list: Vec<Incident> = Vec::new();
            for at in times {
                let outcome = on_signal(&mut list, std::slice::from_ref(&shelf), &signal("P", at, Priority::P1, false), Id::now_v7());
                prop_assert_eq!(at < 50_000, outcome == SignalOutcome::Shelved);
                if let SignalOutcome::Opened(i) = outcome { list.push(*i); }
            }
        }

        #[test]
        fn actions_never_break_the_rules(actions in proptest::collection::vec((any_action(), any_role()), 0..40)) {
            let mut incident = opened(&signal("P", 0, Priority::P1, false));
            for (t, (action, role)) in actions.iter().enumerate() {
                let actor = Actor { name: format!("{role:?}"), role: *role };
                let before = incident.clone();
                match act(&incident, &actor, action, t as i64 + 1) {
                    Ok(next) => {
                        let added = next.timeline.len() - before.timeline.len();
                        let repeat_ack = *action == Action::Acknowledge && before.state != IncidentState::New;
                        prop_assert_eq!(added, usize::from(!repeat_ack));
                        if matches!(action, Action::Reopen { .. }) {
                            prop_assert!(*role != Role::Operator && before.state == IncidentState::Closed);
                        } else {
                            // Only a reopen moves an incident back.
                            prop_assert!(next.state >= before.state, "{:?} -> {:?} by {:?}", before.state, next.state, action);
                        }
                        if before.state == IncidentState::Closed {
                            let allowed = matches!(action, Action::Note { .. } | Action::Reopen { .. });
                            prop_assert!(allowed, "a closed incident took {:?}", action);
                        }
                        if next.state == IncidentState::Closed && next.category == Some(CloseCategory::Real) {
                            let was_on_scene = next.timeline.iter().any(|e| e.what == EntryKind::Acted { action: Action::OnScene });
                            prop_assert!(was_on_scene, "closed as real without a guard on scene");
                        }
                        incident = next;
                    }
                    Err(_) => prop_assert_eq!(&incident, &before),
                }
            }
        }

        #[test]
        fn the_actions_offered_are_the_ones_act_takes(actions in proptest::collection::vec(any_action(), 0..30)) {
            let sup = Actor { name: "李强".into(), role: Role::Supervisor };
            let mut incident = opened(&signal("P", 0, Priority::P1, false));
            for (t, action) in actions.iter().enumerate() {
                let offered = allowed_actions(&incident);
                let took = act(&incident, &sup, action, t as i64 + 1);
                let valid_input = match action {
                    Action::Dispatch { guard } => !guard.trim().is_empty(),
                    Action::Note { text } => !text.trim().is_empty(),
                    Action::Close { category: CloseCategory::Real } => matches!(incident.state, IncidentState::OnScene | IncidentState::Resolved),
                    _ => true,
                };
                let acknowledged_again = *action == Action::Acknowledge && !matches!(incident.state, IncidentState::New | IncidentState::Closed);
                let police_again = *action == Action::CallPolice && !offered.contains(&ActionKind::CallPolice) && incident.state != IncidentState::Closed;
                if valid_input && !acknowledged_again && !police_again {
                    prop_assert_eq!(offered.contains(&action.kind()), took.is_ok(), "{:?} in {:?}", action, incident.state);
                }
                if let Ok(next) = took { incident = next; }
            }
        }

        #[test]
        fn the_list_puts_urgent_and_old_first(items in proptest::collection::vec((1u8..=3, 0i64..1000, any::<bool>()), 0..40)) {
            let mut list: Vec<Incident> = items.iter().map(|(level, at, closed)| {
                let mut i = opened(&signal("P", *at, Priority::from_level(*level), false));
                if *closed { i.state = IncidentState::Closed; }
                i
            }).collect();
            list.sort_by(list_order);
            for pair in list.windows(2) {
                let key = |i: &Incident| (i.state == IncidentState::Closed, i.priority, i.opened_at);
                prop_assert!(key(&pair[0]) <= key(&pair[1]));
            }
        }
    }
}
