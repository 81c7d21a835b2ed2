//! Retention: which history may leave the server's log once it is old enough.
//!
//! Only **finished** history goes, and only whole, so that what the log keeps folds to exactly
//! what it folded to before, minus what left — every incident and version still kept has all of
//! its events. Any cursor, however old, therefore reads a complete state from what is kept:
//!
//! - an incident closed, with every event of its history older than the cutoff, goes with all
//!   those events; one merged with another, or opened for a missed patrol round (whose event also
//!   carries the round), stays;
//! - a version of whole-state reference data (an account, a site, a floor, the guard list, a
//!   procedure) goes once a later version of the same subject is itself older than the cutoff;
//! - everything else (patrol check-ins and sign-offs, shelves, routes, schedules, camera links,
//!   device moves) stays.
//!
//! Each event that leaves keeps its chain entry (id, origin, place, hashes), so every origin's
//! chain still verifies link by link and a workstation re-pushing it is answered as a duplicate.

use crate::event::EventKind;
use crate::incident::{EntryKind, Incident, IncidentState};

/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long finished history is kept, in whole days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub days: u32,
}

impl Retention {
    /// The wall time (ms) before which finished history may go, at `now_ms`.
    pub fn cutoff(self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(i64::from(self.days).saturating_mul(DAY_MS))
    }
}

/// Whether one event of `kind` carries the whole of its subject, so the latest one supersedes
/// every one before it.
pub fn supersedes(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::AccountSet
            | EventKind::SitePublished
            | EventKind::FloorPublished
            | EventKind::GuardsPublished
            | EventKind::ProcedureSet
    )
}

/// Whether a closed incident's whole history may go: `events` are the kind and wall time of
/// every event of its history (its timeline's and every action on it).
pub fn incident_expired(incident: &Incident, events: &[(EventKind, i64)], cutoff: i64) -> bool {
    incident.state == IncidentState::Closed
        && !incident.timeline.iter().any(|e| matches!(e.what, EntryKind::Merged { .. }))
        && !events.is_empty()
        && events
            .iter()
            .all(|(kind, wall)| *wall < cutoff && matches!(kind, EventKind::SignalReceived | EventKind::IncidentActed))
}

/// Whether a version written at `wall` is superseded for good: a later version of its subject
/// was written before `cutoff`.
pub fn version_expired(next_version_wall: Option<i64>, cutoff: i64) -> bool {
    next_version_wall.is_some_and(|w| w < cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::{Entry, Priority};
    use crate::Id;

    fn incident(state: IncidentState) -> Incident {
        let signal = Id::from_u128(7);
        Incident {
            id: Id::from_u128(1),
            point: "p".into(),
            alarm_type: "panic".into(),
            priority: Priority::P1,
            state,
            opened_at: 10,
            last_signal_at: 10,
            acknowledged_at: None,
            on_scene_at: None,
            category: None,
            repeats: 0,
            clock_faults: 0,
            opened_hlc: Default::default(),
            closed_by: None,
            needs_review: false,
            timeline: vec![Entry {
                at: 10,
                by: None,
                what: EntryKind::Opened { signal, clock: None },
                event: Some(signal),
                mark: None,
            }],
        }
    }

    const HISTORY: [(EventKind, i64); 2] = [(EventKind::SignalReceived, 10), (EventKind::IncidentActed, 20)];

    #[test]
    fn a_closed_incident_goes_once_all_its_history_is_older_than_the_cutoff() {
        let closed = incident(IncidentState::Closed);
        assert!(incident_expired(&closed, &HISTORY, 21));
        assert!(!incident_expired(&closed, &HISTORY, 20), "its last event is not older than the cutoff");
        assert!(!incident_expired(&closed, &[], 21), "no history found: nothing to judge by");
    }

    #[test]
    fn an_incident_still_open_merged_or_of_a_missed_round_stays() {
        assert!(!incident_expired(&incident(IncidentState::Resolved), &HISTORY, 100));
        let mut merged = incident(IncidentState::Closed);
        merged.timeline.push(Entry {
            at: 15,
            by: None,
            what: EntryKind::Merged { other: Id::from_u128(2) },
            event: None,
            mark: None,
        });
        assert!(!incident_expired(&merged, &HISTORY, 100));
        let round = [(EventKind::RoundMissed, 10), (EventKind::IncidentActed, 20)];
        assert!(!incident_expired(&incident(IncidentState::Closed), &round, 100));
    }

    #[test]
    fn a_version_goes_when_the_one_after_it_is_older_than_the_cutoff() {
        assert!(version_expired(Some(5), 6));
        assert!(!version_expired(Some(6), 6));
        assert!(!version_expired(None, i64::MAX), "the latest version always stays");
        assert!(supersedes(EventKind::AccountSet) && supersedes(EventKind::FloorPublished));
        assert!(!supersedes(EventKind::CheckInRecorded) && !supersedes(EventKind::DevicesMoved));
    }

    #[test]
    fn the_cutoff_is_whole_days_before_now() {
        assert_eq!(Retention { days: 2 }.cutoff(5 * DAY_MS), 3 * DAY_MS);
        assert_eq!(Retention { days: 0 }.cutoff(77), 77);
    }
}
