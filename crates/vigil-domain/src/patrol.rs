//! Patrol rounds judged from check-ins, as a pure function: which checkpoint of which round was
//! touched on time, early, late or not at all, in the route's order or not, and which check-ins a
//! supervisor must look at (unknown tags, duplicates, suspicious ones). Nothing a guard did is
//! dropped: every check-in ends up in a round, as a duplicate, or as unmatched — and a suspicious
//! one still counts as done, with its reasons listed.
//!
//! Times are milliseconds since the epoch (UTC); rounds arrive already expanded from their
//! schedules (that is where the site's time zone and midnight live), so a round that crosses
//! midnight is simply a round whose times do.

use std::collections::{BTreeMap, HashMap};

use crate::Id;

/// A tag id as every source writes it: `0f:00:4e:be:fc`, `0F-00-4E-BE-FC` and `0F004EBEFC` are one
/// tag. Letters and digits are kept (upper-cased), everything else dropped.
pub fn normalize_tag(raw: &str) -> String {
    raw.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

/// How far from its expected time a checkpoint may be touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Within this of the expected time: on time (default ±5 min).
    pub on_time_ms: i64,
    /// Within this: early or late (default ±10 min); beyond it the touch is not this round's.
    pub tolerance_ms: i64,
}

impl Default for Windows {
    fn default() -> Self {
        Windows { on_time_ms: 5 * 60_000, tolerance_ms: 10 * 60_000 }
    }
}

/// What makes a check-in suspicious (kept, counted as done, listed for the supervisor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Suspicion {
    /// A leg walked in less than this share of its expected walking time (default 30 %).
    pub fastest_share: f64,
    /// More than this many scans of one tag within `burst_ms` (default 8 in 10 min).
    pub burst_scans: usize,
    pub burst_ms: i64,
    /// A device time further than this from the receive time (default 10 min ahead, and older
    /// than the offline queue allows: 3 days).
    pub clock_ahead_ms: i64,
    pub clock_behind_ms: i64,
}

impl Default for Suspicion {
    fn default() -> Self {
        Suspicion {
            fastest_share: 0.3,
            burst_scans: 8,
            burst_ms: 10 * 60_000,
            clock_ahead_ms: 10 * 60_000,
            clock_behind_ms: 3 * 24 * 60 * 60_000,
        }
    }
}

/// One checkpoint of a route, with the walking time from the one before (0 for the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub checkpoint: Id,
    /// The tag the checkpoint answers to, normalised.
    pub tag: String,
    pub walk_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub id: Id,
    /// Checkpoints must be touched in this order (else any order counts, each at its own time).
    pub ordered: bool,
    pub legs: Vec<Leg>,
}

/// One planned walk of a route: from its schedule, starting at `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub id: Id,
    pub route: Id,
    pub start: i64,
}

/// Where a check-in came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Handheld,
    Wand,
    /// Typed in by an operator from a radio call.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub id: Id,
    /// As received; compared normalised.
    pub tag: String,
    pub guard: String,
    /// What the device's clock said.
    pub device_time: i64,
    pub received: i64,
    pub source: Source,
}

/// How the checkpoint was read: reports say how each was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Nfc,
    Qr,
    Rfid,
    /// A patrol wand's chip, downloaded later.
    Wand,
    /// Reported by radio and typed in by an operator.
    Radio,
}

impl Method {
    pub fn parse(text: &str) -> Option<Method> {
        match text.trim().to_ascii_lowercase().as_str() {
            "nfc" => Some(Method::Nfc),
            "qr" => Some(Method::Qr),
            "rfid" => Some(Method::Rfid),
            "wand" => Some(Method::Wand),
            "radio" => Some(Method::Radio),
            _ => None,
        }
    }
}

/// How a checkpoint of a round was (or was not) touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    OnTime,
    Early,
    Late,
    Missed,
    /// Touched within its window, but before a checkpoint that comes earlier on an ordered route.
    OutOfOrder,
}

/// Why a check-in is listed for the supervisor although it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The leg to it was walked faster than its walking time allows.
    TooFast,
    /// Its tag was scanned again and again within a few minutes.
    Burst,
    /// The device's clock was ahead of the receive time: judged at the receive time.
    ClockAhead,
    /// The device time is older than an offline queue keeps: judged at the receive time.
    ClockBehind,
    /// Typed in by an operator, not scanned.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointResult {
    pub checkpoint: Id,
    pub expected: i64,
    pub outcome: Outcome,
    /// The check-in that counts for it, and the time it was judged at.
    pub check_in: Option<(Id, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundResult {
    pub round: Id,
    pub checkpoints: Vec<CheckpointResult>,
}

impl RoundResult {
    /// Checkpoints touched on time out of those expected: the compliance figure.
    pub fn on_time(&self) -> usize {
        self.checkpoints.iter().filter(|c| c.outcome == Outcome::OnTime).count()
    }

    pub fn missed(&self) -> usize {
        self.checkpoints.iter().filter(|c| c.outcome == Outcome::Missed).count()
    }
}

/// Everything the evaluation found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub rounds: Vec<RoundResult>,
    /// Check-ins at a tag no checkpoint answers to.
    pub unknown_tags: Vec<Id>,
    /// Check-ins of a checkpoint already counted for the same round (kept, not counted twice).
    pub duplicates: Vec<Id>,
    /// Check-ins at a known tag that fit no round's window.
    pub unmatched: Vec<Id>,
    /// Every flagged check-in and why, counted or not.
    pub flags: BTreeMap<Id, Vec<Flag>>,
}

/// The time a check-in is judged at: the device's own, unless the device clock cannot be true.
pub fn judged_at(c: &CheckIn, s: &Suspicion) -> (i64, Option<Flag>) {
    let skew = c.device_time.saturating_sub(c.received);
    if skew > s.clock_ahead_ms {
        (c.received, Some(Flag::ClockAhead))
    } else if -skew > s.clock_behind_ms && c.source == Source::Handheld {
        // A handheld's queue keeps only so long; a wand file or a radio report is read when it is
        // read, and its time is the only one there is (its age is no sign of a wrong clock).
        (c.received, Some(Flag::ClockBehind))
    } else {
        (c.device_time, None)
    }
}

fn outcome(delta: i64, w: Windows) -> Option<Outcome> {
    match delta {
        d if d.abs() <= w.on_time_ms => Some(Outcome::OnTime),
        d if d < 0 && -d <= w.tolerance_ms => Some(Outcome::Early),
        d if d > 0 && d <= w.tolerance_ms => Some(Outcome::Late),
        _ => None,
    }
}

/// The "round missed" a round's result raises once its window has passed with checkpoints
/// missing (None when nothing is missing). Everything in it derives from route and round start,
/// so every workstation that sees the same round raises the same event, signal and incident.
pub fn round_missed(
    route: &Route,
    round: &Round,
    result: &RoundResult,
    windows: Windows,
    device: Option<Id>,
) -> Option<crate::event::RoundMissed> {
    use crate::event::{derived_id, MissedCheckpoint, RoundMissed};
    use crate::incident::{Priority, Signal, ROUND_MISSED};
    let missing: Vec<MissedCheckpoint> = result
        .checkpoints
        .iter()
        .filter(|c| c.outcome == Outcome::Missed)
        .map(|c| MissedCheckpoint {
            checkpoint: c.checkpoint,
            tag: route.legs.iter().find(|l| l.checkpoint == c.checkpoint).map(|l| l.tag.clone()).unwrap_or_default(),
            expected: c.expected,
        })
        .collect();
    let deadline = missing.iter().map(|m| m.expected).max()? + windows.tolerance_ms;
    let key = format!("{}:{}", route.id, round.start);
    Some(RoundMissed {
        round: round.id,
        route: route.id,
        start: round.start,
        tolerance_ms: windows.tolerance_ms,
        signal: Signal {
            id: derived_id("round-missed-signal", &key, deadline),
            point: format!("round:{}", round.id),
            alarm_type: ROUND_MISSED.to_owned(),
            priority: Priority::P3,
            restore: false,
            at: deadline,
            clock: None,
        },
        opens: derived_id("round-missed-incident", &key, deadline),
        device,
        missing,
    })
}

/// When a round's window has passed: after its last checkpoint's expected time plus tolerance.
pub fn round_deadline(route: &Route, round: &Round, windows: Windows) -> i64 {
    round.start + route.legs.iter().map(|l| l.walk_ms).sum::<i64>() + windows.tolerance_ms
}

/// The scans of `tag` judged within `tolerance` of `at`, in time order (each tag's scans are sorted).
fn near<'a>(
    by_tag: &'a HashMap<&str, Vec<(i64, Id)>>,
    tag: &str,
    at: i64,
    tolerance: i64,
) -> impl Iterator<Item = (i64, Id)> + 'a {
    let scans = by_tag.get(tag).map_or(&[][..], Vec::as_slice);
    let lo = scans.partition_point(|(t, _)| *t < at - tolerance);
    scans[lo..].iter().take_while(move |(t, _)| *t <= at + tolerance).copied()
}

/// Judges `rounds` of `routes` from `check_ins`. Deterministic: the same input in any order of
/// check-ins gives the same result (they are sorted by judged time, then id).
pub fn evaluate(
    routes: &[Route],
    rounds: &[Round],
    check_ins: &[CheckIn],
    windows: Windows,
    suspicion: Suspicion,
) -> Evaluation {
    let routes: HashMap<Id, &Route> = routes.iter().map(|r| (r.id, r)).collect();
    let known: std::collections::HashSet<&str> =
        routes.values().flat_map(|r| r.legs.iter().map(|l| l.tag.as_str())).collect();
    let mut eval = Evaluation::default();
    // Each check-in with the time it is judged at, in that order.
    let mut judged: Vec<(i64, &CheckIn, String)> = check_ins
        .iter()
        .map(|c| {
            let (at, flag) = judged_at(c, &suspicion);
            if let Some(f) = flag {
                eval.flags.entry(c.id).or_default().push(f);
            }
            if c.source == Source::Manual {
                eval.flags.entry(c.id).or_default().push(Flag::Manual);
            }
            (at, c, normalize_tag(&c.tag))
        })
        .collect();
    judged.sort_by_key(|(at, c, _)| (*at, c.id));
    // Bursts: more than N scans of one tag within the burst window.
    let mut by_tag: HashMap<&str, Vec<(i64, Id)>> = HashMap::new();
    for (at, c, tag) in &judged {
        by_tag.entry(tag.as_str()).or_default().push((*at, c.id));
    }
    let judged_by_id: HashMap<Id, &(i64, &CheckIn, String)> = judged.iter().map(|j| (j.1.id, j)).collect();
    for scans in by_tag.values() {
        for (i, (at, _)) in scans.iter().enumerate() {
            let end = scans[i..].iter().take_while(|(t, _)| t - at <= suspicion.burst_ms).count();
            if end > suspicion.burst_scans {
                for (_, id) in &scans[i..i + end] {
                    let flags = eval.flags.entry(*id).or_default();
                    if !flags.contains(&Flag::Burst) {
                        flags.push(Flag::Burst);
                    }
                }
            }
        }
    }
    let mut used: std::collections::HashSet<Id> = std::collections::HashSet::new();
    let mut ordered: Vec<&Round> = rounds.iter().collect();
    ordered.sort_by_key(|r| (r.start, r.id));
    let route_of: HashMap<Id, Id> = rounds.iter().map(|r| (r.id, r.route)).collect();
    for round in ordered {
        let Some(route) = routes.get(&round.route) else { continue };
        let mut expected = round.start;
        let mut results = Vec::new();
        // The last touch of this round, and the walking time expected since it.
        let mut previous_touch: Option<i64> = None;
        let mut walk_since = 0;
        let mut last_ordered_touch = i64::MIN;
        for leg in &route.legs {
            expected += leg.walk_ms;
            walk_since += leg.walk_ms;
            // The closest unused check-in at this tag within the tolerance of the expected time.
            let candidate = near(&by_tag, &leg.tag, expected, windows.tolerance_ms)
                .filter(|(_, id)| !used.contains(id))
                .min_by_key(|(at, id)| ((at - expected).abs(), *id))
                .and_then(|(_, id)| judged_by_id.get(&id).copied());
            let Some((at, c, _)) = candidate else {
                results.push(CheckpointResult {
                    checkpoint: leg.checkpoint,
                    expected,
                    outcome: Outcome::Missed,
                    check_in: None,
                });
                continue;
            };
            used.insert(c.id);
            let mut result = outcome(at - expected, windows).unwrap_or(Outcome::Missed);
            if route.ordered {
                if *at < last_ordered_touch {
                    result = Outcome::OutOfOrder;
                }
                last_ordered_touch = last_ordered_touch.max(*at);
            }
            if let Some(before) = previous_touch {
                let took = at - before;
                if walk_since > 0 && took >= 0 && (took as f64) < (walk_since as f64) * suspicion.fastest_share {
                    eval.flags.entry(c.id).or_default().push(Flag::TooFast);
                }
            }
            previous_touch = Some(*at);
            walk_since = 0;
            results.push(CheckpointResult {
                checkpoint: leg.checkpoint,
                expected,
                outcome: result,
                check_in: Some((c.id, *at)),
            });
        }
        eval.rounds.push(RoundResult { round: round.id, checkpoints: results });
    }
    // Only once every round has taken its touches: further touches of a checkpoint a round
    // counted, near that touch, are duplicates (never a scan the next round needs).
    for result in &eval.rounds {
        let Some(route) = route_of.get(&result.round).and_then(|r| routes.get(r)) else {
            continue;
        };
        for r in &result.checkpoints {
            let Some((counted, at)) = r.check_in else { continue };
            let tag = route.legs.iter().find(|l| l.checkpoint == r.checkpoint).map(|l| l.tag.as_str());
            let Some(tag) = tag else { continue };
            for (_, id) in near(&by_tag, tag, at, windows.tolerance_ms) {
                if id != counted && used.insert(id) {
                    eval.duplicates.push(id);
                }
            }
        }
    }
    for (_, c, tag) in &judged {
        if used.contains(&c.id) {
            continue;
        }
        if known.contains(tag.as_str()) {
            eval.unmatched.push(c.id);
        } else {
            eval.unknown_tags.push(c.id);
        }
    }
    for flags in eval.flags.values_mut() {
        flags.sort();
        flags.dedup();
    }
    eval
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIN: i64 = 60_000;

    fn id(n: u8) -> Id {
        Id::from_bytes([n; 16])
    }

    fn route(ordered: bool) -> Route {
        Route {
            id: id(100),
            ordered,
            legs: vec![
                Leg { checkpoint: id(1), tag: "0F004EBEFC".into(), walk_ms: 0 },
                Leg { checkpoint: id(2), tag: "0F004EBEFD".into(), walk_ms: 10 * MIN },
                Leg { checkpoint: id(3), tag: "0F004EBEFE".into(), walk_ms: 10 * MIN },
            ],
        }
    }

    fn check(n: u8, tag: &str, at: i64) -> CheckIn {
        CheckIn {
            id: id(n),
            tag: tag.into(),
            guard: "G0001".into(),
            device_time: at,
            received: at,
            source: Source::Handheld,
        }
    }

    fn run(route: &Route, starts: &[i64], ins: &[CheckIn]) -> Evaluation {
        let rounds: Vec<Round> = starts
            .iter()
            .enumerate()
            .map(|(i, s)| Round { id: id(200 + i as u8), route: route.id, start: *s })
            .collect();
        evaluate(std::slice::from_ref(route), &rounds, ins, Windows::default(), Suspicion::default())
    }

    fn outcomes(e: &Evaluation, round: usize) -> Vec<Outcome> {
        e.rounds[round].checkpoints.iter().map(|c| c.outcome).collect()
    }

    #[test]
    fn a_scan_the_next_round_needs_is_never_taken_as_a_duplicate_of_the_one_before() {
        // Two routes start at the same lobby tag, 15 minutes apart; each guard taps it.
        let lobby = |n: u8| Route {
            id: id(n),
            ordered: true,
            legs: vec![Leg { checkpoint: id(1), tag: "LOBBY".into(), walk_ms: 0 }],
        };
        let (a, b) = (lobby(110), lobby(111));
        let rounds =
            [Round { id: id(210), route: a.id, start: 0 }, Round { id: id(211), route: b.id, start: 15 * MIN }];
        let ins = [check(1, "lobby", 3 * MIN), check(2, "lobby", 12 * MIN)];
        let e = evaluate(&[a, b], &rounds, &ins, Windows::default(), Suspicion::default());
        assert_eq!(
            e.rounds.iter().map(|r| r.checkpoints[0].outcome).collect::<Vec<_>>(),
            [Outcome::OnTime, Outcome::OnTime]
        );
        assert!(e.duplicates.is_empty());
    }

    #[test]
    fn a_wand_file_read_days_later_is_judged_at_the_wand_s_time() {
        let mut old = check(1, "0F004EBEFC", 0);
        old.received = 5 * 24 * 60 * MIN;
        old.source = Source::Wand;
        assert_eq!(judged_at(&old, &Suspicion::default()), (0, None));
        old.source = Source::Handheld;
        assert_eq!(judged_at(&old, &Suspicion::default()), (old.received, Some(Flag::ClockBehind)));
    }

    #[test]
    fn tags_match_whatever_their_separators_and_case() {
        assert_eq!(normalize_tag("0f:00:4e:be:fc"), "0F004EBEFC");
        assert_eq!(normalize_tag(" 0F-00-4E-BE-FC "), "0F004EBEFC");
        let e = run(&route(true), &[0], &[check(1, "0f:00:4e:be:fc", 0)]);
        assert_eq!(e.rounds[0].checkpoints[0].outcome, Outcome::OnTime);
    }

    #[test]
    fn on_time_early_late_and_missed_by_the_windows() {
        let e = run(
            &route(false),
            &[0],
            &[
                check(1, "0F004EBEFC", 5 * MIN),
                check(2, "0F004EBEFD", 10 * MIN - 7 * MIN),
                check(3, "0F004EBEFE", 20 * MIN + 11 * MIN),
            ],
        );
        assert_eq!(outcomes(&e, 0), [Outcome::OnTime, Outcome::Early, Outcome::Missed]);
        assert_eq!(e.unmatched, vec![id(3)], "11 min late is no touch of this round, but kept");
        let e = run(&route(false), &[0], &[check(3, "0F004EBEFE", 20 * MIN + 9 * MIN)]);
        assert_eq!(outcomes(&e, 0), [Outcome::Missed, Outcome::Missed, Outcome::Late]);
    }

    #[test]
    fn a_round_across_midnight_is_judged_on_its_absolute_times() {
        // 23:55 local (UTC+8) start: the second checkpoint falls on the next day.
        let start = 1_796_140_500_000; // 2026-12-01T15:55:00Z = 23:55 in Shanghai
        let e = run(
            &route(true),
            &[start],
            &[check(1, "0F004EBEFC", start), check(2, "0F004EBEFD", start + 10 * MIN + MIN)],
        );
        assert_eq!(outcomes(&e, 0), [Outcome::OnTime, Outcome::OnTime, Outcome::Missed]);
    }

    #[test]
    fn out_of_order_on_an_ordered_route_but_not_on_an_any_order_one() {
        // The second checkpoint touched before the first, both within their windows.
        let ins = [check(1, "0F004EBEFD", 6 * MIN), check(2, "0F004EBEFC", 7 * MIN), check(3, "0F004EBEFE", 20 * MIN)];
        assert_eq!(outcomes(&run(&route(true), &[0], &ins), 0), [Outcome::Late, Outcome::OutOfOrder, Outcome::OnTime]);
        assert_eq!(outcomes(&run(&route(false), &[0], &ins), 0), [Outcome::Late, Outcome::OnTime, Outcome::OnTime]);
    }

    #[test]
    fn duplicates_unknown_tags_and_a_round_started_twice() {
        let ins = [
            check(1, "0F004EBEFC", 0),
            check(2, "0F004EBEFC", MIN),     // the guard taps again: a duplicate, kept
            check(3, "DEADBEEF", 2 * MIN),   // a tag no checkpoint answers to
            check(4, "0F004EBEFC", 4 * MIN), // starts the round again
            check(5, "0F004EBEFD", 14 * MIN),
        ];
        let e = run(&route(true), &[0], &ins);
        assert_eq!(outcomes(&e, 0), [Outcome::OnTime, Outcome::OnTime, Outcome::Missed]);
        assert_eq!(e.duplicates, vec![id(2), id(4)]);
        assert_eq!(e.unknown_tags, vec![id(3)]);
    }

    #[test]
    fn a_change_of_schedule_mid_shift_is_rounds_of_both_and_nothing_lost() {
        // Every 2 h until 02:00, then every hour: the rounds are what the schedules expand to.
        let r = route(false);
        let starts = [0, 120 * MIN, 180 * MIN];
        let ins: Vec<CheckIn> = starts.iter().enumerate().map(|(i, s)| check(i as u8 + 1, "0F004EBEFC", *s)).collect();
        let e = run(&r, &starts, &ins);
        assert_eq!(e.rounds.len(), 3);
        assert!(e.rounds.iter().all(|round| round.checkpoints[0].outcome == Outcome::OnTime));
        assert!(e.unmatched.is_empty() && e.duplicates.is_empty());
    }

    #[test]
    fn suspicious_check_ins_count_and_are_listed() {
        let mut wrong_clock = check(3, "0F004EBEFE", 20 * MIN);
        wrong_clock.device_time = 20 * MIN + 3 * 60 * MIN; // the handheld says three hours later
        let mut typed = check(1, "0F004EBEFC", 0);
        typed.source = Source::Manual;
        let ins = [typed, check(2, "0F004EBEFD", MIN), wrong_clock]; // the second leg in 1 min of 10
        let e = run(&route(true), &[0], &ins);
        assert_eq!(outcomes(&e, 0)[..2], [Outcome::OnTime, Outcome::Early], "suspicious ones still count");
        assert_eq!(e.rounds[0].checkpoints[2].outcome, Outcome::OnTime, "judged at the receive time");
        assert_eq!(e.flags[&id(1)], vec![Flag::Manual]);
        assert_eq!(e.flags[&id(2)], vec![Flag::TooFast]);
        assert_eq!(e.flags[&id(3)], vec![Flag::ClockAhead]);
        // Nine scans of one tag in ten minutes: a burst.
        let burst: Vec<CheckIn> = (0..9).map(|i| check(10 + i, "0F004EBEFC", i64::from(i) * MIN)).collect();
        let e = run(&route(true), &[0], &burst);
        assert!(burst.iter().all(|c| e.flags.get(&c.id).is_some_and(|f| f.contains(&Flag::Burst))));
    }

    proptest! {
        #[test]
        fn nothing_is_lost_and_order_does_not_matter(
            times in proptest::collection::vec((0u8..4, 0i64..120 * MIN), 0..30),
            starts in proptest::collection::vec(0i64..100 * MIN, 1..4),
            seed in any::<u64>(),
        ) {
            let tags = ["0F004EBEFC", "0f:00:4e:be:fd", "0F004EBEFE", "ABCDEF"];
            let ins: Vec<CheckIn> = times.iter().enumerate().map(|(i, (t, at))| check(i as u8, tags[*t as usize], *at)).collect();
            let a = run(&route(true), &starts, &ins);
            // Every check-in is counted once, or a duplicate, unmatched or at an unknown tag.
            let counted: Vec<Id> = a.rounds.iter().flat_map(|r| r.checkpoints.iter().filter_map(|c| c.check_in.map(|x| x.0))).collect();
            let mut all: Vec<Id> = counted.iter().chain(&a.duplicates).chain(&a.unmatched).chain(&a.unknown_tags).copied().collect();
            all.sort();
            let mut expected: Vec<Id> = ins.iter().map(|c| c.id).collect();
            expected.sort();
            prop_assert_eq!(all, expected);
            // The same check-ins in another order: the same evaluation.
            let mut shuffled = ins.clone();
            let mut rng = seed;
            for i in (1..shuffled.len()).rev() {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
                shuffled.swap(i, (rng >> 33) as usize % (i + 1));
            }
            prop_assert_eq!(run(&route(true), &starts, &shuffled), a);
        }
    }
}
