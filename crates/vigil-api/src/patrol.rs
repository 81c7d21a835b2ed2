//! Patrol: check-ins from handhelds, wand files and radio calls; the live rounds the map and the
//! patrol screen show; missed rounds raised as incidents; and what a supervisor reviews and signs.
//!
//! Every check-in is stored as it came (an event of the log) and never changed; everything the
//! console says about rounds is [`vigil_domain::patrol::evaluate`] over the schedules and the
//! check-ins, computed when asked. Times are UTC milliseconds; the site's zone only shapes
//! schedules, shifts and what is shown.

use std::collections::{BTreeMap, HashMap};

use vigil_domain::event::{CheckInAnnotated, CheckInRecorded, EventBody, LegDef, RouteDef, RouteSet, ScheduleSet};
use vigil_domain::patrol::{
    evaluate, normalize_tag, round_deadline, round_missed, CheckIn, Evaluation, Flag, Leg, Method, Outcome, Round,
    Route, Source, Suspicion,
};
use vigil_domain::schedule::{rounds, Schedule, Shift, ShiftKind, Weekdays};
use vigil_domain::Id;
use vigil_store::{CheckInFilter, CheckInRow, CheckInStored, CheckpointRow, IncidentChange, Store};

use crate::session::{Need, SessionToken};
use crate::{ApiError, ErrorCode, Workstation};

pub use crate::patrol_review::{
    local_time, Compliance, ExceptionKind, IncidentResponse, MarkedLine, PatrolException, ReviewItem, ShiftReview,
    SignOffView,
};

/// The most check-ins one `POST /v1/checkins` may carry.
pub const MAX_BATCH: usize = 1000;

/// What the console knows about routes and checkpoints, loaded for one question.
pub(crate) struct PatrolSite {
    pub routes: Vec<Route>,
    pub defs: HashMap<Id, RouteDef>,
    pub schedules: Vec<Schedule>,
    pub checkpoints: HashMap<Id, CheckpointRow>,
    pub by_tag: HashMap<String, Id>,
    /// Normalised tag → the routes it is on.
    pub routes_of_tag: HashMap<String, Vec<Id>>,
    pub guards: HashMap<String, String>,
}

/// The site as patrol last read it, per database: routes, schedules, checkpoints and guards change
/// seldom, and reading them (thousands of rows at a hospital group's scale) costs more than most
/// questions asked of them. A stamp of the four says when to read them again.
type SiteCache = HashMap<std::path::PathBuf, ([i64; 4], std::sync::Arc<PatrolSite>)>;
static SITES: std::sync::Mutex<Option<SiteCache>> = std::sync::Mutex::new(None);

impl PatrolSite {
    /// The site as the store holds it now (from the cache while nothing changed).
    pub(crate) fn load(store: &Store) -> Result<std::sync::Arc<PatrolSite>, ApiError> {
        let stamp = store.patrol_site_stamp()?;
        let key = store.path().to_owned();
        let mut sites = SITES.lock().unwrap_or_else(|p| p.into_inner());
        let sites = sites.get_or_insert_with(HashMap::new);
        if let Some((s, site)) = sites.get(&key) {
            if *s == stamp {
                return Ok(site.clone());
            }
        }
        let site = std::sync::Arc::new(PatrolSite::read(store)?);
        sites.insert(key, (stamp, site.clone()));
        Ok(site)
    }

    fn read(store: &Store) -> Result<PatrolSite, ApiError> {
        let checkpoints: HashMap<Id, CheckpointRow> = store.checkpoints()?.into_iter().map(|c| (c.id, c)).collect();
        let by_tag = checkpoints.values().filter(|c| !c.tag.is_empty()).map(|c| (c.tag.clone(), c.id)).collect();
        let defs: HashMap<Id, RouteDef> = store.routes()?.into_iter().map(|r| (r.id, r)).collect();
        let routes = defs
            .values()
            .filter(|r| !r.retired)
            .map(|r| Route {
                id: r.id,
                ordered: r.ordered,
                legs: r
                    .legs
                    .iter()
                    .map(|l| Leg {
                        checkpoint: l.checkpoint,
                        tag: checkpoints.get(&l.checkpoint).map(|c| c.tag.clone()).unwrap_or_default(),
                        walk_ms: i64::from(l.walk_s) * 1000,
                    })
                    .collect(),
            })
            .collect::<Vec<Route>>();
        let mut routes_of_tag: HashMap<String, Vec<Id>> = HashMap::new();
        for r in &routes {
            for l in &r.legs {
                routes_of_tag.entry(l.tag.clone()).or_default().push(r.id);
            }
        }
        let guards = store.guards()?.into_iter().map(|g| (g.badge, g.name)).collect();
        Ok(PatrolSite { routes, defs, schedules: store.schedules()?, checkpoints, by_tag, routes_of_tag, guards })
    }

    /// The longest a round lasts from its start to its deadline.
    pub(crate) fn longest_ms(&self, ws: &Workstation) -> i64 {
        let w = ws.settings().patrol.windows();
        self.routes.iter().map(|r| r.legs.iter().map(|l| l.walk_ms).sum::<i64>()).max().unwrap_or(0) + w.tolerance_ms
    }

    pub(crate) fn route(&self, id: Id) -> Option<&Route> {
        self.routes.iter().find(|r| r.id == id)
    }

    /// Whether a round's window has passed by `now` (its last checkpoint's tolerance is over).
    pub(crate) fn has_passed(&self, round: &Round, windows: vigil_domain::patrol::Windows, now: i64) -> bool {
        self.route(round.route).is_some_and(|route| round_deadline(route, round, windows) <= now)
    }

    /// The rounds starting in `[from, to)` whose window has passed and that are not in `settled`.
    pub(crate) fn passed_unsettled(
        &self,
        ws: &Workstation,
        from: i64,
        to: i64,
        now: i64,
        settled: &std::collections::HashSet<Id>,
    ) -> Vec<Round> {
        let p = &ws.settings().patrol;
        let windows = p.windows();
        rounds(&self.schedules, &p.zone(), from, to)
            .into_iter()
            .filter(|r| !settled.contains(&r.id) && self.has_passed(r, windows, now))
            .collect()
    }

    pub(crate) fn route_name(&self, id: Id) -> String {
        self.defs.get(&id).map_or_else(|| id.to_string(), |r| r.name.clone())
    }
}

/// Rounds started in `[from, to)`, judged from the check-ins that can belong to them.
pub(crate) struct Judged {
    pub rounds: Vec<Round>,
    pub eval: Evaluation,
    pub check_ins: HashMap<Id, CheckInRow>,
}

/// How far before a range the rounds that can take its check-ins start: a round of the range is
/// judged after the rounds before it have taken their touches, as a whole-day evaluation would.
pub(crate) fn context_ms(ws: &Workstation, site: &PatrolSite) -> i64 {
    site.longest_ms(ws) + 3 * ws.settings().patrol.windows().tolerance_ms
}

pub(crate) fn judge(
    ws: &Workstation,
    store: &Store,
    site: &PatrolSite,
    from: i64,
    to: i64,
) -> Result<Judged, ApiError> {
    let p = &ws.settings().patrol;
    let windows = p.windows();
    let context = context_ms(ws, site);
    let all = rounds(&site.schedules, &p.zone(), from - context, to);
    let rows = store.check_ins_between(from - context - windows.tolerance_ms, to + site.longest_ms(ws))?;
    let domain: Vec<CheckIn> = rows.iter().map(|r| vigil_store::as_check_in(&r.record)).collect();
    let mut eval = evaluate(&site.routes, &all, &domain, windows, Suspicion::default());
    // The rounds before the range were judged only for what they take; they are not its rounds.
    let rounds: Vec<Round> = all.into_iter().filter(|r| r.start >= from).collect();
    let mine: std::collections::HashSet<Id> = rounds.iter().map(|r| r.id).collect();
    eval.rounds.retain(|r| mine.contains(&r.round));
    Ok(Judged { rounds, eval, check_ins: rows.into_iter().map(|r| (r.record.check_in, r)).collect() })
}

// ---------------------------------------------------------------------------------------------
// Check-ins in

/// How one check-in of a batch fared.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckInResult {
    pub id: Id,
    pub stored: CheckInStored,
    /// Stored, and listed for the supervisor: `unknown_tag`, `unknown_guard`, `clock_ahead`, `clock_behind`.
    pub flags: Vec<String>,
}

/// Why a batch of check-ins was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckInRefusal {
    /// Cannot be read: the field is named (`[3].time`).
    Invalid { field: String, message: String },
    /// An id already stored with another body.
    Conflict { field: String, id: Id },
}

fn field_name(batch: bool, i: usize, name: &str) -> String {
    match (batch, name.is_empty()) {
        (true, true) => format!("[{i}]"),
        (true, false) => format!("[{i}].{name}"),
        (false, _) => name.to_owned(),
    }
}

/// Reads `POST /v1/checkins`'s body (one object or an array) into check-ins; what cannot be read
/// is named. A wrong clock, an unknown tag or guard is not a reason to refuse.
pub fn parse_check_ins(body: &serde_json::Value, received: i64) -> Result<Vec<CheckInRecorded>, CheckInRefusal> {
    use serde_json::Value;
    let (items, batch): (Vec<&Value>, bool) = match body {
        Value::Array(a) if a.is_empty() => {
            return Err(CheckInRefusal::Invalid { field: "body".into(), message: "an empty batch".into() })
        }
        Value::Array(a) if a.len() > MAX_BATCH => {
            return Err(CheckInRefusal::Invalid {
                field: "body".into(),
                message: format!("at most {MAX_BATCH} check-ins per batch"),
            })
        }
        Value::Array(a) => (a.iter().collect(), true),
        other => (vec![other], false),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let bad = |name: &str, message: &str| CheckInRefusal::Invalid {
            field: field_name(batch, i, name),
            message: message.to_owned(),
        };
        let Some(obj) = item.as_object() else {
            return Err(bad(if batch { "" } else { "body" }, "a check-in is a JSON object"));
        };
        let text = |name: &str| -> Result<String, CheckInRefusal> {
            match obj.get(name) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
                Some(Value::String(_)) => Err(bad(name, "is empty")),
                Some(_) => Err(bad(name, "must be a string")),
                None => Err(bad(name, "is missing")),
            }
        };
        let id = text("id")?;
        let id = Id::parse_str(&id).map_err(|_| bad("id", "must be a UUID"))?;
        let tag = text("tag")?;
        let guard = text("guard")?;
        let device = text("device")?;
        let time = text("time")?;
        let device_time: jiff::Timestamp = time
            .parse()
            .map_err(|_| bad("time", "must be an RFC 3339 time with its offset (2026-12-01T02:05:00+08:00)"))?;
        let method = match obj.get("method") {
            None | Some(Value::Null) => Method::Nfc,
            Some(Value::String(m)) => match Method::parse(m) {
                Some(m @ (Method::Nfc | Method::Qr | Method::Rfid)) => m,
                _ => return Err(bad("method", "is nfc, qr or rfid")),
            },
            Some(_) => return Err(bad("method", "must be a string")),
        };
        out.push(CheckInRecorded {
            check_in: id,
            tag,
            guard,
            device: Some(device),
            method,
            source: Source::Handheld,
            device_time: device_time.as_millisecond(),
            received,
            reason: None,
            import: None,
            row: None,
            body_hash: vigil_store::sha256_hex(item.to_string().as_bytes()),
        });
    }
    Ok(out)
}

impl Workstation {
    /// Stores check-ins from a handheld (through the engine's HTTP API): all or none.
    pub fn record_check_ins(
        &self,
        sender: &str,
        items: Vec<CheckInRecorded>,
    ) -> Result<Result<Vec<CheckInResult>, CheckInRefusal>, ApiError> {
        let batch = items.len() > 1;
        let site = PatrolSite::load(&self.store())?;
        let flags: Vec<Vec<String>> = items.iter().map(|c| check_in_flags(&site, c)).collect();
        let ids: Vec<Id> = items.iter().map(|c| c.check_in).collect();
        let wall = Store::now_ms();
        let actor = sender.to_owned();
        let stored = self.write(move |tx| vigil_store::write::record_check_ins(tx, &actor, &items, wall))?;
        Ok(match stored {
            Ok(outcome) => Ok(ids
                .into_iter()
                .zip(outcome)
                .zip(flags)
                .map(|((id, stored), flags)| CheckInResult { id, stored, flags })
                .collect()),
            Err(i) => Err(CheckInRefusal::Conflict { field: field_name(batch, i, "id"), id: ids[i] }),
        })
    }

    /// An operator types in a check-in a guard reported by radio: marked manual, with the reason
    /// and the operator (the event's actor, and the audit log's).
    pub fn record_radio_check_in(&self, who: SessionToken, input: RadioCheckIn) -> Result<Id, ApiError> {
        let actor = self.actor(who, Need::Operator)?;
        let reason = input.reason.trim().to_owned();
        if reason.is_empty() {
            return Err(ApiError::field(
                ErrorCode::Invalid,
                "reason",
                "say why it is typed in (e.g. 对讲机报告，巡更机没电)",
            ));
        }
        let guard = input.guard.trim().to_owned();
        if guard.is_empty() {
            return Err(ApiError::field(ErrorCode::Invalid, "guard", "name the guard's badge"));
        }
        let now = Store::now_ms();
        let tag = {
            let store = self.store();
            let site = PatrolSite::load(&store)?;
            site.checkpoints
                .get(&input.checkpoint)
                .map(|c| c.tag.clone())
                .ok_or_else(|| ApiError::field(ErrorCode::NotFound, "checkpoint", "no such checkpoint"))?
        };
        let at = input.at.unwrap_or(now);
        if at > now + 60_000 {
            return Err(ApiError::field(ErrorCode::Invalid, "at", "a radio report is of something that happened"));
        }
        if at < now - 24 * 3_600_000 {
            return Err(ApiError::field(
                ErrorCode::Invalid,
                "at",
                "a radio report is typed in within a day; older check-ins come from the wand's file",
            ));
        }
        let id = Id::now_v7();
        let record = CheckInRecorded {
            check_in: id,
            tag,
            guard,
            device: None,
            method: Method::Radio,
            source: Source::Manual,
            device_time: at,
            received: now,
            reason: Some(reason.clone()),
            import: None,
            row: None,
            body_hash: vigil_store::sha256_hex(format!("{id}:{at}:{reason}").as_bytes()),
        };
        let audit = self.audit_as(
            &actor.name,
            "patrol.check_in.radio",
            &id.to_string(),
            serde_json::json!({ "checkpoint": input.checkpoint, "guard": record.guard, "at": at, "reason": reason }),
        );
        self.write(move |tx| {
            // A fresh UUIDv7 cannot meet a stored id: the outcome is always `New`.
            let _ = vigil_store::write::record_check_ins(tx, &actor.name, std::slice::from_ref(&record), now)?;
            vigil_store::write::append_audit(tx, &audit).map(|_| ())
        })?;
        Ok(id)
    }

    /// A correction or remark on a check-in (the check-in itself never changes).
    pub fn annotate_check_in(&self, who: SessionToken, check_in: Id, text: &str) -> Result<(), ApiError> {
        let actor = self.actor(who, Need::Operator)?;
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Err(ApiError::field(ErrorCode::Invalid, "text", "an annotation says what is wrong and why"));
        }
        if self.store().check_in(check_in)?.is_none() {
            return Err(ApiError::field(ErrorCode::NotFound, "check_in", "no such check-in"));
        }
        let now = Store::now_ms();
        let body = EventBody::CheckInAnnotated(CheckInAnnotated { check_in, text: text.clone() });
        let audit =
            self.audit_as(&actor.name, "patrol.annotate", &check_in.to_string(), serde_json::json!({ "text": text }));
        self.commit_as(&actor.name, &format!("check_in:{check_in}"), body, audit, now)
    }
}

/// A check-in reported by radio and typed in by an operator.
#[derive(Debug, Clone, serde::Deserialize, ts_rs::TS)]
pub struct RadioCheckIn {
    pub checkpoint: Id,
    /// The guard's badge.
    pub guard: String,
    /// When the guard says he was there (ms since the epoch); now when absent.
    #[ts(type = "number | null")]
    pub at: Option<i64>,
    pub reason: String,
}

fn check_in_flags(site: &PatrolSite, c: &CheckInRecorded) -> Vec<String> {
    let mut flags = Vec::new();
    if !site.by_tag.contains_key(&normalize_tag(&c.tag)) {
        flags.push("unknown_tag".to_owned());
    }
    if !site.guards.contains_key(&c.guard) {
        flags.push("unknown_guard".to_owned());
    }
    match vigil_domain::patrol::judged_at(&vigil_store::as_check_in(c), &Suspicion::default()).1 {
        Some(Flag::ClockAhead) => flags.push("clock_ahead".to_owned()),
        Some(Flag::ClockBehind) => flags.push("clock_behind".to_owned()),
        _ => {}
    }
    flags
}

// ---------------------------------------------------------------------------------------------
// Live rounds

/// Where a round stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    Upcoming,
    InProgress,
    /// Its window passed with every checkpoint touched.
    Done,
    /// Its window passed with checkpoints missing.
    Missed,
}

/// How a checkpoint shows on the map for the round it is in now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointMark {
    Pending,
    OnTime,
    Early,
    Late,
    OutOfOrder,
    Missed,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct RoundCheckpoint {
    pub checkpoint: Id,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub floor: Option<Id>,
    #[ts(type = "number")]
    pub expected: i64,
    pub mark: CheckpointMark,
    #[ts(type = "number | null")]
    pub touched: Option<i64>,
    pub guard: Option<String>,
    pub source: Option<Source>,
    pub flags: Vec<Flag>,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct RoundView {
    pub round: Id,
    pub route: Id,
    pub route_name: String,
    #[ts(type = "number")]
    pub start: i64,
    #[ts(type = "number")]
    pub deadline: i64,
    pub state: RoundState,
    pub done: u32,
    pub on_time: u32,
    pub total: u32,
    /// The incident its miss opened, if it was raised.
    pub incident: Option<Id>,
    pub checkpoints: Vec<RoundCheckpoint>,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct GuardLast {
    pub badge: String,
    pub name: Option<String>,
    pub checkpoint: Option<Id>,
    pub code: Option<String>,
    pub floor: Option<Id>,
    #[ts(type = "number")]
    pub at: i64,
}

/// The patrol screen and the map's checkpoint colours.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct PatrolBoard {
    #[ts(type = "number")]
    pub now: i64,
    pub shift: Shift,
    pub time_zone: String,
    pub rounds: Vec<RoundView>,
    /// Each checkpoint of a round in progress or just ended: its mark now.
    pub marks: Vec<(Id, CheckpointMark)>,
    pub guards: Vec<GuardLast>,
    pub routes: u32,
}

fn mark_of(o: Outcome) -> CheckpointMark {
    match o {
        Outcome::OnTime => CheckpointMark::OnTime,
        Outcome::Early => CheckpointMark::Early,
        Outcome::Late => CheckpointMark::Late,
        Outcome::OutOfOrder => CheckpointMark::OutOfOrder,
        Outcome::Missed => CheckpointMark::Missed,
    }
}

fn round_views(
    ws: &Workstation,
    store: &Store,
    site: &PatrolSite,
    j: &Judged,
    now: i64,
) -> Result<Vec<RoundView>, ApiError> {
    let windows = ws.settings().patrol.windows();
    let misses: HashMap<Id, Id> = match (j.rounds.first(), j.rounds.last()) {
        (Some(a), Some(b)) => {
            store.round_misses(a.start, b.start + 1)?.into_iter().map(|(r, m)| (r, m.incident)).collect()
        }
        _ => HashMap::new(),
    };
    let results: HashMap<Id, &vigil_domain::patrol::RoundResult> = j.eval.rounds.iter().map(|r| (r.round, r)).collect();
    let mut out = Vec::new();
    for round in &j.rounds {
        let (Some(route), Some(result)) = (site.route(round.route), results.get(&round.id)) else { continue };
        let deadline = round_deadline(route, round, windows);
        let mut checkpoints = Vec::new();
        let (mut done, mut on_time) = (0, 0);
        for c in &result.checkpoints {
            let cp = site.checkpoints.get(&c.checkpoint);
            let ci = c.check_in.and_then(|(id, _)| j.check_ins.get(&id));
            let passed = now > c.expected + windows.tolerance_ms;
            let mark = match c.outcome {
                Outcome::Missed if !passed => CheckpointMark::Pending,
                o => mark_of(o),
            };
            if c.check_in.is_some() {
                done += 1;
            }
            if c.outcome == Outcome::OnTime {
                on_time += 1;
            }
            checkpoints.push(RoundCheckpoint {
                checkpoint: c.checkpoint,
                code: cp.map(|c| c.code.clone()).unwrap_or_default(),
                name_zh: cp.map(|c| c.name_zh.clone()).unwrap_or_default(),
                name_en: cp.map(|c| c.name_en.clone()).unwrap_or_default(),
                floor: cp.map(|c| c.floor),
                expected: c.expected,
                mark,
                touched: c.check_in.map(|(_, at)| at),
                guard: ci.map(|r| r.record.guard.clone()),
                source: ci.map(|r| r.record.source),
                flags: c.check_in.and_then(|(id, _)| j.eval.flags.get(&id).cloned()).unwrap_or_default(),
            });
        }
        let total = checkpoints.len() as u32;
        let state = if now < round.start {
            RoundState::Upcoming
        } else if now <= deadline && done < total {
            RoundState::InProgress
        } else if done == total {
            RoundState::Done
        } else {
            RoundState::Missed
        };
        out.push(RoundView {
            round: round.id,
            route: round.route,
            route_name: site.route_name(round.route),
            start: round.start,
            deadline,
            state,
            done,
            on_time,
            total,
            incident: misses.get(&round.id).copied(),
            checkpoints,
        });
    }
    Ok(out)
}

/// Rounds as the patrol screen lists them: those in progress, then the ones ended (latest first),
/// then the next one of each route.
fn board_order(rounds: Vec<RoundView>) -> Vec<RoundView> {
    let mut next_of_route = std::collections::HashSet::new();
    let mut out: Vec<RoundView> =
        rounds.into_iter().filter(|r| r.state != RoundState::Upcoming || next_of_route.insert(r.route)).collect();
    out.sort_by_key(|r| {
        let rank = match r.state {
            RoundState::InProgress => 0,
            RoundState::Done | RoundState::Missed => 1,
            RoundState::Upcoming => 2,
        };
        (rank, if rank == 2 { r.start } else { -r.start })
    });
    out
}

impl Workstation {
    /// Rounds from six hours ago to two hours ahead, each checkpoint's mark now, and where each
    /// guard last checked in.
    pub fn patrol_board(&self, who: SessionToken, now: i64) -> Result<PatrolBoard, ApiError> {
        self.actor(who, Need::Operator)?;
        self.patrol_board_at(now)
    }

    pub fn patrol_board_at(&self, now: i64) -> Result<PatrolBoard, ApiError> {
        let store = self.store();
        let site = PatrolSite::load(&store)?;
        let p = &self.settings().patrol;
        let from = now - 6 * 3_600_000;
        let j = judge(self, &store, &site, from, now + 2 * 3_600_000)?;
        let rounds = round_views(self, &store, &site, &j, now)?;
        // A checkpoint's mark: from the latest round that has started and holds it.
        let mut marks: BTreeMap<Id, (i64, CheckpointMark)> = BTreeMap::new();
        for r in rounds.iter().filter(|r| r.state != RoundState::Upcoming) {
            for c in &r.checkpoints {
                let e = marks.entry(c.checkpoint).or_insert((r.start, c.mark));
                if r.start >= e.0 {
                    *e = (r.start, c.mark);
                }
            }
        }
        let mut last: BTreeMap<String, &CheckInRow> = BTreeMap::new();
        for row in j.check_ins.values().filter(|r| r.judged_at <= now) {
            let e = last.entry(row.record.guard.clone()).or_insert(row);
            if row.judged_at > e.judged_at {
                *e = row;
            }
        }
        let guards = last
            .into_values()
            .map(|row| {
                let cp = site.by_tag.get(&normalize_tag(&row.record.tag)).and_then(|id| site.checkpoints.get(id));
                GuardLast {
                    badge: row.record.guard.clone(),
                    name: site.guards.get(&row.record.guard).cloned(),
                    checkpoint: cp.map(|c| c.id),
                    code: cp.map(|c| c.code.clone()),
                    floor: cp.map(|c| c.floor),
                    at: row.judged_at,
                }
            })
            .collect();
        Ok(PatrolBoard {
            now,
            shift: p.shifts().shift_at(&p.zone(), now),
            time_zone: p.time_zone.clone(),
            rounds: board_order(rounds),
            marks: marks.into_iter().map(|(id, (_, m))| (id, m)).collect(),
            guards,
            routes: site.routes.len() as u32,
        })
    }

    /// Raises a "round missed" for every round whose window passed (within the last day) with
    /// checkpoints missing and that was not raised yet; returns the incidents opened.
    pub fn raise_missed_rounds(&self, now: i64) -> Result<Vec<IncidentChange>, ApiError> {
        let windows = self.settings().patrol.windows();
        // The rounds of the last day that have passed are settled as they pass.
        self.settle_rounds(now - 24 * 3_600_000, now, now)?;
        let pending: Vec<vigil_domain::event::RoundMissed> = {
            let store = self.store();
            let site = PatrolSite::load(&store)?;
            if site.routes.is_empty() {
                return Ok(Vec::new());
            }
            let from = now - 24 * 3_600_000 - site.longest_ms(self);
            let j = judge(self, &store, &site, from, now)?;
            let raised: std::collections::HashSet<Id> =
                store.round_misses(from, now + 1)?.into_iter().map(|(r, _)| r).collect();
            let results: HashMap<Id, &vigil_domain::patrol::RoundResult> =
                j.eval.rounds.iter().map(|r| (r.round, r)).collect();
            j.rounds
                .iter()
                .filter(|r| !raised.contains(&r.id))
                .filter_map(|round| {
                    let route = site.route(round.route)?;
                    if round_deadline(route, round, windows) > now {
                        return None;
                    }
                    let result = results.get(&round.id)?;
                    let device = result.checkpoints.iter().find(|c| c.outcome == Outcome::Missed).map(|c| c.checkpoint);
                    round_missed(route, round, result, windows, device)
                })
                .collect()
        };
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let changes = self.write(move |tx| {
            let mut changes = Vec::new();
            for m in pending {
                let subject = format!("round:{}", m.round);
                let (device, priority, received) = (m.device, m.signal.priority, m.signal.at);
                let c = vigil_store::write::commit_event(tx, "vigil", &subject, EventBody::RoundMissed(m), now)?;
                if let Some(opened) = c.applied.opened {
                    changes.push(IncidentChange {
                        incident_id: opened,
                        device_id: device,
                        priority,
                        opened: true,
                        received_at: received,
                    });
                }
            }
            Ok(changes)
        })?;
        Ok(changes)
    }
}

// ---------------------------------------------------------------------------------------------
// Routes and schedules (administrators)

/// A route and its schedule as the administrator's form sends them.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, ts_rs::TS)]
pub struct RouteInput {
    /// None for a new route.
    pub id: Option<Id>,
    pub name: String,
    pub ordered: bool,
    pub legs: Vec<LegDef>,
    /// Local `HH:MM`.
    pub start: String,
    pub end: String,
    pub every_minutes: u16,
    /// Bit 0 Monday … bit 6 Sunday.
    pub weekdays: u8,
    pub retired: bool,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct RouteView {
    pub id: Id,
    pub name: String,
    pub ordered: bool,
    pub retired: bool,
    pub legs: Vec<LegDef>,
    pub schedule: Option<Schedule>,
}

impl Workstation {
    pub fn routes(&self) -> Result<Vec<RouteView>, ApiError> {
        let store = self.store();
        let schedules = store.schedules()?;
        Ok(store
            .routes()?
            .into_iter()
            .map(|r| {
                let schedule = schedules
                    .iter()
                    .filter(|s| s.route == r.id && s.valid_to.is_none())
                    .max_by_key(|s| s.valid_from)
                    .cloned();
                RouteView { id: r.id, name: r.name, ordered: r.ordered, retired: r.retired, legs: r.legs, schedule }
            })
            .collect())
    }

    /// Saves a route and (a new version of) its schedule, from now on.
    pub fn save_route(&self, who: SessionToken, input: RouteInput) -> Result<Id, ApiError> {
        let actor = self.actor(who, Need::Administrator)?;
        self.save_route_as(&actor.name, input, Store::now_ms())
    }

    /// [`Workstation::save_route`] for the demo and tests: a given actor, the schedule in force
    /// from `valid_from`.
    pub fn save_route_as(&self, actor: &str, input: RouteInput, valid_from: i64) -> Result<Id, ApiError> {
        // The events carry when they were written; the schedule says from when it holds.
        let now = Store::now_ms();
        let name = input.name.trim().to_owned();
        if name.is_empty() {
            return Err(ApiError::field(ErrorCode::Invalid, "name", "a route has a name"));
        }
        if input.legs.is_empty() {
            return Err(ApiError::field(ErrorCode::Invalid, "legs", "pick the route's checkpoints on the map"));
        }
        {
            let store = self.store();
            let site = PatrolSite::load(&store)?;
            if let Some((i, _)) =
                input.legs.iter().enumerate().find(|(_, l)| !site.checkpoints.contains_key(&l.checkpoint))
            {
                return Err(ApiError::field(ErrorCode::Invalid, &format!("legs[{i}]"), "not a checkpoint"));
            }
        }
        let bad = |f: &str, m: &str| ApiError::field(ErrorCode::Invalid, f, m.to_owned());
        let start = vigil_domain::schedule::parse_minute(&input.start).ok_or_else(|| bad("start", "HH:MM"))?;
        let end = vigil_domain::schedule::parse_minute(&input.end).ok_or_else(|| bad("end", "HH:MM"))?;
        let id = input.id.unwrap_or_else(Id::now_v7);
        let existing = self.store().schedules()?.into_iter().find(|s| s.route == id).map(|s| s.id);
        let schedule = Schedule {
            id: existing.unwrap_or_else(Id::now_v7),
            route: id,
            start,
            end,
            every: input.every_minutes,
            weekdays: Weekdays(input.weekdays),
            valid_from,
            valid_to: None,
        };
        schedule.validate().map_err(|e| {
            let field = match e {
                vigil_domain::schedule::ScheduleError::Interval => "every_minutes",
                vigil_domain::schedule::ScheduleError::NoDays => "weekdays",
                vigil_domain::schedule::ScheduleError::TimeOfDay => "start",
            };
            bad(field, &e.to_string())
        })?;
        let route = RouteDef { id, name, ordered: input.ordered, legs: input.legs.clone(), retired: input.retired };
        let audit = self.audit_as(
            actor,
            "patrol.route.save",
            &id.to_string(),
            serde_json::to_value(&input).unwrap_or_default(),
        );
        let actor = actor.to_owned();
        self.write(move |tx| {
            let c = vigil_store::write::commit_event(
                tx,
                &actor,
                &format!("route:{id}"),
                EventBody::RouteSet(RouteSet { route }),
                now,
            )?;
            vigil_store::write::commit_event(
                tx,
                &actor,
                &format!("route:{id}"),
                EventBody::ScheduleSet(ScheduleSet { schedule }),
                now,
            )?;
            vigil_store::write::append_audit(tx, &audit.for_event(&c)).map(|_| ())
        })?;
        Ok(id)
    }
}

// ---------------------------------------------------------------------------------------------
// The log

/// One line of the patrol log as the review's table shows it.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct LogLine {
    pub id: Id,
    #[ts(type = "number")]
    pub seq: i64,
    #[ts(type = "number")]
    pub judged_at: i64,
    #[ts(type = "number")]
    pub device_time: i64,
    #[ts(type = "number")]
    pub received: i64,
    pub guard: String,
    pub guard_name: Option<String>,
    pub tag: String,
    pub checkpoint: Option<String>,
    pub source: Source,
    pub method: Method,
    pub clock: Option<String>,
    pub reason: Option<String>,
    pub actor: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, ts_rs::TS)]
pub struct LogFilter {
    #[ts(type = "number | null")]
    pub from: Option<i64>,
    #[ts(type = "number | null")]
    pub to: Option<i64>,
    pub guard: Option<String>,
    pub route: Option<Id>,
    pub building: Option<Id>,
    /// `[judged_at, seq]` of the last line of the page before.
    #[ts(type = "[number, number] | null")]
    pub before: Option<(i64, i64)>,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct LogPage {
    pub lines: Vec<LogLine>,
    #[ts(type = "[number, number] | null")]
    pub next: Option<(i64, i64)>,
}

impl Workstation {
    /// One page of the patrol log, newest first, filtered in SQL and paged by a cursor.
    pub fn patrol_log(&self, who: SessionToken, filter: LogFilter, limit: u32) -> Result<LogPage, ApiError> {
        self.actor(who, Need::Operator)?;
        self.patrol_log_page(&filter, limit)
    }

    pub fn patrol_log_page(&self, filter: &LogFilter, limit: u32) -> Result<LogPage, ApiError> {
        let store = self.store();
        let site = PatrolSite::load(&store)?;
        let tags: Option<Vec<String>> = match (filter.route, filter.building) {
            (None, None) => None,
            (route, building) => Some(
                site.checkpoints
                    .values()
                    .filter(|c| building.is_none_or(|b| c.building == b))
                    .filter(|c| {
                        route.is_none_or(|r| {
                            site.defs.get(&r).is_some_and(|d| d.legs.iter().any(|l| l.checkpoint == c.id))
                        })
                    })
                    .map(|c| c.tag.clone())
                    .collect(),
            ),
        };
        let limit = limit.clamp(1, 500);
        let rows = store.check_in_page(
            &CheckInFilter {
                from: filter.from,
                to: filter.to,
                guard: filter.guard.clone(),
                tags,
                before: filter.before,
            },
            limit,
        )?;
        let next = (rows.len() as u32 == limit).then(|| rows.last().map(|r| (r.judged_at, r.seq))).flatten();
        let lines = rows
            .into_iter()
            .map(|r| {
                let cp = site.by_tag.get(&normalize_tag(&r.record.tag)).and_then(|id| site.checkpoints.get(id));
                LogLine {
                    id: r.record.check_in,
                    seq: r.seq,
                    judged_at: r.judged_at,
                    device_time: r.record.device_time,
                    received: r.record.received,
                    guard_name: site.guards.get(&r.record.guard).cloned(),
                    guard: r.record.guard,
                    tag: r.record.tag,
                    checkpoint: cp.map(|c| format!("{} {}", c.code, c.name_zh)),
                    source: r.record.source,
                    method: r.record.method,
                    clock: r.clock,
                    reason: r.record.reason,
                    actor: r.actor,
                }
            })
            .collect();
        Ok(LogPage { lines, next })
    }
}

/// The kind of a shift as a report names it.
pub fn shift_label(shift: &Shift, zh: bool) -> String {
    let kind = match (shift.kind, zh) {
        (ShiftKind::Day, true) => "白班",
        (ShiftKind::Day, false) => "day shift",
        (ShiftKind::Night, true) => "夜班",
        (ShiftKind::Night, false) => "night shift",
    };
    format!("{} {kind}", shift.date)
}

#[cfg(test)]
#[path = "patrol_tests.rs"]
mod tests;
