//! Retention on a Vigil database that holds a server's log (the SQLite server's own, or the
//! PostgreSQL server's fold): finding the finished history older than a cutoff, as
//! [`vigil_domain::retention`] rules, and removing it with its projection rows.
//!
//! An event leaves the `events` table only through here, and only after its chain entry has been
//! written to `events_pruned`: the table's trigger refuses any other delete. The chain entry keeps
//! the origin's chain walkable and lets a push that repeats the event be answered as a duplicate.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use vigil_domain::event::EventKind;
use vigil_domain::incident::Incident;
use vigil_domain::retention::{incident_expired, supersedes, version_expired};
use vigil_domain::Id;

use crate::schema::Migration;
use crate::{Result, Store};

pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 15,
    name: "events_pruned",
    sql: r#"
-- The chain entries of events retention removed from the log: everything but what they said.
CREATE TABLE events_pruned (
    -- Where it stood in this log; none for one that reached this log already removed.
    seq        INTEGER UNIQUE,
    id         TEXT PRIMARY KEY,
    origin     TEXT NOT NULL,
    origin_seq INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    wall       INTEGER NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    -- The incident whose history it was; none for a superseded version of reference data.
    incident   TEXT,
    pruned_at  INTEGER NOT NULL,
    UNIQUE (origin, origin_seq)
) STRICT;
CREATE TRIGGER events_pruned_no_update BEFORE UPDATE ON events_pruned
    BEGIN SELECT RAISE(ABORT, 'the record of pruned events is append-only'); END;
CREATE TRIGGER events_pruned_no_delete BEFORE DELETE ON events_pruned
    BEGIN SELECT RAISE(ABORT, 'the record of pruned events is append-only'); END;
DROP TRIGGER events_no_delete;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    WHEN NOT EXISTS (SELECT 1 FROM events_pruned p WHERE p.id = old.id AND p.hash = old.hash)
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"#,
}];

/// What may leave together: an incident's whole history, or one superseded version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PruneItem {
    /// The incident that goes with these events; `None` for a superseded version.
    pub incident: Option<Id>,
    /// The events' ids.
    pub events: Vec<Id>,
}

/// What a retention run found, or removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PruneCounts {
    pub incidents: u64,
    /// Superseded versions of reference data.
    pub versions: u64,
    pub events: u64,
}

impl PruneItem {
    /// The items a list of removals makes, `(event, incident)` in the order they were made: one
    /// per incident, one per replaced version.
    pub fn grouped(removals: impl IntoIterator<Item = (Id, Option<Id>)>) -> Vec<PruneItem> {
        let mut items: Vec<PruneItem> = Vec::new();
        let mut at: HashMap<Id, usize> = HashMap::new();
        for (event, incident) in removals {
            match incident.and_then(|i| at.get(&i).copied()) {
                Some(i) => items[i].events.push(event),
                None => {
                    if let Some(i) = incident {
                        at.insert(i, items.len());
                    }
                    items.push(PruneItem { incident, events: vec![event] });
                }
            }
        }
        items
    }
}

impl PruneCounts {
    pub fn of<'a>(items: impl IntoIterator<Item = &'a PruneItem>) -> PruneCounts {
        let mut counts = PruneCounts::default();
        for item in items {
            match item.incident {
                Some(_) => counts.incidents += 1,
                None => counts.versions += 1,
            }
            counts.events += item.events.len() as u64;
        }
        counts
    }
}

/// Records in the audit log what a removal did, as `action` with its counts and the fields of
/// `extra`; a removal that removed nothing is not recorded.
pub fn audit_prune(
    tx: &Transaction<'_>,
    counts: &PruneCounts,
    actor: &str,
    action: &str,
    mut extra: serde_json::Value,
) -> Result<()> {
    if counts.events == 0 {
        return Ok(());
    }
    extra["incidents"] = counts.incidents.into();
    extra["versions"] = counts.versions.into();
    extra["events"] = counts.events.into();
    let entry = crate::AuditEvent {
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: "events".into(),
        details: extra.to_string(),
    };
    crate::audit::append_audit(tx, &entry)?;
    Ok(())
}

/// The finished history older than `cutoff` (wall ms) in this database's log.
///
/// Kept back as well: an item with an event stored but unreadable by this build (a newer one
/// will read it), and one holding the last event of its origin (the origin's next event is
/// numbered and chained from it).
pub fn plan(conn: &Connection, cutoff: i64) -> Result<Vec<PruneItem>> {
    let mut event = conn.prepare_cached(
        "SELECT e.kind, e.wall,
                EXISTS (SELECT 1 FROM sync_rejected r WHERE r.event_id = e.id)
             OR e.origin_seq = (SELECT max(l.origin_seq) FROM events l WHERE l.origin = e.origin)
         FROM events e WHERE e.id = ?1",
    )?;
    let mut held = |id: Id| -> Result<Option<(EventKind, i64, bool)>> {
        let row: Option<(String, i64, bool)> =
            event.query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()?;
        Ok(row.and_then(|(kind, wall, pinned)| EventKind::parse(&kind).map(|k| (k, wall, pinned))))
    };
    let mut items = Vec::new();

    // Closed incidents: the row's write time is a cheap first filter (written later than any of
    // its events' walls, short of a clock far ahead; the domain rule then reads the walls).
    let mut closed = conn.prepare(
        "SELECT id, body FROM incidents WHERE state = 'closed' AND from_log = 1 AND deleted = 0 AND updated_at < ?1",
    )?;
    let mut acted = conn.prepare_cached("SELECT id FROM events WHERE kind = 'incident_acted' AND subject = ?1")?;
    let rows = closed.query_map([cutoff], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (id, body) = row?;
        let (Ok(id), Ok(incident)) = (Id::parse_str(&id), serde_json::from_str::<Incident>(&body)) else { continue };
        let mut ids: Vec<Id> = incident.timeline.iter().filter_map(|e| e.event).collect();
        for other in acted.query_map([id.to_string()], |r| r.get::<_, String>(0))? {
            if let Ok(other) = Id::parse_str(&other?) {
                ids.push(other);
            }
        }
        let mut seen = HashSet::new();
        ids.retain(|e| seen.insert(*e));
        let mut history = Vec::with_capacity(ids.len());
        let mut present = Vec::with_capacity(ids.len());
        let mut pinned = false;
        for e in ids {
            if let Some((kind, wall, pin)) = held(e)? {
                history.push((kind, wall));
                present.push(e);
                pinned |= pin;
            }
        }
        if !pinned && incident_expired(&incident, &history, cutoff) {
            items.push(PruneItem { incident: Some(id), events: present });
        }
    }

    // Superseded versions, in the log's order per subject.
    let kinds: Vec<&str> = EventKind::ALL.iter().filter(|k| supersedes(**k)).map(|k| k.as_str()).collect();
    let mut versions = conn.prepare(&format!(
        "SELECT e.id, e.kind, e.subject, e.wall,
                EXISTS (SELECT 1 FROM sync_rejected r WHERE r.event_id = e.id)
             OR e.origin_seq = (SELECT max(l.origin_seq) FROM events l WHERE l.origin = e.origin)
         FROM events e WHERE e.kind IN ({}) ORDER BY e.kind, e.subject, e.seq DESC",
        kinds.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
    ))?;
    let mut next: HashMap<(String, String), i64> = HashMap::new();
    let rows = versions.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    for row in rows {
        let (id, kind, subject, wall, pinned) = row?;
        let key = (kind, subject);
        // Newest first: what is remembered for the key is the version after this one.
        let after = next.insert(key, wall);
        if !pinned && version_expired(after, cutoff) {
            if let Ok(id) = Id::parse_str(&id) {
                items.push(PruneItem { incident: None, events: vec![id] });
            }
        }
    }
    Ok(items)
}

/// Removes `items` from this database's log — each event's chain entry kept in
/// `events_pruned` — and their incidents from the projection. Events not held here are passed
/// over (a fold that had not reached them). Returns what was removed.
pub fn prune(tx: &Transaction<'_>, items: &[PruneItem], now: i64) -> Result<PruneCounts> {
    let mut keep = tx.prepare_cached(
        "INSERT INTO events_pruned (seq, id, origin, origin_seq, kind, subject, wall, prev_hash, hash, incident, pruned_at)
         SELECT seq, id, origin, origin_seq, kind, subject, wall, prev_hash, hash, ?2, ?3 FROM events WHERE id = ?1",
    )?;
    let mut remove = tx.prepare_cached("DELETE FROM events WHERE id = ?1")?;
    let mut position = tx.prepare_cached("DELETE FROM sync_positions WHERE event_id = ?1")?;
    let mut incident = tx.prepare_cached("DELETE FROM incidents WHERE id = ?1")?;
    let mut counts = PruneCounts::default();
    for item in items {
        let of = item.incident.map(|i| i.to_string());
        let mut removed = 0;
        for e in &item.events {
            let id = e.to_string();
            if keep.execute(params![id, of, now])? == 1 {
                remove.execute([&id])?;
                position.execute([&id])?;
                removed += 1;
            }
        }
        counts.events += removed;
        match &of {
            Some(of) => counts.incidents += incident.execute([of])? as u64,
            None => counts.versions += removed,
        }
    }
    Ok(counts)
}

/// Stores the chain entry of an event the server removed before this log received it (a pull
/// carries it in the event's place): it must be its origin's next, linked to the one before, and
/// the origin's chain goes on from it. Known already (whole or as an entry) → `false`.
pub(crate) fn append_received_entry(tx: &Transaction<'_>, e: &crate::SyncEvent, prev_hash: &str) -> Result<bool> {
    let known: bool = tx
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1) OR EXISTS (SELECT 1 FROM events_pruned WHERE id = ?1)",
        )?
        .query_row([e.id.to_string()], |r| r.get(0))?;
    if known {
        return Ok(false);
    }
    let (last, last_hash) = crate::events::origin_last(tx, e.origin)?.unwrap_or((0, crate::GENESIS.to_owned()));
    if e.origin_seq != last + 1 {
        return Err(crate::StoreError::Invalid(format!(
            "removed event {} of origin {} arrived out of order: {} expected",
            e.origin_seq,
            e.origin,
            last + 1
        )));
    }
    if prev_hash != last_hash {
        return Err(crate::StoreError::Invalid(format!(
            "removed event {} of origin {} does not link to the event before it",
            e.origin_seq, e.origin
        )));
    }
    tx.prepare_cached(
        "INSERT INTO events_pruned (seq, id, origin, origin_seq, kind, subject, wall, prev_hash, hash, incident, pruned_at)
         VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, ?9)",
    )?
    .execute(params![
        e.id.to_string(),
        e.origin.to_string(),
        e.origin_seq,
        e.kind,
        e.subject,
        e.wall,
        prev_hash,
        e.hash,
        crate::now_ms()
    ])?;
    Ok(true)
}

impl Store {
    /// The finished history older than `cutoff` (see [`plan`]).
    pub fn prune_plan(&self, cutoff: i64) -> Result<Vec<PruneItem>> {
        plan(self.conn(), cutoff)
    }

    /// Up to `limit` entries of the log after local sequence `after`, in its order: each event,
    /// or (`true`) the chain entry of one retention removed, as a pull hands them on.
    pub fn log_rows(&self, after: i64, limit: u32) -> Result<Vec<(crate::EventRow, bool)>> {
        // Each table read in its own order by its index, and the two merged: the chain entries
        // are few, and a page must cost the same however long the log behind it.
        let mut rows = self.event_rows(after, limit)?.into_iter().map(|r| (r, false)).collect::<Vec<_>>();
        let mut entries = self.conn().prepare_cached(&format!(
            "SELECT {} FROM events_pruned WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            crate::events::PRUNED_ROW_COLUMNS
        ))?;
        let pruned = entries.query_map(params![after, limit], crate::events::row_of)?;
        for row in pruned {
            rows.push((row?, true));
        }
        rows.sort_by_key(|(r, _)| r.seq);
        rows.truncate(limit as usize);
        Ok(rows)
    }

    /// The removals this log made (a server's), numbered in their order, after number `after`:
    /// (number, event, its incident).
    pub fn removals_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, Id, Option<Id>)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT rowid, id, incident FROM events_pruned WHERE rowid > ?1 AND seq IS NOT NULL ORDER BY rowid LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (n, id, incident) = row?;
            let parse =
                |t: &str| Id::parse_str(t).map_err(|_| crate::StoreError::Invalid(format!("removal {n}: {t:?}")));
            out.push((n, parse(&id)?, incident.as_deref().map(parse).transpose()?));
        }
        Ok(out)
    }

    /// The number of this log's last removal (0: none).
    pub fn last_removal(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT coalesce(max(rowid), 0) FROM events_pruned", [], |r| r.get(0))?)
    }

    /// How many events retention has removed from this log.
    pub fn pruned_count(&self) -> Result<u64> {
        Ok(self.conn().query_row("SELECT count(*) FROM events_pruned", [], |r| r.get::<_, i64>(0))? as u64)
    }
}

/// `local_meta` key: how far a fold has applied the server's removals (PostgreSQL's `tomb`).
const REMOVALS_KEY: &str = "retention.removals_through";

/// Records that a fold has applied the server's removals through number `tomb`.
pub fn set_removals_through(tx: &Transaction<'_>, tomb: i64) -> Result<()> {
    crate::sync::set_meta(tx, REMOVALS_KEY, &tomb.to_string())
}

impl Store {
    /// How far this fold has applied the server's removals (0: none yet).
    pub fn removals_through(&self) -> Result<i64> {
        crate::sync::meta_i64(self.conn(), REMOVALS_KEY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SyncEvent;

    fn entry(origin: Id, origin_seq: i64, prev: &str, hash: &str) -> SyncEvent {
        SyncEvent {
            id: Id::now_v7(),
            origin,
            origin_seq,
            actor: String::new(),
            kind: "account_set".into(),
            subject: "li.na".into(),
            hlc: 0,
            wall: 1,
            schema: 0,
            payload: String::new(),
            hash: hash.into(),
            pruned_prev_hash: Some(prev.into()),
        }
    }

    /// A pulled chain entry is kept where it stands and its origin's chain goes on from it; one
    /// out of order or not linked to the entry before it is refused, naming the origin's place.
    #[test]
    fn a_pulled_chain_entry_is_kept_in_place_and_a_misplaced_one_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("vigil.db")).expect("open");
        let origin = Id::now_v7();
        let first = entry(origin, 1, crate::GENESIS, "h1");
        let kept = store.transaction(|tx| crate::sync::apply_received(tx, &first)).expect("kept");
        assert!(kept.new && kept.changes.is_empty(), "kept, folding nothing");
        let again = store.transaction(|tx| crate::sync::apply_received(tx, &first)).expect("again");
        assert!(!again.new, "held once");

        let skipped = store.transaction(|tx| crate::sync::apply_received(tx, &entry(origin, 3, "h1", "h3")));
        assert!(skipped.expect_err("out of order").to_string().contains("2 expected"));
        let unlinked = store.transaction(|tx| crate::sync::apply_received(tx, &entry(origin, 2, "other", "h2")));
        assert!(unlinked.expect_err("unlinked").to_string().contains("does not link"));
        store.transaction(|tx| crate::sync::apply_received(tx, &entry(origin, 2, "h1", "h2"))).expect("next");

        let report = store.verify_events().expect("verify");
        assert_eq!((report.events, report.pruned, report.first_altered), (2, 2, None));
        assert_eq!(store.pruned_count().expect("count"), 2);
    }
}
