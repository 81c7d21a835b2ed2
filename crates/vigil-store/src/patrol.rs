//! The patrol log's tables: check-ins exactly as they arrived (no row is ever updated or deleted:
//! triggers refuse it), remarks about them (annotations and explanations), shift sign-offs,
//! routes, schedule versions and missed rounds. Every row here is written by
//! [`crate::write::commit_event`] from an event of the log, whose chain `vigil verify` checks; and
//! `vigil verify` also compares each check-in row with the event it came from, so a row changed
//! behind the triggers' back (they can be dropped by anyone with the file) is named too.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Transaction};
use vigil_domain::event::{CheckInRecorded, Event, EventBody, LegDef, MissedCheckpoint, RouteDef};
use vigil_domain::fold::{MissedRound, PatrolState, Projection, StoredCheckIn};
use vigil_domain::patrol::{judged_at, normalize_tag, CheckIn, Flag, Method, Source, Suspicion};
use vigil_domain::schedule::{Schedule, Weekdays};
use vigil_domain::Id;

use crate::schema::Migration;
use crate::sites::uuid_of;
use crate::{now_ms, Result, Store, StoreError};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 9,
    name: "the patrol log",
    sql: r#"
CREATE TABLE checkins (
    -- The order stored here: what `GET /v1/checkins?since=` and the log's pages follow.
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    event       TEXT NOT NULL UNIQUE,
    actor       TEXT NOT NULL,
    tag         TEXT NOT NULL,
    tag_norm    TEXT NOT NULL,
    guard       TEXT NOT NULL,
    device      TEXT,
    method      TEXT NOT NULL,
    source      TEXT NOT NULL,
    device_time INTEGER NOT NULL,
    received    INTEGER NOT NULL,
    -- The time it is judged at: the device's, unless that clock cannot be true.
    judged_at   INTEGER NOT NULL,
    clock       TEXT,
    reason      TEXT,
    import      TEXT,
    row         INTEGER,
    body_hash   TEXT NOT NULL
) STRICT;
CREATE INDEX checkins_judged ON checkins (judged_at);
CREATE INDEX checkins_tag ON checkins (tag_norm, judged_at);
CREATE INDEX checkins_guard ON checkins (guard, judged_at);
CREATE TRIGGER checkins_never_edited BEFORE UPDATE ON checkins
BEGIN SELECT RAISE(ABORT, 'a check-in is never edited: annotate it'); END;
CREATE TRIGGER checkins_never_deleted BEFORE DELETE ON checkins
BEGIN SELECT RAISE(ABORT, 'a check-in is never deleted: annotate it'); END;

-- Annotations of check-ins and explanations of exceptions, in the order they were written.
CREATE TABLE patrol_remarks (
    event   TEXT PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('annotation', 'explanation')),
    about   TEXT NOT NULL,
    shift   TEXT,
    text    TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX patrol_remarks_about ON patrol_remarks (about, at);
CREATE INDEX patrol_remarks_shift ON patrol_remarks (shift, at);

CREATE TABLE shift_sign_offs (
    event      TEXT PRIMARY KEY,
    shift      TEXT NOT NULL,
    by_name    TEXT NOT NULL,
    at         INTEGER NOT NULL,
    digest     TEXT NOT NULL,
    check_ins  INTEGER NOT NULL,
    expected   INTEGER NOT NULL,
    on_time    INTEGER NOT NULL,
    exceptions INTEGER NOT NULL
) STRICT;
CREATE INDEX shift_sign_offs_shift ON shift_sign_offs (shift, at);

CREATE TABLE routes (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    ordered    INTEGER NOT NULL,
    legs       TEXT NOT NULL,
    retired    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE schedules (
    id         TEXT NOT NULL,
    valid_from INTEGER NOT NULL,
    valid_to   INTEGER,
    route      TEXT NOT NULL,
    start_min  INTEGER NOT NULL,
    end_min    INTEGER NOT NULL,
    every_min  INTEGER NOT NULL,
    weekdays   INTEGER NOT NULL,
    PRIMARY KEY (id, valid_from)
) STRICT;

CREATE TABLE round_misses (
    round        TEXT PRIMARY KEY,
    event        TEXT NOT NULL,
    incident     TEXT NOT NULL,
    route        TEXT NOT NULL,
    start        INTEGER NOT NULL,
    tolerance_ms INTEGER NOT NULL,
    missing      TEXT NOT NULL,
    checked_late TEXT NOT NULL
) STRICT;
CREATE INDEX round_misses_start ON round_misses (start);
"#,
}];

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn unjson<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn enum_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn enum_of<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    unjson(&serde_json::Value::String(text.to_owned()).to_string())
}

/// The domain's view of a stored check-in, for evaluation.
pub fn as_check_in(c: &CheckInRecorded) -> CheckIn {
    c.as_check_in()
}

/// Loads what a patrol event needs to be applied as the whole fold would apply it.
pub(crate) fn load_for(tx: &Transaction<'_>, body: &EventBody, state: &mut Projection) -> Result<()> {
    match body {
        EventBody::CheckInRecorded(c) => {
            if let Some(stored) = check_in_in(tx, c.check_in)? {
                state.patrol.check_ins.insert(c.check_in, stored);
            }
            // The missed rounds whose missing checkpoints this tag may answer, and their incidents.
            let tag = normalize_tag(&c.tag);
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {MISS_COLUMNS} FROM round_misses
                 WHERE start BETWEEN ?1 AND ?2 AND instr(lower(missing), lower(?3)) > 0"
            ))?;
            let (at, _) = judged_at(&as_check_in(c), &Suspicion::default());
            let day = 2 * 24 * 3_600_000;
            // The tag as a JSON string: `instr` rather than LIKE, whose bound pattern makes SQLite
            // prepare the statement again at every call (its prefix optimisation).
            let rows = stmt.query_map(params![at - day, at + day, format!("\"{tag}\"")], miss_of)?;
            for row in rows {
                let (round, missed) = row?;
                let incident = crate::events::resolve_incident(tx, missed.incident)?;
                if incident != missed.incident {
                    state.load_alias(missed.incident, incident);
                }
                if let Some(stored) = crate::incidents::load_incident(tx, incident)? {
                    state.load_incident(stored.incident, stored.device_id);
                }
                state.patrol.load_missed(round, missed);
            }
        }
        EventBody::RoundMissed(m) => {
            let mut stmt = tx.prepare_cached(&format!("SELECT {MISS_COLUMNS} FROM round_misses WHERE round = ?1"))?;
            if let Some((round, missed)) = stmt.query_row([m.round.to_string()], miss_of).optional()? {
                state.patrol.load_missed(round, missed);
            }
        }
        EventBody::ScheduleSet(s) => {
            let versions = schedule_versions_in(tx, Some(s.schedule.id))?;
            state.patrol.schedules.insert(s.schedule.id, versions);
        }
        _ => {}
    }
    Ok(())
}

/// Writes what a patrol event changed.
pub(crate) fn write_back(tx: &Transaction<'_>, state: &Projection, event: &Event) -> Result<()> {
    let p = &state.patrol;
    match &event.body {
        EventBody::CheckInRecorded(c) => {
            if p.check_ins.get(&c.check_in).is_some_and(|s| s.event == event.id) {
                insert_check_in(tx, event.id, &event.actor, c)?;
            }
            for (round, missed) in &p.missed {
                if missed.checked_late.values().any(|id| *id == c.check_in) {
                    tx.prepare_cached("UPDATE round_misses SET checked_late = ?2 WHERE round = ?1")?
                        .execute(params![round.to_string(), json(&late_map(missed))?])?;
                }
            }
        }
        EventBody::CheckInAnnotated(a) => {
            insert_remark(tx, event, "annotation", &a.check_in.to_string(), None, &a.text)?;
        }
        EventBody::ExceptionExplained(x) => {
            insert_remark(tx, event, "explanation", &x.exception, Some(&x.shift), &x.text)?;
        }
        EventBody::ShiftSignedOff(s) => {
            tx.execute(
                "INSERT INTO shift_sign_offs (event, shift, by_name, at, digest, check_ins, expected, on_time, exceptions)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    event.id.to_string(),
                    s.shift,
                    event.actor,
                    event.wall,
                    s.digest,
                    s.check_ins,
                    s.expected,
                    s.on_time,
                    s.exceptions
                ],
            )?;
        }
        EventBody::RouteSet(r) => put_route(tx, &r.route)?,
        EventBody::ScheduleSet(s) => {
            if let Some(versions) = p.schedules.get(&s.schedule.id) {
                put_schedule_versions(tx, s.schedule.id, versions)?;
            }
        }
        EventBody::RoundMissed(m) => {
            if let Some(missed) = p.missed.get(&m.round).filter(|x| x.event == event.id) {
                put_miss(tx, m.round, missed)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn late_map(m: &MissedRound) -> BTreeMap<String, String> {
    m.checked_late.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub(crate) fn put_miss(tx: &Transaction<'_>, round: Id, m: &MissedRound) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO round_misses (round, event, incident, route, start, tolerance_ms, missing, checked_late)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(round) DO UPDATE SET event = excluded.event, incident = excluded.incident, route = excluded.route,
           start = excluded.start, tolerance_ms = excluded.tolerance_ms, missing = excluded.missing,
           checked_late = excluded.checked_late",
    )?
    .execute(params![
        round.to_string(),
        m.event.to_string(),
        m.incident.to_string(),
        m.route.to_string(),
        m.start,
        m.tolerance_ms,
        json(&m.missing)?,
        json(&late_map(m))?
    ])?;
    Ok(())
}

pub(crate) fn put_route(tx: &Transaction<'_>, r: &RouteDef) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO routes (id, name, ordered, legs, retired, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, ordered = excluded.ordered, legs = excluded.legs,
           retired = excluded.retired, updated_at = excluded.updated_at",
    )?
    .execute(params![r.id.to_string(), r.name, r.ordered, json(&r.legs)?, r.retired, now_ms()])?;
    Ok(())
}

pub(crate) fn put_schedule_versions(tx: &Transaction<'_>, id: Id, versions: &[Schedule]) -> Result<()> {
    tx.prepare_cached("DELETE FROM schedules WHERE id = ?1")?.execute([id.to_string()])?;
    for v in versions {
        tx.prepare_cached(
            "INSERT INTO schedules (id, valid_from, valid_to, route, start_min, end_min, every_min, weekdays)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            v.id.to_string(),
            v.valid_from,
            v.valid_to,
            v.route.to_string(),
            v.start,
            v.end,
            v.every,
            v.weekdays.0
        ])?;
    }
    Ok(())
}

fn insert_remark(
    tx: &Transaction<'_>,
    event: &Event,
    kind: &str,
    about: &str,
    shift: Option<&str>,
    text: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO patrol_remarks (event, kind, about, shift, text, by_name, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![event.id.to_string(), kind, about, shift, text, event.actor, event.wall])?;
    Ok(())
}

fn clock_text(c: &CheckInRecorded) -> Option<&'static str> {
    match judged_at(&as_check_in(c), &Suspicion::default()).1 {
        Some(Flag::ClockAhead) => Some("ahead"),
        Some(Flag::ClockBehind) => Some("behind"),
        _ => None,
    }
}

pub(crate) fn insert_check_in(tx: &Transaction<'_>, event: Id, actor: &str, c: &CheckInRecorded) -> Result<()> {
    let (judged, _) = judged_at(&as_check_in(c), &Suspicion::default());
    tx.prepare_cached(
        "INSERT INTO checkins (id, event, actor, tag, tag_norm, guard, device, method, source, device_time, received,
           judged_at, clock, reason, import, row, body_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        c.check_in.to_string(),
        event.to_string(),
        actor,
        c.tag,
        normalize_tag(&c.tag),
        c.guard,
        c.device,
        enum_text(&c.method),
        enum_text(&c.source),
        c.device_time,
        c.received,
        judged,
        clock_text(c),
        c.reason,
        c.import.map(|i| i.to_string()),
        c.row,
        c.body_hash
    ])?;
    Ok(())
}

pub(crate) const CHECK_IN_COLUMNS: &str =
    "seq, id, event, actor, tag, guard, device, method, source, device_time, received, \
     judged_at, reason, import, row, body_hash, clock";

/// One check-in as its row holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckInRow {
    pub seq: i64,
    pub event: Id,
    pub actor: String,
    pub judged_at: i64,
    /// `ahead` / `behind` when the device clock was not trusted.
    pub clock: Option<String>,
    pub record: CheckInRecorded,
}

pub(crate) fn check_in_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CheckInRow> {
    let import: Option<String> = r.get(13)?;
    Ok(CheckInRow {
        seq: r.get(0)?,
        event: uuid_of(r, 2)?,
        actor: r.get(3)?,
        judged_at: r.get(11)?,
        clock: r.get(16)?,
        record: CheckInRecorded {
            check_in: uuid_of(r, 1)?,
            tag: r.get(4)?,
            guard: r.get(5)?,
            device: r.get(6)?,
            method: enum_of::<Method>(&r.get::<_, String>(7)?)?,
            source: enum_of::<Source>(&r.get::<_, String>(8)?)?,
            device_time: r.get(9)?,
            received: r.get(10)?,
            reason: r.get(12)?,
            import: import.and_then(|s| Id::parse_str(&s).ok()),
            row: r.get(14)?,
            body_hash: r.get(15)?,
        },
    })
}

fn check_in_in(tx: &Transaction<'_>, id: Id) -> Result<Option<StoredCheckIn>> {
    let row = tx
        .prepare_cached(&format!("SELECT {CHECK_IN_COLUMNS} FROM checkins WHERE id = ?1"))?
        .query_row([id.to_string()], check_in_row)
        .optional()?;
    Ok(row.map(|r| StoredCheckIn { event: r.event, actor: r.actor, record: r.record }))
}

const MISS_COLUMNS: &str = "round, event, incident, route, start, tolerance_ms, missing, checked_late";

fn miss_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Id, MissedRound)> {
    let late: BTreeMap<String, String> = unjson(&r.get::<_, String>(7)?)?;
    Ok((
        uuid_of(r, 0)?,
        MissedRound {
            event: uuid_of(r, 1)?,
            incident: uuid_of(r, 2)?,
            route: uuid_of(r, 3)?,
            start: r.get(4)?,
            tolerance_ms: r.get(5)?,
            missing: unjson::<Vec<MissedCheckpoint>>(&r.get::<_, String>(6)?)?,
            checked_late: late
                .into_iter()
                .filter_map(|(k, v)| Some((Id::parse_str(&k).ok()?, Id::parse_str(&v).ok()?)))
                .collect(),
        },
    ))
}

fn schedule_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Schedule> {
    Ok(Schedule {
        id: uuid_of(r, 0)?,
        valid_from: r.get(1)?,
        valid_to: r.get(2)?,
        route: uuid_of(r, 3)?,
        start: r.get(4)?,
        end: r.get(5)?,
        every: r.get(6)?,
        weekdays: Weekdays(r.get(7)?),
    })
}

const SCHEDULE_COLUMNS: &str = "id, valid_from, valid_to, route, start_min, end_min, every_min, weekdays";

fn schedule_versions_in(conn: &rusqlite::Connection, id: Option<Id>) -> Result<Vec<Schedule>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE ?1 IS NULL OR id = ?1 ORDER BY id, valid_from"
    ))?;
    let rows = stmt.query_map([id.map(|i| i.to_string())], schedule_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn route_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<RouteDef> {
    Ok(RouteDef {
        id: uuid_of(r, 0)?,
        name: r.get(1)?,
        ordered: r.get(2)?,
        legs: unjson::<Vec<LegDef>>(&r.get::<_, String>(3)?)?,
        retired: r.get(4)?,
    })
}

/// Filters of the patrol log (all optional; times are judged times, ms since the epoch).
#[derive(Debug, Clone, Default)]
pub struct CheckInFilter {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub guard: Option<String>,
    /// Only these normalised tags (a route's or a building's checkpoints).
    pub tags: Option<Vec<String>>,
    /// Keyset cursor: rows strictly before (judged_at, seq), newest first.
    pub before: Option<(i64, i64)>,
}

impl Store {
    pub fn routes(&self) -> Result<Vec<RouteDef>> {
        let mut stmt =
            self.conn().prepare_cached("SELECT id, name, ordered, legs, retired FROM routes ORDER BY name")?;
        let rows = stmt.query_map([], route_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn schedules(&self) -> Result<Vec<Schedule>> {
        schedule_versions_in(self.conn(), None)
    }

    /// Check-ins stored after local sequence `since`, oldest first.
    pub fn check_ins_since(&self, since: i64, limit: u32) -> Result<Vec<CheckInRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {CHECK_IN_COLUMNS} FROM checkins WHERE seq > ?1 ORDER BY seq LIMIT ?2"))?;
        let rows = stmt.query_map(params![since, limit], check_in_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn check_in(&self, id: Id) -> Result<Option<CheckInRow>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("SELECT {CHECK_IN_COLUMNS} FROM checkins WHERE id = ?1"))?
            .query_row([id.to_string()], check_in_row)
            .optional()?)
    }

    /// Check-ins judged in `[from, to)`, oldest first (evaluation input).
    pub fn check_ins_between(&self, from: i64, to: i64) -> Result<Vec<CheckInRow>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CHECK_IN_COLUMNS} FROM checkins WHERE judged_at >= ?1 AND judged_at < ?2 ORDER BY judged_at, seq"
        ))?;
        let rows = stmt.query_map(params![from, to], check_in_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Calls `each` for every check-in judged in `[from, to)`, oldest first, without holding them.
    pub fn for_each_check_in(&self, from: i64, to: i64, mut each: impl FnMut(CheckInRow) -> Result<()>) -> Result<u64> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CHECK_IN_COLUMNS} FROM checkins WHERE judged_at >= ?1 AND judged_at < ?2 ORDER BY judged_at, seq"
        ))?;
        let mut rows = stmt.query(params![from, to])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            each(check_in_row(r)?)?;
            n += 1;
        }
        Ok(n)
    }

    /// One page of the patrol log, newest first, with the filters applied in SQL.
    pub fn check_in_page(&self, f: &CheckInFilter, limit: u32) -> Result<Vec<CheckInRow>> {
        let mut sql = format!("SELECT {CHECK_IN_COLUMNS} FROM checkins WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(from) = f.from {
            arg(&mut sql, " AND judged_at >= ?", from.into());
        }
        if let Some(to) = f.to {
            arg(&mut sql, " AND judged_at < ?", to.into());
        }
        if let Some(g) = &f.guard {
            arg(&mut sql, " AND guard = ?", g.clone().into());
        }
        if let Some((at, seq)) = f.before {
            arg(&mut sql, " AND (judged_at < ?", at.into());
            arg(&mut sql, " OR (judged_at = ?", at.into());
            arg(&mut sql, " AND seq < ?))", seq.into());
        }
        if let Some(tags) = &f.tags {
            sql.push_str(" AND tag_norm IN (SELECT value FROM json_each(");
            arg(&mut sql, "?))", json(tags)?.into());
        }
        sql.push_str(" ORDER BY judged_at DESC, seq DESC LIMIT ");
        sql.push_str(&limit.to_string());
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), check_in_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The highest check-in sequence stored (0 when none).
    pub fn last_check_in_seq(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT COALESCE(max(seq), 0) FROM checkins", [], |r| r.get(0))?)
    }

    /// Changes when a route or schedule does: (routes' latest update, schedule versions).
    pub fn patrol_stamp(&self) -> Result<(i64, i64)> {
        Ok(self.conn().query_row(
            "SELECT (SELECT COALESCE(max(updated_at), 0) + count(*) FROM routes), (SELECT count(*) FROM schedules)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Changes when anything patrol reads of the site does: routes, schedules, checkpoints, guards.
    pub fn patrol_site_stamp(&self) -> Result<[i64; 4]> {
        let (routes, schedules) = self.patrol_stamp()?;
        let (checkpoints, guards) = self.conn().query_row(
            "SELECT (SELECT COALESCE(max(updated_at), 0) + count(*) FROM devices WHERE kind = 'checkpoint'),
                    (SELECT COALESCE(max(updated_at), 0) + count(*) FROM guards)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok([routes, schedules, checkpoints, guards])
    }

    pub fn check_in_count(&self) -> Result<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM checkins", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Missed rounds starting in `[from, to)`.
    pub fn round_misses(&self, from: i64, to: i64) -> Result<Vec<(Id, MissedRound)>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {MISS_COLUMNS} FROM round_misses WHERE start >= ?1 AND start < ?2 ORDER BY start"
        ))?;
        let rows = stmt.query_map(params![from, to], miss_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Remarks (`annotation` or `explanation`) about any of `abouts`, oldest first.
    pub fn remarks(&self, kind: &str, shift: Option<&str>) -> Result<Vec<vigil_domain::fold::Remark>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT event, about, text, by_name, at, shift FROM patrol_remarks
             WHERE kind = ?1 AND (?2 IS NULL OR shift = ?2) ORDER BY at, event",
        )?;
        let rows = stmt.query_map(params![kind, shift], |r| {
            let about: String = r.get(1)?;
            Ok(vigil_domain::fold::Remark {
                event: uuid_of(r, 0)?,
                about,
                text: r.get(2)?,
                by: r.get(3)?,
                at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The sign-offs of a shift, oldest first.
    pub fn sign_offs(&self, shift: &str) -> Result<Vec<vigil_domain::fold::SignOff>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT event, by_name, at, digest, check_ins, expected, on_time, exceptions FROM shift_sign_offs
             WHERE shift = ?1 ORDER BY at, event",
        )?;
        let rows = stmt.query_map([shift], |r| {
            Ok(vigil_domain::fold::SignOff {
                event: uuid_of(r, 0)?,
                by: r.get(1)?,
                at: r.get(2)?,
                signed: vigil_domain::event::ShiftSignedOff {
                    shift: shift.to_owned(),
                    digest: r.get(3)?,
                    check_ins: r.get(4)?,
                    expected: r.get(5)?,
                    on_time: r.get(6)?,
                    exceptions: r.get(7)?,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Each check-in row compared with the event it came from: the first that differs, named.
    pub fn verify_check_ins(&self) -> Result<Option<(Id, String)>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {CHECK_IN_COLUMNS}, e.kind, e.schema, e.payload FROM checkins c LEFT JOIN events e ON e.id = c.event ORDER BY c.seq"
        ).replace("SELECT seq, id, event, actor", "SELECT c.seq, c.id, c.event, c.actor"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(1)?;
            let id = Id::parse_str(&id).unwrap_or_default();
            let row = match check_in_row(r) {
                Ok(row) => row,
                Err(e) => return Ok(Some((id, format!("the row cannot be read: {e}")))),
            };
            let kind: Option<String> = r.get(17)?;
            let (Some(kind), Some(schema), Some(payload)) =
                (kind, r.get::<_, Option<u32>>(18)?, r.get::<_, Option<String>>(19)?)
            else {
                return Ok(Some((id, "no event of the log holds it".to_owned())));
            };
            let Ok(EventBody::CheckInRecorded(logged)) = crate::events::decode_body(&kind, schema, &payload) else {
                return Ok(Some((id, "its event is not a check-in".to_owned())));
            };
            let (judged, _) = judged_at(&as_check_in(&logged), &Suspicion::default());
            if logged != row.record || judged != row.judged_at || clock_text(&logged).map(str::to_owned) != row.clock {
                return Ok(Some((id, "the row differs from the check-in its event recorded".to_owned())));
            }
        }
        // A row removed: the log still holds its event.
        let mut missing = self.conn().prepare(
            "SELECT e.subject FROM events e LEFT JOIN checkins c ON c.event = e.id
             WHERE e.kind = 'check_in_recorded' AND c.id IS NULL ORDER BY e.seq LIMIT 1",
        )?;
        if let Some(subject) = missing.query_row([], |r| r.get::<_, String>(0)).optional()? {
            let id = Id::parse_str(subject.trim_start_matches("check_in:")).unwrap_or_default();
            return Ok(Some((
                id,
                "it was removed from the patrol log; its event is still in the event log".to_owned(),
            )));
        }
        Ok(None)
    }
}

/// The patrol state as the tables hold it (for `vigil rebuild` to compare with the fold).
pub(crate) fn load_all(conn: &rusqlite::Connection) -> Result<PatrolState> {
    let mut state = PatrolState::default();
    {
        let mut stmt = conn.prepare(&format!("SELECT {CHECK_IN_COLUMNS} FROM checkins"))?;
        let rows = stmt.query_map([], check_in_row)?;
        for r in rows {
            let r = r?;
            state
                .check_ins
                .insert(r.record.check_in, StoredCheckIn { event: r.event, actor: r.actor, record: r.record });
        }
    }
    {
        let mut stmt = conn.prepare("SELECT id, name, ordered, legs, retired FROM routes")?;
        for r in stmt.query_map([], route_of)? {
            let r = r?;
            state.routes.insert(r.id, r);
        }
    }
    for s in schedule_versions_in(conn, None)? {
        state.schedules.entry(s.id).or_default().push(s);
    }
    {
        let mut stmt = conn.prepare(&format!("SELECT {MISS_COLUMNS} FROM round_misses"))?;
        for r in stmt.query_map([], miss_of)? {
            let (round, missed) = r?;
            state.missed.insert(round, missed);
        }
    }
    Ok(state)
}

/// Names every patrol row that differs from what the log folds to.
pub(crate) fn compare(conn: &rusqlite::Connection, folded: &PatrolState, note: &mut dyn FnMut(String)) -> Result<()> {
    let stored = load_all(conn)?;
    for (id, c) in &folded.check_ins {
        match stored.check_ins.get(id) {
            None => note(format!("check-in {id} is in the log but not in the table")),
            Some(s) if s != c => note(format!("check-in {id} differs from the log")),
            Some(_) => {}
        }
    }
    for id in stored.check_ins.keys().filter(|id| !folded.check_ins.contains_key(id)) {
        note(format!("check-in {id} is in the table but not in the log"));
    }
    if stored.routes != folded.routes {
        note("routes differ from the log".to_owned());
    }
    if stored.schedules != folded.schedules {
        note("schedules differ from the log".to_owned());
    }
    if stored.missed != folded.missed {
        note("missed rounds differ from the log".to_owned());
    }
    // Annotations, explanations and sign-offs: each row as its event wrote it.
    let rows = remark_rows(conn)?;
    if rows != folded_remark_rows(folded) {
        note("patrol annotations or explanations differ from the log".to_owned());
    }
    if sign_off_rows(conn)? != folded_sign_off_rows(folded) {
        note("shift sign-offs differ from the log".to_owned());
    }
    Ok(())
}

type RemarkRow = (String, String, String, Option<String>, String, String, i64);

fn remark_rows(conn: &rusqlite::Connection) -> Result<Vec<RemarkRow>> {
    let mut stmt =
        conn.prepare("SELECT event, kind, about, shift, text, by_name, at FROM patrol_remarks ORDER BY event")?;
    let rows =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn folded_remark_rows(p: &PatrolState) -> Vec<RemarkRow> {
    let mut out: Vec<RemarkRow> = p
        .annotations
        .values()
        .map(|r| {
            (r.event.to_string(), "annotation".to_owned(), r.about.clone(), None, r.text.clone(), r.by.clone(), r.at)
        })
        .collect();
    for (key, list) in &p.explanations {
        for r in list {
            out.push((
                r.event.to_string(),
                "explanation".to_owned(),
                key.clone(),
                Some(r.about.clone()),
                r.text.clone(),
                r.by.clone(),
                r.at,
            ));
        }
    }
    out.sort();
    out
}

type SignOffRow = (String, String, String, i64, String);

fn sign_off_rows(conn: &rusqlite::Connection) -> Result<Vec<SignOffRow>> {
    let mut stmt = conn.prepare("SELECT event, shift, by_name, at, digest FROM shift_sign_offs ORDER BY event")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn folded_sign_off_rows(p: &PatrolState) -> Vec<SignOffRow> {
    let mut out: Vec<SignOffRow> = p
        .sign_offs
        .values()
        .flatten()
        .map(|s| (s.event.to_string(), s.signed.shift.clone(), s.by.clone(), s.at, s.signed.digest.clone()))
        .collect();
    out.sort();
    out
}

/// Rewrites routes, schedules and missed rounds from the fold, and adds check-ins the table lacks.
/// A check-in row that differs is never rewritten (rows are never edited): it stays named.
pub(crate) fn repair(tx: &Transaction<'_>, folded: &PatrolState) -> Result<()> {
    let stored = load_all(tx)?;
    for (id, c) in &folded.check_ins {
        if !stored.check_ins.contains_key(id) {
            insert_check_in(tx, c.event, &c.actor, &c.record)?;
        }
    }
    tx.execute("DELETE FROM routes", [])?;
    for r in folded.routes.values() {
        put_route(tx, r)?;
    }
    tx.execute("DELETE FROM schedules", [])?;
    for (id, versions) in &folded.schedules {
        put_schedule_versions(tx, *id, versions)?;
    }
    tx.execute("DELETE FROM round_misses", [])?;
    for (round, m) in &folded.missed {
        put_miss(tx, *round, m)?;
    }
    tx.execute("DELETE FROM patrol_remarks", [])?;
    for (event, kind, about, shift, text, by, at) in folded_remark_rows(folded) {
        tx.execute(
            "INSERT INTO patrol_remarks (event, kind, about, shift, text, by_name, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![event, kind, about, shift, text, by, at],
        )?;
    }
    tx.execute("DELETE FROM shift_sign_offs", [])?;
    for s in folded.sign_offs.values().flatten() {
        tx.execute(
            "INSERT INTO shift_sign_offs (event, shift, by_name, at, digest, check_ins, expected, on_time, exceptions)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                s.event.to_string(),
                s.signed.shift,
                s.by,
                s.at,
                s.signed.digest,
                s.signed.check_ins,
                s.signed.expected,
                s.signed.on_time,
                s.signed.exceptions
            ],
        )?;
    }
    Ok(())
}

/// What became of one check-in offered to [`record_check_ins`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInStored {
    /// Stored now.
    New,
    /// The same id with the same body was stored before: nothing new.
    Same,
}

/// Stores check-ins (each one event), all or none: an id already stored with another body is a
/// conflict, and then nothing of the batch is written (`Err(index)` names the first such item).
pub fn record_check_ins(
    tx: &Transaction<'_>,
    actor: &str,
    items: &[CheckInRecorded],
    wall: i64,
) -> Result<std::result::Result<Vec<CheckInStored>, usize>> {
    let outcome = match judge_check_ins(items, |id| {
        Ok(tx
            .prepare_cached("SELECT body_hash FROM checkins WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get::<_, String>(0))
            .optional()?)
    })? {
        Ok(outcome) => outcome,
        Err(i) => return Ok(Err(i)),
    };
    for (c, o) in items.iter().zip(&outcome) {
        if *o == CheckInStored::New {
            crate::events::commit_event(
                tx,
                actor,
                &check_in_subject(c.check_in),
                EventBody::CheckInRecorded(c.clone()),
                wall,
            )?;
        }
    }
    Ok(Ok(outcome))
}

/// What a batch of check-ins would store, before anything is: each new, or the same as one held
/// (`held` gives the body hash stored under an id), or the index of the first one held — or
/// earlier in the batch — with another body (a conflict: nothing of the batch is stored). The one
/// rule for a workstation and for the server.
pub fn judge_check_ins(
    items: &[CheckInRecorded],
    mut held: impl FnMut(Id) -> Result<Option<String>>,
) -> Result<std::result::Result<Vec<CheckInStored>, usize>> {
    let mut outcome = Vec::with_capacity(items.len());
    let mut seen: BTreeMap<Id, &str> = BTreeMap::new();
    for (i, c) in items.iter().enumerate() {
        let before = match seen.get(&c.check_in) {
            Some(hash) => Some((*hash).to_owned()),
            None => held(c.check_in)?,
        };
        match before {
            Some(hash) if hash != c.body_hash => return Ok(Err(i)),
            Some(_) => outcome.push(CheckInStored::Same),
            None => {
                seen.insert(c.check_in, &c.body_hash);
                outcome.push(CheckInStored::New);
            }
        }
    }
    Ok(Ok(outcome))
}

/// The subject of the event that records a check-in.
pub fn check_in_subject(id: Id) -> String {
    format!("check_in:{id}")
}

/// A patrol checkpoint as routes, the map and reports name it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckpointRow {
    pub id: Id,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Normalised.
    pub tag: String,
    pub floor: Id,
    pub building: Id,
    pub building_code: String,
    pub floor_level: i64,
}

impl Store {
    pub fn checkpoints(&self) -> Result<Vec<CheckpointRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT d.id, d.code, d.name_zh, d.name_en, COALESCE(d.tag, ''), f.id, b.id, b.code, f.level
             FROM devices d JOIN floors f ON f.id = d.floor_id JOIN buildings b ON b.id = f.building_id
             WHERE d.deleted = 0 AND d.kind = 'checkpoint' ORDER BY d.code",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CheckpointRow {
                id: uuid_of(r, 0)?,
                code: r.get(1)?,
                name_zh: r.get(2)?,
                name_en: r.get(3)?,
                tag: normalize_tag(&r.get::<_, String>(4)?),
                floor: uuid_of(r, 5)?,
                building: uuid_of(r, 6)?,
                building_code: r.get(7)?,
                floor_level: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
