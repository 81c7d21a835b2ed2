//! Alarm signals as received (DC-09 frames, HTTP events, supervision faults) and the link state of
//! each DC-09 panel. A signal is stored before its sender is acknowledged.

use rusqlite::{params, OptionalExtension, Transaction};
use vigil_domain::{ClockFault, Id};

use crate::schema::Migration;
use crate::sites::uuid_of;
use crate::{now_ms, Result, Store};

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 4,
        name: "alarm signals and DC-09 links",
        sql: r#"
CREATE TABLE alarm_signals (
    id              TEXT PRIMARY KEY,
    -- Retransmissions and repeated HTTP posts carry the same key and are stored once.
    idempotency_key TEXT UNIQUE,
    source          TEXT NOT NULL,
    sender          TEXT,
    account         TEXT,
    zone            INTEGER,
    code            TEXT,
    qualifier       TEXT,
    alarm_type      TEXT NOT NULL,
    priority        INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 3),
    sequence        INTEGER,
    device_id       TEXT REFERENCES devices(id),
    received_at     INTEGER NOT NULL,
    sent_at         INTEGER,
    details         TEXT,
    raw             TEXT,
    incident_id     TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    deleted         INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX alarm_signals_received ON alarm_signals(received_at);

CREATE TABLE dc09_links (
    account     TEXT PRIMARY KEY,
    last_seen   INTEGER NOT NULL,
    sender      TEXT,
    faulted     INTEGER NOT NULL DEFAULT 0
) STRICT;
"#,
    },
    Migration {
        version: 7,
        name: "senders' clock faults",
        sql: r#"
-- The time that orders a signal: the sender's own time, or the receive time when the sender's
-- clock was outside the window (clock_fault says which way). NULL in rows from before: received_at.
ALTER TABLE alarm_signals ADD COLUMN occurred_at INTEGER;
ALTER TABLE alarm_signals ADD COLUMN clock_fault TEXT CHECK (clock_fault IN ('ahead', 'behind'));
CREATE INDEX alarm_signals_clock_faults ON alarm_signals(source, sender) WHERE clock_fault IS NOT NULL;
"#,
    },
];

/// One received signal, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSignal {
    pub id: Id,
    pub idempotency_key: Option<String>,
    /// `dc09-tcp`, `dc09-udp`, `http`, `supervision`.
    pub source: String,
    pub sender: Option<String>,
    pub account: Option<String>,
    pub zone: Option<u32>,
    pub code: Option<String>,
    pub qualifier: Option<String>,
    pub alarm_type: String,
    pub priority: u8,
    pub sequence: Option<u32>,
    pub device_id: Option<Id>,
    pub received_at: i64,
    /// What the sender's clock said, kept even when it was wrong.
    pub sent_at: Option<i64>,
    /// Set when `sent_at` was outside the clock window: the receive time orders the signal.
    pub clock_fault: Option<ClockFault>,
    pub details: Option<String>,
    pub raw: Option<String>,
}

impl NewSignal {
    /// A new alarm of `alarm_type` from the device `device`, as an HTTP sender reports one: no
    /// DC-09 account, zone or sequence, no sender's clock.
    pub fn from_device(device: Id, alarm_type: &str, priority: u8, received_at: i64) -> NewSignal {
        NewSignal {
            id: Id::now_v7(),
            idempotency_key: None,
            source: "http".into(),
            sender: None,
            account: None,
            zone: None,
            code: None,
            qualifier: Some("new".into()),
            alarm_type: alarm_type.to_owned(),
            priority,
            sequence: None,
            device_id: Some(device),
            received_at,
            sent_at: None,
            clock_fault: None,
            details: None,
            raw: None,
        }
    }
}

impl NewSignal {
    /// The id of a signal, the same on every workstation that receives it: derived from its
    /// idempotency key and the sender's time (the receive time where it sent none). A signal with
    /// no key gets a fresh UUIDv7.
    pub fn id_for(idempotency_key: Option<&str>, sent_at: Option<i64>, received_at: i64) -> Id {
        match idempotency_key {
            Some(key) => vigil_domain::event::derived_id("signal", key, sent_at.unwrap_or(received_at)),
            None => uuid::Uuid::now_v7(),
        }
    }

    /// The id of the incident this signal opens, if it opens one: derived like its own id, so the
    /// same frame received by two workstations (a panel's primary and backup path) names the same
    /// incident on both.
    pub fn incident_id(&self) -> Id {
        match &self.idempotency_key {
            Some(key) => vigil_domain::event::derived_id("incident", key, self.sent_at.unwrap_or(self.received_at)),
            None => uuid::Uuid::now_v7(),
        }
    }

    /// The time that orders this signal: the sender's own time where it has a trustworthy one,
    /// else the receive time.
    pub fn occurred_at(&self) -> i64 {
        match (self.clock_fault, self.sent_at) {
            (None, Some(sent)) => sent,
            _ => self.received_at,
        }
    }
}

/// A stored signal as read back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredSignal {
    pub id: Id,
    pub source: String,
    pub sender: Option<String>,
    pub account: Option<String>,
    pub zone: Option<u32>,
    pub code: Option<String>,
    pub qualifier: Option<String>,
    pub alarm_type: String,
    pub priority: u8,
    pub sequence: Option<u32>,
    pub device_id: Option<Id>,
    pub received_at: i64,
    pub sent_at: Option<i64>,
    /// The time that orders it (the sender's time, or the receive time on a clock fault).
    pub occurred_at: i64,
    pub clock_fault: Option<ClockFault>,
    pub incident_id: Option<String>,
}

/// Stores a signal unless one with the same idempotency key exists; returns whether it was new.
pub fn insert_signal(tx: &Transaction<'_>, s: &NewSignal) -> Result<bool> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO alarm_signals (id, idempotency_key, source, sender, account, zone, code, qualifier, alarm_type,
             priority, sequence, device_id, received_at, sent_at, details, raw, updated_at, occurred_at, clock_fault)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?13, ?17, ?18)
         ON CONFLICT(idempotency_key) DO NOTHING",
    )?;
    let n = stmt.execute(params![
        s.id.to_string(),
        s.idempotency_key,
        s.source,
        s.sender,
        s.account,
        s.zone,
        s.code,
        s.qualifier,
        s.alarm_type,
        s.priority,
        s.sequence,
        s.device_id.map(|d| d.to_string()),
        s.received_at,
        s.sent_at,
        s.details,
        s.raw,
        s.occurred_at(),
        s.clock_fault.map(ClockFault::as_str),
    ])?;
    Ok(n == 1)
}

/// Records that a panel's link is alive (a NULL link test or any frame).
pub fn touch_link(tx: &Transaction<'_>, account: &str, sender: Option<&str>, at: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO dc09_links (account, last_seen, sender, faulted) VALUES (?1, ?2, ?3, 0)
         ON CONFLICT(account) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), sender = excluded.sender, faulted = 0",
    )?
    .execute(params![account, at, sender])?;
    Ok(())
}

/// The alarm point a DC-09 account and zone answer to, read inside the writer's transaction.
pub fn dc09_point(tx: &Transaction<'_>, account: &str, zone: u32) -> Result<Option<Id>> {
    Ok(tx
        .prepare_cached("SELECT id FROM devices WHERE dc09_account = ?1 AND dc09_zone = ?2 AND deleted = 0 LIMIT 1")?
        .query_row(params![account, zone], |row| uuid_of(row, 0))
        .optional()?)
}

/// Marks a panel's link as faulted (its supervision raised a fault), until it is heard again.
pub fn mark_link_faulted(tx: &Transaction<'_>, account: &str) -> Result<()> {
    tx.execute("UPDATE dc09_links SET faulted = 1 WHERE account = ?1", [account])?;
    Ok(())
}

impl Store {
    /// Signals received at or after `since` (ms since the epoch), oldest first, at most `limit`.
    pub fn signals_since(&self, since: i64, limit: u32) -> Result<Vec<StoredSignal>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, source, sender, account, zone, code, qualifier, alarm_type, priority, sequence, device_id,
                    received_at, sent_at, incident_id, coalesce(occurred_at, received_at), clock_fault
             FROM alarm_signals WHERE received_at >= ?1 AND deleted = 0 ORDER BY received_at, id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since, limit], |row| {
            let device: Option<String> = row.get(10)?;
            Ok(StoredSignal {
                id: uuid_of(row, 0)?,
                source: row.get(1)?,
                sender: row.get(2)?,
                account: row.get(3)?,
                zone: row.get(4)?,
                code: row.get(5)?,
                qualifier: row.get(6)?,
                alarm_type: row.get(7)?,
                priority: row.get(8)?,
                sequence: row.get(9)?,
                device_id: device.and_then(|d| Id::parse_str(&d).ok()),
                received_at: row.get(11)?,
                sent_at: row.get(12)?,
                incident_id: row.get(13)?,
                occurred_at: row.get(14)?,
                clock_fault: row.get::<_, Option<String>>(15)?.as_deref().and_then(ClockFault::parse),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Signals whose sender's clock was off, by source and sender (`http:face-recognition`).
    pub fn clock_fault_counts(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT source || ':' || coalesce(sender, '-'), count(*) FROM alarm_signals
             WHERE clock_fault IS NOT NULL AND deleted = 0 GROUP BY source, sender ORDER BY 1",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn signal_count(&self) -> Result<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM alarm_signals WHERE deleted = 0", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// The alarm point a DC-09 account and zone answer to, if any.
    pub fn device_for_dc09(&self, account: &str, zone: u32) -> Result<Option<Id>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id FROM devices WHERE dc09_account = ?1 AND dc09_zone = ?2 AND deleted = 0 LIMIT 1",
        )?;
        Ok(stmt.query_row(params![account, zone], |row| uuid_of(row, 0)).optional()?)
    }

    /// Every DC-09 address known, for the engine's in-memory map.
    pub fn dc09_addresses(&self) -> Result<Vec<(String, u32, Id)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT dc09_account, dc09_zone, id FROM devices WHERE dc09_account IS NOT NULL AND deleted = 0",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, uuid_of(row, 2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Devices whose code matches, for HTTP events naming their point by code.
    pub fn device_id_by_code(&self, code: &str) -> Result<Option<Id>> {
        let mut stmt = self.conn().prepare_cached("SELECT id FROM devices WHERE code = ?1 AND deleted = 0")?;
        Ok(stmt.query_row([code], |row| uuid_of(row, 0)).optional()?)
    }

    /// Links whose last sign of life is older than `before`, not yet faulted.
    pub fn silent_links(&self, before: i64) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT account, last_seen FROM dc09_links WHERE last_seen < ?1 AND faulted = 0")?;
        let rows = stmt.query_map([before], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Milliseconds since the epoch, as the store writes them.
    pub fn now_ms() -> i64 {
        now_ms()
    }
}
