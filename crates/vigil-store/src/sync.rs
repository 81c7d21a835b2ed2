//! Sync between workstations and the central server, as the database sees it.
//!
//! Both sides keep the same `events` table. A workstation's own events are its outbox: it pushes
//! them in `origin_seq` order and remembers how far the server confirmed (`sync.pushed` in
//! `local_meta`); it pulls everyone's events by the server's cursor (`sync.cursor`) and stores the
//! others' with [`apply_received`]. The server stores a push with [`accept_push`] in its own order
//! (its local `seq` is the order every workstation pulls), folds it with the same function, and
//! keeps the heads each workstation showed it (`sync_heads`): the witness `vigil verify` checks
//! against. Workstations, their hashed tokens and one-time enrollment codes live in
//! `sync_workstations` and `sync_enrollments`.

use rusqlite::{params, OptionalExtension, Transaction};
use vigil_domain::event::{Event, Hlc, HlcClock};
use vigil_domain::Id;

use crate::events::{load_for, write_back, EventRow, ROW_COLUMNS};
use crate::schema::Migration;
use crate::{now_ms, sha256_hex, IncidentChange, Result, Store, StoreError};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
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
}];

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
}

impl SyncEvent {
    fn row(&self, prev: &str) -> EventRow {
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
fn origin_head(tx: &Transaction<'_>, origin: Id) -> Result<Option<(i64, String)>> {
    Ok(tx
        .prepare_cached("SELECT origin_seq, hash FROM events WHERE origin = ?1 ORDER BY origin_seq DESC LIMIT 1")?
        .query_row([origin.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Stores an event made elsewhere behind its origin's previous one and folds it into the
/// projections with the same function `commit_event` uses, observing its HLC stamp so this log's
/// clock stays ahead of everything it has seen. Known already (by id) → nothing changes. Its hash
/// must be what its content and its origin's chain give, and it must be its origin's next event.
pub fn apply_received(tx: &Transaction<'_>, e: &SyncEvent) -> Result<Received> {
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
    tx.execute_batch("SAVEPOINT vigil_fold")?;
    let folded = (|| -> Result<_> {
        let mut state = load_for(tx, &event.body, event.id)?;
        let applied = vigil_domain::fold::apply(&mut state, &event);
        write_back(tx, &state, &applied, &event)?;
        Ok((state, applied))
    })();
    let (state, applied) = match folded {
        Ok(done) => {
            tx.execute_batch("RELEASE vigil_fold")?;
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

fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO local_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

fn meta_i64(conn: &rusqlite::Connection, key: &str) -> Result<i64> {
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
    for (e, position) in events {
        let received = apply_received(tx, e)?;
        if received.new && e.origin != me {
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
        tx.prepare_cached("INSERT OR IGNORE INTO sync_positions (event_id, server_seq) VALUES (?1, ?2)")?
            .execute(params![e.id.to_string(), position])?;
    }
    for point in refold {
        changes.extend(refold_point(tx, &point)?);
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

// ---- The server's side -----------------------------------------------------------------------

/// What the server answers a push with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored (all or none): how many were new, how many it had already, which of the new ones it
    /// cannot fold (kept all the same), and the next `origin_seq` it expects.
    Stored { stored: u32, duplicates: u32, rejected: Vec<(Id, String)>, next: i64 },
    /// The batch starts after a gap: nothing stored; resend from `expected`.
    Gap { expected: i64 },
    /// The batch contradicts what the server holds of this origin: nothing stored.
    Diverged { origin_seq: i64, why: String },
}

/// A workstation enrolled on the server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnrolledWorkstation {
    pub origin: String,
    pub name: String,
    pub enrolled_at: i64,
    pub revoked_at: Option<i64>,
    pub last_seen: Option<i64>,
    pub clock_offset: Option<i64>,
    /// The last of its events the server holds (`origin_seq`).
    pub events: i64,
}

/// Stores a workstation's batch of its own events in the server's order — all of it or nothing.
/// Events it holds already (same id at the same place) are counted as duplicates; a batch that
/// starts beyond the next expected event is a gap; one that names a different event at a place
/// already taken, or whose hashes do not chain, diverges. `events` must be `origin`'s, in order.
pub fn accept_push(
    tx: &Transaction<'_>,
    origin: Id,
    events: &[SyncEvent],
    heads: (Option<&Head>, Option<&Head>),
    clock_offset: Option<i64>,
) -> Result<PushOutcome> {
    let (last, last_hash) = origin_head(tx, origin)?.unwrap_or((0, crate::GENESIS.to_owned()));
    let now = now_ms();
    // Check everything before writing anything.
    let mut prev = last_hash;
    let mut next_new = last + 1;
    for (i, e) in events.iter().enumerate() {
        if e.origin != origin {
            return Err(StoreError::Invalid(format!(
                "event {i} is of origin {}, not the pushing workstation's",
                e.origin
            )));
        }
        if i > 0 && e.origin_seq != events[i - 1].origin_seq + 1 {
            return Err(StoreError::Invalid(format!("event {i} breaks the batch's sequence at {}", e.origin_seq)));
        }
        if e.origin_seq < 1 {
            return Err(StoreError::Invalid(format!("event {i} has origin_seq {}", e.origin_seq)));
        }
        if e.origin_seq <= last {
            let stored: Option<(String, String, String)> = tx
                .prepare_cached("SELECT id, prev_hash, hash FROM events WHERE origin = ?1 AND origin_seq = ?2")?
                .query_row(params![origin.to_string(), e.origin_seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            // A repeat only if it is the very event stored there: same id, same content, same hash.
            match stored {
                Some((id, prev, hash))
                    if id == e.id.to_string() && hash == e.hash && e.row(&prev).hash_with(&prev) == hash =>
                {
                    continue
                }
                _ => {
                    return Ok(PushOutcome::Diverged {
                        origin_seq: e.origin_seq,
                        why: "the server holds another event at this place of the workstation's log".into(),
                    })
                }
            }
        }
        // The batch is consecutive, so only its first new event can leave a gap.
        if e.origin_seq != next_new {
            return Ok(PushOutcome::Gap { expected: last + 1 });
        }
        next_new += 1;
        let hash = e.row(&prev).hash_with(&prev);
        if hash != e.hash {
            return Ok(PushOutcome::Diverged {
                origin_seq: e.origin_seq,
                why: "its hash does not match its content and the chain before it".into(),
            });
        }
        prev = hash;
    }
    let (mut stored, mut duplicates, mut rejected) = (0u32, 0u32, Vec::new());
    for e in events {
        if e.origin_seq <= last {
            duplicates += 1;
            continue;
        }
        let received = apply_received(tx, e)?;
        stored += 1;
        if let Some(reason) = received.skipped {
            rejected.push((e.id, reason));
        }
    }
    let mut witness = tx.prepare_cached(
        "INSERT OR IGNORE INTO sync_heads (origin, chain, seq, hash, seen_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (chain, head) in [("events", heads.0), ("audit", heads.1)] {
        if let Some(h) = head {
            witness.execute(params![origin.to_string(), chain, h.seq, h.hash, now])?;
        }
    }
    tx.prepare_cached("UPDATE sync_workstations SET last_seen = ?2, clock_offset = ?3 WHERE origin = ?1")?
        .execute(params![origin.to_string(), now, clock_offset])?;
    let next = origin_head(tx, origin)?.map_or(1, |(seq, _)| seq + 1);
    Ok(PushOutcome::Stored { stored, duplicates, rejected, next })
}

/// A one-time enrollment code for the workstation called `name`, valid for `ttl_ms`. Refused
/// while a workstation of that name is enrolled and not revoked.
pub fn create_enrollment(tx: &Transaction<'_>, name: &str, code: &str, ttl_ms: i64) -> Result<()> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid("a workstation needs a name".into()));
    }
    let active: Option<String> = tx
        .prepare_cached("SELECT origin FROM sync_workstations WHERE name = ?1 AND revoked_at IS NULL")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    if let Some(origin) = active {
        return Err(StoreError::Invalid(format!(
            "a workstation called {name:?} is enrolled already (id {origin}); revoke it first to enroll its replacement"
        )));
    }
    let now = now_ms();
    tx.prepare_cached(
        "INSERT INTO sync_enrollments (code_hash, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![sha256_hex(normalize_code(code).as_bytes()), name, now, now + ttl_ms])?;
    Ok(())
}

/// Codes are read back from paper and keyboards: case, spaces and dashes do not count.
pub fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Why an enrollment code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollRefusal {
    Unknown,
    Expired,
    Used,
    /// The workstation's id is enrolled already (a copied data directory, or enrolling twice).
    AlreadyEnrolled,
}

/// Trades a code for the workstation `origin`'s token (its hash is stored): the code is used up.
/// Returns the workstation's name.
pub fn redeem_enrollment(
    tx: &Transaction<'_>,
    code: &str,
    origin: Id,
    token_hash: &str,
) -> Result<std::result::Result<String, EnrollRefusal>> {
    let now = now_ms();
    let found: Option<(String, i64, Option<i64>)> = tx
        .prepare_cached("SELECT name, expires_at, used_at FROM sync_enrollments WHERE code_hash = ?1")?
        .query_row([sha256_hex(normalize_code(code).as_bytes())], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((name, expires_at, used_at)) = found else { return Ok(Err(EnrollRefusal::Unknown)) };
    if used_at.is_some() {
        return Ok(Err(EnrollRefusal::Used));
    }
    if expires_at <= now {
        return Ok(Err(EnrollRefusal::Expired));
    }
    let taken: bool = tx
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM sync_workstations WHERE origin = ?1)")?
        .query_row([origin.to_string()], |r| r.get(0))?;
    if taken {
        return Ok(Err(EnrollRefusal::AlreadyEnrolled));
    }
    tx.prepare_cached("UPDATE sync_enrollments SET used_at = ?2, used_by = ?3 WHERE code_hash = ?1")?
        .execute(params![sha256_hex(normalize_code(code).as_bytes()), now, origin.to_string()])?;
    tx.prepare_cached("INSERT INTO sync_workstations (origin, name, token_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![origin.to_string(), name, token_hash, now])?;
    Ok(Ok(name))
}

/// Revokes every enrolled (not yet revoked) workstation called `name`; returns how many.
pub fn revoke_workstation(tx: &Transaction<'_>, name: &str) -> Result<usize> {
    Ok(tx
        .prepare_cached("UPDATE sync_workstations SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL")?
        .execute(params![name.trim(), now_ms()])?)
}

impl Store {
    /// The workstation a token belongs to, if it is enrolled and not revoked.
    pub fn workstation_of_token(&self, token_hash: &str) -> Result<Option<Id>> {
        let origin: Option<String> = self
            .conn()
            .prepare_cached("SELECT origin FROM sync_workstations WHERE token_hash = ?1 AND revoked_at IS NULL")?
            .query_row([token_hash], |r| r.get(0))
            .optional()?;
        Ok(origin.and_then(|o| Id::parse_str(&o).ok()))
    }

    pub fn enrolled_workstations(&self) -> Result<Vec<EnrolledWorkstation>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT w.origin, w.name, w.enrolled_at, w.revoked_at, w.last_seen, w.clock_offset,
                    (SELECT coalesce(max(origin_seq), 0) FROM events e WHERE e.origin = w.origin)
             FROM sync_workstations w ORDER BY w.name, w.enrolled_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(EnrolledWorkstation {
                origin: r.get(0)?,
                name: r.get(1)?,
                enrolled_at: r.get(2)?,
                revoked_at: r.get(3)?,
                last_seen: r.get(4)?,
                clock_offset: r.get(5)?,
                events: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The last position of the server's log (what a pull's cursor reaches when caught up).
    pub fn last_event_seq(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use vigil_domain::event::{EventBody, ProcedureSet};

    use super::*;
    use crate::write::commit_event;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("vigil.db")).expect("open");
        (dir, store)
    }

    /// A workstation's log of `n` procedure edits, as it would push them.
    fn outbox(n: usize) -> (tempfile::TempDir, Store, Id, Vec<SyncEvent>) {
        let (dir, mut ws) = store();
        let origin = ws
            .transaction(|tx| {
                for i in 0..n {
                    let body = EventBody::ProcedureSet(ProcedureSet {
                        alarm_type: "panic".into(),
                        language: "en".into(),
                        steps: vec![format!("step {i}")],
                    });
                    commit_event(tx, "admin", "sop:panic:en", body, 1_700_000_000_000 + i as i64)?;
                }
                crate::events::workstation_id(tx)
            })
            .expect("commit");
        let events = ws
            .origin_events_after(origin, 0, 1000)
            .expect("read")
            .iter()
            .map(|r| SyncEvent::of_row(r).expect("row"))
            .collect();
        (dir, ws, origin, events)
    }

    fn push(server: &mut Store, origin: Id, events: &[SyncEvent]) -> Result<PushOutcome> {
        server.transaction(|tx| accept_push(tx, origin, events, (None, None), None))
    }

    #[test]
    fn a_push_is_stored_once_and_its_repeat_counts_as_duplicates() {
        let (_w, _ws, origin, events) = outbox(5);
        let (_s, mut server) = store();
        let first = push(&mut server, origin, &events[..3]).expect("push");
        assert!(matches!(first, PushOutcome::Stored { stored: 3, duplicates: 0, next: 4, .. }), "{first:?}");
        // The answer was lost after the commit: the workstation sends the same events again, and more.
        let again = push(&mut server, origin, &events).expect("push");
        assert!(matches!(again, PushOutcome::Stored { stored: 2, duplicates: 3, next: 6, .. }), "{again:?}");
        assert_eq!(server.event_count().expect("count"), 5);
        assert!(server.verify_events().expect("verify").first_altered.is_none());
    }

    #[test]
    fn a_push_after_a_gap_is_answered_with_what_the_server_expects_and_stores_nothing() {
        let (_w, _ws, origin, events) = outbox(5);
        let (_s, mut server) = store();
        push(&mut server, origin, &events[..2]).expect("push");
        assert_eq!(push(&mut server, origin, &events[3..]).expect("push"), PushOutcome::Gap { expected: 3 });
        assert_eq!(server.event_count().expect("count"), 2);
    }

    #[test]
    fn a_push_that_contradicts_the_server_or_its_own_chain_diverges_and_stores_nothing() {
        let (_w, _ws, origin, events) = outbox(4);
        let (_s, mut server) = store();
        push(&mut server, origin, &events[..2]).expect("push");
        // History rewritten on the workstation: event 2 now says something else.
        let mut rewritten = events.clone();
        rewritten[1].payload = r#"{"alarm_type":"panic","language":"en","steps":["other"]}"#.into();
        let answer = push(&mut server, origin, &rewritten).expect("push");
        assert!(matches!(answer, PushOutcome::Diverged { origin_seq: 2, .. }), "{answer:?}");
        // A new event whose content does not match its hash, behind a good one.
        let mut forged = events[2..].to_vec();
        forged[1].subject = "sop:panic:zh-CN".into();
        let answer = push(&mut server, origin, &forged).expect("push");
        assert!(matches!(answer, PushOutcome::Diverged { origin_seq: 4, .. }), "{answer:?}");
        assert_eq!(server.event_count().expect("count"), 2, "nothing of either push was stored");
    }

    #[test]
    fn a_batch_naming_another_origin_or_out_of_sequence_is_refused_whole() {
        let (_w, _ws, origin, events) = outbox(3);
        let (_s, mut server) = store();
        let other = uuid::Uuid::now_v7();
        assert!(push(&mut server, other, &events).is_err(), "events of another origin");
        let shuffled = vec![events[0].clone(), events[2].clone(), events[1].clone()];
        assert!(push(&mut server, origin, &shuffled).is_err(), "out of sequence");
        assert_eq!(server.event_count().expect("count"), 0);
    }

    #[test]
    fn an_event_this_build_cannot_read_is_stored_marked_and_does_not_block_the_ones_behind_it() {
        let (_w, _ws, origin, mut events) = outbox(3);
        // Event 2 is of a kind from a newer Vigil: re-chain it as that workstation would have.
        events[1].kind = "visitor_badged".into();
        let mut prev = events[0].hash.clone();
        for e in &mut events[1..] {
            e.hash = e.row(&prev).hash_with(&prev);
            prev = e.hash.clone();
        }
        let (_s, mut server) = store();
        let answer = push(&mut server, origin, &events).expect("push");
        let PushOutcome::Stored { stored: 3, rejected, .. } = answer else { panic!("{answer:?}") };
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].0, events[1].id);
        assert!(rejected[0].1.contains("visitor_badged"), "{}", rejected[0].1);
        assert_eq!(server.event_count().expect("count"), 3);
    }

    #[test]
    fn an_enrollment_code_works_once_before_it_expires() {
        let (_s, mut server) = store();
        let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        server
            .transaction(|tx| {
                create_enrollment(tx, "ws-1", "abcde-fghij", 60_000)?;
                create_enrollment(tx, "ws-2", "KLMNP-QRSTW", -1)
            })
            .expect("codes");
        let redeem = |server: &mut Store, code: &str, origin: Id, token: &str| {
            server.transaction(|tx| redeem_enrollment(tx, code, origin, token)).expect("redeem")
        };
        assert_eq!(redeem(&mut server, "ABCDE FGHIJ", a, "t1"), Ok("ws-1".into()), "case and spaces do not count");
        assert_eq!(redeem(&mut server, "ABCDE-FGHIJ", b, "t2"), Err(EnrollRefusal::Used));
        assert_eq!(redeem(&mut server, "KLMNP-QRSTW", b, "t2"), Err(EnrollRefusal::Expired));
        assert_eq!(redeem(&mut server, "ZZZZZ-ZZZZZ", b, "t2"), Err(EnrollRefusal::Unknown));
        assert_eq!(server.workstation_of_token("t1").expect("token"), Some(a));
        // A second workstation of the same name waits until the first is revoked.
        assert!(server.transaction(|tx| create_enrollment(tx, "ws-1", "X", 60_000)).is_err());
        assert_eq!(server.transaction(|tx| revoke_workstation(tx, "ws-1")).expect("revoke"), 1);
        assert_eq!(server.workstation_of_token("t1").expect("token"), None);
        server.transaction(|tx| create_enrollment(tx, "ws-1", "Y", 60_000)).expect("its replacement");
    }
}

/// A chain head the server saw a workstation show, with when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WitnessedHead {
    pub origin: Id,
    /// `events` (its event log's chain) or `audit` (its audit log's).
    pub chain: String,
    pub seq: i64,
    pub hash: String,
    pub seen_at: i64,
}

/// What comparing a log with the heads a server witnessed found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WitnessReport {
    pub checked: u64,
    /// Witnessed entries this log does not hold (yet).
    pub not_held: u64,
    /// The first witnessed head this log contradicts: (head, why).
    pub first_mismatch: Option<(WitnessedHead, String)>,
}

impl Store {
    /// Every head this server witnessed, of every workstation, oldest first.
    pub fn all_witnessed_heads(&self) -> Result<Vec<WitnessedHead>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT origin, chain, seq, hash, seen_at FROM sync_heads ORDER BY origin, chain, seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
        let mut heads = Vec::new();
        for row in rows {
            let (origin, chain, seq, hash, seen_at) = row?;
            if let Ok(origin) = Id::parse_str(&origin) {
                heads.push(WitnessedHead { origin, chain, seq, hash, seen_at });
            }
        }
        Ok(heads)
    }

    /// Compares this log with heads a server witnessed: an event (or, for `audit`, an audit entry)
    /// at a witnessed place must have the witnessed hash. History rewritten after the server saw
    /// it, even with the chain recomputed, no longer matches. Audit heads are checked only when
    /// `audit_of` is this workstation's id (the server holds no workstation's audit log).
    pub fn check_witnessed(&self, heads: &[WitnessedHead], audit_of: Option<Id>) -> Result<WitnessReport> {
        let mut report = WitnessReport::default();
        let mut event = self.conn().prepare_cached("SELECT hash FROM events WHERE origin = ?1 AND origin_seq = ?2")?;
        let mut audit = self.conn().prepare_cached("SELECT hash FROM audit_log WHERE seq = ?1")?;
        for head in heads {
            let held: Option<String> = match head.chain.as_str() {
                "events" => event.query_row(params![head.origin.to_string(), head.seq], |r| r.get(0)).optional()?,
                "audit" if audit_of == Some(head.origin) => audit.query_row([head.seq], |r| r.get(0)).optional()?,
                _ => continue,
            };
            report.checked += 1;
            match held {
                Some(hash) if hash == head.hash => {}
                Some(_) => {
                    report
                        .first_mismatch
                        .get_or_insert_with(|| (head.clone(), "it differs from what the server saw there".to_owned()));
                }
                None => report.not_held += 1,
            }
        }
        Ok(report)
    }
}
