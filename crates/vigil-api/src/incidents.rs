//! Incidents as the console handles them: the alarm list, one incident with its procedure and
//! cameras, and every action an operator takes — each checked against the person's role, applied
//! by the domain's rules, and committed as an event with its audit entry in one transaction. What
//! the window is shown of an incident is `incident_view`.

use vigil_domain::event::{EventBody, IncidentActed, PointShelved, ProcedureSet};
use vigil_domain::incident::{act, shelve, Action, CloseCategory};
use vigil_domain::Id;
use vigil_store::{IncidentFilter, Store};

pub(crate) use crate::incident_view::Places;
use crate::incident_view::{action_line, view};
pub use crate::incident_view::{GuardView, IncidentDetail, IncidentView, PointView, TimelineKind, TimelineLine};
use crate::session::{Need, SessionToken};
use crate::{ApiError, ErrorCode, Workstation};

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
    /// Read as text so an unknown one is refused naming the field.
    Close {
        #[ts(type = "CloseCategory")]
        category: String,
    },
    Note {
        text: String,
    },
    CallPolice,
    Reopen,
    /// A supervisor has looked at what was kept for review.
    Reviewed,
}

const NOTE_MAX: usize = 2000;

impl IncidentAction {
    fn to_domain(&self) -> Result<Action, ApiError> {
        Ok(match self {
            IncidentAction::Acknowledge => Action::Acknowledge,
            IncidentAction::Dispatch { guard } => Action::Dispatch { guard: guard.trim().to_owned() },
            IncidentAction::OnScene => Action::OnScene,
            IncidentAction::Resolve => Action::Resolve,
            IncidentAction::Close { category } => Action::Close {
                category: CloseCategory::parse(category).ok_or_else(|| {
                    ApiError::field(ErrorCode::Invalid,
                        "category",
                        format!("{category:?} is not a close category; use real, false, test, device_fault, duplicate or other"),
                    )
                })?,
            },
            IncidentAction::Note { text } => {
                if text.chars().count() > NOTE_MAX {
                    return Err(ApiError::field(ErrorCode::Invalid, "text", format!("a note has at most {NOTE_MAX} characters")));
                }
                Action::Note { text: text.trim().to_owned() }
            }
            IncidentAction::CallPolice => Action::CallPolice,
            // The close it reopens is filled in from the incident (the close that stands).
            IncidentAction::Reopen => Action::Reopen { close: None },
            IncidentAction::Reviewed => Action::Reviewed,
        })
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
        let stored = store
            .incident(id)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("incident {id} does not exist")))?;
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

    /// Applies an operator's action to an incident. The action is one event of the log, committed
    /// with the incident the fold makes of it, its device's colour on the map and the audit entry
    /// (which names the event and its hash), or nothing is. An action the incident's state refuses
    /// is answered with the reason and stores nothing.
    pub fn act_on_incident(
        &self,
        who: SessionToken,
        id: Id,
        action: &IncidentAction,
    ) -> Result<IncidentView, ApiError> {
        let actor = self.actor(who, Need::Operator)?;
        let action = action.to_domain()?;
        let now = Store::now_ms();
        enum Outcome {
            Done(Id),
            Refused(vigil_domain::incident::ActError),
            Missing,
        }
        let outcome = self.write(move |tx| {
            let mut action = action;
            let (kind, text) = action_line(&action);
            let current = vigil_store::write::resolve_incident(tx, id)?;
            let Some(stored) = vigil_store::write::load_incident(tx, current)? else { return Ok(Outcome::Missing) };
            if let Action::Reopen { close } = &mut action {
                *close = stored.incident.closed_by;
            }
            if let Err(e) = act(&stored.incident, &actor, &action, now) {
                return Ok(Outcome::Refused(e));
            }
            let body = EventBody::IncidentActed(IncidentActed { incident: current, role: actor.role, action, at: now });
            let committed = vigil_store::write::commit_event(tx, &actor.name, &current.to_string(), body, now)?;
            let next = committed.state.incidents.get(&current);
            let event = vigil_store::AuditEvent {
                actor: actor.name.clone(),
                action: format!("incident.{kind}"),
                subject: current.to_string(),
                details: serde_json::json!({
                    "text": text,
                    "state": next.as_ref().map(|n| n.state.as_str()),
                    "point": stored.incident.point,
                })
                .to_string(),
            };
            vigil_store::write::append_audit(tx, &event.for_event(&committed))?;
            Ok(Outcome::Done(current))
        })?;
        let current = match outcome {
            Outcome::Done(current) => current,
            Outcome::Refused(e) => return Err(ApiError::refused(&e)),
            Outcome::Missing => {
                return Err(ApiError::new(ErrorCode::NotFound, format!("incident {id} does not exist")))
            }
        };
        let store = self.store();
        let stored = store
            .incident(current)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("incident {id} is gone")))?;
        let places = Places::new(&store);
        let point = places.point(stored.device_id);
        Ok(view(stored, point, now, self.acknowledge_within_ms()))
    }

    /// Shelves the point of an incident (a chattering detector) for `minutes`, with a reason; its
    /// signals are still stored but open nothing until the shelf ends.
    pub fn shelve_point(&self, who: SessionToken, incident: Id, minutes: u32, reason: &str) -> Result<(), ApiError> {
        let actor = self.actor(who, Need::Operator)?;
        let now = Store::now_ms();
        let stored = self
            .store()
            .incident(incident)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("incident {incident} does not exist")))?;
        let until = now + i64::from(minutes) * 60_000;
        let shelf = shelve(&actor, &stored.incident.point, now, until, reason.trim()).map_err(|e| {
            ApiError::field(
                ErrorCode::Refused,
                if reason.trim().is_empty() { "reason" } else { "minutes" },
                e.to_string(),
            )
        })?;
        let event = vigil_store::AuditEvent {
            actor: actor.name.clone(),
            action: "point.shelve".into(),
            subject: shelf.point.clone(),
            details:
                serde_json::json!({ "until": until, "minutes": minutes, "reason": shelf.reason, "incident": incident })
                    .to_string(),
        };
        let point = shelf.point.clone();
        let body = EventBody::PointShelved(PointShelved { shelf, from: now, incident: Some(incident) });
        self.write(move |tx| {
            let committed = vigil_store::write::commit_event(tx, &actor.name, &point, body, now)?;
            vigil_store::write::append_audit(tx, &event.for_event(&committed)).map(|_| ())
        })
    }

    /// An administrator's procedure for an alarm type, in one language.
    pub fn set_procedure(
        &self,
        who: SessionToken,
        alarm_type: &str,
        language: &str,
        steps: &[String],
    ) -> Result<(), ApiError> {
        let actor = self.actor(who, Need::Administrator)?;
        if !matches!(language, "zh-CN" | "en") {
            return Err(ApiError::field(ErrorCode::Invalid, "language", "procedures are written in zh-CN or en"));
        }
        let steps: Vec<String> = steps.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
        if steps.is_empty() || steps.len() > 30 || steps.iter().any(|s| s.chars().count() > 300) {
            return Err(ApiError::field(
                ErrorCode::Invalid,
                "steps",
                "a procedure has 1 to 30 steps of at most 300 characters",
            ));
        }
        let subject = format!("{alarm_type}/{language}");
        let event = vigil_store::AuditEvent {
            actor: actor.name.clone(),
            action: "settings.procedure".into(),
            subject: subject.clone(),
            details: serde_json::json!({ "steps": steps }).to_string(),
        };
        let body = EventBody::ProcedureSet(ProcedureSet {
            alarm_type: alarm_type.to_owned(),
            language: language.to_owned(),
            steps,
        });
        self.write(move |tx| {
            let committed = vigil_store::write::commit_event(tx, &actor.name, &subject, body, Store::now_ms())?;
            vigil_store::write::append_audit(tx, &event.for_event(&committed)).map(|_| ())
        })
    }

    /// Records that the logged-in operator silenced the siren; returns for how many seconds.
    pub fn silence_siren(&self, who: SessionToken) -> Result<u32, ApiError> {
        let actor = self.actor(who, Need::Operator)?;
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
    use vigil_domain::incident::{EntryKind, IncidentState};
    use vigil_store::NewSignal;

    /// Stores a panic signal from `code` as the engine's writer does, returning the incident.
    fn alarm(ws: &Workstation, code: &str) -> Id {
        signal_from(ws, code).expect("an incident")
    }

    fn signal_from(ws: &Workstation, code: &str) -> Option<Id> {
        let device = ws.search(code, 1).expect("search").remove(0).id;
        let signal = NewSignal::from_device(device, "panic", 1, Store::now_ms());
        ws.write(move |tx| {
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

        assert_eq!(
            ws.act_on_incident(SessionToken::NONE, id, &IncidentAction::Acknowledge).expect_err("nobody").code,
            "login_required"
        );
        let who = ws.login("demo-operator", "2468", None).expect("login").0;
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
            ws.act_on_incident(who, id, &action).expect("allowed");
        }
        let refused =
            ws.act_on_incident(who, id, &IncidentAction::Close { category: "real".into() }).expect_err("not on scene");
        assert_eq!(refused.code, "refused");
        let bad =
            ws.act_on_incident(who, id, &IncidentAction::Close { category: "bogus".into() }).expect_err("bad category");
        assert_eq!(bad.field.as_deref(), Some("category"));
        let closed = ws.act_on_incident(who, id, &IncidentAction::Close { category: "false".into() }).expect("close");
        assert_eq!((closed.state, closed.category), (IncidentState::Closed, Some(CloseCategory::False)));
        assert!(ws.incidents(None, 100).expect("open list").is_empty());
        assert_eq!(
            ws.search("OPD-1F-ALM-001", 1).expect("search")[0].status.as_str(),
            "normal",
            "the map is normal again"
        );
        assert_eq!(ws.act_on_incident(who, id, &IncidentAction::Reopen).expect_err("operator").code, "refused");

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
        let who = ws.login("demo-operator", "2468", None).expect("login").0;
        assert_eq!(ws.shelve_point(who, id, 30, " ").expect_err("no reason").field.as_deref(), Some("reason"));
        assert_eq!(ws.shelve_point(who, id, 600, "探测器误报").expect_err("too long for an operator").code, "refused");
        ws.shelve_point(who, id, 30, "探测器反复误报，已报修").expect("shelve");
        ws.act_on_incident(who, id, &IncidentAction::Close { category: "device_fault".into() }).expect("close");
        assert_eq!(signal_from(&ws, "OPD-1F-ALM-002"), None);
        assert!(ws.incidents(None, 10).expect("list").is_empty(), "a shelved point opens nothing");
        assert!(ws.with_store(|s| s.active_shelves(0)).expect("shelves")[0].by == "demo-operator");

        let cameras =
            ws.camera_candidates(ws.search("OPD-1F-ALM-002", 1).expect("search")[0].id, 8).expect("candidates");
        let far = cameras.last().expect("a camera").id;
        let point = ws.search("OPD-1F-ALM-002", 1).expect("search")[0].id;
        assert_eq!(ws.link_cameras(who, point, &[far]).expect_err("operator").code, "forbidden");

        let steps = vec!["先看摄像机".to_owned(), "再派人".to_owned()];
        assert_eq!(ws.set_procedure(who, "panic", "zh-CN", &steps).expect_err("operator").code, "forbidden");
        let who = ws.login("demo-admin", "2468", None).expect("login").0;
        assert!(ws.set_procedure(who, "panic", "fr", &steps).is_err());
        ws.set_procedure(who, "panic", "zh-CN", &steps).expect("admin");
        assert_eq!(ws.link_cameras(who, point, &[point]).expect_err("not a camera").field.as_deref(), Some("cameras"));
        ws.link_cameras(who, point, &[far]).expect("link");
        let detail = ws.incident_detail(id, "zh-CN").expect("detail");
        assert_eq!((detail.cameras.len(), detail.cameras[0].id, detail.cameras[0].configured), (1, far, true));
        assert!(ws.camera_candidates(point, 8).expect("candidates")[0].configured, "linked ones first");
        ws.link_cameras(who, point, &[]).expect("unlink");
        assert_eq!(
            ws.incident_detail(id, "zh-CN").expect("detail").cameras.len(),
            crate::cameras::NEAREST_CAMERAS,
            "back to the nearest"
        );
        let id = alarm(&ws, "OPD-1F-ALM-003");
        assert_eq!(ws.incident_detail(id, "zh-CN").expect("detail").steps, steps);
        assert_ne!(ws.incident_detail(id, "en").expect("detail").steps, steps, "the other language keeps its own");
    }

    /// The demo's database file, opened beside the workstation as the sqlite3 shell would.
    fn shell(dir: &tempfile::TempDir) -> rusqlite::Connection {
        rusqlite::Connection::open(dir.path().join("vigil.db")).expect("open the file")
    }

    fn handled(ws: &Workstation) -> (SessionToken, Id) {
        let who = ws.login("demo-operator", "2468", None).expect("login").0;
        let id = alarm(ws, "OPD-1F-ALM-001");
        alarm(ws, "OPD-1F-ALM-001"); // a repeat folds in
        for action in
            [IncidentAction::Acknowledge, IncidentAction::Dispatch { guard: "G0001".into() }, IncidentAction::OnScene]
        {
            ws.act_on_incident(who, id, &action).expect("allowed");
        }
        ws.shelve_point(who, alarm(ws, "OPD-1F-ALM-004"), 20, "探测器反复误报").expect("shelve");
        ws.act_on_incident(who, id, &IncidentAction::Close { category: "real".into() }).expect("close");
        let who = ws.login("demo-supervisor", "2468", None).expect("login").0;
        ws.act_on_incident(who, id, &IncidentAction::Reopen).expect("reopen");
        ws.act_on_incident(who, id, &IncidentAction::Close { category: "false".into() }).expect("close again");
        (who, id)
    }

    #[test]
    fn every_change_is_an_event_and_the_tables_are_its_fold() {
        let (dir, ws) = demo();
        let (_, id) = handled(&ws);
        let store = ws.store();
        let events = store.event_rows(0, 1000).expect("events");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "signal_received").count(), 3);
        assert_eq!(kinds.iter().filter(|k| **k == "incident_acted").count(), 6);
        assert_eq!(kinds.iter().filter(|k| **k == "point_shelved").count(), 1);
        // One origin, numbered from 1 without gaps, stamps only going forward.
        assert!(events.windows(2).all(|w| w[1].origin == w[0].origin && w[1].origin_seq == w[0].origin_seq + 1));
        assert!(events.windows(2).all(|w| w[1].hlc > w[0].hlc));
        // Each line of the timeline names its event; the reopen names the close it reopened.
        let incident = store.incident(id).expect("read").expect("incident").incident;
        assert!(incident.timeline.iter().all(|e| e.event.is_some()), "{:?}", incident.timeline);
        let first_close = incident.timeline.iter().find_map(|e| match &e.what {
            EntryKind::Acted { action: Action::Close { .. } } => e.event,
            _ => None,
        });
        let reopened = incident.timeline.iter().find_map(|e| match &e.what {
            EntryKind::Acted { action: Action::Reopen { close } } => *close,
            _ => None,
        });
        assert_eq!(reopened, first_close);
        // The audit entry of each action names its event and its hash.
        let audit = store.audit_tail(1).expect("tail").remove(0);
        let details: serde_json::Value = serde_json::from_str(&audit.details).expect("json");
        assert_eq!(details["event"].as_str(), events.last().map(|e| e.id.as_str()));
        assert_eq!(details["event_hash"].as_str(), events.last().map(|e| e.hash.as_str()));
        drop(store);
        let report = ws.store().rebuild(false).expect("rebuild --check");
        assert_eq!(report.differences, Vec::<String>::new());
        assert_eq!((report.events, report.incidents), (10, 2));
        assert_eq!(ws.with_store(|s| s.verify_events()).expect("verify").first_altered, None);
        drop(dir);
    }

    #[test]
    fn a_projection_row_changed_in_the_file_is_named_and_repaired() {
        let (dir, ws) = demo();
        let (_, id) = handled(&ws);
        let shell = shell(&dir);
        shell.execute("UPDATE incidents SET state = 'new' WHERE id = ?1", [id.to_string()]).expect("edit");
        let report = ws.store().rebuild(false).expect("check");
        assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
        assert!(report.differences[0].contains(&id.to_string()) && report.differences[0].contains("state"));
        let body: String =
            shell.query_row("SELECT body FROM incidents WHERE id = ?1", [id.to_string()], |r| r.get(0)).expect("body");
        shell
            .execute(
                "UPDATE incidents SET body = ?2 WHERE id = ?1",
                [id.to_string(), body.replace("demo-operator", "someone else")],
            )
            .expect("edit");
        let report = ws.store().rebuild(false).expect("check");
        assert!(report.differences[0].contains("field \"timeline\""), "{:?}", report.differences);
        let repaired = ws.store().rebuild(true).expect("repair");
        assert!(repaired.repaired);
        assert!(ws.store().rebuild(false).expect("check").differences.is_empty(), "repaired from the log");
        assert_eq!(ws.incident_detail(id, "en").expect("detail").incident.state, IncidentState::Closed);
    }

    #[test]
    fn an_event_changed_in_the_file_is_named_and_never_laundered() {
        let (dir, ws) = demo();
        handled(&ws);
        let shell = shell(&dir);
        // The log refuses edits; someone who drops the trigger to edit history is still caught.
        let refused = shell.execute("UPDATE events SET actor = 'x' WHERE seq = 4", []);
        assert!(refused.is_err(), "the event log is append-only");
        shell.execute_batch("DROP TRIGGER events_no_update").expect("drop trigger");
        let payload: String = shell.query_row("SELECT payload FROM events WHERE seq = 4", [], |r| r.get(0)).expect("p");
        shell
            .execute("UPDATE events SET payload = ?1 WHERE seq = 4", [payload.replace("G0001", "G0099")])
            .expect("edit");
        let report = ws.with_store(|s| s.verify_events()).expect("verify");
        let (seq, _, why) = report.first_altered.expect("named");
        assert_eq!((seq, why.as_str()), (4, "its content does not match its hash"));
        let refused = ws.store().rebuild(true).expect_err("a broken log is not folded");
        assert!(refused.to_string().contains("event 4"), "{refused}");
    }

    #[test]
    fn an_unknown_kind_or_newer_schema_is_kept_counted_and_skipped() {
        let (_dir, ws) = demo();
        let (who, id) = handled(&ws);
        let newer = Id::now_v7();
        let received = |seq: i64, kind: &str, schema: u32| vigil_store::SyncEvent {
            id: Id::now_v7(),
            origin: newer,
            origin_seq: seq,
            actor: "a newer Vigil".into(),
            kind: kind.into(),
            subject: id.to_string(),
            hlc: vigil_domain::event::Hlc::new(Store::now_ms(), 0).0,
            wall: Store::now_ms(),
            schema,
            payload: "{\"what\": \"something this build does not know\"}".into(),
            // Not checked when only stored; the chain is this log's own.
            hash: String::new(),
            pruned_prev_hash: None,
        };
        let events =
            [received(1, "patrol_checkin", 1), received(2, "incident_acted", 9), received(3, "incident_acted", 1)];
        ws.write(move |tx| {
            for e in &events {
                vigil_store::write::append_received_event(tx, e)?;
            }
            Ok(())
        })
        .expect("stored");
        // The writer is not blocked: the next action commits as before.
        ws.act_on_incident(who, id, &IncidentAction::Note { text: "still writing".into() }).expect("note");
        let report = ws.store().rebuild(false).expect("rebuild");
        assert!(report.differences.is_empty(), "{:?}", report.differences);
        let skipped: Vec<(&str, u64)> = report.skipped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(skipped.len(), 3, "{skipped:?}");
        assert!(skipped.iter().any(|(k, _)| k.contains("unknown kind patrol_checkin")));
        assert!(skipped.iter().any(|(k, _)| k.contains("schema 9")));
        assert!(skipped.iter().any(|(k, _)| k.contains("unreadable payload")));
        assert_eq!(ws.with_store(|s| s.verify_events()).expect("verify").origins, 2);
    }

    #[test]
    fn a_refused_action_stores_nothing_and_says_why() {
        let (_dir, ws) = demo();
        let who = ws.login("demo-operator", "2468", None).expect("login").0;
        let id = alarm(&ws, "OPD-1F-ALM-001");
        let before = ws.with_store(|s| s.event_count()).expect("count");
        let refused = ws.act_on_incident(who, id, &IncidentAction::OnScene).expect_err("not dispatched");
        assert_eq!(refused.code, "refused");
        assert!(refused.message.contains("marked on scene"), "{}", refused.message);
        assert_eq!(
            refused.refusal,
            Some(crate::Refusal::NotNow { state: IncidentState::New, action: "marked on scene".into() }),
            "the reason is typed, not only text"
        );
        assert_eq!(ws.with_store(|s| s.event_count()).expect("count"), before, "nothing stored");
    }
}
