//! Sync between workstations and the central server, as the database sees it.
//!
//! Both sides keep the same `events` table. A workstation's own events are its outbox: it pushes
//! them in `origin_seq` order and remembers how far the server confirmed (`sync.pushed` in
//! `local_meta`); it pulls everyone's events by the server's cursor (`sync.cursor`) and stores the
//! others' with [`apply_received`]. The server stores a push (`sync_server::accept_push`) in its own order
//! (its local `seq` is the order every workstation pulls), folds it with the same function, and
//! keeps the heads each workstation showed it (`sync_heads`): the witness `vigil verify` checks
//! against. Workstations, their hashed tokens and one-time enrollment codes live in
//! `sync_workstations` and `sync_enrollments`. This module holds the tables, what both sides do
//! with a received event, and the workstation's side; `sync_server` the server's.

use rusqlite::{params, OptionalExtension, Transaction};
use vigil_domain::event::{Event, Hlc, HlcClock};
use vigil_domain::Id;

use crate::events::{load_for, write_back, EventRow, ROW_COLUMNS};
use crate::schema::Migration;
use crate::{now_ms, IncidentChange, Result, Store, StoreError};

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 11,
        name: "sync with the central server",
        sql: r#"
-- On the server: every workstation it enrolled, with the SHA-256 of its token (never the token).
CREATE TABLE sync_workstations (
    origin       TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    enrolled_at  INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_seen    INTEGER,
    -- The workstation's clock minus the server's at its last push (ms).
    clock_offset INTEGER
) STRICT;
CREATE INDEX sync_workstations_name ON sync_workstations(name);

-- One-time enrollment codes (hashed): each names the workstation it is for and expires.
CREATE TABLE sync_enrollments (
    code_hash  TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    TEXT
) STRICT;

-- Every chain head a workstation showed the server, with when: history rewritten later on the
-- workstation, even with its chain recomputed, no longer matches what the server saw.
CREATE TABLE sync_heads (
    origin  TEXT NOT NULL,
    chain   TEXT NOT NULL CHECK (chain IN ('events', 'audit')),
    seq     INTEGER NOT NULL,
    hash    TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (origin, chain, seq)
) STRICT;

-- On a workstation: each event's place in the server's order, once a pull has brought it (its
-- own events included). Events without one are still pending; the fold puts them last.
-- A signal received at two workstations is one signal in two events: found by its id.
CREATE INDEX events_signal_id ON events(json_extract(payload, '$.signal.id')) WHERE kind = 'signal_received';

CREATE TABLE sync_positions (
    event_id   TEXT PRIMARY KEY,
    server_seq INTEGER NOT NULL
) STRICT;

-- Events stored but not folded: this build cannot read them (unknown kind, newer schema, a payload
-- that does not parse). They stay in the log, and in every pull, for a newer build.
CREATE TABLE sync_rejected (
    event_id TEXT PRIMARY KEY,
    reason   TEXT NOT NULL
) STRICT;
"#,
    },
    Migration {
        version: 14,
        name: "handhelds enrolled with the server",
        sql: r#"
-- What an enrolled client is: a workstation (pushes and pulls the log) or a guard's handheld
-- (posts check-ins, reads nothing).
ALTER TABLE sync_enrollments ADD COLUMN client TEXT NOT NULL DEFAULT 'workstation'
    CHECK (client IN ('workstation', 'handheld'));
ALTER TABLE sync_workstations ADD COLUMN client TEXT NOT NULL DEFAULT 'workstation'
    CHECK (client IN ('workstation', 'handheld'));
"#,
    },
];

/// An event as it travels: everything its origin's chain hashes, and the hash it claims.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncEvent {
    pub id: Id,
    pub origin: Id,
    pub origin_seq: i64,
    pub actor: String,
    pub kind: String,
    pub subject: String,
    pub hlc: i64,
    pub wall: i64,
    pub schema: u32,
    pub payload: String,
    pub hash: String,
    /// Set when this is only the chain entry of an event retention removed on the server: the
    /// hash of its origin's event before it. Its content is gone (`payload` is empty, `actor`
    /// too); it keeps its origin's chain whole where it stood. A push never carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned_prev_hash: Option<String>,
}

impl SyncEvent {
    /// An event made by the server itself (its own origin), as it joins the log behind `prev`,
    /// its origin's last hash: payload written and the chain's hash computed.
    pub fn made(event: &vigil_domain::event::Event, prev: &str) -> Result<SyncEvent> {
        let mut row = crate::events::event_row(event, prev)?;
        row.hash = row.hash_with(prev);
        SyncEvent::of_row(&row)
    }

    /// The row this event is stored as behind `prev` (its hash still to compute).
    pub fn row(&self, prev: &str) -> EventRow {
        EventRow {
            seq: 0,
            id: self.id.to_string(),
            origin: self.origin.to_string(),
            origin_seq: self.origin_seq,
            actor: self.actor.clone(),
            kind: self.kind.clone(),
            subject: self.subject.clone(),
            hlc: self.hlc,
            wall: self.wall,
            schema: self.schema,
            payload: self.payload.clone(),
            prev_hash: prev.to_owned(),
            hash: String::new(),
        }
    }

    pub fn of_row(row: &EventRow) -> Result<SyncEvent> {
        let uuid = |text: &str| {
            Id::parse_str(text).map_err(|_| StoreError::Invalid(format!("event {} has no valid id: {text:?}", row.seq)))
        };
        Ok(SyncEvent {
            id: uuid(&row.id)?,
            origin: uuid(&row.origin)?,
            origin_seq: row.origin_seq,
            actor: row.actor.clone(),
            kind: row.kind.clone(),
            subject: row.subject.clone(),
            hlc: row.hlc,
            wall: row.wall,
            schema: row.schema,
            payload: row.payload.clone(),
            hash: row.hash.clone(),
            pruned_prev_hash: None,
        })
    }
}

/// What storing one received event did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    /// It was not in the log before.
    pub new: bool,
    /// Why the fold could not apply it (it is stored all the same).
    pub skipped: Option<String>,
    /// Incidents it opened or changed, to announce.
    pub changes: Vec<IncidentChange>,
}

/// The last event of `origin` in this log: its `origin_seq` and hash.
pub(crate) fn origin_head(tx: &Transaction<'_>, origin: Id) -> Result<Option<(i64, String)>> {
    crate::events::origin_last(tx, origin)
}

/// Stores an event made elsewhere behind its origin's previous one and folds it into the
/// projections with the same function `commit_event` uses, observing its HLC stamp so this log's
/// clock stays ahead of everything it has seen. Known already (by id) → nothing changes. Its hash
/// must be what its content and its origin's chain give, and it must be its origin's next event.
pub fn apply_received(tx: &Transaction<'_>, e: &SyncEvent) -> Result<Received> {
    if let Some(prev) = &e.pruned_prev_hash {
        let new = crate::retention::append_received_entry(tx, e, prev)?;
        return Ok(Received { new, ..Received::default() });
    }
    let Some(hash) = crate::events::append_received_event(tx, e)? else { return Ok(Received::default()) };
    if hash != e.hash {
        return Err(StoreError::Invalid(format!(
            "event {} of origin {} does not match its hash: its content or its chain differs",
            e.origin_seq, e.origin
        )));
    }
    let row = e.row("");
    observe_hlc(tx, e.hlc)?;
    let event: Event = match row.decode() {
        Ok(event) => event,
        Err(skip) => {
            let reason = skip.reason();
            tx.prepare_cached("INSERT OR IGNORE INTO sync_rejected (event_id, reason) VALUES (?1, ?2)")?
                .execute(params![e.id.to_string(), reason])?;
            return Ok(Received { new: true, skipped: Some(reason), changes: Vec::new() });
        }
    };
    // The event is kept whatever the fold makes of it: a fold that fails here (rows this database
    // lacks, say) is undone alone and the event marked, so nothing queued behind it is blocked.
    // Prepared once (a received event at a time, a catch-up runs this 100,000 times).
    tx.prepare_cached("SAVEPOINT vigil_fold")?.execute([])?;
    let folded = (|| -> Result<_> {
        let mut state = load_for(tx, &event.body, event.id)?;
        let applied = vigil_domain::fold::apply(&mut state, &event);
        write_back(tx, &state, &applied, &event)?;
        Ok((state, applied))
    })();
    let (state, applied) = match folded {
        Ok(done) => {
            tx.prepare_cached("RELEASE vigil_fold")?.execute([])?;
            done
        }
        Err(err) => {
            tx.execute_batch("ROLLBACK TO vigil_fold; RELEASE vigil_fold")?;
            let reason = format!("cannot be folded here: {err}");
            tx.prepare_cached("INSERT OR IGNORE INTO sync_rejected (event_id, reason) VALUES (?1, ?2)")?
                .execute(params![event.id.to_string(), reason])?;
            return Ok(Received { new: true, skipped: Some(reason), changes: Vec::new() });
        }
    };
    let changes = applied
        .incidents
        .iter()
        .filter_map(|id| state.incidents.get(id))
        .map(|incident| IncidentChange {
            incident_id: incident.id,
            device_id: state.incident_devices.get(&incident.id).copied(),
            priority: incident.priority,
            opened: applied.opened == Some(incident.id),
            received_at: event.wall,
        })
        .collect();
    Ok(Received { new: true, skipped: None, changes })
}

/// Moves the persisted HLC past a stamp seen from elsewhere.
fn observe_hlc(tx: &Transaction<'_>, remote: i64) -> Result<()> {
    let persisted: i64 = tx
        .prepare_cached("SELECT value FROM local_meta WHERE key = 'hlc'")?
        .query_row([], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut clock = HlcClock::resume(Hlc(persisted));
    let stamp = clock.observe(Hlc(remote), now_ms());
    set_meta(tx, "hlc", &stamp.0.to_string())
}

pub(crate) fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO local_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

pub(crate) fn meta_i64(conn: &rusqlite::Connection, key: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM local_meta WHERE key = ?1")?
        .query_row([key], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

// ---- The workstation's side ------------------------------------------------------------------

/// How far a workstation's sync has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncMarks {
    /// The last of its own events the server confirmed (`origin_seq`).
    pub pushed: i64,
    /// The server's position after the last event pulled.
    pub cursor: i64,
}

/// A chain's head as a workstation shows it to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Records how far the server confirmed this workstation's own events.
pub fn set_pushed(tx: &Transaction<'_>, origin_seq: i64) -> Result<()> {
    set_meta(tx, "sync.pushed", &origin_seq.to_string())
}

/// Records the server's position after a pull, in the transaction that stored what it brought.
pub fn set_cursor(tx: &Transaction<'_>, cursor: i64) -> Result<()> {
    set_meta(tx, "sync.cursor", &cursor.to_string())
}

/// Stores a pulled page of the server's log (each event with its server position) and folds the
/// others' events into this workstation's projections, so they end as the server's: where a
/// pulled event touches a point this workstation has acted on in events the server has not
/// ordered yet, the point is folded again from its events in the server's order, this
/// workstation's pending ones on top. Returns the incidents to announce.
pub fn apply_pulled(tx: &Transaction<'_>, events: &[(SyncEvent, i64)], me: Id) -> Result<Vec<IncidentChange>> {
    let mut changes = Vec::new();
    let mut refold = std::collections::BTreeSet::new();
    let mut placed =
        tx.prepare_cached("INSERT OR IGNORE INTO sync_positions (event_id, server_seq) VALUES (?1, ?2)")?;
    for (e, position) in events {
        if e.origin == me {
            if crate::events::event_known(tx, e.id)? {
                // Its own event coming back: only its place in the server's order is new.
                placed.execute(params![e.id.to_string(), position])?;
                continue;
            }
            // This workstation's own event, which this copy lacks: it was restored from an older
            // backup. Next in its log, it is taken back; at a place this copy has filled with
            // another event since, it cannot be (the pusher holds this copy's back and says so),
            // and everyone else's events go on arriving.
            if e.origin_seq != origin_head(tx, me)?.map_or(0, |(seq, _)| seq) + 1 {
                continue;
            }
        }
        let received = apply_received(tx, e)?;
        if received.new && e.origin != me && e.pruned_prev_hash.is_none() {
            // Folded on top of everything here; in the server's order it comes before this
            // workstation's events not yet placed — those later in this page included, whose
            // places are recorded only as the loop reaches them.
            for point in points_of(tx, e, &received)? {
                if !refold.contains(&point) && has_pending_for_point(tx, &point, me)? {
                    refold.insert(point);
                }
            }
            changes.extend(received.changes);
        }
        placed.execute(params![e.id.to_string(), position])?;
    }
    drop(placed);
    for point in refold {
        changes.extend(refold_point(tx, &point)?);
    }
    // An account is the last of its events in the server's order: a page can place one of this
    // workstation's own edits under one pulled before it, or over it.
    let accounts: std::collections::BTreeSet<&str> =
        events.iter().filter(|(e, _)| e.kind == "account_set").map(|(e, _)| e.subject.as_str()).collect();
    for name in accounts {
        crate::people::refold_account(tx, name)?;
    }
    Ok(changes)
}

/// The points an event is about, even when it changed nothing here (a signal already folded
/// from another event).
fn points_of(tx: &Transaction<'_>, e: &SyncEvent, received: &Received) -> Result<Vec<String>> {
    let mut points = Vec::new();
    match e.kind.as_str() {
        "signal_received" | "point_shelved" => points.push(e.subject.clone()),
        "incident_acted" => {
            if let Ok(id) = Id::parse_str(&e.subject) {
                let id = crate::events::resolve_incident(tx, id)?;
                if let Some(stored) = crate::incidents::load_incident(tx, id)? {
                    points.push(stored.incident.point);
                }
            }
        }
        _ => {}
    }
    for change in &received.changes {
        if let Some(stored) = crate::incidents::load_incident(tx, change.incident_id)? {
            points.push(stored.incident.point);
        }
    }
    Ok(points)
}

/// The ids of every incident of `point`, merged ones included, as a JSON array for `json_each`.
fn incidents_of_point(tx: &Transaction<'_>, point: &str) -> Result<String> {
    let mut stmt = tx.prepare_cached(
        "SELECT id FROM incidents WHERE point = ?1
         UNION SELECT alias FROM incident_aliases WHERE survivor IN (SELECT id FROM incidents WHERE point = ?1)",
    )?;
    let ids: Vec<String> = stmt.query_map([point], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(serde_json::Value::from(ids).to_string())
}

/// Whether this workstation has events about `point` the server has not ordered yet.
fn has_pending_for_point(tx: &Transaction<'_>, point: &str, me: Id) -> Result<bool> {
    let ids = incidents_of_point(tx, point)?;
    Ok(tx
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM events e
               WHERE e.origin = ?1 AND (e.subject = ?2 OR e.subject IN (SELECT value FROM json_each(?3)))
                 AND NOT EXISTS (SELECT 1 FROM sync_positions p WHERE p.event_id = e.id))",
        )?
        .query_row(params![me.to_string(), point, ids], |r| r.get(0))?)
}

/// Folds every event about `point` again from nothing, in the server's order with pending events
/// last, and rewrites the point's incidents, aliases and device status from what it gives.
fn refold_point(tx: &Transaction<'_>, point: &str) -> Result<Vec<IncidentChange>> {
    let ids = incidents_of_point(tx, point)?;
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {} FROM events e LEFT JOIN sync_positions p ON p.event_id = e.id
         WHERE e.subject = ?1 OR e.subject IN (SELECT value FROM json_each(?2))
         ORDER BY coalesce(p.server_seq, 9223372036854775807), e.seq",
        crate::events::row_columns_of("e")
    ))?;
    let rows: Vec<EventRow> =
        stmt.query_map(params![point, ids], crate::events::row_of)?.collect::<rusqlite::Result<_>>()?;
    let mut state = vigil_domain::fold::Projection::new();
    for row in &rows {
        if let Ok(event) = row.decode() {
            vigil_domain::fold::apply(&mut state, &event);
        }
    }
    let now = now_ms();
    let folded: std::collections::BTreeSet<String> = state.incidents.keys().map(|i| i.to_string()).collect();
    let stored: Vec<String> = tx
        .prepare_cached("SELECT id FROM incidents WHERE point = ?1 AND from_log = 1 AND deleted = 0")?
        .query_map([point], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in stored.iter().filter(|id| !folded.contains(*id)) {
        tx.prepare_cached("UPDATE incidents SET deleted = 1, version = version + 1, updated_at = ?2 WHERE id = ?1")?
            .execute(params![id, now])?;
    }
    let mut changes = Vec::new();
    for (id, incident) in &state.incidents {
        let device = state.incident_devices.get(id).copied();
        crate::incidents::write_incident(tx, incident, device)?;
        tx.prepare_cached("UPDATE incidents SET deleted = 0 WHERE id = ?1 AND deleted = 1")?
            .execute([id.to_string()])?;
        if let Some(device) = device {
            crate::incidents::follow_device(tx, device)?;
        }
        changes.push(IncidentChange {
            incident_id: *id,
            device_id: device,
            priority: incident.priority,
            opened: false,
            received_at: now,
        });
    }
    // Merges as this order decides: one folded on top here may not have happened in it.
    let kept: Vec<String> = state.aliases.keys().map(|a| a.to_string()).collect();
    tx.prepare_cached(
        "DELETE FROM incident_aliases WHERE alias IN (SELECT value FROM json_each(?1))
           AND alias NOT IN (SELECT value FROM json_each(?2))",
    )?
    .execute(params![ids, serde_json::Value::from(kept).to_string()])?;
    for alias in state.aliases.keys() {
        tx.prepare_cached(
            "INSERT INTO incident_aliases (alias, survivor, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(alias) DO UPDATE SET survivor = excluded.survivor, updated_at = excluded.updated_at",
        )?
        .execute(params![alias.to_string(), state.resolve(*alias).to_string(), now])?;
    }
    Ok(changes)
}

impl Store {
    pub fn sync_marks(&self) -> Result<SyncMarks> {
        Ok(SyncMarks { pushed: meta_i64(self.conn(), "sync.pushed")?, cursor: meta_i64(self.conn(), "sync.cursor")? })
    }

    /// This data directory's workstation id, if anything was ever written.
    pub fn workstation_origin(&self) -> Result<Option<Id>> {
        let stored: Option<String> = self
            .conn()
            .prepare_cached("SELECT value FROM local_meta WHERE key = 'workstation_id'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(stored.and_then(|s| Id::parse_str(&s).ok()))
    }

    /// At most `limit` of `origin`'s events after `after` (its own sequence): the outbox.
    pub fn origin_events_after(&self, origin: Id, after: i64, limit: u32) -> Result<Vec<EventRow>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM events WHERE origin = ?1 AND origin_seq > ?2 ORDER BY origin_seq LIMIT ?3"
        ))?;
        let rows = stmt.query_map(params![origin.to_string(), after, limit], crate::events::row_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many of `origin`'s events come after `after`: the queue still to push.
    pub fn origin_events_pending(&self, origin: Id, after: i64) -> Result<u64> {
        let n: i64 = self
            .conn()
            .prepare_cached("SELECT count(*) FROM events WHERE origin = ?1 AND origin_seq > ?2")?
            .query_row(params![origin.to_string(), after], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The heads of this workstation's chains: its events (by `origin_seq`) and its audit log.
    pub fn chain_heads(&self, origin: Id) -> Result<(Option<Head>, Option<Head>)> {
        let events = self
            .conn()
            .prepare_cached("SELECT origin_seq, hash FROM events WHERE origin = ?1 ORDER BY origin_seq DESC LIMIT 1")?
            .query_row([origin.to_string()], |r| Ok(Head { seq: r.get(0)?, hash: r.get(1)? }))
            .optional()?;
        let audit = self
            .conn()
            .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok(Head { seq: r.get(0)?, hash: r.get(1)? }))
            .optional()?;
        Ok((events, audit))
    }
}
