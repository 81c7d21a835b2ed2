//! Incidents as the console shows and handles them: the alarm list, one incident with its
//! procedure and cameras, and every action an operator takes — each checked against the person's
//! role, applied by the domain's rules, stored with its audit entry in one transaction.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

use vigil_domain::incident::{act, escalation, shelve, Action, CloseCategory, EntryKind, Escalation, Incident};
use vigil_domain::{floor_label, ClockFault, DeviceKind, DeviceStatus, Id, Label};
use vigil_store::{IncidentFilter, Store, StoredIncident};

use crate::session::Need;
use crate::{ApiError, LinkedCamera, Workstation};

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
    /// opened, repeat, restore, acknowledge, dispatch, on_scene, resolve, close, note, call_police, reopen.
    pub kind: String,
    /// The guard dispatched, the close category, the note.
    pub text: Option<String>,
    /// For a signal whose sender's clock was off: which way. `at` is then its receive time.
    pub clock_fault: Option<ClockFault>,
    /// What that sender's clock said.
    #[ts(type = "number | null")]
    pub sent_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct IncidentView {
    pub id: Id,
    /// 1, 2 or 3.
    pub priority: u8,
    /// new, acknowledged, dispatched, on_scene, resolved, closed.
    pub state: String,
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
    /// The 5-minute on-scene target, as a time.
    #[ts(type = "number")]
    pub target_at: i64,
    /// none, unacknowledged (louder siren, supervisor told) or overdue (call the police post).
    pub escalation: String,
    pub police_called: bool,
    pub category: Option<String>,
    pub repeats: u32,
    /// Signals of this incident whose sender's clock was off (kept, ordered by receipt).
    pub clock_faults: u32,
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

/// What the console asks to do to an incident.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum IncidentAction {
    Acknowledge,
    Dispatch {
        guard: String,
    },
    OnScene,
    Resolve,
    /// real, false, test, device_fault, duplicate, other
    Close {
        category: String,
    },
    Note {
        text: String,
    },
    CallPolice,
    Reopen,
}

const NOTE_MAX: usize = 2000;

fn action_line(action: &Action) -> (&'static str, Option<String>) {
    match action {
        Action::Acknowledge => ("acknowledge", None),
        Action::Dispatch { guard } => ("dispatch", Some(guard.clone())),
        Action::OnScene => ("on_scene", None),
        Action::Resolve => ("resolve", None),
        Action::Close { category } => ("close", Some(category.as_str().to_owned())),
        Action::Note { text } => ("note", Some(text.clone())),
        Action::CallPolice => ("call_police", None),
        Action::Reopen => ("reopen", None),
    }
}

impl IncidentAction {
    fn to_domain(&self) -> Result<Action, ApiError> {
        Ok(match self {
            IncidentAction::Acknowledge => Action::Acknowledge,
            IncidentAction::Dispatch { guard } => Action::Dispatch { guard: guard.trim().to_owned() },
            IncidentAction::OnScene => Action::OnScene,
            IncidentAction::Resolve => Action::Resolve,
            IncidentAction::Close { category } => Action::Close {
                category: CloseCategory::parse(category).ok_or_else(|| {
                    ApiError::field(
                        "invalid",
                        "category",
                        format!("{category:?} is not a close category; use real, false, test, device_fault, duplicate or other"),
                    )
                })?,
            },
            IncidentAction::Note { text } => {
                if text.chars().count() > NOTE_MAX {
                    return Err(ApiError::field("invalid", "text", format!("a note has at most {NOTE_MAX} characters")));
                }
                Action::Note { text: text.trim().to_owned() }
            }
            IncidentAction::CallPolice => Action::CallPolice,
            IncidentAction::Reopen => Action::Reopen,
        })
    }
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

fn view(stored: StoredIncident, point: Option<PointView>, now: i64, acknowledge_within_ms: i64) -> IncidentView {
    let i: Incident = stored.incident;
    let level = match escalation(&i, now, acknowledge_within_ms) {
        Escalation::None => "none",
        Escalation::Unacknowledged => "unacknowledged",
        Escalation::Overdue => "overdue",
    };
    let timeline: Vec<TimelineLine> = i
        .timeline
        .iter()
        .map(|e| {
            let ((kind, text), clock) = match &e.what {
                EntryKind::Opened { clock, .. } => (("opened", None), *clock),
                EntryKind::Repeat { clock, .. } => (("repeat", None), *clock),
                EntryKind::Restore { clock, .. } => (("restore", None), *clock),
                EntryKind::Acted { action } => (action_line(action), None),
            };
            TimelineLine {
                at: e.at,
                by: e.by.clone(),
                kind: kind.to_owned(),
                text,
                clock_fault: clock.map(|c| c.fault),
                sent_at: clock.map(|c| c.sent_at),
            }
        })
        .collect();
    IncidentView {
        id: i.id,
        priority: i.priority.level(),
        state: i.state.as_str().to_owned(),
        alarm_type: i.alarm_type.clone(),
        point,
        point_key: i.point.clone(),
        opened_at: i.opened_at,
        acknowledged_at: i.acknowledged_at,
        on_scene_at: i.on_scene_at,
        target_at: i.opened_at + vigil_domain::incident::ON_SCENE_TARGET_MS,
        escalation: level.to_owned(),
        police_called: timeline.iter().any(|l| l.kind == "call_police"),
        category: i.category.map(|c| c.as_str().to_owned()),
        repeats: i.repeats,
        clock_faults: i.clock_faults,
        timeline,
        version: stored.version,
    }
}

impl Workstation {
    fn acknowledge_within_ms(&self) -> i64 {
        i64::from(self.settings().incidents.acknowledge_within_seconds) * 1000
    }

    /// The alarm list: every open incident, in the order an operator handles them (priority, then
    /// age); or, with `since`, everything changed since then (closed ones too), newest first.
    pub fn incidents(&self, since: Option<i64>, limit: u32) -> Result<Vec<IncidentView>, ApiError> {
        let store = self.store();
        let filter = since.map_or(IncidentFilter::Open, IncidentFilter::ChangedSince);
        let mut stored = store.incidents(filter, limit.clamp(1, 100_000))?;
        if since.is_none() {
            stored.sort_by(|a, b| vigil_domain::incident::list_order(&a.incident, &b.incident));
        }
        let places = Places::new(&store);
        let now = Store::now_ms();
        let within = self.acknowledge_within_ms();
        Ok(stored
            .into_iter()
            .map(|s| {
                let point = places.point(s.device_id);
                view(s, point, now, within)
            })
            .collect())
    }

    /// One incident with its procedure (in `language`) and the cameras to look at.
    pub fn incident_detail(&self, id: Id, language: &str) -> Result<IncidentDetail, ApiError> {
        let store = self.store();
        let stored =
            store.incident(id)?.ok_or_else(|| ApiError::new("not_found", format!("incident {id} does not exist")))?;
        let language = if language.starts_with("zh") { "zh-CN" } else { "en" };
        let steps = store.sop_steps(&stored.incident.alarm_type, language)?;
        let places = Places::new(&store);
        let point = places.point(stored.device_id);
        let cameras = match &point {
            Some(p) => crate::cameras::linked_cameras(&store, p)?,
            None => Vec::new(),
        };
        Ok(IncidentDetail {
            incident: view(stored, point, Store::now_ms(), self.acknowledge_within_ms()),
            steps,
            cameras,
            police_post: self.settings().incidents.police_post.clone(),
        })
    }

    /// Applies an operator's action to an incident. The incident, its device's colour on the map
    /// and the audit entry are stored together, or nothing is.
    pub fn act_on_incident(&self, id: Id, action: &IncidentAction) -> Result<IncidentView, ApiError> {
        let actor = self.actor(Need::Operator)?;
        let action = action.to_domain()?;
        let now = Store::now_ms();
        let (kind, text) = action_line(&action);
        let mut store = self.store();
        let mut refused = None;
        let result = store.transaction(|tx| {
            let Some(stored) = vigil_store::write::load_incident(tx, id)? else { return Ok(None) };
            match act(&stored.incident, &actor, &action, now) {
                Ok(next) => {
                    vigil_store::write::put_incident(tx, &next, stored.device_id)?;
                    let event = vigil_store::AuditEvent {
                        actor: actor.name.clone(),
                        action: format!("incident.{kind}"),
                        subject: id.to_string(),
                        details: serde_json::json!({ "text": text, "state": next.state.as_str(), "point": next.point })
                            .to_string(),
                    };
                    vigil_store::write::append_audit(tx, &event)?;
                    Ok(Some(()))
                }
                Err(e) => {
                    refused = Some(e);
                    Ok(None)
                }
            }
        })?;
        if let Some(e) = refused {
            return Err(ApiError::new("refused", e.to_string()));
        }
        if result.is_none() {
            return Err(ApiError::new("not_found", format!("incident {id} does not exist")));
        }
        let stored = store.incident(id)?.ok_or_else(|| ApiError::new("not_found", format!("incident {id} is gone")))?;
        let places = Places::new(&store);
        let point = places.point(stored.device_id);
        Ok(view(stored, point, now, self.acknowledge_within_ms()))
    }

    /// Shelves the point of an incident (a chattering detector) for `minutes`, with a reason; its
    /// signals are still stored but open nothing until the shelf ends.
    pub fn shelve_point(&self, incident: Id, minutes: u32, reason: &str) -> Result<(), ApiError> {
        let actor = self.actor(Need::Operator)?;
        let now = Store::now_ms();
        let mut store = self.store();
        let stored = store
            .incident(incident)?
            .ok_or_else(|| ApiError::new("not_found", format!("incident {incident} does not exist")))?;
        let until = now + i64::from(minutes) * 60_000;
        let shelf = shelve(&actor, &stored.incident.point, now, until, reason.trim()).map_err(|e| {
            ApiError::field("refused", if reason.trim().is_empty() { "reason" } else { "minutes" }, e.to_string())
        })?;
        let event = vigil_store::AuditEvent {
            actor: actor.name.clone(),
            action: "point.shelve".into(),
            subject: shelf.point.clone(),
            details:
                serde_json::json!({ "until": until, "minutes": minutes, "reason": shelf.reason, "incident": incident })
                    .to_string(),
        };
        store.transaction(|tx| {
            vigil_store::write::insert_shelf(tx, &shelf, now)?;
            vigil_store::write::append_audit(tx, &event).map(|_| ())
        })?;
        Ok(())
    }

    /// An administrator's procedure for an alarm type, in one language.
    pub fn set_procedure(&self, alarm_type: &str, language: &str, steps: &[String]) -> Result<(), ApiError> {
        let actor = self.actor(Need::Administrator)?;
        if !matches!(language, "zh-CN" | "en") {
            return Err(ApiError::field("invalid", "language", "procedures are written in zh-CN or en"));
        }
        let steps: Vec<String> = steps.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if steps.is_empty() || steps.len() > 30 || steps.iter().any(|s| s.chars().count() > 300) {
            return Err(ApiError::field("invalid", "steps", "a procedure has 1 to 30 steps of at most 300 characters"));
        }
        let event = vigil_store::AuditEvent {
            actor: actor.name,
            action: "settings.procedure".into(),
            subject: format!("{alarm_type}/{language}"),
            details: serde_json::json!({ "steps": steps }).to_string(),
        };
        self.store().transaction(|tx| {
            vigil_store::write::put_sop_steps(tx, alarm_type, language, &steps)?;
            vigil_store::write::append_audit(tx, &event).map(|_| ())
        })?;
        Ok(())
    }

    /// Records that the logged-in operator silenced the siren; returns for how many seconds.
    pub fn silence_siren(&self) -> Result<u32, ApiError> {
        let actor = self.actor(Need::Operator)?;
        let seconds = self.settings().incidents.silence_seconds;
        self.record_as(&actor.name, "siren.silence", "siren", serde_json::json!({ "seconds": seconds }))?;
        Ok(seconds)
    }

    /// Guards who can be dispatched.
    pub fn guards(&self) -> Result<Vec<GuardView>, ApiError> {
        Ok(self.store().guards()?.into_iter().map(|g| GuardView { badge: g.badge, name: g.name }).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workstation::tests::demo;
    use vigil_store::NewSignal;

    /// Stores a panic signal from `code` as the engine's writer does, returning the incident.
    fn alarm(ws: &Workstation, code: &str) -> Id {
        signal_from(ws, code).expect("an incident")
    }

    fn signal_from(ws: &Workstation, code: &str) -> Option<Id> {
        let device = ws.search(code, 1).expect("search").remove(0).id;
        let signal = NewSignal {
            id: Id::now_v7(),
            idempotency_key: None,
            source: "http".into(),
            sender: None,
            account: None,
            zone: None,
            code: None,
            qualifier: Some("new".into()),
            alarm_type: "panic".into(),
            priority: 1,
            sequence: None,
            device_id: Some(device),
            received_at: Store::now_ms(),
            sent_at: None,
            clock_fault: None,
            details: None,
            raw: None,
        };
        ws.store()
            .transaction(|tx| {
                vigil_store::write::insert_signal(tx, &signal)?;
                vigil_store::write::apply_signal(tx, &signal)
            })
            .expect("stored")
            .map(|change| change.incident_id)
    }

    #[test]
    fn an_operator_handles_an_alarm_from_new_to_closed_and_the_audit_names_him() {
        let (_dir, ws) = demo();
        let id = alarm(&ws, "OPD-1F-ALM-001");
        let list = ws.incidents(None, 100).expect("list");
        assert_eq!(list.len(), 1);
        let point = list[0].point.clone().expect("point");
        assert_eq!(
            (point.code.as_str(), point.building_code.as_str(), point.floor_short.as_str()),
            ("OPD-1F-ALM-001", "OPD", "1F")
        );

        assert_eq!(ws.act_on_incident(id, &IncidentAction::Acknowledge).expect_err("nobody").code, "login_required");
        ws.login("demo-operator", "2468").expect("login");
        let detail = ws.incident_detail(id, "zh-CN").expect("detail");
        assert!(detail.steps[0].contains("摄像机"), "{:?}", detail.steps);
        assert_eq!(detail.cameras.len(), crate::cameras::NEAREST_CAMERAS);
        assert!(detail.cameras.windows(2).all(|w| w[0].distance_px <= w[1].distance_px));
        assert!(detail.cameras[0].snapshot_url.as_deref().is_some_and(|u| u.ends_with(".jpg")));

        for action in [
            IncidentAction::Acknowledge,
            IncidentAction::Dispatch { guard: "G0001".into() },
            IncidentAction::Note { text: "保安已到达，误触".into() },
        ] {
            ws.act_on_incident(id, &action).expect("allowed");
        }
        let refused =
            ws.act_on_incident(id, &IncidentAction::Close { category: "real".into() }).expect_err("not on scene");
        assert_eq!(refused.code, "refused");
        let bad =
            ws.act_on_incident(id, &IncidentAction::Close { category: "bogus".into() }).expect_err("bad category");
        assert_eq!(bad.field.as_deref(), Some("category"));
        let closed = ws.act_on_incident(id, &IncidentAction::Close { category: "false".into() }).expect("close");
        assert_eq!((closed.state.as_str(), closed.category.as_deref()), ("closed", Some("false")));
        assert!(ws.incidents(None, 100).expect("open list").is_empty());
        assert_eq!(
            ws.search("OPD-1F-ALM-001", 1).expect("search")[0].status.as_str(),
            "normal",
            "the map is normal again"
        );
        assert_eq!(ws.act_on_incident(id, &IncidentAction::Reopen).expect_err("operator").code, "refused");

        let audit: Vec<(String, String)> =
            ws.with_store(|s| s.audit_tail(6)).expect("tail").into_iter().rev().map(|e| (e.actor, e.action)).collect();
        let expected: Vec<(String, String)> =
            ["login", "incident.acknowledge", "incident.dispatch", "incident.note", "incident.close"]
                .iter()
                .map(|a| ("demo-operator".to_owned(), (*a).to_owned()))
                .collect();
        assert_eq!(audit[1..], expected[..]);
        assert_eq!(ws.verify_audit().expect("verify").first_altered, None);
    }

    #[test]
    fn a_shelved_point_stays_quiet_and_procedures_are_for_administrators() {
        let (_dir, ws) = demo();
        let id = alarm(&ws, "OPD-1F-ALM-002");
        ws.login("demo-operator", "2468").expect("login");
        assert_eq!(ws.shelve_point(id, 30, " ").expect_err("no reason").field.as_deref(), Some("reason"));
        assert_eq!(ws.shelve_point(id, 600, "探测器误报").expect_err("too long for an operator").code, "refused");
        ws.shelve_point(id, 30, "探测器反复误报，已报修").expect("shelve");
        ws.act_on_incident(id, &IncidentAction::Close { category: "device_fault".into() }).expect("close");
        assert_eq!(signal_from(&ws, "OPD-1F-ALM-002"), None);
        assert!(ws.incidents(None, 10).expect("list").is_empty(), "a shelved point opens nothing");
        assert!(ws.with_store(|s| s.active_shelves(0)).expect("shelves")[0].by == "demo-operator");

        let cameras =
            ws.camera_candidates(ws.search("OPD-1F-ALM-002", 1).expect("search")[0].id, 8).expect("candidates");
        let far = cameras.last().expect("a camera").id;
        let point = ws.search("OPD-1F-ALM-002", 1).expect("search")[0].id;
        assert_eq!(ws.link_cameras(point, &[far]).expect_err("operator").code, "forbidden");

        let steps = vec!["先看摄像机".to_owned(), "再派人".to_owned()];
        assert_eq!(ws.set_procedure("panic", "zh-CN", &steps).expect_err("operator").code, "forbidden");
        ws.login("demo-admin", "2468").expect("login");
        assert!(ws.set_procedure("panic", "fr", &steps).is_err());
        ws.set_procedure("panic", "zh-CN", &steps).expect("admin");
        assert_eq!(ws.link_cameras(point, &[point]).expect_err("not a camera").field.as_deref(), Some("cameras"));
        ws.link_cameras(point, &[far]).expect("link");
        let detail = ws.incident_detail(id, "zh-CN").expect("detail");
        assert_eq!((detail.cameras.len(), detail.cameras[0].id, detail.cameras[0].configured), (1, far, true));
        assert!(ws.camera_candidates(point, 8).expect("candidates")[0].configured, "linked ones first");
        ws.link_cameras(point, &[]).expect("unlink");
        assert_eq!(
            ws.incident_detail(id, "zh-CN").expect("detail").cameras.len(),
            crate::cameras::NEAREST_CAMERAS,
            "back to the nearest"
        );
        let id = alarm(&ws, "OPD-1F-ALM-003");
        assert_eq!(ws.incident_detail(id, "zh-CN").expect("detail").steps, steps);
        assert_ne!(ws.incident_detail(id, "en").expect("detail").steps, steps, "the other language keeps its own");
    }
}
