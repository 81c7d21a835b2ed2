//! State is a fold: the one pure function [`apply`] turns the event log, read in a log order, into
//! the projections everybody sees — incidents with their whole timeline, shelves, the device status
//! incidents give the map, procedures, camera links and device positions. The console applies each
//! event as its writer commits it (to the few projection rows it touches), `vigil rebuild` applies
//! the whole log from nothing, and the server will apply the same function in its own order.
//!
//! What the fold decides, so that every workstation and the server reach the same state:
//!
//! - **Order.** Events are applied in a log order: the local commit order today; the server's order
//!   with the workstation's pending events on top once it syncs. Nothing in the fold reads a clock.
//! - **Idempotence.** An event id seen before changes nothing; so does a signal id seen before (the
//!   same frame received by a panel's primary and backup path, on two workstations).
//! - **Time.** The 10-minute fold window reads the signal's own time where it can be trusted
//!   (`Signal::at`, see `clock::judge`), never the receive time of whichever workstation got it.
//! - **Conflicts.** The first close wins; a later close is kept and marked for review. An action
//!   that reaches a closed incident is kept and marked late. An action the state did not allow when
//!   it arrived is kept and marked not applicable. A reopen names the close it reopens and does
//!   nothing to another. Acknowledging twice keeps the first person. (A command typed at this
//!   console that the current state refuses is never written: `incident::act` says no first.)
//! - **Merge.** Two incidents opened for the same point within the fold window on two workstations
//!   become one: the one whose opening signal is earlier by HLC, then by id, survives; the other's
//!   id becomes an alias of it, its events act on the survivor, and the timeline says so.
//! - **What cannot be read** (an unknown kind, a newer schema) never reaches `apply`: the store
//!   keeps it and counts it as [`Skip`], and the writer goes on.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::event::{
    CheckInRecorded, Event, EventBody, Hlc, IncidentActed, MissedCheckpoint, RoundMissed, RouteDef, ShiftSignedOff,
    SignalReceived,
};
use crate::incident::{act, on_signal, Action, Actor, Entry, EntryKind, Incident, IncidentState, Mark, Shelf};
use crate::patrol::{judged_at, normalize_tag, Suspicion};
use crate::schedule::Schedule;
use crate::{sop, DeviceStatus, Id};

/// Why an event in the log was not folded. Counted and logged; the event stays in the log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skip {
    /// A kind this build does not know (written by a newer Vigil).
    UnknownKind(String),
    /// A payload schema newer than this build reads.
    NewerSchema(u32),
    /// A payload that does not parse as its kind.
    Unreadable(String),
}

impl Skip {
    pub fn reason(&self) -> String {
        match self {
            Skip::UnknownKind(k) => format!("unknown kind {k}"),
            Skip::NewerSchema(v) => format!("schema {v} is newer than this build reads"),
            Skip::Unreadable(e) => format!("unreadable payload: {e}"),
        }
    }
}

/// Everything the log folds into.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    pub incidents: BTreeMap<Id, Incident>,
    /// Device (when on the map) of each incident's point.
    pub incident_devices: BTreeMap<Id, Id>,
    /// The open incidents of each point by (opened at, id): a new signal folds into the last one,
    /// the rule the store's `open_incident_of` follows too (`ORDER BY opened_at DESC, id DESC`).
    open_at_point: BTreeMap<String, BTreeSet<(i64, Id)>>,
    /// Merged-away incident ids and the incident that carries them on.
    pub aliases: BTreeMap<Id, Id>,
    pub shelves: BTreeMap<Id, Shelf>,
    /// `(alarm type, language)` → steps.
    pub procedures: BTreeMap<(String, String), Vec<String>>,
    /// Alarm point → the cameras an administrator linked, in order.
    pub camera_links: BTreeMap<Id, Vec<Id>>,
    /// Devices moved by events → where they are now.
    pub positions: BTreeMap<Id, (f64, f64)>,
    /// Floor → the SHA-256 of its plan image, for floors whose plan an event replaced.
    pub plans: BTreeMap<Id, String>,
    /// Actions on incidents this fold has not seen (yet): kept, listed for review.
    pub orphans: Vec<Id>,
    /// Check-ins, their corrections, explanations, sign-offs, routes, schedules and missed rounds.
    pub patrol: PatrolState,
    /// Accounts the log set, by login name: the last event for a name is the account.
    pub accounts: BTreeMap<String, crate::account::AccountSet>,
    /// Reference data as published: the campus, each floor (last publication wins), the guards.
    pub published: Published,
    seen_events: HashSet<Id>,
    seen_signals: HashSet<Id>,
}

/// Reference data the log published.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Published {
    pub sites: BTreeMap<Id, crate::event::SitePublished>,
    pub floors: BTreeMap<Id, crate::event::FloorPublished>,
    pub guards: BTreeMap<Id, crate::event::GuardDef>,
}

/// What one event changed, so a caller that keeps the projection in tables writes only that.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Incidents changed or created.
    pub incidents: Vec<Id>,
    /// An incident this event opened.
    pub opened: Option<Id>,
    /// Incidents merged away: (the old id, the incident that now carries it).
    pub merged: Vec<(Id, Id)>,
    /// Devices whose status may have changed.
    pub devices: Vec<Id>,
    /// The event (or its signal) was seen before: nothing changed.
    pub duplicate: bool,
    pub shelf: Option<Id>,
    /// A check-in stored by this event.
    pub check_in: Option<Id>,
}

/// The patrol part of the projection. Check-ins are kept as they came; everything said about them
/// afterwards sits beside them, never in them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatrolState {
    pub check_ins: BTreeMap<Id, StoredCheckIn>,
    /// Keyed by the annotating event.
    pub annotations: BTreeMap<Id, Remark>,
    /// Exception key → its explanations in log order (the last one is shown).
    pub explanations: BTreeMap<String, Vec<Remark>>,
    /// Shift key → its sign-offs in log order (the last one stands).
    pub sign_offs: BTreeMap<String, Vec<SignOff>>,
    pub routes: BTreeMap<Id, RouteDef>,
    /// Schedule → its versions by `valid_from`.
    pub schedules: BTreeMap<Id, Vec<Schedule>>,
    pub missed: BTreeMap<Id, MissedRound>,
    /// Normalised tag → the missed rounds that still lack it.
    missed_by_tag: BTreeMap<String, BTreeSet<Id>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckIn {
    pub event: Id,
    /// The operator (manual), the importing user (wand) or the handheld's token holder.
    pub actor: String,
    pub record: CheckInRecorded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remark {
    pub event: Id,
    /// The check-in (annotations) or the shift (explanations) it is about.
    pub about: String,
    pub text: String,
    pub by: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    pub event: Id,
    pub by: String,
    pub at: i64,
    pub signed: ShiftSignedOff,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedRound {
    pub event: Id,
    pub incident: Id,
    pub route: Id,
    pub start: i64,
    pub tolerance_ms: i64,
    pub missing: Vec<MissedCheckpoint>,
    /// Missing checkpoints checked afterwards: checkpoint → check-in.
    pub checked_late: BTreeMap<Id, Id>,
}

impl PatrolState {
    /// Puts a missed round (loaded from a table) in place, so a late check-in finds it.
    pub fn load_missed(&mut self, round: Id, missed: MissedRound) {
        for m in &missed.missing {
            if !missed.checked_late.contains_key(&m.checkpoint) {
                self.missed_by_tag.entry(m.tag.clone()).or_default().insert(round);
            }
        }
        self.missed.insert(round, missed);
    }

    /// The schedule versions in force, for [`crate::schedule::rounds`].
    pub fn schedule_versions(&self) -> impl Iterator<Item = &Schedule> {
        self.schedules.values().flatten()
    }
}

impl Projection {
    /// An empty projection, or one holding the rows a caller loaded to apply one event.
    pub fn new() -> Projection {
        Projection::default()
    }

    /// Puts an incident (loaded from a table) in place, as the open one of its point if it is open.
    pub fn load_incident(&mut self, incident: Incident, device: Option<Id>) {
        if incident.state != IncidentState::Closed {
            self.mark_open(&incident.point, incident.opened_at, incident.id);
        }
        if let Some(d) = device {
            self.incident_devices.insert(incident.id, d);
        }
        self.incidents.insert(incident.id, incident);
    }

    /// Records that a signal was folded already (by another event: the same frame received at
    /// two workstations), so folding it again changes nothing, as in the whole fold.
    pub fn load_seen_signal(&mut self, signal: Id) {
        self.seen_signals.insert(signal);
    }

    pub fn load_shelf(&mut self, id: Id, shelf: Shelf) {
        self.shelves.insert(id, shelf);
    }

    pub fn load_alias(&mut self, alias: Id, survivor: Id) {
        self.aliases.insert(alias, survivor);
    }

    /// The open incident a new signal from `point` folds into: the last opened of its open ones.
    pub fn open_of(&self, point: &str) -> Option<Id> {
        self.open_at_point.get(point).and_then(|set| set.last()).map(|(_, id)| *id)
    }

    /// Every point with open incidents, and the one its next signal folds into.
    pub fn open_points(&self) -> impl Iterator<Item = (&String, Id)> {
        self.open_at_point.iter().filter_map(|(p, set)| set.last().map(|(_, id)| (p, *id)))
    }

    fn mark_open(&mut self, point: &str, opened_at: i64, id: Id) {
        self.open_at_point.entry(point.to_owned()).or_default().insert((opened_at, id));
    }

    fn mark_closed(&mut self, point: &str, opened_at: i64, id: Id) {
        if let Some(set) = self.open_at_point.get_mut(point) {
            set.remove(&(opened_at, id));
            if set.is_empty() {
                self.open_at_point.remove(point);
            }
        }
    }

    /// The incident an id names now, following merges.
    pub fn resolve(&self, mut id: Id) -> Id {
        // Aliases point at survivors, which can be merged again; a cycle cannot form because a
        // merge only ever points an incident at one that exists, but stay bounded regardless.
        for _ in 0..32 {
            match self.aliases.get(&id) {
                Some(next) if *next != id => id = *next,
                _ => break,
            }
        }
        id
    }

    /// The status incidents give a device: alarm (or fault, for technical alarms) while one is
    /// open, normal once none is.
    pub fn device_status(&self, device: Id) -> DeviceStatus {
        let mut status = DeviceStatus::Normal;
        for (incident, d) in &self.incident_devices {
            if *d != device {
                continue;
            }
            if let Some(i) = self.incidents.get(incident).filter(|i| i.state != IncidentState::Closed) {
                if matches!(i.alarm_type.as_str(), "trouble" | "tamper") {
                    if status == DeviceStatus::Normal {
                        status = DeviceStatus::Fault;
                    }
                } else {
                    status = DeviceStatus::Alarm;
                }
            }
        }
        status
    }

    /// Incidents with a marked line, for the supervisor.
    pub fn needing_review(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values().filter(|i| i.needs_review)
    }

    fn shelves_of(&self, point: &str) -> Vec<Shelf> {
        self.shelves.values().filter(|s| s.point == point).cloned().collect()
    }
}

/// Applies one event. Deterministic: the same events in the same order give the same projection;
/// an event id (or signal id) seen before changes nothing.
pub fn apply(state: &mut Projection, event: &Event) -> Applied {
    if !state.seen_events.insert(event.id) {
        return Applied { duplicate: true, ..Applied::default() };
    }
    match &event.body {
        EventBody::SignalReceived(s) => signal(state, event, s),
        EventBody::IncidentActed(a) => acted(state, event, a),
        EventBody::PointShelved(p) => {
            state.shelves.insert(event.id, p.shelf.clone());
            Applied { shelf: Some(event.id), ..Applied::default() }
        }
        EventBody::ProcedureSet(p) => {
            state.procedures.insert((p.alarm_type.clone(), p.language.clone()), p.steps.clone());
            Applied::default()
        }
        EventBody::CamerasLinked(c) => {
            state.camera_links.insert(c.point, c.cameras.clone());
            Applied::default()
        }
        EventBody::DevicesMoved(m) => {
            for mv in &m.moves {
                state.positions.insert(mv.device, (mv.x, mv.y));
            }
            Applied::default()
        }
        EventBody::FloorPlanReplaced(p) => {
            state.plans.insert(p.floor, p.sha256.clone());
            for mv in &p.moves {
                state.positions.insert(mv.device, (mv.x, mv.y));
            }
            Applied::default()
        }
        EventBody::CheckInRecorded(c) => check_in(state, event, c),
        EventBody::CheckInAnnotated(a) => {
            state.patrol.annotations.insert(event.id, remark(event, a.check_in.to_string(), &a.text));
            Applied::default()
        }
        EventBody::ExceptionExplained(x) => {
            let r = remark(event, x.shift.clone(), &x.text);
            state.patrol.explanations.entry(x.exception.clone()).or_default().push(r);
            Applied::default()
        }
        EventBody::ShiftSignedOff(s) => {
            let sign = SignOff { event: event.id, by: event.actor.clone(), at: event.wall, signed: s.clone() };
            state.patrol.sign_offs.entry(s.shift.clone()).or_default().push(sign);
            Applied::default()
        }
        EventBody::RouteSet(r) => {
            state.patrol.routes.insert(r.route.id, r.route.clone());
            Applied::default()
        }
        EventBody::ScheduleSet(s) => {
            let versions = state.patrol.schedules.entry(s.schedule.id).or_default();
            // The new version ends the ones before it where it starts.
            for v in versions.iter_mut() {
                if v.valid_from < s.schedule.valid_from && v.valid_to.is_none_or(|t| t > s.schedule.valid_from) {
                    v.valid_to = Some(s.schedule.valid_from);
                }
            }
            versions.retain(|v| v.valid_from < s.schedule.valid_from);
            versions.push(s.schedule.clone());
            Applied::default()
        }
        EventBody::RoundMissed(m) => round_missed(state, event, m),
        EventBody::SitePublished(p) => {
            if let Some(plan) = &p.plan {
                state.plans.insert(p.site.id, plan.sha256.clone());
            }
            state.published.sites.insert(p.site.id, p.clone());
            Applied::default()
        }
        EventBody::FloorPublished(p) => {
            if let Some(plan) = &p.plan {
                state.plans.insert(p.floor.id, plan.sha256.clone());
            }
            for d in &p.devices {
                state.positions.insert(d.id, (d.x, d.y));
            }
            state.published.floors.insert(p.floor.id, p.clone());
            Applied::default()
        }
        EventBody::GuardsPublished(p) => {
            for g in &p.guards {
                state.published.guards.insert(g.id, g.clone());
            }
            Applied::default()
        }
        EventBody::AccountSet(a) => {
            // An account is known by its name, which is the event's subject; one that says
            // otherwise is kept in the log and changes no account.
            if event.subject == a.name {
                state.accounts.insert(a.name.clone(), a.clone());
            }
            Applied::default()
        }
    }
}

fn remark(event: &Event, about: String, text: &str) -> Remark {
    Remark { event: event.id, about, text: text.to_owned(), by: event.actor.clone(), at: event.wall }
}

fn check_in(state: &mut Projection, event: &Event, c: &CheckInRecorded) -> Applied {
    if state.patrol.check_ins.contains_key(&c.check_in) {
        return Applied { duplicate: true, ..Applied::default() };
    }
    state
        .patrol
        .check_ins
        .insert(c.check_in, StoredCheckIn { event: event.id, actor: event.actor.clone(), record: c.clone() });
    let mut applied = Applied { check_in: Some(c.check_in), ..Applied::default() };
    // A missed round still lacking this tag, within its tolerance: the checkpoint is late now.
    let tag = normalize_tag(&c.tag);
    let (touched, _) = judged_at(&c.as_check_in(), &Suspicion::default());
    let rounds: Vec<Id> = state.patrol.missed_by_tag.get(&tag).map(|s| s.iter().copied().collect()).unwrap_or_default();
    for round in rounds {
        let Some(missed) = state.patrol.missed.get_mut(&round) else { continue };
        let Some(cp) = missed
            .missing
            .iter()
            .find(|m| {
                m.tag == tag
                    && !missed.checked_late.contains_key(&m.checkpoint)
                    && (touched - m.expected).abs() <= missed.tolerance_ms
            })
            .map(|m| m.checkpoint)
        else {
            continue;
        };
        missed.checked_late.insert(cp, c.check_in);
        if missed.missing.iter().filter(|m| m.tag == tag).all(|m| missed.checked_late.contains_key(&m.checkpoint)) {
            if let Some(set) = state.patrol.missed_by_tag.get_mut(&tag) {
                set.remove(&round);
            }
        }
        let incident = missed.incident;
        let id = state.resolve(incident);
        if let Some(incident) = state.incidents.get_mut(&id) {
            incident.timeline.push(Entry {
                at: touched,
                by: Some(c.guard.clone()),
                what: EntryKind::CheckedLate { check_in: c.check_in, checkpoint: cp, touched },
                event: Some(event.id),
                mark: None,
            });
            applied.incidents.push(id);
        }
        break;
    }
    applied
}

fn round_missed(state: &mut Projection, event: &Event, m: &RoundMissed) -> Applied {
    if state.patrol.missed.contains_key(&m.round) {
        return Applied { duplicate: true, ..Applied::default() };
    }
    let missed = MissedRound {
        event: event.id,
        incident: m.opens,
        route: m.route,
        start: m.start,
        tolerance_ms: m.tolerance_ms,
        missing: m.missing.clone(),
        checked_late: BTreeMap::new(),
    };
    state.patrol.load_missed(m.round, missed);
    // The round's incident opens as any alarm does: one per round, its signal id derived from it.
    let s = SignalReceived { signal: m.signal.clone(), device: m.device, opens: m.opens, opened: false };
    signal(state, event, &s)
}

fn tag_last(incident: &mut Incident, before: usize, event: Id) {
    if incident.timeline.len() > before {
        if let Some(last) = incident.timeline.last_mut() {
            last.event = Some(event);
        }
    }
}

fn signal(state: &mut Projection, event: &Event, s: &SignalReceived) -> Applied {
    if !state.seen_signals.insert(s.signal.id) {
        return Applied { duplicate: true, ..Applied::default() };
    }
    if !sop::opens_incident(&s.signal.alarm_type) {
        return Applied::default();
    }
    let point = s.signal.point.clone();
    let open_id = state.open_of(&point);
    let mut open: Vec<Incident> = open_id.and_then(|id| state.incidents.get(&id).cloned()).into_iter().collect();
    let before = open.first().map_or(0, |i| i.timeline.len());
    let shelves = state.shelves_of(&point);
    let mut applied = Applied::default();
    match on_signal(&mut open, &shelves, &s.signal, s.opens) {
        crate::incident::SignalOutcome::Opened(incident) => {
            let mut incident = *incident;
            incident.opened_hlc = event.hlc;
            tag_last(&mut incident, 0, event.id);
            let id = incident.id;
            state.mark_open(&point, incident.opened_at, id);
            if let Some(d) = s.device {
                state.incident_devices.insert(id, d);
                applied.devices.push(d);
            }
            state.incidents.insert(id, incident);
            applied.incidents.push(id);
            applied.opened = Some(id);
        }
        crate::incident::SignalOutcome::Folded(_) | crate::incident::SignalOutcome::RestoreNoted(_) => {
            let mut incident = open.remove(0);
            tag_last(&mut incident, before, event.id);
            let mut id = incident.id;
            if s.opened && s.opens != id && !s.signal.restore {
                // Its own workstation opened an incident for it: the two are one incident now.
                id = merge(state, incident, event, s, &mut applied);
            } else {
                state.incidents.insert(id, incident);
            }
            applied.incidents.push(id);
        }
        crate::incident::SignalOutcome::RestoreAlone | crate::incident::SignalOutcome::Shelved => {}
    }
    applied
}

/// Merges the incident `s.opens` (opened for this signal where it was received) with `existing`,
/// the one open here for the same point. Returns the id that survives.
fn merge(
    state: &mut Projection,
    mut existing: Incident,
    event: &Event,
    s: &SignalReceived,
    applied: &mut Applied,
) -> Id {
    let other = s.opens;
    let theirs: (Hlc, Id) = (event.hlc, other);
    let ours: (Hlc, Id) = (existing.opened_hlc, existing.id);
    state.mark_closed(&existing.point, existing.opened_at, existing.id);
    existing.opened_at = existing.opened_at.min(s.signal.at);
    let survivor = if theirs < ours {
        // The other workstation's incident opened first: this one takes its id and history.
        let old = existing.id;
        state.incidents.remove(&old);
        let device = state.incident_devices.remove(&old);
        existing.id = other;
        existing.opened_hlc = event.hlc;
        existing.timeline.push(Entry {
            at: s.signal.at,
            by: None,
            what: EntryKind::Merged { other: old },
            event: Some(event.id),
            mark: None,
        });
        if let Some(d) = device {
            state.incident_devices.insert(other, d);
        }
        state.aliases.insert(old, other);
        applied.merged.push((old, other));
        other
    } else {
        existing.timeline.push(Entry {
            at: s.signal.at,
            by: None,
            what: EntryKind::Merged { other },
            event: Some(event.id),
            mark: None,
        });
        state.aliases.insert(other, existing.id);
        applied.merged.push((other, existing.id));
        existing.id
    };
    // Anything acted on the merged-away id before this (in this log order) acts on the survivor.
    for alias in state.aliases.values_mut() {
        if *alias == other || *alias == existing.id {
            *alias = survivor;
        }
    }
    state.aliases.remove(&survivor);
    state.mark_open(&existing.point, existing.opened_at, survivor);
    state.incidents.insert(survivor, existing);
    survivor
}

fn acted(state: &mut Projection, event: &Event, a: &IncidentActed) -> Applied {
    let id = state.resolve(a.incident);
    let Some(incident) = state.incidents.get(&id) else {
        state.orphans.push(event.id);
        return Applied::default();
    };
    let actor = Actor { name: event.actor.clone(), role: a.role };
    let before = incident.timeline.len();
    let was_open = incident.state != IncidentState::Closed;
    let next = match (&a.action, incident.closed_by) {
        // A reopen of a close that is not the one standing (a second close already kept as
        // review) reopens nothing.
        (Action::Reopen { close: Some(c) }, Some(standing)) if *c != standing => None,
        _ => act(incident, &actor, &a.action, a.at).ok(),
    };
    let mut next = match next {
        Some(mut next) => {
            tag_last(&mut next, before, event.id);
            if matches!(a.action, Action::Close { .. }) {
                next.closed_by = Some(event.id);
            }
            next
        }
        None => {
            // Committed elsewhere and so never refused: kept on the timeline, marked for review.
            let mut kept = incident.clone();
            let mark = match (&a.action, incident.state) {
                (Action::Close { .. }, IncidentState::Closed) => Mark::SecondClose,
                (_, IncidentState::Closed) => Mark::Late,
                _ => Mark::NotApplicable,
            };
            kept.timeline.push(Entry {
                at: a.at,
                by: Some(actor.name.clone()),
                what: EntryKind::Acted { action: a.action.clone() },
                event: Some(event.id),
                mark: Some(mark),
            });
            kept.needs_review = true;
            kept
        }
    };
    let mut applied = Applied { incidents: vec![id], ..Applied::default() };
    let now_open = next.state != IncidentState::Closed;
    if was_open != now_open {
        if now_open {
            state.mark_open(&next.point, next.opened_at, id);
        } else {
            state.mark_closed(&next.point, next.opened_at, id);
        }
        if let Some(d) = state.incident_devices.get(&id) {
            applied.devices.push(*d);
        }
    }
    if next.timeline.len() == before {
        // Nothing to show (a second acknowledgement): the first person stands.
        next = state.incidents.get(&id).cloned().unwrap_or(next);
    }
    state.incidents.insert(id, next);
    applied
}

/// Folds a whole log from nothing.
pub fn fold_all<'a>(events: impl IntoIterator<Item = &'a Event>) -> Projection {
    let mut state = Projection::new();
    for e in events {
        apply(&mut state, e);
    }
    state
}

/// Counts of what a rebuild skipped, by reason.
pub type SkipCounts = HashMap<String, u64>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RoundMissed;
    use crate::event::{derived_id, HlcClock, EVENT_SCHEMA};
    use crate::incident::{allowed_actions, ActionKind, CloseCategory, Priority, Role, Signal};
    use proptest::prelude::*;

    struct Origin {
        id: Id,
        seq: i64,
        clock: HlcClock,
    }

    impl Origin {
        fn new(n: u8) -> Origin {
            Origin { id: Id::from_bytes([n; 16]), seq: 0, clock: HlcClock::resume(Hlc::default()) }
        }

        fn event(&mut self, at: i64, actor: &str, body: EventBody) -> Event {
            self.seq += 1;
            let id = derived_id("test-event", &format!("{}:{}", self.id, self.seq), at);
            Event {
                id,
                origin: self.id,
                origin_seq: self.seq,
                actor: actor.into(),
                subject: String::new(),
                hlc: self.clock.tick(at),
                wall: at,
                schema: EVENT_SCHEMA,
                body,
            }
        }

        fn signal(&mut self, key: &str, point: &str, at: i64, priority: Priority, opened: bool) -> Event {
            let signal = Signal {
                id: derived_id("signal", key, at),
                point: point.into(),
                alarm_type: "panic".into(),
                priority,
                restore: false,
                at,
                clock: None,
            };
            let opens = derived_id("incident", key, at);
            self.event(at, "panel", EventBody::SignalReceived(SignalReceived { signal, device: None, opens, opened }))
        }

        fn act(&mut self, incident: Id, at: i64, role: Role, action: Action) -> Event {
            self.event(at, "张敏", EventBody::IncidentActed(IncidentActed { incident, role, action, at }))
        }
    }

    fn route_of(tags: &[&str]) -> crate::patrol::Route {
        crate::patrol::Route {
            id: Id::from_u128(0xA),
            ordered: true,
            legs: tags
                .iter()
                .enumerate()
                .map(|(i, t)| crate::patrol::Leg {
                    checkpoint: Id::from_u128(0x100 + i as u128),
                    tag: (*t).into(),
                    walk_ms: if i == 0 { 0 } else { 60_000 },
                })
                .collect(),
        }
    }

    fn recorded(id: u128, tag: &str, device_time: i64, received: i64) -> EventBody {
        EventBody::CheckInRecorded(CheckInRecorded {
            check_in: Id::from_u128(id),
            tag: tag.into(),
            guard: "B-007".into(),
            device: Some("wand-1".into()),
            method: crate::patrol::Method::Wand,
            source: crate::patrol::Source::Wand,
            device_time,
            received,
            reason: None,
            import: None,
            row: None,
            body_hash: format!("h{id}"),
        })
    }

    fn missed_round(route: &crate::patrol::Route, start: i64, checks: &[crate::patrol::CheckIn]) -> RoundMissed {
        use crate::patrol::{evaluate, round_missed, Round, Suspicion, Windows};
        let round = Round { id: crate::schedule::round_id(route.id, start), route: route.id, start };
        let eval = evaluate(
            std::slice::from_ref(route),
            std::slice::from_ref(&round),
            checks,
            Windows::default(),
            Suspicion::default(),
        );
        round_missed(route, &round, &eval.rounds[0], Windows::default(), None).expect("checkpoints are missing")
    }

    #[test]
    fn a_missed_round_opens_one_p3_incident_on_every_workstation_and_a_late_wand_scan_is_kept_on_it() {
        let t0 = 1_800_000_000_000;
        let route = route_of(&["AA01", "AA02"]);
        let m = missed_round(&route, t0, &[]);
        assert_eq!(m.missing.len(), 2);
        let (mut a, mut b) = (Origin::new(1), Origin::new(2));
        // Both workstations notice the round pass and write it; the same round is one incident.
        let e1 = a.event(t0 + 12 * 60_000, "vigil", EventBody::RoundMissed(m.clone()));
        let e2 = b.event(t0 + 12 * 60_000 + 5, "vigil", EventBody::RoundMissed(m.clone()));
        let mut p = Projection::new();
        let first = apply(&mut p, &e1);
        assert_eq!(first.opened, Some(m.opens));
        assert!(apply(&mut p, &e2).duplicate);
        let incident = only(&p);
        assert_eq!((incident.priority, incident.alarm_type.as_str()), (Priority::P3, crate::incident::ROUND_MISSED));
        // A wand file read the next morning: AA02 was touched 4 minutes after its expected time.
        let late = a.event(t0 + 9 * 3_600_000, "王芳", recorded(1, "aa:02", t0 + 60_000 + 240_000, t0 + 9 * 3_600_000));
        let applied = apply(&mut p, &late);
        assert_eq!(applied.check_in, Some(Id::from_u128(1)));
        assert_eq!(applied.incidents, vec![m.opens]);
        let line = only(&p).timeline.last().expect("a line");
        assert!(matches!(line.what, EntryKind::CheckedLate { checkpoint, .. } if checkpoint == Id::from_u128(0x101)));
        // The same check-in again (a retried upload) changes nothing.
        let again = a.event(t0 + 9 * 3_600_000 + 1, "王芳", recorded(1, "aa:02", t0, t0));
        assert!(apply(&mut p, &again).duplicate);
        assert_eq!(p.patrol.check_ins.len(), 1);
        // A scan far outside the window is stored but turns nothing late.
        let stray =
            a.event(t0 + 9 * 3_600_000 + 2, "王芳", recorded(2, "AA01", t0 + 3 * 3_600_000, t0 + 3 * 3_600_000));
        assert!(apply(&mut p, &stray).incidents.is_empty());
        assert_eq!(p.patrol.check_ins.len(), 2);
    }

    #[test]
    fn a_missed_round_closes_only_with_an_explanation() {
        let t0 = 1_800_000_000_000;
        let route = route_of(&["AA01"]);
        let m = missed_round(&route, t0, &[]);
        let mut a = Origin::new(1);
        let mut p = Projection::new();
        apply(&mut p, &a.event(t0 + 11 * 60_000, "vigil", EventBody::RoundMissed(m.clone())));
        let incident = only(&p).clone();
        let close = Action::Close { category: CloseCategory::False };
        let sup = Actor { name: "李娜".into(), role: Role::Supervisor };
        assert_eq!(act(&incident, &sup, &close, t0), Err(crate::incident::ActError::NeedsExplanation));
        let note = Action::Note { text: "电梯故障，巡更员绕行，已补巡".into() };
        apply(&mut p, &a.act(m.opens, t0 + 20 * 60_000, Role::Supervisor, note));
        apply(&mut p, &a.act(m.opens, t0 + 21 * 60_000, Role::Supervisor, close));
        assert_eq!(only(&p).state, IncidentState::Closed);
        assert_eq!(crate::incident::explanation(only(&p)), Some("电梯故障，巡更员绕行，已补巡"));
    }

    #[test]
    fn a_new_schedule_version_ends_the_one_before_where_it_starts() {
        use crate::event::ScheduleSet;
        use crate::schedule::{Schedule, Weekdays};
        let v1 = Schedule {
            id: Id::from_u128(5),
            route: Id::from_u128(0xA),
            start: 1320,
            end: 360,
            every: 120,
            weekdays: Weekdays::ALL,
            valid_from: 0,
            valid_to: None,
        };
        let v2 = Schedule { every: 60, valid_from: 1_000, ..v1.clone() };
        let mut a = Origin::new(1);
        let mut p = Projection::new();
        apply(&mut p, &a.event(1, "admin", EventBody::ScheduleSet(ScheduleSet { schedule: v1 })));
        apply(&mut p, &a.event(1_000, "admin", EventBody::ScheduleSet(ScheduleSet { schedule: v2 })));
        let versions = &p.patrol.schedules[&Id::from_u128(5)];
        assert_eq!(
            versions.iter().map(|v| (v.every, v.valid_from, v.valid_to)).collect::<Vec<_>>(),
            [(120, 0, Some(1_000)), (60, 1_000, None)]
        );
    }

    fn only(p: &Projection) -> &Incident {
        assert_eq!(p.incidents.len(), 1, "{:?}", p.incidents.keys().collect::<Vec<_>>());
        p.incidents.values().next().expect("one")
    }

    /// An alarm at workstation 1, closed there as false and at workstation 2 as a test.
    fn closed_twice() -> (Origin, Origin, Id, [Event; 3]) {
        let mut a = Origin::new(1);
        let mut b = Origin::new(2);
        let open = a.signal("k1", "P1", 1_000, Priority::P1, true);
        let id = derived_id("incident", "k1", 1_000);
        let close_a = a.act(id, 2_000, Role::Operator, Action::Close { category: CloseCategory::False });
        let close_b = b.act(id, 2_500, Role::Operator, Action::Close { category: CloseCategory::Test });
        (a, b, id, [open, close_a, close_b])
    }

    #[test]
    fn a_supervisor_marks_a_review_done_once_for_everyone_and_an_operator_cannot() {
        let (mut a, mut b, id, [open, close_a, close_b]) = closed_twice();
        assert!(allowed_actions(only(&fold_all([&open, &close_a, &close_b]))).contains(&ActionKind::Reviewed));
        // An operator's "reviewed" does not act: it is itself kept for review.
        let by_operator = a.act(id, 3_000, Role::Operator, Action::Reviewed);
        assert!(only(&fold_all([&open, &close_a, &close_b, &by_operator])).needs_review);
        // A supervisor's does, at either workstation; the other's, arriving after, changes nothing.
        let at_a = a.act(id, 3_500, Role::Supervisor, Action::Reviewed);
        let at_b = b.act(id, 3_600, Role::Supervisor, Action::Reviewed);
        let done = fold_all([&open, &close_a, &close_b, &at_a, &at_b]);
        let i = only(&done);
        assert!(!i.needs_review);
        assert!(!allowed_actions(i).contains(&ActionKind::Reviewed));
        assert_eq!(i.timeline.iter().filter(|e| e.mark.is_some()).count(), 1, "the second close stays marked");
        // A later conflict puts it back on the list.
        let late = b.act(id, 4_000, Role::Operator, Action::Dispatch { guard: "G1".into() });
        assert!(only(&fold_all([&open, &close_a, &close_b, &at_a, &at_b, &late])).needs_review);
    }

    #[test]
    fn the_first_close_wins_and_a_later_one_is_kept_for_review() {
        let (mut a, mut b, id, [open, close_a, close_b]) = closed_twice();
        let state = fold_all([&open, &close_a, &close_b]);
        let i = only(&state);
        assert_eq!(
            (i.state, i.category, i.closed_by),
            (IncidentState::Closed, Some(CloseCategory::False), Some(close_a.id))
        );
        assert_eq!(i.timeline.last().map(|e| e.mark), Some(Some(Mark::SecondClose)));
        assert!(i.needs_review);
        // A note and a dispatch after the close: kept, the dispatch marked late.
        let late = b.act(id, 3_000, Role::Operator, Action::Dispatch { guard: "G1".into() });
        let mut state = state;
        apply(&mut state, &late);
        assert_eq!(only(&state).timeline.last().map(|e| (e.event, e.mark)), Some((Some(late.id), Some(Mark::Late))));
        // A reopen of the losing close reopens nothing; of the standing one, it does.
        let wrong = a.act(id, 4_000, Role::Supervisor, Action::Reopen { close: Some(close_b.id) });
        apply(&mut state, &wrong);
        assert_eq!(only(&state).state, IncidentState::Closed);
        let right = a.act(id, 5_000, Role::Supervisor, Action::Reopen { close: Some(close_a.id) });
        apply(&mut state, &right);
        assert_eq!((only(&state).state, only(&state).closed_by), (IncidentState::Acknowledged, None));
        assert_eq!(state.open_of("P1"), Some(id), "reopened: the point's open incident again");
    }

    #[test]
    fn a_reopened_incident_beside_another_open_one_takes_the_point_again_when_that_one_closes() {
        let mut a = Origin::new(1);
        let open_a = a.signal("ka", "P1", 0, Priority::P2, true);
        let ia = derived_id("incident", "ka", 0);
        let close_a = a.act(ia, 10, Role::Operator, Action::Close { category: CloseCategory::False });
        let open_b = a.signal("kb", "P1", 1_000, Priority::P2, true);
        let ib = derived_id("incident", "kb", 1_000);
        let reopen_a = a.act(ia, 2_000, Role::Supervisor, Action::Reopen { close: Some(close_a.id) });
        let mut state = fold_all([&open_a, &close_a, &open_b, &reopen_a]);
        assert_eq!(state.open_of("P1"), Some(ib), "the later opened of the two open ones");
        apply(&mut state, &a.act(ib, 3_000, Role::Operator, Action::Close { category: CloseCategory::False }));
        assert_eq!(state.open_of("P1"), Some(ia), "the reopened one is the point's open incident again");
        let repeat = a.signal("kc", "P1", 4_000, Priority::P1, false);
        let applied = apply(&mut state, &repeat);
        assert_eq!((applied.incidents, applied.opened), (vec![ia], None), "a new signal folds into it");
    }

    #[test]
    fn acknowledging_twice_keeps_the_first_person() {
        let mut a = Origin::new(1);
        let open = a.signal("k", "P1", 0, Priority::P1, true);
        let id = derived_id("incident", "k", 0);
        let first = a.act(id, 10, Role::Operator, Action::Acknowledge);
        let mut second = a.act(id, 20, Role::Operator, Action::Acknowledge);
        second.actor = "李强".into();
        let state = fold_all([&open, &first, &second]);
        let acks: Vec<_> = only(&state)
            .timeline
            .iter()
            .filter(|e| e.what == EntryKind::Acted { action: Action::Acknowledge })
            .collect();
        assert_eq!(acks.len(), 1);
        assert_eq!((acks[0].by.as_deref(), acks[0].event), (Some("张敏"), Some(first.id)));
        assert_eq!(only(&state).acknowledged_at, Some(10));
    }

    #[test]
    fn the_same_frame_on_two_workstations_is_one_signal_in_one_incident() {
        let mut a = Origin::new(1);
        let mut b = Origin::new(2);
        let ea = a.signal("dc09:1234:0001:x", "P1", 1_000, Priority::P1, true);
        let eb = b.signal("dc09:1234:0001:x", "P1", 1_000, Priority::P1, true);
        let state = fold_all([&ea, &eb]);
        let i = only(&state);
        assert_eq!((i.id, i.repeats, i.timeline.len()), (derived_id("incident", "dc09:1234:0001:x", 1_000), 0, 1));
    }

    #[test]
    fn two_incidents_for_one_point_merge_into_the_earlier_one() {
        let mut a = Origin::new(1);
        let mut b = Origin::new(2);
        // Cut off from each other, both open an incident for P1 (different frames), and act on it.
        let ea = a.signal("ka", "P1", 1_000, Priority::P2, true);
        let eb = b.signal("kb", "P1", 1_500, Priority::P1, true);
        let (ia, ib) = (derived_id("incident", "ka", 1_000), derived_id("incident", "kb", 1_500));
        let ack_b = b.act(ib, 1_600, Role::Operator, Action::Acknowledge);
        let note_a = a.act(ia, 1_700, Role::Operator, Action::Note { text: "camera shows nobody".into() });
        for order in [vec![&ea, &eb, &ack_b, &note_a], vec![&eb, &ack_b, &ea, &note_a], vec![&eb, &ea, &note_a, &ack_b]]
        {
            let state = fold_all(order.iter().copied());
            let i = only(&state);
            assert_eq!(i.id, ia, "a's opening signal is earlier by HLC");
            assert_eq!(i.priority, Priority::P1, "priority only rises");
            assert!(i.timeline.iter().any(|e| matches!(e.what, EntryKind::Merged { other } if other == ib)));
            assert_eq!(state.resolve(ib), ia);
            assert!(i.timeline.iter().any(|e| e.event == Some(ack_b.id)), "b's action reached the survivor");
            assert!(i.timeline.iter().any(|e| e.event == Some(note_a.id)));
            assert_eq!(i.state, IncidentState::Acknowledged);
        }
    }

    #[test]
    fn an_action_on_an_incident_not_seen_is_kept_as_an_orphan() {
        let mut a = Origin::new(1);
        let ghost = a.act(Id::from_bytes([9; 16]), 10, Role::Operator, Action::Acknowledge);
        let state = fold_all([&ghost]);
        assert!(state.incidents.is_empty());
        assert_eq!(state.orphans, vec![ghost.id]);
    }

    /// A random history of one or more points: signals from two workstations and actions by both.
    fn history() -> impl Strategy<Value = Vec<Event>> {
        let step = (0u8..2, 0u8..3, 0u8..9, 1u8..=3, 0i64..400_000);
        proptest::collection::vec(step, 1..40).prop_map(|steps| {
            let mut origins = [Origin::new(1), Origin::new(2)];
            let mut at = 0;
            let mut opened: Vec<Id> = Vec::new();
            let mut out = Vec::new();
            for (k, (o, point, what, level, gap)) in steps.into_iter().enumerate() {
                at += gap;
                let origin = &mut origins[usize::from(o)];
                let point = format!("P{point}");
                let e = if what < 3 || opened.is_empty() {
                    let key = format!("k{k}");
                    opened.push(derived_id("incident", &key, at));
                    origin.signal(&key, &point, at, Priority::from_level(level), true)
                } else {
                    let incident = opened[k % opened.len()];
                    let action = match what {
                        3 => Action::Acknowledge,
                        4 => Action::Dispatch { guard: "G1".into() },
                        5 => Action::OnScene,
                        6 => Action::Close { category: CloseCategory::False },
                        7 => Action::Note { text: "n".into() },
                        _ => Action::Reopen { close: None },
                    };
                    origin.act(incident, at, if level == 1 { Role::Supervisor } else { Role::Operator }, action)
                };
                out.push(e);
            }
            out
        })
    }

    fn closes_standing(i: &Incident) -> usize {
        // Closes that took effect since the last reopen: never more than one.
        let mut n = 0;
        for e in &i.timeline {
            match &e.what {
                EntryKind::Acted { action: Action::Close { .. } } if e.mark.is_none() => n += 1,
                EntryKind::Acted { action: Action::Reopen { .. } } if e.mark.is_none() => n = 0,
                _ => {}
            }
        }
        n
    }

    proptest! {
        #[test]
        fn duplicated_events_give_the_same_projection(events in history(), dups in proptest::collection::vec(0usize..1000, 0..20)) {
            let once = fold_all(events.iter());
            let mut doubled: Vec<&Event> = events.iter().collect();
            for d in dups {
                let e = &events[d % events.len()];
                let at = doubled.iter().position(|x| x.id == e.id).unwrap_or(0) + 1;
                let at = at + d % (doubled.len() - at + 1);
                doubled.insert(at, e);
            }
            let again = fold_all(doubled);
            prop_assert_eq!(once.incidents, again.incidents);
            prop_assert_eq!(once.aliases, again.aliases);
        }

        #[test]
        fn points_apart_fold_apart_in_any_interleaving(events in history(), seed in any::<u64>()) {
            // Reorder events across points, keeping each point's own order: per-point state is the same.
            let point_of = |e: &Event, all: &[Event]| -> String {
                match &e.body {
                    EventBody::SignalReceived(s) => s.signal.point.clone(),
                    EventBody::IncidentActed(a) => all.iter().find_map(|x| match &x.body {
                        EventBody::SignalReceived(s) if s.opens == a.incident => Some(s.signal.point.clone()),
                        _ => None,
                    }).unwrap_or_default(),
                    _ => String::new(),
                }
            };
            let mut queues: BTreeMap<String, Vec<&Event>> = BTreeMap::new();
            for e in &events {
                queues.entry(point_of(e, &events)).or_default().push(e);
            }
            let mut rng = seed;
            let mut shuffled = Vec::new();
            let mut queues: Vec<std::collections::VecDeque<&Event>> = queues.into_values().map(Into::into).collect();
            while queues.iter().any(|q| !q.is_empty()) {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let nonempty: Vec<usize> = (0..queues.len()).filter(|i| !queues[*i].is_empty()).collect();
                let pick = nonempty[(rng >> 33) as usize % nonempty.len()];
                shuffled.extend(queues[pick].pop_front());
            }
            let a = fold_all(events.iter());
            let b = fold_all(shuffled);
            prop_assert_eq!(a.incidents, b.incidents);
        }

        #[test]
        fn every_sequence_keeps_the_rules(events in history()) {
            let mut state = Projection::new();
            let mut best: HashMap<Id, Priority> = HashMap::new();
            for e in &events {
                apply(&mut state, e);
                for i in state.incidents.values() {
                    // Priority only rises.
                    let was = best.entry(i.id).or_insert(i.priority);
                    prop_assert!(i.priority <= *was);
                    *was = i.priority;
                    // No incident is closed twice; the standing close is the one recorded.
                    prop_assert!(closes_standing(i) <= 1, "{:?}", i.timeline);
                    prop_assert_eq!(i.state == IncidentState::Closed, i.closed_by.is_some());
                }
                // New signals of a point fold into an incident of that point that is open.
                for (point, id) in state.open_points() {
                    let i = &state.incidents[&id];
                    prop_assert!(i.state != IncidentState::Closed && &i.point == point);
                }
                // Every open incident is known as open at its point (so closing another never hides it).
                for i in state.incidents.values().filter(|i| i.state != IncidentState::Closed) {
                    prop_assert!(state.open_at_point.get(&i.point).is_some_and(|s| s.contains(&(i.opened_at, i.id))));
                }
            }
            // Every event that reached a known incident is on its timeline or did nothing visible
            // (a second acknowledgement), and nothing was dropped silently: the rest are orphans.
            let on_timelines: HashSet<Id> = state.incidents.values().flat_map(|i| i.timeline.iter().filter_map(|e| e.event)).collect();
            for e in &events {
                if let EventBody::IncidentActed(a) = &e.body {
                    let acknowledged_again = a.action == Action::Acknowledge && !on_timelines.contains(&e.id);
                    prop_assert!(on_timelines.contains(&e.id) || state.orphans.contains(&e.id) || acknowledged_again);
                }
            }
        }
    }
}
