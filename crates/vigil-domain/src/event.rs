//! The event log's vocabulary: every change to data that more than one workstation shares is one
//! immutable [`Event`], and the state everybody sees is what [`crate::fold::apply`] folds from them.
//!
//! An event names where it was made (`origin`, the workstation's id), who made it, what it is about,
//! and when — by a hybrid logical clock ([`Hlc`]) that never runs backwards, beside the raw wall
//! time. Ids are UUIDv7 made where the event is made; the ids of a signal and of the incident it
//! opens are derived from the signal's idempotency key ([`derived_id`]), so two workstations that
//! receive the same frame name the same signal and the same incident.

use sha2::{Digest, Sha256};

use crate::incident::{Action, Role, Shelf, Signal};
use crate::patrol::{Method, Source};
use crate::schedule::Schedule;
use crate::Id;

/// The payload layout this build writes. An event of a newer schema is stored and skipped by the
/// fold (with a counted reason), never misread.
pub const EVENT_SCHEMA: u32 = 1;

/// A hybrid logical clock stamp: milliseconds since the epoch in the high 48 bits and a counter in
/// the low 16, so stamps compare as plain integers (Kulkarni et al., "Logical Physical Clocks").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Hlc(pub i64);

const COUNTER_BITS: u32 = 16;
const COUNTER_MAX: i64 = (1 << COUNTER_BITS) - 1;

impl Hlc {
    pub fn new(ms: i64, counter: u16) -> Hlc {
        Hlc((ms.clamp(0, (1 << 47) - 1) << COUNTER_BITS) | i64::from(counter))
    }

    pub fn ms(self) -> i64 {
        self.0 >> COUNTER_BITS
    }

    pub fn counter(self) -> u16 {
        (self.0 & COUNTER_MAX) as u16
    }
}

/// The clock of one workstation: resumed from the last stamp it persisted, so that after a restart
/// with the wall clock set back it continues from where it was.
#[derive(Debug, Clone)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    pub fn resume(last: Hlc) -> HlcClock {
        HlcClock { last }
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A stamp for a local event at wall time `now_ms`: later than every stamp before it.
    pub fn tick(&mut self, now_ms: i64) -> Hlc {
        let l = self.last.ms().max(now_ms);
        let next = if l == self.last.ms() { self.bump(l, i64::from(self.last.counter())) } else { Hlc::new(l, 0) };
        self.last = next;
        next
    }

    /// A stamp for receiving `remote` at wall time `now_ms`: later than both clocks.
    pub fn observe(&mut self, remote: Hlc, now_ms: i64) -> Hlc {
        let l = self.last.ms().max(remote.ms()).max(now_ms);
        let counter = match (l == self.last.ms(), l == remote.ms()) {
            (true, true) => Some(i64::from(self.last.counter().max(remote.counter()))),
            (true, false) => Some(i64::from(self.last.counter())),
            (false, true) => Some(i64::from(remote.counter())),
            (false, false) => None,
        };
        let next = match counter {
            Some(c) => self.bump(l, c),
            None => Hlc::new(l, 0),
        };
        self.last = next;
        next
    }

    fn bump(&self, ms: i64, counter: i64) -> Hlc {
        // 65,535 events in one millisecond: borrow the next millisecond rather than wrap.
        if counter >= COUNTER_MAX {
            Hlc::new(ms + 1, 0)
        } else {
            Hlc::new(ms, (counter + 1) as u16)
        }
    }
}

/// An id the same on every workstation for the same `key`: a UUIDv8 with `time_ms` in the high 48
/// bits (so it sorts by time like a v7) and a SHA-256 of the namespace and key in the rest.
pub fn derived_id(namespace: &str, key: &str, time_ms: i64) -> Id {
    let mut hash = Sha256::new();
    hash.update(namespace.as_bytes());
    hash.update([0u8]);
    hash.update(key.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    let ms = time_ms.clamp(0, (1 << 48) - 1) as u64;
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    bytes[6..].copy_from_slice(&digest[..10]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// What an event is, as the log's `kind` column writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    SignalReceived,
    IncidentActed,
    PointShelved,
    ProcedureSet,
    CamerasLinked,
    DevicesMoved,
    FloorPlanReplaced,
    CheckInRecorded,
    CheckInAnnotated,
    ExceptionExplained,
    ShiftSignedOff,
    RouteSet,
    ScheduleSet,
    RoundMissed,
    AccountSet,
    SitePublished,
    FloorPublished,
    GuardsPublished,
}

impl EventKind {
    pub const ALL: [EventKind; 18] = [
        EventKind::SignalReceived,
        EventKind::IncidentActed,
        EventKind::PointShelved,
        EventKind::ProcedureSet,
        EventKind::CamerasLinked,
        EventKind::DevicesMoved,
        EventKind::FloorPlanReplaced,
        EventKind::CheckInRecorded,
        EventKind::CheckInAnnotated,
        EventKind::ExceptionExplained,
        EventKind::ShiftSignedOff,
        EventKind::RouteSet,
        EventKind::ScheduleSet,
        EventKind::RoundMissed,
        EventKind::AccountSet,
        EventKind::SitePublished,
        EventKind::FloorPublished,
        EventKind::GuardsPublished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignalReceived => "signal_received",
            EventKind::IncidentActed => "incident_acted",
            EventKind::PointShelved => "point_shelved",
            EventKind::ProcedureSet => "procedure_set",
            EventKind::CamerasLinked => "cameras_linked",
            EventKind::DevicesMoved => "devices_moved",
            EventKind::FloorPlanReplaced => "floor_plan_replaced",
            EventKind::CheckInRecorded => "check_in_recorded",
            EventKind::CheckInAnnotated => "check_in_annotated",
            EventKind::ExceptionExplained => "exception_explained",
            EventKind::ShiftSignedOff => "shift_signed_off",
            EventKind::RouteSet => "route_set",
            EventKind::ScheduleSet => "schedule_set",
            EventKind::RoundMissed => "round_missed",
            EventKind::AccountSet => "account_set",
            EventKind::SitePublished => "site_published",
            EventKind::FloorPublished => "floor_published",
            EventKind::GuardsPublished => "guards_published",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// An alarm signal as the receiver stored it, and what its incident is called.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignalReceived {
    pub signal: Signal,
    /// The device the point is, if it is on the map.
    pub device: Option<Id>,
    /// The id of the incident this signal opens, if it opens one (derived from its idempotency key).
    pub opens: Id,
    /// Whether it opened that incident where it was received (rather than folding into one already
    /// open there). Where another workstation's incident for the same point is already open, the
    /// two are merged.
    pub opened: bool,
}

/// An operator's action on an incident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IncidentActed {
    pub incident: Id,
    /// The actor's role when the action was taken (the actor's name is the event's).
    pub role: Role,
    pub action: Action,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PointShelved {
    pub shelf: Shelf,
    pub from: i64,
    /// The incident whose panel the shelf was set from.
    pub incident: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProcedureSet {
    pub alarm_type: String,
    pub language: String,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CamerasLinked {
    pub point: Id,
    /// In the order the panel shows them; empty unlinks all (back to the nearest cameras).
    pub cameras: Vec<Id>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeviceMoved {
    pub device: Id,
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DevicesMoved {
    pub moves: Vec<DeviceMoved>,
}

/// A floor's plan replaced; the image itself is stored by its SHA-256 (content-addressed).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FloorPlanReplaced {
    pub floor: Id,
    pub sha256: String,
    pub media_type: String,
    pub width: u32,
    pub height: u32,
    /// Devices pulled onto the new plan's edge, where it is smaller.
    pub moves: Vec<DeviceMoved>,
    /// The image itself, so every other workstation gets the new plan (absent in events written
    /// before plans travelled: those workstations keep the plan they had).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<PlanImageData>,
}

/// A plan image as it travels: content-addressed by its SHA-256, the bytes in base64.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanImageData {
    pub media_type: String,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub base64: String,
}

/// The campus as an administrator published it (`vigil publish`): what every workstation of the
/// hospital draws the campus overview from. Reference data travels in the log like any event, so a
/// workstation enrolled with an empty data directory fills itself from the server.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SitePublished {
    pub site: crate::Site,
    /// The campus overview plan.
    pub plan: Option<PlanImageData>,
}

/// One floor as published, with its building, its plan and every device on it: a device of the
/// floor not listed is removed. The last publication of a floor in the log is the floor.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FloorPublished {
    pub building: crate::Building,
    pub floor: crate::Floor,
    pub plan: Option<PlanImageData>,
    pub devices: Vec<crate::Device>,
}

/// The guards as published: each by id, with the badge their handhelds send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GuardsPublished {
    pub guards: Vec<GuardDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GuardDef {
    pub id: Id,
    pub badge: String,
    pub name: String,
}

/// A guard's check-in at a tag, from whichever source, exactly as it arrived. Never edited: a
/// correction is a [`CheckInAnnotated`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckInRecorded {
    /// The sender's idempotency key (a handheld's UUID; derived from file and row for a wand).
    pub check_in: Id,
    /// The tag as read (compared normalised).
    pub tag: String,
    /// The guard's badge as sent (stored even when no guard has it).
    pub guard: String,
    pub device: Option<String>,
    pub method: Method,
    pub source: Source,
    /// What the device's clock said.
    pub device_time: i64,
    /// When this workstation received it.
    pub received: i64,
    /// For a manual entry: why it was typed in (the operator is the event's actor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a wand file: the import and the row of the file it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    /// SHA-256 of the body as the sender sent it: the same id with another body is a conflict.
    pub body_hash: String,
}

impl CheckInRecorded {
    /// What the evaluation reads of it.
    pub fn as_check_in(&self) -> crate::patrol::CheckIn {
        crate::patrol::CheckIn {
            id: self.check_in,
            tag: self.tag.clone(),
            guard: self.guard.clone(),
            device_time: self.device_time,
            received: self.received,
            source: self.source,
        }
    }
}

/// A correction or remark on a check-in, with who (the actor) and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckInAnnotated {
    pub check_in: Id,
    pub text: String,
}

/// A supervisor's explanation of a patrol exception (`missed:<round>:<checkpoint>`,
/// `late:<round>:<checkpoint>`, `check_in:<id>` …). A later explanation adds to the history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExceptionExplained {
    pub exception: String,
    pub shift: String,
    pub text: String,
}

/// A supervisor signed a shift off: what was signed is named by its digest, so a check-in that
/// arrives later shows the shift as changed since sign-off.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShiftSignedOff {
    pub shift: String,
    /// SHA-256 over the ids of the check-ins and explanations the shift held when signed.
    pub digest: String,
    pub check_ins: u32,
    pub expected: u32,
    pub on_time: u32,
    pub exceptions: u32,
}

/// A route as an administrator saved it (a new version of the whole route).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteSet {
    pub route: RouteDef,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct RouteDef {
    pub id: Id,
    pub name: String,
    /// Checkpoints in this order (else any order).
    pub ordered: bool,
    pub legs: Vec<LegDef>,
    /// Retired routes expect no more rounds; their history stays.
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct LegDef {
    pub checkpoint: Id,
    /// Expected walking time from the checkpoint before (0 for the first), in seconds.
    pub walk_s: u32,
}

/// A version of a schedule, in force from its `valid_from` (which ends the version before it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScheduleSet {
    pub schedule: Schedule,
}

/// A round's window passed with checkpoints missing. Its id and its signal's derive from route and
/// round start, so every workstation (and the server) raises the same one, once; its signal opens
/// the P3 incident through the incident fold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoundMissed {
    pub round: Id,
    pub route: Id,
    pub start: i64,
    pub missing: Vec<MissedCheckpoint>,
    /// How far from its expected time a touch still counts (late): a check-in arriving afterwards
    /// within it turns the checkpoint late on the incident.
    pub tolerance_ms: i64,
    pub signal: Signal,
    pub opens: Id,
    pub device: Option<Id>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MissedCheckpoint {
    pub checkpoint: Id,
    /// Normalised.
    pub tag: String,
    pub expected: i64,
}

/// What happened, per kind. The store writes the inner value as the payload and reads it back by
/// the row's kind, so no payload is ever read as the wrong kind.
#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    SignalReceived(SignalReceived),
    IncidentActed(IncidentActed),
    PointShelved(PointShelved),
    ProcedureSet(ProcedureSet),
    CamerasLinked(CamerasLinked),
    DevicesMoved(DevicesMoved),
    FloorPlanReplaced(FloorPlanReplaced),
    CheckInRecorded(CheckInRecorded),
    CheckInAnnotated(CheckInAnnotated),
    ExceptionExplained(ExceptionExplained),
    ShiftSignedOff(ShiftSignedOff),
    RouteSet(RouteSet),
    ScheduleSet(ScheduleSet),
    RoundMissed(RoundMissed),
    /// An account as an administrator left it ([`crate::account`]).
    AccountSet(crate::account::AccountSet),
    SitePublished(SitePublished),
    FloorPublished(FloorPublished),
    GuardsPublished(GuardsPublished),
}

impl EventBody {
    pub fn kind(&self) -> EventKind {
        match self {
            EventBody::SignalReceived(_) => EventKind::SignalReceived,
            EventBody::IncidentActed(_) => EventKind::IncidentActed,
            EventBody::PointShelved(_) => EventKind::PointShelved,
            EventBody::ProcedureSet(_) => EventKind::ProcedureSet,
            EventBody::CamerasLinked(_) => EventKind::CamerasLinked,
            EventBody::DevicesMoved(_) => EventKind::DevicesMoved,
            EventBody::FloorPlanReplaced(_) => EventKind::FloorPlanReplaced,
            EventBody::CheckInRecorded(_) => EventKind::CheckInRecorded,
            EventBody::CheckInAnnotated(_) => EventKind::CheckInAnnotated,
            EventBody::ExceptionExplained(_) => EventKind::ExceptionExplained,
            EventBody::ShiftSignedOff(_) => EventKind::ShiftSignedOff,
            EventBody::RouteSet(_) => EventKind::RouteSet,
            EventBody::ScheduleSet(_) => EventKind::ScheduleSet,
            EventBody::RoundMissed(_) => EventKind::RoundMissed,
            EventBody::AccountSet(_) => EventKind::AccountSet,
            EventBody::SitePublished(_) => EventKind::SitePublished,
            EventBody::FloorPublished(_) => EventKind::FloorPublished,
            EventBody::GuardsPublished(_) => EventKind::GuardsPublished,
        }
    }
}

/// One immutable row of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// UUIDv7 made where the event was made: the idempotency key everywhere.
    pub id: Id,
    /// The workstation (or server) that made it.
    pub origin: Id,
    /// Its place in its origin's own sequence, from 1 with no gaps.
    pub origin_seq: i64,
    /// The operator, or the sender of a signal.
    pub actor: String,
    /// What it is about: an incident, a point, a floor … (for filtering and display).
    pub subject: String,
    pub hlc: Hlc,
    /// The origin's wall clock when it was made (ms since the epoch), kept beside the HLC.
    pub wall: i64,
    pub schema: u32,
    pub body: EventBody,
}

impl Event {
    pub fn kind(&self) -> EventKind {
        self.body.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_stamp_packs_milliseconds_and_counter() {
        let h = Hlc::new(1_800_000_000_123, 7);
        assert_eq!((h.ms(), h.counter()), (1_800_000_000_123, 7));
        assert!(Hlc::new(5, 0) > Hlc::new(4, 65_535));
    }

    #[test]
    fn the_clock_survives_a_restart_with_the_wall_clock_an_hour_back() {
        let mut clock = HlcClock::resume(Hlc::default());
        let before = clock.tick(1_800_000_000_000);
        let persisted = clock.last();
        let mut restarted = HlcClock::resume(persisted);
        let after = restarted.tick(1_800_000_000_000 - 3_600_000);
        assert!(after > before);
        assert_eq!(after.ms(), before.ms(), "it stays at the highest time seen, counting");
    }

    #[test]
    fn derived_ids_are_the_same_for_the_same_key_and_sort_by_time() {
        let a = derived_id("signal", "dc09:1234:0001:x", 1_000);
        assert_eq!(a, derived_id("signal", "dc09:1234:0001:x", 1_000));
        assert_ne!(a, derived_id("incident", "dc09:1234:0001:x", 1_000));
        assert_ne!(a, derived_id("signal", "dc09:1234:0002:x", 1_000));
        assert!(derived_id("signal", "z", 999) < derived_id("signal", "a", 1_000));
        assert_eq!(a.get_version_num(), 8);
    }

    #[test]
    fn kinds_are_named_as_serde_writes_them() {
        for k in EventKind::ALL {
            assert_eq!(serde_json::to_value(k).ok(), Some(serde_json::json!(k.as_str())));
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("patrol_checkin"), None);
        assert_eq!(EventKind::parse("check_in_recorded"), Some(EventKind::CheckInRecorded));
    }

    proptest! {
        #[test]
        fn stamps_only_go_forward(steps in proptest::collection::vec((any::<bool>(), -7_200_000i64..7_200_000, 0u16..4), 1..200), restart_at in 0usize..200) {
            let base = 1_800_000_000_000i64;
            let mut clock = HlcClock::resume(Hlc::default());
            let mut last = Hlc::default();
            for (i, (remote, jump, counter)) in steps.iter().enumerate() {
                if i == restart_at {
                    clock = HlcClock::resume(clock.last());
                }
                // The wall clock wanders up to two hours either way (set back, set forward).
                let now = base + jump;
                let next = if *remote { clock.observe(Hlc::new(base + jump / 2, *counter), now) } else { clock.tick(now) };
                prop_assert!(next > last, "{next:?} after {last:?}");
                prop_assert!(next.ms() >= now.min(next.ms()));
                last = next;
            }
        }
    }
}
