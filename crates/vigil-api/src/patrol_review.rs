//! A supervisor's review of a shift or a range: compliance per guard, route and day, every
//! exception with its explanation, the shift's incidents against the 5-minute target, and the
//! sign-off with the digest of what was signed.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use vigil_domain::event::{EventBody, ExceptionExplained, ShiftSignedOff};
use vigil_domain::patrol::{normalize_tag, Flag, Outcome, Source};
use vigil_domain::schedule::{rounds, Shift};
use vigil_domain::Id;
use vigil_store::{CheckInRow, Store};

use crate::patrol::{judge, PatrolSite};
use crate::session::{Need, SessionToken};
use crate::{ApiError, ErrorCode, Workstation};

/// What kind of exception a supervisor must explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    Missed,
    Late,
    Early,
    OutOfOrder,
    Suspicious,
    Manual,
    UnknownTag,
    UnknownGuard,
}

impl ExceptionKind {
    pub fn label(self, zh: bool) -> &'static str {
        match (self, zh) {
            (ExceptionKind::Missed, true) => "漏检",
            (ExceptionKind::Missed, false) => "missed",
            (ExceptionKind::Late, true) => "迟到",
            (ExceptionKind::Late, false) => "late",
            (ExceptionKind::Early, true) => "早到",
            (ExceptionKind::Early, false) => "early",
            (ExceptionKind::OutOfOrder, true) => "顺序错误",
            (ExceptionKind::OutOfOrder, false) => "out of order",
            (ExceptionKind::Suspicious, true) => "可疑",
            (ExceptionKind::Suspicious, false) => "suspicious",
            (ExceptionKind::Manual, true) => "人工录入",
            (ExceptionKind::Manual, false) => "manual",
            (ExceptionKind::UnknownTag, true) => "未知标签",
            (ExceptionKind::UnknownTag, false) => "unknown tag",
            (ExceptionKind::UnknownGuard, true) => "未知人员",
            (ExceptionKind::UnknownGuard, false) => "unknown guard",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct PatrolException {
    /// What an explanation names: `missed:<round>:<checkpoint>`, `check_in:<id>` ….
    pub key: String,
    pub kind: ExceptionKind,
    #[ts(type = "number")]
    pub at: i64,
    pub route: Option<String>,
    pub checkpoint: Option<String>,
    pub guard: Option<String>,
    pub detail: String,
    pub flags: Vec<Flag>,
    pub explanation: Option<String>,
    pub explained_by: Option<String>,
    /// The incident a missed round opened (its explanation is its closing note).
    pub incident: Option<Id>,
}

#[derive(Debug, Clone, Default, serde::Serialize, ts_rs::TS)]
pub struct Compliance {
    pub label: String,
    pub sub: String,
    pub expected: u32,
    pub on_time: u32,
    pub early: u32,
    pub late: u32,
    pub missed: u32,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct SignOffView {
    pub by: String,
    #[ts(type = "number")]
    pub at: i64,
    pub digest: String,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct IncidentResponse {
    pub incident: Id,
    pub point: String,
    pub alarm_type: String,
    pub priority: u8,
    #[ts(type = "number")]
    pub opened_at: i64,
    pub acknowledged_by: Option<String>,
    #[ts(type = "number | null")]
    pub ack_seconds: Option<i64>,
    #[ts(type = "number | null")]
    pub on_scene_seconds: Option<i64>,
    pub closed_by: Option<String>,
    pub category: Option<String>,
    pub note: Option<String>,
}

/// An incident with a marked line — a second close, an action that reached it after its close, one
/// its state did not allow — kept as it came and listed for the supervisor until looked at.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct ReviewItem {
    #[ts(type = "string")]
    pub incident: Id,
    /// The point's code (or the sender's key for an unmapped one).
    pub point: String,
    pub alarm_type: String,
    pub priority: u8,
    pub state: vigil_domain::incident::IncidentState,
    #[ts(type = "number")]
    pub opened_at: i64,
    /// Each marked line: why it is kept without acting, who did it and when.
    pub marks: Vec<MarkedLine>,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct MarkedLine {
    pub mark: vigil_domain::incident::Mark,
    pub by: Option<String>,
    #[ts(type = "number")]
    pub at: i64,
}

/// A shift (or range) as the supervisor reviews it.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct ShiftReview {
    pub shift: Shift,
    /// The site's zone, in which every time of the review is shown.
    pub time_zone: String,
    pub totals: Compliance,
    pub check_ins: u32,
    pub by_guard: Vec<Compliance>,
    pub by_route: Vec<Compliance>,
    pub by_day: Vec<Compliance>,
    pub exceptions: Vec<PatrolException>,
    pub unexplained: u32,
    pub sign_offs: Vec<SignOffView>,
    /// Signed, and something arrived or was explained since.
    pub changed_since_sign_off: bool,
    /// The digest of what the shift holds now (what a sign-off signs).
    pub digest: String,
    pub incidents: Vec<IncidentResponse>,
    pub target_seconds: u32,
    /// Every incident needing review, of any shift, the latest first (at most 200).
    pub needing_review: Vec<ReviewItem>,
}

fn bump(c: &mut Compliance, o: Outcome) {
    c.expected += 1;
    match o {
        Outcome::OnTime => c.on_time += 1,
        Outcome::Early => c.early += 1,
        // Touched, but not in the route's order: not on time, not missed either.
        Outcome::Late | Outcome::OutOfOrder => c.late += 1,
        Outcome::Missed => c.missed += 1,
    }
}

impl Workstation {
    pub fn shift_of(&self, at: i64) -> Shift {
        let p = &self.settings().patrol;
        p.shifts().shift_at(&p.zone(), at)
    }

    pub fn parse_shift(&self, key: &str) -> Result<Shift, ApiError> {
        let p = &self.settings().patrol;
        p.shifts()
            .parse_key(&p.zone(), key)
            .ok_or_else(|| ApiError::field(ErrorCode::Invalid, "shift", "a shift is named like 2026-11-30/night"))
    }

    /// A shift's review (a supervisor's login).
    pub fn shift_review(&self, who: SessionToken, shift: &str) -> Result<ShiftReview, ApiError> {
        self.actor(who, Need::Supervisor)?;
        let shift = self.parse_shift(shift)?;
        self.review(shift, true)
    }

    /// The review of any range (a shift, or a month for a report); `with_exceptions` lists them.
    pub fn review(&self, shift: Shift, with_exceptions: bool) -> Result<ShiftReview, ApiError> {
        if !with_exceptions {
            // Figures only (a month's report, the shifts of a range): from settled rounds.
            return self.review_settled(shift);
        }
        let store = self.store();
        let site = PatrolSite::load(&store)?;
        let p = &self.settings().patrol;
        let tz = p.zone();
        let j = judge(self, &store, &site, shift.start, shift.end)?;
        let mut totals = Compliance { label: shift.key.clone(), ..Compliance::default() };
        let mut by_guard: BTreeMap<String, Compliance> = BTreeMap::new();
        let mut by_route: BTreeMap<String, Compliance> = BTreeMap::new();
        let mut by_day: BTreeMap<String, Compliance> = BTreeMap::new();
        // Only rounds whose window has passed count: one still being walked, or still to come, is
        // neither on time nor missed yet.
        let now = Store::now_ms();
        let windows = p.windows();
        let starts: HashMap<Id, (i64, Id)> =
            j.rounds.iter().filter(|r| site.has_passed(r, windows, now)).map(|r| (r.id, (r.start, r.route))).collect();
        let explanations: HashMap<String, vigil_domain::fold::Remark> =
            store.remarks("explanation", None)?.into_iter().map(|r| (r.about.clone(), r)).collect();
        let misses: HashMap<Id, Id> =
            store.round_misses(shift.start, shift.end)?.into_iter().map(|(r, m)| (r, m.incident)).collect();
        let mut exceptions = Vec::new();
        let cp_name = |id: Id| site.checkpoints.get(&id).map(|c| format!("{} {}", c.code, c.name_zh));
        for r in &j.eval.rounds {
            let Some((start, route)) = starts.get(&r.round).copied() else { continue };
            let day = tz.to_datetime(jiff::Timestamp::from_millisecond(start).unwrap_or_default()).date().to_string();
            let route_name = site.route_name(route);
            for c in &r.checkpoints {
                bump(&mut totals, c.outcome);
                bump(
                    by_route
                        .entry(route_name.clone())
                        .or_insert_with(|| Compliance { label: route_name.clone(), ..Default::default() }),
                    c.outcome,
                );
                bump(
                    by_day
                        .entry(day.clone())
                        .or_insert_with(|| Compliance { label: day.clone(), ..Default::default() }),
                    c.outcome,
                );
                let row = c.check_in.and_then(|(id, _)| j.check_ins.get(&id));
                // A checkpoint nobody touched has no guard: it is counted apart.
                let guard = row.map_or_else(String::new, |r| r.record.guard.clone());
                let name = if guard.is_empty() {
                    "未打卡 (no check-in)".to_owned()
                } else {
                    site.guards.get(&guard).cloned().unwrap_or_else(|| guard.clone())
                };
                bump(
                    by_guard.entry(guard.clone()).or_insert_with(|| Compliance {
                        label: name,
                        sub: guard.clone(),
                        ..Default::default()
                    }),
                    c.outcome,
                );
                let kind = match c.outcome {
                    Outcome::OnTime => continue,
                    Outcome::Missed => ExceptionKind::Missed,
                    Outcome::Late => ExceptionKind::Late,
                    Outcome::Early => ExceptionKind::Early,
                    Outcome::OutOfOrder => ExceptionKind::OutOfOrder,
                };
                if !with_exceptions {
                    continue;
                }
                let key = format!(
                    "{}:{}:{}",
                    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
                    r.round,
                    c.checkpoint
                );
                let incident = if kind == ExceptionKind::Missed { misses.get(&r.round).copied() } else { None };
                let incident_note = incident
                    .and_then(|i| store.incident(i).ok().flatten())
                    .and_then(|s| vigil_domain::incident::explanation(&s.incident).map(str::to_owned));
                let ex = explanations.get(&key);
                exceptions.push(PatrolException {
                    key,
                    kind,
                    at: c.check_in.map_or(c.expected, |(_, at)| at),
                    route: Some(route_name.clone()),
                    checkpoint: cp_name(c.checkpoint),
                    guard: row.map(|r| r.record.guard.clone()),
                    detail: format!("expected {}", local_hm(&tz, c.expected)),
                    flags: Vec::new(),
                    explanation: ex.map(|e| e.text.clone()).or(incident_note.clone()),
                    explained_by: ex.map(|e| e.by.clone()).or(incident_note.map(|_| "(incident)".to_owned())),
                    incident,
                });
            }
        }
        // Check-ins of the shift itself: flagged, manual, unknown.
        let mut check_ins = 0u32;
        let unknown: std::collections::HashSet<Id> = j.eval.unknown_tags.iter().copied().collect();
        let mut shift_rows: Vec<&CheckInRow> =
            j.check_ins.values().filter(|r| (shift.start..shift.end).contains(&r.judged_at)).collect();
        shift_rows.sort_by_key(|r| (r.judged_at, r.seq));
        let mut digest = Sha256::new();
        for row in &shift_rows {
            check_ins += 1;
            digest.update(row.record.check_in.as_bytes());
            if !with_exceptions {
                continue;
            }
            let flags = j.eval.flags.get(&row.record.check_in).cloned().unwrap_or_default();
            let mut kinds = Vec::new();
            if unknown.contains(&row.record.check_in) {
                kinds.push(ExceptionKind::UnknownTag);
            }
            if !site.guards.contains_key(&row.record.guard) {
                kinds.push(ExceptionKind::UnknownGuard);
            }
            // Typed in by hand first: what the supervisor must see of it before anything else.
            if row.record.source == Source::Manual {
                kinds.push(ExceptionKind::Manual);
            }
            if flags.iter().any(|f| matches!(f, Flag::TooFast | Flag::Burst | Flag::ClockAhead | Flag::ClockBehind)) {
                kinds.push(ExceptionKind::Suspicious);
            }
            let Some(kind) = kinds.first().copied() else { continue };
            let key = format!("check_in:{}", row.record.check_in);
            let ex = explanations.get(&key);
            let cp = site.by_tag.get(&normalize_tag(&row.record.tag)).copied();
            exceptions.push(PatrolException {
                key,
                kind,
                at: row.judged_at,
                route: None,
                checkpoint: cp.and_then(cp_name).or_else(|| Some(row.record.tag.clone())),
                guard: Some(row.record.guard.clone()),
                detail: match (&row.record.reason, &row.clock) {
                    (Some(reason), _) => format!("{} ({})", reason, row.actor),
                    (None, Some(clock)) => format!("device clock {clock}: {}", local_hm(&tz, row.record.device_time)),
                    _ => kinds.iter().map(|k| k.label(false)).collect::<Vec<_>>().join(", "),
                },
                flags,
                explanation: ex.map(|e| e.text.clone()),
                explained_by: ex.map(|e| e.by.clone()),
                incident: None,
            });
        }
        exceptions.sort_by_key(|e| (e.at, e.key.clone()));
        // Every exception, explained or not: one that appears later changes what was signed.
        for e in &exceptions {
            digest.update(e.key.as_bytes());
            digest.update([0]);
            if let Some(x) = &e.explanation {
                digest.update(x.as_bytes());
            }
            digest.update([0]);
        }
        let digest: String = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let sign_offs: Vec<SignOffView> = store
            .sign_offs(&shift.key)?
            .into_iter()
            .map(|s| {
                // Shown and printed with the person's name: "李强 (demo-supervisor)".
                let by = match store.account(&s.by).ok().flatten() {
                    Some(a) if a.full_name != s.by => format!("{} ({})", a.full_name, s.by),
                    _ => s.by,
                };
                SignOffView { by, at: s.at, digest: s.signed.digest }
            })
            .collect();
        let changed_since_sign_off = sign_offs.last().is_some_and(|s| s.digest != digest);
        let incidents =
            if with_exceptions { self.incident_responses(&store, shift.start, shift.end)? } else { Vec::new() };
        Ok(ShiftReview {
            time_zone: p.time_zone.clone(),
            unexplained: exceptions.iter().filter(|e| e.explanation.is_none()).count() as u32,
            shift,
            totals,
            check_ins,
            by_guard: by_guard.into_values().collect(),
            by_route: by_route.into_values().collect(),
            by_day: by_day.into_values().collect(),
            exceptions,
            sign_offs,
            changed_since_sign_off,
            digest,
            incidents,
            target_seconds: 300,
            needing_review: self.needing_review(&store)?,
        })
    }

    /// The incidents needing a supervisor's review, the latest first.
    pub(crate) fn needing_review(&self, store: &Store) -> Result<Vec<ReviewItem>, ApiError> {
        let places = crate::incident_view::Places::new(store);
        Ok(store
            .incidents(vigil_store::IncidentFilter::NeedingReview, 200)?
            .into_iter()
            .map(|s| {
                let i = s.incident;
                ReviewItem {
                    incident: i.id,
                    point: places.point(s.device_id).map_or_else(|| i.point.clone(), |p| p.code),
                    alarm_type: i.alarm_type.clone(),
                    priority: i.priority.level(),
                    state: i.state,
                    opened_at: i.opened_at,
                    marks: i
                        .timeline
                        .iter()
                        .filter_map(|e| e.mark.map(|mark| MarkedLine { mark, by: e.by.clone(), at: e.at }))
                        .collect(),
                }
            })
            .collect())
    }

    pub(crate) fn incident_responses(
        &self,
        store: &Store,
        from: i64,
        to: i64,
    ) -> Result<Vec<IncidentResponse>, ApiError> {
        use vigil_domain::incident::{Action, EntryKind};
        let mut out = Vec::new();
        for s in store.incidents_opened(from, to)? {
            let i = &s.incident;
            let by = |want: fn(&Action) -> bool| {
                i.timeline.iter().find_map(|e| match &e.what {
                    EntryKind::Acted { action } if e.mark.is_none() && want(action) => Some((e.by.clone(), e.at)),
                    _ => None,
                })
            };
            let ack = by(|a| matches!(a, Action::Acknowledge));
            let close = by(|a| matches!(a, Action::Close { .. }));
            out.push(IncidentResponse {
                incident: i.id,
                point: i.point.clone(),
                alarm_type: i.alarm_type.clone(),
                priority: i.priority.level(),
                opened_at: i.opened_at,
                acknowledged_by: ack.as_ref().and_then(|(b, _)| b.clone()),
                ack_seconds: i.acknowledged_at.map(|t| (t - i.opened_at) / 1000),
                on_scene_seconds: i.on_scene_at.map(|t| (t - i.opened_at) / 1000),
                closed_by: close.and_then(|(b, _)| b),
                category: i.category.map(|c| c.as_str().to_owned()),
                note: vigil_domain::incident::explanation(i).map(str::to_owned),
            });
        }
        Ok(out)
    }

    /// A supervisor's explanation of an exception of a shift.
    pub fn explain_exception(
        &self,
        who: SessionToken,
        shift: &str,
        key: &str,
        text: &str,
    ) -> Result<ShiftReview, ApiError> {
        let actor = self.actor(who, Need::Supervisor)?;
        let shift = self.parse_shift(shift)?;
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Err(ApiError::field(ErrorCode::Invalid, "text", "an explanation says what happened"));
        }
        let review = self.review(shift.clone(), true)?;
        if !review.exceptions.iter().any(|e| e.key == key) {
            return Err(ApiError::field(ErrorCode::NotFound, "key", "no such exception in this shift"));
        }
        let now = Store::now_ms();
        let body = EventBody::ExceptionExplained(ExceptionExplained {
            exception: key.to_owned(),
            shift: shift.key.clone(),
            text: text.clone(),
        });
        let audit =
            self.audit_as(&actor.name, "patrol.explain", key, serde_json::json!({ "shift": shift.key, "text": text }));
        self.commit_as(&actor.name, &format!("shift:{}", shift.key), body, audit, now)?;
        self.review(shift, true)
    }

    /// Signs a shift off as it stands: every exception explained first.
    pub fn sign_off_shift(&self, who: SessionToken, shift: &str) -> Result<ShiftReview, ApiError> {
        let actor = self.actor(who, Need::Supervisor)?;
        let shift = self.parse_shift(shift)?;
        let now = Store::now_ms();
        if shift.end > now {
            return Err(ApiError::field(ErrorCode::Refused, "shift", "a shift is signed off once it has ended"));
        }
        {
            // And once its last rounds are over: a round started in it may still be walked.
            let site = PatrolSite::load(&self.store())?;
            let p = &self.settings().patrol;
            let open = rounds(&site.schedules, &p.zone(), shift.start, shift.end)
                .into_iter()
                .filter(|r| site.route(r.route).is_some() && !site.has_passed(r, p.windows(), now))
                .count();
            if open > 0 {
                return Err(ApiError::field(
                    ErrorCode::Refused,
                    "shift",
                    format!("{open} round(s) of this shift are still within their window; sign off once they are over"),
                ));
            }
        }
        let review = self.review(shift.clone(), true)?;
        if review.unexplained > 0 {
            return Err(ApiError::field(
                ErrorCode::Refused,
                "exceptions",
                format!("{} exception(s) still need an explanation", review.unexplained),
            ));
        }
        let body = EventBody::ShiftSignedOff(ShiftSignedOff {
            shift: shift.key.clone(),
            digest: review.digest.clone(),
            check_ins: review.check_ins,
            expected: review.totals.expected,
            on_time: review.totals.on_time,
            exceptions: review.exceptions.len() as u32,
        });
        let audit =
            self.audit_as(&actor.name, "patrol.sign_off", &shift.key, serde_json::json!({ "digest": review.digest }));
        self.commit_as(&actor.name, &format!("shift:{}", shift.key), body, audit, now)?;
        self.review(shift, true)
    }

    /// The shift before the one running now, and the one running now (what the review opens on).
    pub fn recent_shifts(&self, now: i64) -> Vec<Shift> {
        let current = self.shift_of(now);
        let mut out = vec![current.clone()];
        let mut at = current.start - 1;
        for _ in 0..13 {
            let s = self.shift_of(at);
            at = s.start - 1;
            out.push(s);
        }
        out
    }
}

fn local_hm(tz: &jiff::tz::TimeZone, ms: i64) -> String {
    let dt = tz.to_datetime(jiff::Timestamp::from_millisecond(ms).unwrap_or_default());
    format!("{} {:02}:{:02}", dt.date(), dt.hour(), dt.minute())
}

/// A local date-time for reports and the log.
pub fn local_time(tz: &jiff::tz::TimeZone, ms: i64) -> String {
    let dt = tz.to_datetime(jiff::Timestamp::from_millisecond(ms).unwrap_or_default());
    format!("{} {:02}:{:02}:{:02}", dt.date(), dt.hour(), dt.minute(), dt.second())
}
