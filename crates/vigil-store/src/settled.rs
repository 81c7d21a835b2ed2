//! Settled rounds: the results of rounds whose window has passed, kept so that a month's
//! compliance is a sum over rows instead of a fresh judgement of two million check-ins. These
//! tables are a cache of what `vigil_domain::patrol::evaluate` gives, never a source: a check-in
//! stored later unsettles the rounds it can belong to (found from the check-ins after the
//! watermark `patrol.settled_seq`), and `vigil rebuild` clears them all to be settled again.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Transaction};
use vigil_domain::Id;

use crate::schema::Migration;
use crate::sites::uuid_of;
use crate::{Result, Store};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 10,
    name: "settled patrol rounds",
    sql: r#"
-- What patrol reads of the devices (its checkpoints), found without a scan of every device.
CREATE INDEX devices_kind ON devices (kind, updated_at);

CREATE TABLE round_results (
    round        TEXT PRIMARY KEY,
    route        TEXT NOT NULL,
    start        INTEGER NOT NULL,
    day          TEXT NOT NULL,
    expected     INTEGER NOT NULL,
    on_time      INTEGER NOT NULL,
    early        INTEGER NOT NULL,
    late         INTEGER NOT NULL,
    missed       INTEGER NOT NULL,
    out_of_order INTEGER NOT NULL
) STRICT;
CREATE INDEX round_results_start ON round_results (start);

-- The same per guard who checked (an empty guard: checkpoints nobody touched).
CREATE TABLE round_guard_results (
    round        TEXT NOT NULL,
    start        INTEGER NOT NULL,
    guard        TEXT NOT NULL,
    expected     INTEGER NOT NULL,
    on_time      INTEGER NOT NULL,
    early        INTEGER NOT NULL,
    late         INTEGER NOT NULL,
    missed       INTEGER NOT NULL,
    out_of_order INTEGER NOT NULL,
    PRIMARY KEY (round, guard)
) STRICT;
CREATE INDEX round_guard_results_start ON round_guard_results (start);

-- How each check-in counted in its settled round (reports read it beside the check-in).
CREATE TABLE check_in_outcomes (
    check_in TEXT PRIMARY KEY,
    round    TEXT NOT NULL,
    route    TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    -- What made it suspicious, space-separated (too_fast burst clock_ahead …), or empty.
    flags    TEXT NOT NULL
) STRICT;
CREATE INDEX check_in_outcomes_round ON check_in_outcomes (round);
"#,
}];

/// Counts of one settled round (or of one guard's part of it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub expected: u32,
    pub on_time: u32,
    pub early: u32,
    pub late: u32,
    pub missed: u32,
    pub out_of_order: u32,
}

impl Counts {
    fn of(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Counts> {
        Ok(Counts {
            expected: r.get(at)?,
            on_time: r.get(at + 1)?,
            early: r.get(at + 2)?,
            late: r.get(at + 3)?,
            missed: r.get(at + 4)?,
            out_of_order: r.get(at + 5)?,
        })
    }
}

/// A round's settled result, as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledRound {
    pub round: Id,
    pub route: Id,
    pub start: i64,
    pub day: String,
    pub counts: Counts,
    /// Guard → their part.
    pub guards: Vec<(String, Counts)>,
    /// Check-in → the outcome it counted as (`on_time`, `late` …) and its flags.
    pub outcomes: Vec<(Id, String, String)>,
}

/// How a check-in counted in its settled round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledOutcome {
    pub route: Id,
    pub outcome: String,
    pub flags: String,
}

const WATERMARK: &str = "patrol.settled_seq";

/// Stores settled rounds (replacing any earlier result of the same round).
pub fn put_settled(tx: &Transaction<'_>, rounds: &[SettledRound]) -> Result<()> {
    unsettle(tx, &rounds.iter().map(|r| r.round).collect::<Vec<_>>())?;
    let mut round = tx.prepare_cached(
        "INSERT INTO round_results (round, route, start, day, expected, on_time, early, late, missed, out_of_order)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut guard = tx.prepare_cached(
        "INSERT INTO round_guard_results (round, start, guard, expected, on_time, early, late, missed, out_of_order)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut outcome = tx.prepare_cached(
        "INSERT INTO check_in_outcomes (check_in, round, route, outcome, flags) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(check_in) DO UPDATE SET round = excluded.round, route = excluded.route,
           outcome = excluded.outcome, flags = excluded.flags",
    )?;
    for r in rounds {
        let c = r.counts;
        let id = r.round.to_string();
        round.execute(params![
            id,
            r.route.to_string(),
            r.start,
            r.day,
            c.expected,
            c.on_time,
            c.early,
            c.late,
            c.missed,
            c.out_of_order
        ])?;
        for (g, c) in &r.guards {
            guard.execute(params![id, r.start, g, c.expected, c.on_time, c.early, c.late, c.missed, c.out_of_order])?;
        }
        for (check_in, o, flags) in &r.outcomes {
            outcome.execute(params![check_in.to_string(), id, r.route.to_string(), o, flags])?;
        }
    }
    Ok(())
}

/// Forgets the results of `rounds` (a check-in arrived that can change them).
pub fn unsettle(tx: &Transaction<'_>, rounds: &[Id]) -> Result<()> {
    for r in rounds {
        let id = r.to_string();
        tx.prepare_cached("DELETE FROM round_results WHERE round = ?1")?.execute([&id])?;
        tx.prepare_cached("DELETE FROM round_guard_results WHERE round = ?1")?.execute([&id])?;
        tx.prepare_cached("DELETE FROM check_in_outcomes WHERE round = ?1")?.execute([&id])?;
    }
    Ok(())
}

/// Forgets every settled round (a rebuild; they are settled again when asked).
pub(crate) fn clear(tx: &Transaction<'_>) -> Result<()> {
    tx.execute_batch(
        "DELETE FROM round_results; DELETE FROM round_guard_results; DELETE FROM check_in_outcomes;
         DELETE FROM local_meta WHERE key = 'patrol.settled_seq';",
    )?;
    Ok(())
}

pub fn set_settled_seq(tx: &Transaction<'_>, seq: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO local_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![WATERMARK, seq.to_string()])?;
    Ok(())
}

impl Store {
    /// The check-in sequence every settled result has taken into account.
    pub fn settled_seq(&self) -> Result<i64> {
        let v: Option<String> = self
            .conn()
            .prepare_cached("SELECT value FROM local_meta WHERE key = ?1")?
            .query_row([WATERMARK], |r| r.get(0))
            .optional()?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Whether any round is settled at all.
    pub fn any_settled(&self) -> Result<bool> {
        Ok(self.conn().query_row("SELECT EXISTS (SELECT 1 FROM round_results)", [], |r| r.get(0))?)
    }

    /// Check-ins judged in `[from, to)`.
    pub fn check_in_count_between(&self, from: i64, to: i64) -> Result<u64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM checkins WHERE judged_at >= ?1 AND judged_at < ?2",
            params![from, to],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Rounds starting in `[from, to)` that are settled.
    pub fn settled_rounds(&self, from: i64, to: i64) -> Result<HashSet<Id>> {
        let mut stmt =
            self.conn().prepare_cached("SELECT round FROM round_results WHERE start >= ?1 AND start < ?2")?;
        let rows = stmt.query_map(params![from, to], |r| uuid_of(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Settled counts of `[from, to)` by route and local day.
    pub fn settled_by_route_day(&self, from: i64, to: i64) -> Result<Vec<(Id, String, Counts)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT route, day, sum(expected), sum(on_time), sum(early), sum(late), sum(missed), sum(out_of_order)
             FROM round_results WHERE start >= ?1 AND start < ?2 GROUP BY route, day",
        )?;
        let rows = stmt.query_map(params![from, to], |r| Ok((uuid_of(r, 0)?, r.get(1)?, Counts::of(r, 2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Settled counts of `[from, to)` by guard.
    pub fn settled_by_guard(&self, from: i64, to: i64) -> Result<Vec<(String, Counts)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT guard, sum(expected), sum(on_time), sum(early), sum(late), sum(missed), sum(out_of_order)
             FROM round_guard_results WHERE start >= ?1 AND start < ?2 GROUP BY guard",
        )?;
        let rows = stmt.query_map(params![from, to], |r| Ok((r.get(0)?, Counts::of(r, 1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Check-ins judged in `[from, to)`, oldest first, each with how it counted in its settled
    /// round (none: not settled, a duplicate, or at no route's checkpoint).
    pub fn for_each_check_in_settled(
        &self,
        from: i64,
        to: i64,
        mut each: impl FnMut(crate::CheckInRow, Option<SettledOutcome>) -> Result<()>,
    ) -> Result<u64> {
        let sql = format!(
            "SELECT {}, o.route, o.outcome, o.flags FROM checkins c LEFT JOIN check_in_outcomes o ON o.check_in = c.id
             WHERE c.judged_at >= ?1 AND c.judged_at < ?2 ORDER BY c.judged_at, c.seq",
            crate::patrol::CHECK_IN_COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ")
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(params![from, to])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let row = crate::patrol::check_in_row(r)?;
            let route: Option<String> = r.get(17)?;
            let settled = match route.and_then(|x| Id::parse_str(&x).ok()) {
                Some(route) => Some(SettledOutcome { route, outcome: r.get(18)?, flags: r.get(19)? }),
                None => None,
            };
            each(row, settled)?;
            n += 1;
        }
        Ok(n)
    }
}
