//! The event log: every change to shared data is one immutable row, written in the same
//! transaction as the projection rows it changes (and, for a person's action, its audit entry).
//!
//! Rows carry the workstation's id (`origin`, made once per data directory), its own sequence
//! (`origin_seq`, from 1 without gaps), a hybrid logical clock stamp persisted across restarts, the
//! wall time, a kind, a schema version and the payload. Each origin's rows are hash-chained, so an
//! event edited in the file is named by `vigil verify` and refused by `vigil rebuild`. Projections
//! are what `vigil_domain::fold::apply` makes of the log: [`commit_event`] applies one event to the
//! rows it touches, [`Store::rebuild`] folds the whole log and compares (or repairs).

use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use vigil_domain::event::{
    CamerasLinked, DevicesMoved, Event, EventBody, EventKind, FloorPlanReplaced, Hlc, HlcClock, IncidentActed,
    PointShelved, ProcedureSet, SignalReceived, EVENT_SCHEMA,
};
use vigil_domain::fold::{apply, Applied, Projection, Skip};
use vigil_domain::incident::Shelf;
use vigil_domain::Id;

use crate::audit::GENESIS;
use crate::schema::Migration;
use crate::sites::uuid_of;
use crate::{now_ms, Result, Store, StoreError};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 8,
    name: "the event log",
    sql: r#"
-- Facts about this data directory: its workstation id (made once) and the last HLC stamp.
CREATE TABLE local_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE events (
    -- The local sequence: the order this workstation's single writer committed them.
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    origin     TEXT NOT NULL,
    origin_seq INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    hlc        INTEGER NOT NULL,
    wall       INTEGER NOT NULL,
    schema     INTEGER NOT NULL,
    payload    TEXT NOT NULL,
    -- One chain per origin: the hash of this origin's previous event, and of this one.
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    UNIQUE (origin, origin_seq)
) STRICT;
CREATE INDEX events_subject ON events(subject);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

-- Incidents merged away, and the incident that carries their id on.
CREATE TABLE incident_aliases (
    alias      TEXT PRIMARY KEY,
    survivor   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Rows written from the event log (1), or kept from before it existed (0): a rebuild compares
-- and repairs the first kind and leaves the second as it is.
ALTER TABLE incidents ADD COLUMN from_log INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shelves ADD COLUMN from_log INTEGER NOT NULL DEFAULT 0;
"#,
}];

/// The payload of an event as the log stores it.
fn payload_json(body: &EventBody) -> Result<String> {
    let json = match body {
        EventBody::SignalReceived(b) => serde_json::to_string(b),
        EventBody::IncidentActed(b) => serde_json::to_string(b),
        EventBody::PointShelved(b) => serde_json::to_string(b),
        EventBody::ProcedureSet(b) => serde_json::to_string(b),
        EventBody::CamerasLinked(b) => serde_json::to_string(b),
        EventBody::DevicesMoved(b) => serde_json::to_string(b),
        EventBody::FloorPlanReplaced(b) => serde_json::to_string(b),
        EventBody::CheckInRecorded(b) => serde_json::to_string(b),
        EventBody::CheckInAnnotated(b) => serde_json::to_string(b),
        EventBody::ExceptionExplained(b) => serde_json::to_string(b),
        EventBody::ShiftSignedOff(b) => serde_json::to_string(b),
        EventBody::RouteSet(b) => serde_json::to_string(b),
        EventBody::ScheduleSet(b) => serde_json::to_string(b),
        EventBody::RoundMissed(b) => serde_json::to_string(b),
        EventBody::AccountSet(b) => serde_json::to_string(b),
        EventBody::SitePublished(b) => serde_json::to_string(b),
        EventBody::FloorPublished(b) => serde_json::to_string(b),
        EventBody::GuardsPublished(b) => serde_json::to_string(b),
    };
    json.map_err(|e| StoreError::Invalid(format!("event payload: {e}")))
}

/// Reads a payload by its row's kind; what this build cannot read is a [`Skip`], never a guess.
pub fn decode_body(kind: &str, schema: u32, payload: &str) -> std::result::Result<EventBody, Skip> {
    let Some(kind) = EventKind::parse(kind) else { return Err(Skip::UnknownKind(kind.to_owned())) };
    if schema > EVENT_SCHEMA {
        return Err(Skip::NewerSchema(schema));
    }
    fn read<T: serde::de::DeserializeOwned>(payload: &str) -> std::result::Result<T, Skip> {
        serde_json::from_str(payload).map_err(|e| Skip::Unreadable(e.to_string()))
    }
    Ok(match kind {
        EventKind::SignalReceived => EventBody::SignalReceived(read::<SignalReceived>(payload)?),
        EventKind::IncidentActed => EventBody::IncidentActed(read::<IncidentActed>(payload)?),
        EventKind::PointShelved => EventBody::PointShelved(read::<PointShelved>(payload)?),
        EventKind::ProcedureSet => EventBody::ProcedureSet(read::<ProcedureSet>(payload)?),
        EventKind::CamerasLinked => EventBody::CamerasLinked(read::<CamerasLinked>(payload)?),
        EventKind::DevicesMoved => EventBody::DevicesMoved(read::<DevicesMoved>(payload)?),
        EventKind::FloorPlanReplaced => EventBody::FloorPlanReplaced(read::<FloorPlanReplaced>(payload)?),
        EventKind::CheckInRecorded => EventBody::CheckInRecorded(read(payload)?),
        EventKind::CheckInAnnotated => EventBody::CheckInAnnotated(read(payload)?),
        EventKind::ExceptionExplained => EventBody::ExceptionExplained(read(payload)?),
        EventKind::ShiftSignedOff => EventBody::ShiftSignedOff(read(payload)?),
        EventKind::RouteSet => EventBody::RouteSet(read(payload)?),
        EventKind::ScheduleSet => EventBody::ScheduleSet(read(payload)?),
        EventKind::RoundMissed => EventBody::RoundMissed(read(payload)?),
        EventKind::AccountSet => EventBody::AccountSet(read(payload)?),
        EventKind::SitePublished => EventBody::SitePublished(read(payload)?),
        EventKind::FloorPublished => EventBody::FloorPublished(read(payload)?),
        EventKind::GuardsPublished => EventBody::GuardsPublished(read(payload)?),
    })
}

/// One row as stored, before its payload is read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub id: String,
    pub origin: String,
    pub origin_seq: i64,
    pub actor: String,
    pub kind: String,
    pub subject: String,
    pub hlc: i64,
    pub wall: i64,
    pub schema: u32,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl EventRow {
    /// This row's hash in its origin's chain, behind the hash `prev`.
    pub fn hash_with(&self, prev: &str) -> String {
        let canonical = serde_json::json!([
            prev,
            self.id,
            self.origin,
            self.origin_seq,
            self.actor,
            self.kind,
            self.subject,
            self.hlc,
            self.wall,
            self.schema,
            self.payload
        ])
        .to_string();
        Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The event, or why the fold must skip it.
    pub fn decode(&self) -> std::result::Result<Event, Skip> {
        let parse =
            |text: &str, what: &str| Id::parse_str(text).map_err(|_| Skip::Unreadable(format!("{what} {text:?}")));
        Ok(Event {
            id: parse(&self.id, "id")?,
            origin: parse(&self.origin, "origin")?,
            origin_seq: self.origin_seq,
            actor: self.actor.clone(),
            subject: self.subject.clone(),
            hlc: Hlc(self.hlc),
            wall: self.wall,
            schema: self.schema,
            body: decode_body(&self.kind, self.schema, &self.payload)?,
        })
    }
}

pub(crate) const ROW_COLUMNS: &str =
    "seq, id, origin, origin_seq, actor, kind, subject, hlc, wall, schema, payload, prev_hash, hash";

/// [`ROW_COLUMNS`] as `events_pruned` has them: the content left empty.
pub(crate) const PRUNED_ROW_COLUMNS: &str =
    "coalesce(seq, 0), id, origin, origin_seq, '', kind, subject, 0, wall, 0, '', prev_hash, hash";

/// [`ROW_COLUMNS`] of a table named `alias` in a join.
pub(crate) fn row_columns_of(alias: &str) -> String {
    ROW_COLUMNS.split(", ").map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ")
}

pub(crate) fn row_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        origin: r.get(2)?,
        origin_seq: r.get(3)?,
        actor: r.get(4)?,
        kind: r.get(5)?,
        subject: r.get(6)?,
        hlc: r.get(7)?,
        wall: r.get(8)?,
        schema: r.get(9)?,
        payload: r.get(10)?,
        prev_hash: r.get(11)?,
        hash: r.get(12)?,
    })
}

/// This data directory's workstation id, made the first time anything is written.
pub fn workstation_id(tx: &Transaction<'_>) -> Result<Id> {
    let stored: Option<String> = tx
        .prepare_cached("SELECT value FROM local_meta WHERE key = 'workstation_id'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    if let Some(id) = stored.and_then(|s| Id::parse_str(&s).ok()) {
        return Ok(id);
    }
    let id = uuid::Uuid::now_v7();
    tx.execute(
        "INSERT INTO local_meta (key, value) VALUES ('workstation_id', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [id.to_string()],
    )?;
    Ok(id)
}

/// The next event of this workstation, stamped and numbered but not yet stored, and the hash of
/// its origin's previous event. The HLC continues from the larger of what was persisted and what
/// the last event carries, so neither a restart nor a clock set back makes it run backwards.
fn next_event(tx: &Transaction<'_>, actor: &str, subject: &str, body: EventBody, wall: i64) -> Result<(Event, String)> {
    let origin = workstation_id(tx)?;
    let last: Option<(i64, String, i64)> = tx
        .prepare_cached("SELECT origin_seq, hash, hlc FROM events WHERE origin = ?1 ORDER BY origin_seq DESC LIMIT 1")?
        .query_row([origin.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let persisted: i64 = tx
        .prepare_cached("SELECT value FROM local_meta WHERE key = 'hlc'")?
        .query_row([], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (seq, prev, last_hlc) = last.unwrap_or((0, GENESIS.to_owned(), 0));
    let mut clock = HlcClock::resume(Hlc(persisted.max(last_hlc)));
    let hlc = clock.tick(wall);
    tx.prepare_cached(
        "INSERT INTO local_meta (key, value) VALUES ('hlc', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([hlc.0.to_string()])?;
    let event = Event {
        id: uuid::Uuid::now_v7(),
        origin,
        origin_seq: seq + 1,
        actor: actor.to_owned(),
        subject: subject.to_owned(),
        hlc,
        wall,
        schema: EVENT_SCHEMA,
        body,
    };
    Ok((event, prev))
}

fn insert_event(tx: &Transaction<'_>, event: &Event, prev: &str) -> Result<String> {
    store_row(tx, event_row(event, prev)?)
}

/// The row `event` is stored as behind `prev`, its origin's last hash (its own hash still to
/// compute).
pub(crate) fn event_row(event: &Event, prev: &str) -> Result<EventRow> {
    Ok(EventRow {
        seq: 0,
        id: event.id.to_string(),
        origin: event.origin.to_string(),
        origin_seq: event.origin_seq,
        actor: event.actor.clone(),
        kind: event.kind().as_str().to_owned(),
        subject: event.subject.clone(),
        hlc: event.hlc.0,
        wall: event.wall,
        schema: event.schema,
        payload: payload_json(&event.body)?,
        prev_hash: prev.to_owned(),
        hash: String::new(),
    })
}

/// Chains a row behind its origin's previous event (`row.prev_hash`) and stores it; returns its hash.
fn store_row(tx: &Transaction<'_>, mut row: EventRow) -> Result<String> {
    row.hash = row.hash_with(&row.prev_hash);
    tx.prepare_cached(
        "INSERT INTO events (id, origin, origin_seq, actor, kind, subject, hlc, wall, schema, payload, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        row.id,
        row.origin,
        row.origin_seq,
        row.actor,
        row.kind,
        row.subject,
        row.hlc,
        row.wall,
        row.schema,
        row.payload,
        row.prev_hash,
        row.hash
    ])?;
    Ok(row.hash)
}

/// Stores an event made elsewhere (another workstation, the server) behind its origin's previous
/// one, even when this build cannot read its kind or schema — the fold then skips it with a counted
/// reason and nothing is lost. Returns its hash in its origin's chain, or `None` when the log holds
/// it already. It must be its origin's next event; the hash it claims is not looked at here.
///
/// It only stores: folding received events into the projections (in the server's order, with this
/// workstation's pending ones on top) is `sync::apply_received`'s job, which also checks the hash
/// the sender claims and observes the HLC stamp.
/// Whether the log holds the event `id`.
pub(crate) fn event_known(tx: &Transaction<'_>, id: Id) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM events WHERE id = ?1)")?
        .query_row([id.to_string()], |r| r.get(0))?)
}

/// The last entry of `origin`'s chain in this log — an event, or the chain entry of one
/// retention removed: its `origin_seq` and hash.
pub(crate) fn origin_last(tx: &Transaction<'_>, origin: Id) -> Result<Option<(i64, String)>> {
    let mut last = None;
    for table in ["events", "events_pruned"] {
        let row: Option<(i64, String)> = tx
            .prepare_cached(&format!(
                "SELECT origin_seq, hash FROM {table} WHERE origin = ?1 ORDER BY origin_seq DESC LIMIT 1"
            ))?
            .query_row([origin.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if row.as_ref().map(|r| r.0) > last.as_ref().map(|r: &(i64, String)| r.0) {
            last = row;
        }
    }
    Ok(last)
}

pub fn append_received_event(tx: &Transaction<'_>, e: &crate::SyncEvent) -> Result<Option<String>> {
    let known = event_known(tx, e.id)?;
    if known {
        return Ok(None);
    }
    let (seq, prev) = origin_last(tx, e.origin)?.unwrap_or((0, GENESIS.to_owned()));
    if e.origin_seq != seq + 1 {
        return Err(StoreError::Invalid(format!(
            "event {} of origin {} arrived out of order: {} expected",
            e.origin_seq,
            e.origin,
            seq + 1
        )));
    }
    let hash = store_row(
        tx,
        EventRow {
            seq: 0,
            id: e.id.to_string(),
            origin: e.origin.to_string(),
            origin_seq: e.origin_seq,
            actor: e.actor.clone(),
            kind: e.kind.clone(),
            subject: e.subject.clone(),
            hlc: e.hlc,
            wall: e.wall,
            schema: e.schema,
            payload: e.payload.clone(),
            prev_hash: prev,
            hash: String::new(),
        },
    )?;
    Ok(Some(hash))
}

/// A committed event and what it changed.
#[derive(Debug, Clone)]
pub struct Committed {
    pub event: Event,
    /// The event's hash in its origin's chain (the audit entry of a person's action names it).
    pub hash: String,
    pub applied: Applied,
    /// The rows the event was applied to, as the fold left them (the incidents it changed among
    /// them), so a caller reads nothing back.
    pub state: Projection,
}

/// Writes one event of this workstation and applies it, by the one fold, to the projection rows
/// it touches — all inside the caller's transaction, so the event and its state commit together.
pub fn commit_event(tx: &Transaction<'_>, actor: &str, subject: &str, body: EventBody, wall: i64) -> Result<Committed> {
    let (mut event, prev) = next_event(tx, actor, subject, body, wall)?;
    // Apply what the log will hold, read back as a rebuild reads it (the same floats, the same
    // defaults), so the rows written now are exactly what the fold of the log gives.
    let stored = payload_json(&event.body)?;
    event.body = decode_body(event.kind().as_str(), event.schema, &stored).map_err(|skip| {
        StoreError::Invalid(format!("an event this build wrote does not read back: {}", skip.reason()))
    })?;
    let mut state = load_for(tx, &event.body, event.id)?;
    let applied = apply(&mut state, &event);
    if let EventBody::SignalReceived(s) = &mut event.body {
        // What happened here travels with the signal: where the server finds another
        // workstation's incident open for the point, it merges the two.
        s.opened = applied.opened.is_some();
    }
    let hash = insert_event(tx, &event, &prev)?;
    write_back(tx, &state, &applied, &event)?;
    Ok(Committed { event, hash, applied, state })
}

/// The incident an id names now, following merges.
pub fn resolve_incident(tx: &Transaction<'_>, mut id: Id) -> Result<Id> {
    let mut stmt = tx.prepare_cached("SELECT survivor FROM incident_aliases WHERE alias = ?1")?;
    for _ in 0..32 {
        let next: Option<String> = stmt.query_row([id.to_string()], |r| r.get(0)).optional()?;
        match next.and_then(|s| Id::parse_str(&s).ok()) {
            Some(n) if n != id => id = n,
            _ => break,
        }
    }
    Ok(id)
}

/// Loads into a fresh projection the rows `body` needs to be applied exactly as the whole fold
/// would apply it. `event` is its own id (stored already or not).
pub(crate) fn load_for(tx: &Transaction<'_>, body: &EventBody, event: Id) -> Result<Projection> {
    let mut state = Projection::new();
    match body {
        EventBody::SignalReceived(s) => {
            // The same frame received at two workstations is two events of one signal: the
            // second folds to nothing, as the whole fold's set of seen signals decides.
            let seen: bool = tx
                .prepare_cached(
                    "SELECT EXISTS(SELECT 1 FROM events WHERE kind = 'signal_received'
                       AND json_extract(payload, '$.signal.id') = ?1 AND id <> ?2)",
                )?
                .query_row(params![s.signal.id.to_string(), event.to_string()], |r| r.get(0))?;
            if seen {
                state.load_seen_signal(s.signal.id);
            }
            // An open incident this build cannot read (damaged, or from a newer Vigil) must not
            // block the point's alarms: the signal then opens an incident of its own.
            match crate::incidents::open_incident_of(tx, &s.signal.point) {
                Ok(Some(stored)) => state.load_incident(stored.incident, stored.device_id),
                Ok(None) => {}
                Err(e) => {
                    eprintln!("vigil: the open incident of {} cannot be read ({e}); a new one opens", s.signal.point)
                }
            }
            for (id, shelf) in shelves_of_point(tx, &s.signal.point)? {
                state.load_shelf(id, shelf);
            }
        }
        EventBody::IncidentActed(a) => {
            let id = resolve_incident(tx, a.incident)?;
            if id != a.incident {
                state.load_alias(a.incident, id);
            }
            if let Some(stored) = crate::incidents::load_incident(tx, id)? {
                state.load_incident(stored.incident, stored.device_id);
            }
        }
        _ => crate::patrol::load_for(tx, body, &mut state)?,
    }
    Ok(state)
}

fn shelves_of_point(tx: &Transaction<'_>, point: &str) -> Result<Vec<(Id, Shelf)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, point, until, by_name, reason FROM shelves WHERE point = ?1 AND deleted = 0 AND from_log = 1",
    )?;
    let rows = stmt.query_map([point], |r| {
        Ok((uuid_of(r, 0)?, Shelf { point: r.get(1)?, until: r.get(2)?, by: r.get(3)?, reason: r.get(4)? }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes what one applied event changed into the projection tables.
pub(crate) fn write_back(tx: &Transaction<'_>, state: &Projection, applied: &Applied, event: &Event) -> Result<()> {
    let now = now_ms();
    for (old, survivor) in &applied.merged {
        tx.prepare_cached(
            "INSERT INTO incident_aliases (alias, survivor, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(alias) DO UPDATE SET survivor = excluded.survivor, updated_at = excluded.updated_at",
        )?
        .execute(params![old.to_string(), survivor.to_string(), now])?;
        // An incident renamed by the merge lives on under the survivor's id.
        tx.prepare_cached(
            "UPDATE incidents SET deleted = 1, version = version + 1, updated_at = ?2 WHERE id = ?1 AND deleted = 0",
        )?
        .execute(params![old.to_string(), now])?;
    }
    for id in &applied.incidents {
        if let Some(incident) = state.incidents.get(id) {
            crate::incidents::write_incident(tx, incident, state.incident_devices.get(id).copied())?;
        }
    }
    for device in &applied.devices {
        crate::incidents::follow_device(tx, *device)?;
    }
    match &event.body {
        EventBody::PointShelved(p) => {
            tx.execute(
                "INSERT INTO shelves (id, point, from_at, until, by_name, reason, updated_at, from_log)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
                params![event.id.to_string(), p.shelf.point, p.from, p.shelf.until, p.shelf.by, p.shelf.reason, now],
            )?;
        }
        EventBody::ProcedureSet(p) => crate::incidents::put_sop_steps(tx, &p.alarm_type, &p.language, &p.steps)?,
        EventBody::CamerasLinked(c) => crate::incidents::set_camera_links(tx, c.point, &c.cameras)?,
        EventBody::DevicesMoved(m) => {
            for mv in &m.moves {
                crate::devices::place_device(tx, mv.device, mv.x, mv.y)?;
            }
        }
        EventBody::FloorPlanReplaced(p) => {
            if let Some(image) = &p.image {
                crate::sites::put_plan_image(tx, p.floor, &crate::publish::plan_image(image)?)?;
            }
            tx.execute(
                "UPDATE floors SET plan_w = ?2, plan_h = ?3, version = version + 1, updated_at = ?4 WHERE id = ?1",
                params![p.floor.to_string(), p.width, p.height, now],
            )?;
            for mv in &p.moves {
                crate::devices::place_device(tx, mv.device, mv.x, mv.y)?;
            }
        }
        EventBody::AccountSet(a) => crate::people::refold_account(tx, &a.name)?,
        EventBody::SitePublished(p) => crate::publish::write_site(tx, p)?,
        EventBody::FloorPublished(p) => crate::publish::write_floor(tx, p)?,
        EventBody::GuardsPublished(p) => crate::publish::write_guards(tx, p)?,
        EventBody::SignalReceived(_) | EventBody::IncidentActed(_) => {}
        _ => crate::patrol::write_back(tx, state, event)?,
    }
    Ok(())
}

/// What `vigil verify` found in the event log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventChainReport {
    pub events: u64,
    pub origins: u64,
    /// Of `events`, those retention removed: their links checked, their content gone.
    pub pruned: u64,
    /// The first event whose content or link does not match its origin's chain: (local seq, id, why).
    pub first_altered: Option<(i64, String, String)>,
}

/// Walks an event log's rows ordered by origin and then `origin_seq` — the same checks whichever
/// database holds them: each origin's events from 1 without a gap, in their order in the log, each
/// linked to the one before and matching its own hash.
#[derive(Debug, Default)]
pub struct ChainWalk {
    events: u64,
    origins: u64,
    pruned: u64,
    current: Option<String>,
    expected_prev: String,
    expected_seq: i64,
    last_local: i64,
}

impl ChainWalk {
    /// Checks the next row; the report naming it when it is the first altered one.
    pub fn step(&mut self, row: &EventRow) -> Option<EventChainReport> {
        self.walk(row, true)
    }

    /// Checks the chain entry of an event retention removed: its place and its links, as
    /// [`ChainWalk::step`] does, but not its content (gone; `row.payload` is not read).
    pub fn step_pruned(&mut self, row: &EventRow) -> Option<EventChainReport> {
        self.pruned += 1;
        self.walk(row, false)
    }

    fn walk(&mut self, row: &EventRow, content: bool) -> Option<EventChainReport> {
        self.events += 1;
        if self.current.as_deref() != Some(row.origin.as_str()) {
            self.current = Some(row.origin.clone());
            self.origins += 1;
            self.expected_prev = GENESIS.to_owned();
            self.expected_seq = 1;
            self.last_local = 0;
        }
        let problem = if row.origin_seq != self.expected_seq {
            Some(format!("event {} of origin {} is missing", self.expected_seq, row.origin))
        } else if content && row.seq < self.last_local {
            // The local log keeps each origin's events in their own order; a swap changes the fold.
            Some("it stands before an earlier event of its origin in the log".to_owned())
        } else if row.prev_hash != self.expected_prev {
            Some("its link to the event before does not match".to_owned())
        } else if content && row.hash_with(&row.prev_hash) != row.hash {
            Some("its content does not match its hash".to_owned())
        } else {
            None
        };
        if let Some(why) = problem {
            return Some(EventChainReport {
                events: self.events,
                origins: self.origins,
                pruned: self.pruned,
                first_altered: Some((row.seq, row.id.clone(), why)),
            });
        }
        self.expected_prev = row.hash.clone();
        self.expected_seq += 1;
        if content {
            // A removed event holds no place in the fold's order (one received removed, none).
            self.last_local = row.seq;
        }
        None
    }

    /// What the walk found, every row having matched.
    pub fn report(&self) -> EventChainReport {
        EventChainReport { events: self.events, origins: self.origins, pruned: self.pruned, first_altered: None }
    }
}

impl Store {
    /// Walks every origin's chain and names the first event altered, removed or out of place.
    pub fn verify_events(&self) -> Result<EventChainReport> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {ROW_COLUMNS}, 0 FROM events
             UNION ALL SELECT {PRUNED_ROW_COLUMNS}, 1 FROM events_pruned
             ORDER BY origin, origin_seq"
        ))?;
        let mut rows = stmt.query([])?;
        let mut walk = ChainWalk::default();
        while let Some(r) = rows.next()? {
            let row = row_of(r)?;
            let altered = if r.get::<_, bool>(13)? { walk.step_pruned(&row) } else { walk.step(&row) };
            if let Some(altered) = altered {
                return Ok(altered);
            }
        }
        Ok(walk.report())
    }

    /// Every event in the local log order, at most `limit` after local sequence `after`.
    pub fn event_rows(&self, after: i64, limit: u32) -> Result<Vec<EventRow>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"))?;
        let rows = stmt.query_map(params![after, limit], row_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every event of one kind, in the log's order.
    pub fn events_of_kind(&self, kind: EventKind) -> Result<Vec<EventRow>> {
        let mut stmt =
            self.conn().prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM events WHERE kind = ?1 ORDER BY seq"))?;
        let rows = stmt.query_map([kind.as_str()], row_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn event_count(&self) -> Result<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM events", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
