//! Incidents as stored: what each alarm became, its whole timeline, the shelves of chattering
//! points and the operators' procedures. The rules of how an incident moves live in
//! `vigil_domain::incident`; this module only loads, hands over and saves.

use rusqlite::{params, OptionalExtension, Row, Transaction};
use vigil_domain::event::{EventBody, SignalReceived};
use vigil_domain::incident::{ClockNote, Incident, Priority, Shelf, Signal};
use vigil_domain::{sop, Id};

use crate::alarms::NewSignal;
use crate::schema::Migration;
use crate::sites::uuid_of;
use crate::{now_ms, Result, Store};

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 6,
        name: "incidents, shelves, procedures and camera links",
        sql: r#"
CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,
    -- The alarm point: a device id, or an `unmapped:` key for a sender with no point.
    point       TEXT NOT NULL,
    device_id   TEXT REFERENCES devices(id),
    alarm_type  TEXT NOT NULL,
    priority    INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 3),
    state       TEXT NOT NULL CHECK (state IN ('new', 'acknowledged', 'dispatched', 'on_scene', 'resolved', 'closed')),
    opened_at   INTEGER NOT NULL,
    -- The whole incident (timeline included) as JSON, exactly as the domain crate writes it.
    body        TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    deleted     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX incidents_open_point ON incidents(point) WHERE state <> 'closed';
CREATE INDEX incidents_opened ON incidents(opened_at);
CREATE INDEX incidents_updated ON incidents(updated_at);

CREATE TABLE shelves (
    id          TEXT PRIMARY KEY,
    point       TEXT NOT NULL,
    from_at     INTEGER NOT NULL,
    until       INTEGER NOT NULL,
    by_name     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    deleted     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX shelves_point ON shelves(point, until);

CREATE TABLE sop_steps (
    alarm_type  TEXT NOT NULL,
    language    TEXT NOT NULL,
    steps       TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    deleted     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (alarm_type, language)
) STRICT;

CREATE TABLE camera_links (
    point_id    TEXT NOT NULL REFERENCES devices(id),
    camera_id   TEXT NOT NULL REFERENCES devices(id),
    rank        INTEGER NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    deleted     INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (point_id, camera_id)
) STRICT;
"#,
    },
    Migration {
        version: 12,
        name: "incidents needing review",
        sql: r#"
-- The supervisor's list: incidents with a marked line (a second close, an action after the close,
-- one that did not apply), found without reading every incident.
CREATE INDEX incidents_needing_review ON incidents(opened_at)
    WHERE deleted = 0 AND json_extract(body, '$.needs_review') = 1;
"#,
    },
];

/// An incident with what the store knows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIncident {
    pub incident: Incident,
    pub device_id: Option<Id>,
    pub version: i64,
    pub updated_at: i64,
}

/// What one stored signal did, for the engine to announce to the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentChange {
    pub incident_id: Id,
    pub device_id: Option<Id>,
    pub priority: Priority,
    /// A new incident (the siren's cue), rather than a repeat or restore folded into one.
    pub opened: bool,
    /// When the signal was received (ms since the epoch): where an alarm's latency starts.
    pub received_at: i64,
}

/// The key of the point a signal belongs to: its device, else its sender's address.
pub fn point_key(signal: &NewSignal) -> String {
    match signal.device_id {
        Some(id) => id.to_string(),
        None => format!(
            "unmapped:{}:{}:{}",
            signal.source,
            signal.account.as_deref().unwrap_or("-"),
            signal.zone.map_or_else(|| "-".to_owned(), |z| z.to_string())
        ),
    }
}

fn incident_of(row: &Row<'_>) -> rusqlite::Result<StoredIncident> {
    let body: String = row.get(0)?;
    let incident: Incident = serde_json::from_str(&body)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))?;
    let device: Option<String> = row.get(1)?;
    Ok(StoredIncident {
        incident,
        device_id: device.and_then(|d| Id::parse_str(&d).ok()),
        version: row.get(2)?,
        updated_at: row.get(3)?,
    })
}

const SELECT: &str = "SELECT body, device_id, version, updated_at FROM incidents";

/// Writes an incident (new or changed) as the event log's fold made it.
pub(crate) fn write_incident(tx: &Transaction<'_>, incident: &Incident, device_id: Option<Id>) -> Result<()> {
    let body = serde_json::to_string(incident).map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
    // A device this database does not hold (its floor not published here yet, or the server's
    // fold without the campus) leaves the incident off the map until it arrives: the incident is
    // kept all the same, and the floor's publication places it (`publish::write_floor`).
    let device_id = device_id.filter(|d| device_known(tx, *d).unwrap_or(false));
    let now = now_ms();
    tx.prepare_cached(
        "INSERT INTO incidents (id, point, device_id, alarm_type, priority, state, opened_at, body, updated_at, from_log)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)
         ON CONFLICT(id) DO UPDATE SET point = excluded.point, device_id = excluded.device_id,
             alarm_type = excluded.alarm_type, priority = excluded.priority, state = excluded.state,
             opened_at = excluded.opened_at, body = excluded.body, version = version + 1,
             updated_at = excluded.updated_at",
    )?
    .execute(params![
        incident.id.to_string(),
        incident.point,
        device_id.map(|d| d.to_string()),
        incident.alarm_type,
        incident.priority.level(),
        incident.state.as_str(),
        incident.opened_at,
        body,
        now
    ])?;
    Ok(())
}

pub(crate) fn device_known(conn: &rusqlite::Connection, device: Id) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM devices WHERE id = ?1)")?
        .query_row([device.to_string()], |r| r.get(0))?)
}

/// Sets a device's map colour from its open incidents, as `Projection::device_status` decides it:
/// alarm while a non-technical one is open, fault while only technical ones are, else normal.
pub(crate) fn follow_device(tx: &Transaction<'_>, device: Id) -> Result<()> {
    let (alarm, fault): (bool, bool) = tx
        .prepare_cached(
            "SELECT coalesce(max(alarm_type NOT IN ('trouble', 'tamper')), 0), count(*) > 0 FROM incidents
             WHERE device_id = ?1 AND state <> 'closed' AND deleted = 0",
        )?
        .query_row([device.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let status = if alarm {
        "alarm"
    } else if fault {
        "fault"
    } else {
        "normal"
    };
    tx.prepare_cached(
        "UPDATE devices SET status = ?2, version = version + 1, updated_at = ?3
         WHERE id = ?1 AND deleted = 0 AND status <> ?2",
    )?
    .execute(params![device.to_string(), status, now_ms()])?;
    Ok(())
}

/// One incident, read inside the caller's transaction (to change it).
pub fn load_incident(tx: &Transaction<'_>, id: Id) -> Result<Option<StoredIncident>> {
    Ok(tx
        .prepare_cached(&format!("{SELECT} WHERE id = ?1 AND deleted = 0"))?
        .query_row([id.to_string()], incident_of)
        .optional()?)
}

/// The open incident of a point a new signal folds into, if any: the last opened (then the largest
/// id) of its open incidents from the log, as `Projection::open_of` decides it. Incidents kept from
/// before the event log are not folded into.
pub(crate) fn open_incident_of(tx: &Transaction<'_>, point: &str) -> Result<Option<StoredIncident>> {
    Ok(tx
        .prepare_cached(&format!(
            "{SELECT} WHERE point = ?1 AND state <> 'closed' AND deleted = 0 AND from_log = 1
             ORDER BY opened_at DESC, id DESC LIMIT 1"
        ))?
        .query_row([point], incident_of)
        .optional()?)
}

/// Lets a just-stored signal open, fold into or note on an incident, in the same transaction as
/// the signal itself — so an alarm acknowledged to its sender always has its incident. The signal
/// becomes an event of the log, and the incident is what the fold makes of it.
pub fn apply_signal(tx: &Transaction<'_>, signal: &NewSignal) -> Result<Option<IncidentChange>> {
    let point = point_key(signal);
    let domain = Signal {
        id: signal.id,
        point: point.clone(),
        alarm_type: signal.alarm_type.clone(),
        priority: Priority::from_level(signal.priority),
        restore: signal.qualifier.as_deref() == Some("restore"),
        at: signal.occurred_at(),
        clock: signal
            .clock_fault
            .map(|fault| ClockNote { fault, sent_at: signal.sent_at.unwrap_or(signal.received_at) }),
    };
    let body = EventBody::SignalReceived(SignalReceived {
        signal: domain,
        device: signal.device_id,
        opens: signal.incident_id(),
        opened: false,
    });
    let sender = signal.sender.clone().unwrap_or_else(|| signal.source.clone());
    let committed = crate::events::commit_event(tx, &sender, &point, body, signal.received_at)?;
    let Some(incident_id) = committed.applied.incidents.first().copied() else { return Ok(None) };
    tx.prepare_cached("UPDATE alarm_signals SET incident_id = ?2 WHERE id = ?1")?
        .execute(params![signal.id.to_string(), incident_id.to_string()])?;
    let priority =
        committed.state.incidents.get(&incident_id).map_or(Priority::from_level(signal.priority), |i| i.priority);
    Ok(Some(IncidentChange {
        incident_id,
        device_id: signal.device_id,
        priority,
        opened: committed.applied.opened.is_some(),
        received_at: signal.received_at,
    }))
}

/// Stores an administrator's procedure for an alarm type in one language.
pub(crate) fn put_sop_steps(tx: &Transaction<'_>, alarm_type: &str, language: &str, steps: &[String]) -> Result<()> {
    let json = serde_json::to_string(steps).map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
    tx.execute(
        "INSERT INTO sop_steps (alarm_type, language, steps, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(alarm_type, language) DO UPDATE SET steps = excluded.steps, version = version + 1,
             updated_at = excluded.updated_at",
        params![alarm_type, language, json, now_ms()],
    )?;
    Ok(())
}

/// Replaces the cameras linked to an alarm point: links no longer wanted become tombstones, the
/// others are (re)written in the given order.
pub(crate) fn set_camera_links(tx: &Transaction<'_>, point: Id, cameras: &[Id]) -> Result<()> {
    let now = now_ms();
    tx.execute(
        "UPDATE camera_links SET deleted = 1, version = version + 1, updated_at = ?2 WHERE point_id = ?1 AND deleted = 0",
        params![point.to_string(), now],
    )?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO camera_links (point_id, camera_id, rank, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(point_id, camera_id) DO UPDATE SET rank = excluded.rank, deleted = 0, version = version + 1,
             updated_at = excluded.updated_at",
    )?;
    for (rank, camera) in cameras.iter().enumerate() {
        stmt.execute(params![point.to_string(), camera.to_string(), rank as i64, now])?;
    }
    Ok(())
}

/// Which incidents a list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentFilter {
    /// Everything not closed.
    Open,
    /// Everything changed at or after `since` (ms since the epoch).
    ChangedSince(i64),
    /// Incidents with a marked line, for the supervisor (open or closed).
    NeedingReview,
}

impl Store {
    pub fn incident(&self, id: Id) -> Result<Option<StoredIncident>> {
        Ok(self
            .conn()
            .prepare_cached(&format!("{SELECT} WHERE id = ?1 AND deleted = 0"))?
            .query_row([id.to_string()], incident_of)
            .optional()?)
    }

    /// Incidents, most recently opened first, at most `limit`.
    pub fn incidents(&self, filter: IncidentFilter, limit: u32) -> Result<Vec<StoredIncident>> {
        let (sql, since) = match filter {
            IncidentFilter::Open => (format!("{SELECT} WHERE state <> 'closed' AND deleted = 0"), 0),
            IncidentFilter::ChangedSince(since) => (format!("{SELECT} WHERE updated_at >= ?2 AND deleted = 0"), since),
            IncidentFilter::NeedingReview => {
                (format!("{SELECT} WHERE deleted = 0 AND json_extract(body, '$.needs_review') = 1"), 0)
            }
        };
        let sql = format!("{sql} ORDER BY opened_at DESC LIMIT ?1");
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = match filter {
            IncidentFilter::Open | IncidentFilter::NeedingReview => {
                stmt.query_map(params![limit], incident_of)?.collect::<rusqlite::Result<_>>()?
            }
            IncidentFilter::ChangedSince(_) => {
                stmt.query_map(params![limit, since], incident_of)?.collect::<rusqlite::Result<_>>()?
            }
        };
        Ok(rows)
    }

    /// Incidents opened in `[from, to)`, oldest first (reviews and reports).
    pub fn incidents_opened(&self, from: i64, to: i64) -> Result<Vec<StoredIncident>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "{SELECT} WHERE opened_at >= ?1 AND opened_at < ?2 AND deleted = 0 ORDER BY opened_at"
        ))?;
        let rows = stmt.query_map(params![from, to], incident_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counts of incidents by state, for `/v1/stats`.
    pub fn incident_counts(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt =
            self.conn().prepare_cached("SELECT state, count(*) FROM incidents WHERE deleted = 0 GROUP BY state")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Shelves still in force at `at`.
    pub fn active_shelves(&self, at: i64) -> Result<Vec<Shelf>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT point, until, by_name, reason FROM shelves WHERE until > ?1 AND deleted = 0 ORDER BY until",
        )?;
        let rows = stmt
            .query_map([at], |r| Ok(Shelf { point: r.get(0)?, until: r.get(1)?, by: r.get(2)?, reason: r.get(3)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The procedure for an alarm type: the administrator's if stored, else the default.
    pub fn sop_steps(&self, alarm_type: &str, language: &str) -> Result<Vec<String>> {
        let stored: Option<String> = self
            .conn()
            .prepare_cached("SELECT steps FROM sop_steps WHERE alarm_type = ?1 AND language = ?2 AND deleted = 0")?
            .query_row([alarm_type, language], |r| r.get(0))
            .optional()?;
        Ok(stored
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_else(|| sop::default_steps(alarm_type, language)))
    }

    /// Cameras an administrator linked to an alarm point, in their order.
    pub fn linked_cameras(&self, point: Id) -> Result<Vec<Id>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT camera_id FROM camera_links WHERE point_id = ?1 AND deleted = 0 ORDER BY rank")?;
        let rows = stmt.query_map([point.to_string()], |r| uuid_of(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
