//! The rounds in progress, kept judged between questions: the map asks every few seconds how
//! each checkpoint stands, and at a hospital group's scale judging the whole window again each
//! time (thousands of rounds, tens of thousands of check-ins) costs hundreds of milliseconds.
//! Here the window is judged once; a check-in stored since (found by its sequence, whoever stored
//! it) re-judges only the routes its tag is on — and the routes sharing checkpoints with them —
//! with the same pure function, so the marks are exactly what a full evaluation gives.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use vigil_domain::patrol::{evaluate, normalize_tag, CheckIn, Outcome, Round, RoundResult, Suspicion};
use vigil_domain::Id;
use vigil_store::Store;

use crate::patrol::{CheckpointMark, GuardLast, PatrolSite};

/// What the map shows of patrol: each checkpoint's mark and each guard's last check-in.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct PatrolMarks {
    pub marks: Vec<(Id, CheckpointMark)>,
    pub guards: Vec<GuardLast>,
}
use crate::{ApiError, Workstation};

/// How far back and ahead of now the live window reaches.
const BACK_MS: i64 = 6 * 3_600_000;
const AHEAD_MS: i64 = 2 * 3_600_000;
/// The window is judged afresh once now is this close to either end.
const MARGIN_MS: i64 = 3_600_000;

pub(crate) struct LiveRounds {
    site: Arc<PatrolSite>,
    /// What the routes, schedules, checkpoints and guards were when this was judged (a change
    /// rebuilds it).
    stamp: [i64; 4],
    /// The check-ins taken in (a check-in read twice is taken once).
    held: HashSet<Id>,
    from: i64,
    to: i64,
    rounds: Vec<Round>,
    /// The window's check-ins by normalised tag.
    check_ins: HashMap<String, Vec<CheckIn>>,
    last_seq: i64,
    results: HashMap<Id, RoundResult>,
    /// Route → the routes it shares a checkpoint with (itself included).
    linked: HashMap<Id, BTreeSet<Id>>,
    /// Guard's badge → the time and tag of their latest check-in.
    last_of_guard: HashMap<String, (i64, String)>,
}

fn note_guard(last: &mut HashMap<String, (i64, String)>, c: &CheckIn, at: i64) {
    let e = last.entry(c.guard.clone()).or_insert((at, c.tag.clone()));
    if at >= e.0 {
        *e = (at, normalize_tag(&c.tag));
    }
}

fn site_stamp(store: &Store) -> Result<[i64; 4], ApiError> {
    Ok(store.patrol_site_stamp()?)
}

impl LiveRounds {
    fn build(ws: &Workstation, store: &Store, now: i64) -> Result<LiveRounds, ApiError> {
        let site = PatrolSite::load(store)?;
        let p = &ws.settings().patrol;
        let windows = p.windows();
        let (from, to) = (now - BACK_MS, now + AHEAD_MS);
        let rounds = vigil_domain::schedule::rounds(&site.schedules, &p.zone(), from, to);
        let longest = site.routes.iter().map(|r| r.legs.iter().map(|l| l.walk_ms).sum::<i64>()).max().unwrap_or(0);
        // The sequence first: a check-in committed while the window is read is taken in by the
        // next catch-up (and only once: `held`).
        let last_seq = store.last_check_in_seq()?;
        let rows = store.check_ins_between(from - windows.tolerance_ms, to + longest + windows.tolerance_ms)?;
        let check_ins: Vec<CheckIn> = rows.iter().map(|r| vigil_store::as_check_in(&r.record)).collect();
        let mut last_of_guard = HashMap::new();
        for (row, c) in rows.iter().zip(&check_ins) {
            if row.judged_at <= now {
                note_guard(&mut last_of_guard, c, row.judged_at);
            }
        }
        let mut by_tag: HashMap<String, Vec<CheckIn>> = HashMap::new();
        for c in &check_ins {
            by_tag.entry(normalize_tag(&c.tag)).or_default().push(c.clone());
        }
        let routes_of_tag = &site.routes_of_tag;
        // Routes linked through shared checkpoints, transitively.
        let mut linked: HashMap<Id, BTreeSet<Id>> = HashMap::new();
        for r in &site.routes {
            let mut group: BTreeSet<Id> = BTreeSet::from([r.id]);
            let mut todo = vec![r.id];
            while let Some(id) = todo.pop() {
                let Some(route) = site.routes.iter().find(|x| x.id == id) else { continue };
                for l in &route.legs {
                    for other in routes_of_tag.get(&l.tag).into_iter().flatten() {
                        if group.insert(*other) {
                            todo.push(*other);
                        }
                    }
                }
            }
            linked.insert(r.id, group);
        }
        let eval = evaluate(&site.routes, &rounds, &check_ins, windows, Suspicion::default());
        let results = eval.rounds.into_iter().map(|r| (r.round, r)).collect();
        Ok(LiveRounds {
            stamp: site_stamp(store)?,
            site,
            from,
            to,
            rounds,
            check_ins: by_tag,
            last_seq,
            results,
            linked,
            last_of_guard,
            held: rows.iter().map(|r| r.record.check_in).collect(),
        })
    }

    /// Takes in the check-ins stored since it was judged, re-judging the routes they touch.
    fn catch_up(&mut self, ws: &Workstation, store: &Store) -> Result<(), ApiError> {
        let fresh = store.check_ins_since(self.last_seq, 100_000)?;
        let Some(last) = fresh.last() else { return Ok(()) };
        self.last_seq = last.seq;
        let mut touched: HashSet<Id> = HashSet::new();
        for row in &fresh {
            if !self.held.insert(row.record.check_in) {
                continue;
            }
            let c = vigil_store::as_check_in(&row.record);
            note_guard(&mut self.last_of_guard, &c, row.judged_at);
            let tag = normalize_tag(&c.tag);
            for route in self.site.routes_of_tag.get(&tag).into_iter().flatten() {
                touched.extend(self.linked.get(route).into_iter().flatten().copied());
            }
            self.check_ins.entry(tag).or_default().push(c);
        }
        if touched.is_empty() {
            return Ok(());
        }
        let routes: Vec<_> = self.site.routes.iter().filter(|r| touched.contains(&r.id)).cloned().collect();
        let tags: HashSet<&str> = routes.iter().flat_map(|r| r.legs.iter().map(|l| l.tag.as_str())).collect();
        let rounds: Vec<Round> = self.rounds.iter().filter(|r| touched.contains(&r.route)).cloned().collect();
        let check_ins: Vec<CheckIn> =
            tags.iter().flat_map(|t| self.check_ins.get(*t).into_iter().flatten()).cloned().collect();
        let eval = evaluate(&routes, &rounds, &check_ins, ws.settings().patrol.windows(), Suspicion::default());
        for r in eval.rounds {
            self.results.insert(r.round, r);
        }
        Ok(())
    }

    /// Each checkpoint of a round that has started: its mark in the latest such round.
    fn marks(&self, ws: &Workstation, now: i64) -> Vec<(Id, CheckpointMark)> {
        let tolerance = ws.settings().patrol.windows().tolerance_ms;
        let mut latest: HashMap<Id, (i64, CheckpointMark)> = HashMap::new();
        for round in self.rounds.iter().filter(|r| r.start <= now) {
            let Some(result) = self.results.get(&round.id) else { continue };
            for c in &result.checkpoints {
                let mark = match c.outcome {
                    Outcome::Missed if now <= c.expected + tolerance => CheckpointMark::Pending,
                    Outcome::Missed => CheckpointMark::Missed,
                    Outcome::OnTime => CheckpointMark::OnTime,
                    Outcome::Early => CheckpointMark::Early,
                    Outcome::Late => CheckpointMark::Late,
                    Outcome::OutOfOrder => CheckpointMark::OutOfOrder,
                };
                let e = latest.entry(c.checkpoint).or_insert((round.start, mark));
                if round.start >= e.0 {
                    *e = (round.start, mark);
                }
            }
        }
        let mut out: Vec<(Id, CheckpointMark)> = latest.into_iter().map(|(id, (_, m))| (id, m)).collect();
        out.sort_by_key(|(id, _)| *id);
        out
    }
}

impl Workstation {
    /// How each checkpoint stands in its current round (what the map colours), and where each
    /// guard last checked in, from the live window: judged once, then kept up to date with each
    /// check-in stored since.
    pub fn patrol_marks_at(&self, now: i64) -> Result<PatrolMarks, ApiError> {
        let store = self.store();
        let mut live = self.live_rounds.lock().unwrap_or_else(|p| p.into_inner());
        let stale = match live.as_ref() {
            None => true,
            Some(l) => now < l.from + MARGIN_MS || now > l.to - MARGIN_MS || l.stamp != site_stamp(&store)?,
        };
        if stale {
            *live = Some(LiveRounds::build(self, &store, now)?);
        }
        let Some(l) = live.as_mut() else { return Ok(PatrolMarks { marks: Vec::new(), guards: Vec::new() }) };
        l.catch_up(self, &store)?;
        let site = &l.site;
        let mut guards: Vec<GuardLast> = l
            .last_of_guard
            .iter()
            .filter(|(_, (at, _))| *at <= now)
            .map(|(badge, (at, tag))| {
                let cp = site.by_tag.get(tag).and_then(|id| site.checkpoints.get(id));
                GuardLast {
                    badge: badge.clone(),
                    name: site.guards.get(badge).cloned(),
                    checkpoint: cp.map(|c| c.id),
                    code: cp.map(|c| c.code.clone()),
                    floor: cp.map(|c| c.floor),
                    at: *at,
                }
            })
            .collect();
        guards.sort_by(|a, b| a.badge.cmp(&b.badge));
        Ok(PatrolMarks { marks: l.marks(self, now), guards })
    }

    /// Checkpoint marks and guards' last check-ins for the map (a logged-in operator).
    pub fn patrol_marks(&self, who: crate::SessionToken, now: i64) -> Result<PatrolMarks, ApiError> {
        self.actor(who, crate::Need::Operator)?;
        self.patrol_marks_at(now)
    }
}

#[cfg(test)]
mod tests {
    use super::PatrolMarks;
    use crate::workstation::tests::demo_walking;
    use vigil_domain::Id;
    use vigil_store::Store;

    #[test]
    fn the_live_marks_are_what_a_full_evaluation_gives_check_in_after_check_in() {
        let (_dir, ws) = demo_walking();
        let now = Store::now_ms();
        assert_eq!(ws.patrol_marks_at(now).expect("live").marks, ws.patrol_board_at(now).expect("board").marks);
        // Guards check in at checkpoints of the rounds in progress; the live window takes each in.
        let board = ws.patrol_board_at(now).expect("board");
        let pending: Vec<_> = board
            .rounds
            .iter()
            .flat_map(|r| r.checkpoints.iter())
            .filter(|c| c.mark == crate::patrol::CheckpointMark::Pending)
            .take(5)
            .map(|c| c.checkpoint)
            .collect();
        let tags: std::collections::HashMap<Id, String> =
            ws.store().checkpoints().expect("cps").into_iter().map(|c| (c.id, c.tag)).collect();
        for cp in pending {
            let body = serde_json::json!({ "id": Id::now_v7(), "tag": tags[&cp], "guard": "G0003", "device": "HH-1",
                                           "time": jiff::Timestamp::from_millisecond(now).expect("ms").to_string() });
            let items = crate::patrol::parse_check_ins(&body, now).expect("read");
            ws.record_check_ins("handheld", items).expect("stored").expect("no conflict");
            let live = ws.patrol_marks_at(now).expect("live");
            *ws.live_rounds.lock().expect("lock") = None;
            let fresh = ws.patrol_marks_at(now).expect("rebuilt");
            assert_eq!(live.marks, fresh.marks, "the incremental marks equal a fresh judgement");
            assert_eq!(live.marks, ws.patrol_board_at(now).expect("board").marks);
            let g3 = |m: &PatrolMarks| m.guards.iter().find(|g| g.badge == "G0003").map(|g| (g.checkpoint, g.at));
            assert_eq!(g3(&live), Some((Some(cp), now)), "the guard is shown where he last checked in");
            assert_eq!(g3(&live), g3(&fresh));
        }
    }
}
