//! The demo hospital walks: a route per building over its checkpoints, rounds every two hours
//! around the clock, a week of check-ins behind it and new ones as rounds come due — mostly on
//! time, some late, now and then a checkpoint missed or a round walked suspiciously fast.
//!
//! What a guard does at a checkpoint of a round is decided once, from the round and checkpoint
//! ids, so the week written at first start and the live check-ins later tell one story.

use sha2::{Digest, Sha256};
use vigil_domain::event::{CheckInRecorded, LegDef};
use vigil_domain::patrol::{Method, Source};
use vigil_domain::Id;
use vigil_store::Store;

use crate::patrol::{PatrolSite, RouteInput};
use crate::{ApiError, Workstation};

/// Checkpoints a demo route walks, at most: a building's checkpoints are split into routes of
/// this many, so every checkpoint is on a route.
const LEGS: usize = 12;
/// Walking time between two checkpoints of a demo route.
const WALK_S: u32 = 150;

fn dice(round: Id, checkpoint: Id, salt: &str) -> u64 {
    let d = Sha256::digest(format!("{round}:{checkpoint}:{salt}").as_bytes());
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// When the demo's guard touches a checkpoint expected at `expected`, if at all: a round starts
/// on time or (one in sixteen) some minutes late, each checkpoint within a minute of its pace.
fn touch(round: Id, checkpoint: Id, expected: i64, fast_round: bool, leg: usize) -> Option<i64> {
    if fast_round {
        // The whole round "scanned" in a few minutes, the tags kept in the guard room.
        return Some(expected - (leg as i64) * i64::from(WALK_S) * 900 + 20_000 * leg as i64);
    }
    if dice(round, checkpoint, "missed").is_multiple_of(400) {
        return None;
    }
    let late_round = dice(round, round, "late").is_multiple_of(16);
    let delay = if late_round { 380_000 + (dice(round, round, "delay") % 120_000) as i64 } else { 0 };
    let jitter = (dice(round, checkpoint, "jitter") % 100_000) as i64 - 50_000;
    Some(expected + delay + jitter)
}

impl Workstation {
    /// Gives the demo hospital its routes and schedules (in force from `days` ago), and the rounds
    /// of those days walked up to `now`.
    pub fn create_demo_patrol(&self, now: i64, days: u32) -> Result<u32, ApiError> {
        let site = PatrolSite::load(&self.store())?;
        if !site.routes.is_empty() {
            return Ok(0);
        }
        let mut by_building: std::collections::BTreeMap<String, Vec<&vigil_store::CheckpointRow>> = Default::default();
        for c in site.checkpoints.values().filter(|c| !c.tag.is_empty()) {
            by_building.entry(c.building_code.clone()).or_default().push(c);
        }
        let week_ago = now - i64::from(days.max(1)) * 24 * 3_600_000;
        let mut made = 0;
        for (code, mut cps) in by_building {
            cps.sort_by_key(|c| (c.floor_level, c.code.clone()));
            let parts = cps.len().div_ceil(LEGS);
            for (n, chunk) in cps.chunks(cps.len().div_ceil(parts.max(1)).max(1)).enumerate() {
                let legs: Vec<LegDef> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, c)| LegDef { checkpoint: c.id, walk_s: if i == 0 { 0 } else { WALK_S } })
                    .collect();
                if legs.len() < 2 {
                    continue;
                }
                let (first, last) = (chunk[0], chunk[chunk.len() - 1]);
                let input = RouteInput {
                    id: Some(vigil_domain::event::derived_id("demo-route", &format!("{code}:{n}"), week_ago)),
                    name: format!(
                        "{code} 巡更线 {} ({}–{})",
                        n + 1,
                        floor_name(first.floor_level),
                        floor_name(last.floor_level)
                    ),
                    ordered: true,
                    legs,
                    start: "00:00".into(),
                    end: "00:00".into(),
                    every_minutes: 120,
                    weekdays: 0b111_1111,
                    retired: false,
                };
                self.save_route_as("vigil demo", input, week_ago - 3_600_000)?;
                made += 1;
            }
        }
        self.walk_rounds(week_ago, now)?;
        Ok(made)
    }

    /// Writes the demo guards' check-ins of the last week due by `now` that are not stored yet.
    pub fn demo_patrol_tick(&self, now: i64) -> Result<usize, ApiError> {
        self.walk_rounds(now - 7 * 24 * 3_600_000, now)
    }

    /// The demo guards walk every round that started in `[from, to)` (what is already stored is
    /// left); returns how many check-ins were stored. `vigil sim --patrol-days` uses it.
    pub fn walk_rounds(&self, from: i64, to: i64) -> Result<usize, ApiError> {
        let now = to;
        let items: Vec<CheckInRecorded> = {
            let store = self.store();
            let site = PatrolSite::load(&store)?;
            let guards: Vec<String> = {
                let mut g: Vec<String> = site.guards.keys().cloned().collect();
                g.sort();
                g
            };
            if guards.is_empty() {
                return Ok(0);
            }
            let tz = self.settings().patrol.zone();
            let rounds = vigil_domain::schedule::rounds(&site.schedules, &tz, from, now);
            let mut items = Vec::new();
            for round in rounds {
                let Some(route) = site.routes.iter().find(|r| r.id == round.route) else { continue };
                let fast = dice(round.id, round.route, "fast").is_multiple_of(200);
                let guard = &guards[(dice(round.id, round.route, "guard") % guards.len().min(40) as u64) as usize];
                let mut expected = round.start;
                for (i, leg) in route.legs.iter().enumerate() {
                    expected += leg.walk_ms;
                    let Some(at) = touch(round.id, leg.checkpoint, expected, fast, i) else { continue };
                    if at > now {
                        continue;
                    }
                    let id = vigil_domain::event::derived_id(
                        "demo-check-in",
                        &format!("{}:{}", round.id, leg.checkpoint),
                        at,
                    );
                    let received = at + 1_500;
                    items.push(CheckInRecorded {
                        check_in: id,
                        tag: leg.tag.clone(),
                        guard: guard.clone(),
                        device: Some(format!("HH-{}", &guard[guard.len().saturating_sub(3)..])),
                        method: Method::Nfc,
                        source: Source::Handheld,
                        device_time: at,
                        received,
                        reason: None,
                        import: None,
                        row: None,
                        body_hash: format!("demo:{id}"),
                    });
                }
            }
            // Only those not stored yet.
            items.retain(|c| store.check_in(c.check_in).ok().flatten().is_none());
            items
        };
        let n = items.len();
        for chunk in items.chunks(500) {
            let chunk = chunk.to_vec();
            let wall = Store::now_ms();
            self.write(move |tx| vigil_store::write::record_check_ins(tx, "demo-handheld", &chunk, wall).map(|_| ()))?;
        }
        self.settle_rounds(from, now, Store::now_ms())?;
        Ok(n)
    }
}

/// "B2", "1F": a floor as a route's name gives it.
fn floor_name(level: i64) -> String {
    if level < 0 {
        format!("B{}", -level)
    } else {
        format!("{level}F")
    }
}
