//! Settling rounds: once a round's window has passed, its result is stored (see
//! `vigil_store::settled`) so a month's compliance sums rows. A check-in stored afterwards — a
//! wand file, a queued handheld — unsettles every round it can belong to before anything reads
//! them, and they are judged again from all their check-ins: the figures are always what
//! [`vigil_domain::patrol::evaluate`] gives.

use std::collections::{BTreeMap, HashMap, HashSet};

use vigil_domain::patrol::{evaluate, normalize_tag, Outcome, Round, Suspicion};
use vigil_domain::Id;
use vigil_store::{Counts, SettledRound, Store};

use crate::patrol::PatrolSite;
use crate::{ApiError, Workstation};

const DAY_MS: i64 = 86_400_000;

fn add(c: &mut Counts, o: Outcome) {
    c.expected += 1;
    match o {
        Outcome::OnTime => c.on_time += 1,
        Outcome::Early => c.early += 1,
        Outcome::Late => c.late += 1,
        Outcome::Missed => c.missed += 1,
        Outcome::OutOfOrder => c.out_of_order += 1,
    }
}

pub(crate) fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::OnTime => "on_time",
        Outcome::Early => "early",
        Outcome::Late => "late",
        Outcome::Missed => "missed",
        Outcome::OutOfOrder => "out_of_order",
    }
}

/// Flags as the log and the reports name them: `too_fast burst`.
pub(crate) fn flag_names(flags: &[vigil_domain::patrol::Flag]) -> String {
    flags
        .iter()
        .filter_map(|f| serde_json::to_value(f).ok().and_then(|v| v.as_str().map(str::to_owned)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The results of `rounds`, judged from the check-ins that can belong to them.
pub(crate) fn judge_rounds(
    ws: &Workstation,
    store: &Store,
    site: &PatrolSite,
    rounds: &[Round],
) -> Result<Vec<SettledRound>, ApiError> {
    let (Some(first), Some(last)) = (rounds.iter().map(|r| r.start).min(), rounds.iter().map(|r| r.start).max()) else {
        return Ok(Vec::new());
    };
    let p = &ws.settings().patrol;
    let windows = p.windows();
    let tz = p.zone();
    let longest = site.longest_ms(ws);
    // The neighbouring rounds (settled or not) are judged with them, so a check-in one of them
    // takes is not counted again here: the result is what a whole-range evaluation gives.
    let context = crate::patrol::context_ms(ws, site);
    let all = vigil_domain::schedule::rounds(&site.schedules, &tz, first - context, last + context);
    let rows = store
        .check_ins_between(first - context - windows.tolerance_ms, last + context + longest + windows.tolerance_ms)?;
    let guards: HashMap<Id, String> = rows.iter().map(|r| (r.record.check_in, r.record.guard.clone())).collect();
    let domain: Vec<_> = rows.iter().map(|r| vigil_store::as_check_in(&r.record)).collect();
    let eval = evaluate(&site.routes, &all, &domain, windows, Suspicion::default());
    let by_id: HashMap<Id, &Round> = rounds.iter().map(|r| (r.id, r)).collect();
    let mut out = Vec::with_capacity(eval.rounds.len());
    for result in eval.rounds {
        let Some(round) = by_id.get(&result.round) else { continue };
        let mut counts = Counts::default();
        let mut per_guard: BTreeMap<String, Counts> = BTreeMap::new();
        let mut outcomes = Vec::new();
        for c in &result.checkpoints {
            add(&mut counts, c.outcome);
            let guard = c.check_in.and_then(|(id, _)| guards.get(&id).cloned()).unwrap_or_default();
            add(per_guard.entry(guard).or_default(), c.outcome);
            if let Some((id, _)) = c.check_in {
                let flags = eval.flags.get(&id).map(|f| flag_names(f)).unwrap_or_default();
                outcomes.push((id, outcome_name(c.outcome).to_owned(), flags));
            }
        }
        let day = tz.to_datetime(jiff::Timestamp::from_millisecond(round.start).unwrap_or_default()).date().to_string();
        out.push(SettledRound {
            round: round.id,
            route: round.route,
            start: round.start,
            day,
            counts,
            guards: per_guard.into_iter().collect(),
            outcomes,
        });
    }
    Ok(out)
}

/// The rounds `fresh` check-ins can change: those they can match, and through what those take
/// (and the duplicates and bursts around them) their neighbours, with a margin.
pub(crate) fn stale_rounds(ws: &Workstation, site: &PatrolSite, fresh: &[vigil_store::CheckInRow]) -> HashSet<Id> {
    let p = &ws.settings().patrol;
    let windows = p.windows();
    let tz = p.zone();
    let longest = site.longest_ms(ws);
    let reach = 3 * windows.tolerance_ms + Suspicion::default().burst_ms;
    let mut spans: HashMap<Id, Vec<(i64, i64)>> = HashMap::new();
    for row in fresh {
        let tag = normalize_tag(&row.record.tag);
        for route in site.routes_of_tag.get(&tag).into_iter().flatten() {
            spans.entry(*route).or_default().push((row.judged_at - reach - longest, row.judged_at + reach + 1));
        }
    }
    let mut stale: HashSet<Id> = HashSet::new();
    for (route, list) in spans {
        let schedules: Vec<_> = site.schedules.iter().filter(|s| s.route == route).cloned().collect();
        // Merge the spans by day so a 100,000-row import expands each day once.
        let mut days: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        for (a, b) in list {
            let e = days.entry(a.div_euclid(DAY_MS)).or_insert((a, b));
            *e = (e.0.min(a), e.1.max(b));
        }
        for (a, b) in days.into_values() {
            stale.extend(vigil_domain::schedule::rounds(&schedules, &tz, a, b).into_iter().map(|r| r.id));
        }
    }
    stale
}

/// The settled rounds of `[from, to)` that hold now, and whether any settled one was left out: on
/// a handle that only reads (and so cannot unsettle), those the check-ins stored after the
/// watermark can change are left out, to be judged live.
pub(crate) fn trusted_settled(
    ws: &Workstation,
    store: &Store,
    site: &PatrolSite,
    from: i64,
    to: i64,
) -> Result<(HashSet<Id>, bool), ApiError> {
    let mut settled = store.settled_rounds(from, to)?;
    let mut left_out = false;
    if !settled.is_empty() {
        let fresh = store.check_ins_since(store.settled_seq()?, u32::MAX)?;
        if !fresh.is_empty() {
            for id in stale_rounds(ws, site, &fresh) {
                left_out |= settled.remove(&id);
            }
        }
    }
    Ok((settled, left_out))
}

impl Workstation {
    /// Settles every round starting in `[from, to)` whose window has passed by `now` and is not
    /// settled yet, after unsettling those a check-in stored since can change. Returns how many
    /// rounds were settled now. A read-only handle settles nothing (its caller judges live).
    pub fn settle_rounds(&self, from: i64, to: i64, now: i64) -> Result<usize, ApiError> {
        if self.writer().is_err() {
            return Ok(0);
        }
        let (site, watermark, fresh) = {
            let store = self.store();
            let site = PatrolSite::load(&store)?;
            let watermark = store.settled_seq()?;
            if !store.any_settled()? {
                // Nothing settled yet: nothing to unsettle; the watermark moves to now.
                let last = store.last_check_in_seq()?;
                drop(store);
                self.write(move |tx| vigil_store::write::set_settled_seq(tx, last))?;
                (site, last, Vec::new())
            } else {
                let fresh = store.check_ins_since(watermark, u32::MAX)?;
                (site, watermark, fresh)
            }
        };
        // 1. Rounds a check-in stored since the watermark can belong to are settled no longer.
        if let Some(last) = fresh.last().map(|r| r.seq).filter(|s| *s > watermark) {
            let stale: Vec<Id> = stale_rounds(self, &site, &fresh).into_iter().collect();
            self.write(move |tx| {
                vigil_store::write::unsettle(tx, &stale)?;
                vigil_store::write::set_settled_seq(tx, last)
            })?;
        }
        // 2. Rounds whose window has passed and that are not settled: judged and stored, a day at
        // a time (the check-ins of a day are what its rounds can match).
        let settled = self.store().settled_rounds(from, to)?;
        let due = site.passed_unsettled(self, from, to, now, &settled);
        let mut by_day: BTreeMap<i64, Vec<Round>> = BTreeMap::new();
        for r in due {
            by_day.entry(r.start.div_euclid(DAY_MS)).or_default().push(r);
        }
        let mut n = 0;
        for rounds in by_day.into_values() {
            let results = judge_rounds(self, &self.store(), &site, &rounds)?;
            n += results.len();
            self.write(move |tx| vigil_store::write::put_settled(tx, &results))?;
        }
        Ok(n)
    }
}

impl Workstation {
    /// The last `days` local days up to today, as the review's range view shows them: compliance
    /// by day, guard and route, and the incidents' response times (a supervisor's login).
    pub fn patrol_summary(&self, who: crate::SessionToken, days: u32) -> Result<crate::patrol::ShiftReview, ApiError> {
        self.actor(who, crate::Need::Supervisor)?;
        let tz = self.settings().patrol.zone();
        let now = Store::now_ms();
        let day =
            |ms: i64| tz.to_datetime(jiff::Timestamp::from_millisecond(ms).unwrap_or_default()).date().to_string();
        let range = self.report_range(&day(now - i64::from(days.clamp(1, 92) - 1) * DAY_MS), Some(&day(now)))?;
        self.review_settled(vigil_domain::schedule::Shift {
            key: range.label.clone(),
            date: range.label.clone(),
            kind: vigil_domain::schedule::ShiftKind::Day,
            start: range.from,
            end: range.to,
        })
    }

    /// A range's compliance from settled rounds (settled first, where this handle writes) and,
    /// for the rounds not settled, a live judgement: the figures of a month without judging every
    /// check-in of it again.
    pub(crate) fn review_settled(
        &self,
        shift: vigil_domain::schedule::Shift,
    ) -> Result<crate::patrol::ShiftReview, ApiError> {
        use crate::patrol::{Compliance, ShiftReview};
        let now = Store::now_ms();
        self.settle_rounds(shift.start, shift.end, now)?;
        let store = self.store();
        let site = PatrolSite::load(&store)?;
        let p = &self.settings().patrol;
        let mut by_route: BTreeMap<Id, Counts> = BTreeMap::new();
        let mut by_day: BTreeMap<String, Counts> = BTreeMap::new();
        let mut by_guard: BTreeMap<String, Counts> = BTreeMap::new();
        let merge = |into: &mut Counts, c: &Counts| {
            into.expected += c.expected;
            into.on_time += c.on_time;
            into.early += c.early;
            into.late += c.late;
            into.missed += c.missed;
            into.out_of_order += c.out_of_order;
        };
        // Settled rows that a check-in stored since may have changed are not trusted (only a handle
        // that reads can meet them: a writing one unsettled them above); then the range is judged
        // whole, live.
        let (mut settled, left_out) = trusted_settled(self, &store, &site, shift.start, shift.end)?;
        if !left_out {
            for (route, day, c) in store.settled_by_route_day(shift.start, shift.end)? {
                merge(by_route.entry(route).or_default(), &c);
                merge(by_day.entry(day).or_default(), &c);
            }
            for (guard, c) in store.settled_by_guard(shift.start, shift.end)? {
                merge(by_guard.entry(guard).or_default(), &c);
            }
        } else {
            settled.clear();
        }
        // Rounds not settled whose window has passed (a handle that only reads settles nothing);
        // one still being walked or still to come counts for nothing yet.
        let open = site.passed_unsettled(self, shift.start, shift.end, now, &settled);
        for r in judge_rounds(self, &store, &site, &open)? {
            merge(by_route.entry(r.route).or_default(), &r.counts);
            merge(by_day.entry(r.day.clone()).or_default(), &r.counts);
            for (g, c) in &r.guards {
                merge(by_guard.entry(g.clone()).or_default(), c);
            }
        }
        let line = |label: String, sub: String, c: &Counts| Compliance {
            label,
            sub,
            expected: c.expected,
            on_time: c.on_time,
            early: c.early,
            late: c.late + c.out_of_order,
            missed: c.missed,
        };
        let mut totals = Counts::default();
        for c in by_route.values() {
            merge(&mut totals, c);
        }
        let sign_offs = store
            .sign_offs(&shift.key)?
            .into_iter()
            .map(|s| crate::patrol::SignOffView { by: s.by, at: s.at, digest: s.signed.digest })
            .collect();
        Ok(ShiftReview {
            time_zone: p.time_zone.clone(),
            totals: line(shift.key.clone(), String::new(), &totals),
            check_ins: store.check_in_count_between(shift.start, shift.end)? as u32,
            by_guard: by_guard
                .iter()
                .map(|(g, c)| {
                    let name = if g.is_empty() {
                        "未打卡 (no check-in)".to_owned()
                    } else {
                        site.guards.get(g).cloned().unwrap_or_else(|| g.clone())
                    };
                    line(name, g.clone(), c)
                })
                .collect(),
            by_route: {
                // By name, as the live review lists them.
                let mut routes: Vec<Compliance> =
                    by_route.iter().map(|(r, c)| line(site.route_name(*r), String::new(), c)).collect();
                routes.sort_by(|a, b| a.label.cmp(&b.label));
                routes
            },
            by_day: by_day.iter().map(|(d, c)| line(d.clone(), String::new(), c)).collect(),
            exceptions: Vec::new(),
            unexplained: 0,
            sign_offs,
            changed_since_sign_off: false,
            digest: String::new(),
            incidents: self.incident_responses(&store, shift.start, shift.end)?,
            target_seconds: 300,
            needing_review: self.needing_review(&store)?,
            shift,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::patrol::{Compliance, ShiftReview};
    use crate::workstation::tests::demo_walking;
    use vigil_domain::Id;
    use vigil_store::Store;

    type Figures = (Vec<(String, u32, u32, u32, u32)>, Vec<(String, u32, u32)>);

    fn figures(r: &ShiftReview) -> Figures {
        let f = |c: &Compliance| (c.label.clone(), c.expected, c.on_time, c.late, c.missed);
        let mut by = vec![f(&r.totals)];
        by.extend(r.by_route.iter().map(f));
        by.extend(r.by_day.iter().map(f));
        (by, r.by_guard.iter().map(|c| (c.sub.clone(), c.expected, c.on_time)).collect())
    }

    #[test]
    fn settled_figures_are_the_live_judgement_before_and_after_a_late_check_in() {
        let (_dir, ws) = demo_walking();
        let now = Store::now_ms();
        let shift = ws.recent_shifts(now)[2].clone();
        let live = ws.review(shift.clone(), true).expect("live");
        let settled = ws.review(shift.clone(), false).expect("settled");
        assert!(ws.with_store(|s| s.settled_rounds(shift.start, shift.end)).expect("settled").len() > 10);
        assert_eq!(figures(&settled), figures(&live));
        assert_eq!(settled.check_ins, live.check_ins);
        // A wand file read afterwards holds a scan of a checkpoint that round missed.
        let missed = live.exceptions.iter().find(|e| e.kind == crate::patrol::ExceptionKind::Missed);
        let late_scan = match missed {
            Some(e) => {
                let (_, round, checkpoint) = {
                    let mut parts = e.key.splitn(3, ':');
                    (
                        parts.next(),
                        parts.next().and_then(|r| Id::parse_str(r).ok()),
                        parts.next().and_then(|c| Id::parse_str(c).ok()),
                    )
                };
                let tag = ws
                    .store()
                    .checkpoints()
                    .expect("cps")
                    .into_iter()
                    .find(|c| Some(c.id) == checkpoint)
                    .expect("cp")
                    .tag;
                let _ = round;
                (tag, e.at + 120_000)
            }
            None => {
                // No checkpoint missed in that shift: a scan of any checkpoint at its start.
                let tag = ws.store().checkpoints().expect("cps")[0].tag.clone();
                (tag, shift.start + 60_000)
            }
        };
        let body = serde_json::json!({ "id": Id::now_v7(), "tag": late_scan.0, "guard": "G0042", "device": "wand",
                                       "time": jiff::Timestamp::from_millisecond(late_scan.1).expect("ms").to_string() });
        let items = crate::patrol::parse_check_ins(&body, now).expect("read");
        ws.record_check_ins("handheld", items).expect("stored").expect("no conflict");
        let live = ws.review(shift.clone(), true).expect("live");
        // A handle that only reads (vigil export) cannot unsettle: it does not trust the rows the
        // late scan can change, and judges them live.
        let reader = crate::Workstation::open_for_reading(ws.dir()).expect("reader");
        assert_eq!(figures(&reader.review(shift.clone(), false).expect("read-only")), figures(&live));
        let settled = ws.review(shift, false).expect("settled");
        assert_eq!(figures(&settled), figures(&live), "the late scan unsettled its round");
        assert_eq!(settled.check_ins, live.check_ins);
    }
}
