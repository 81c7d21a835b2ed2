//! Retention on the server: the finished history older than the cutoff leaves the log, each event's
//! chain entry kept (see [`vigil_domain::retention`] for what counts as finished).
//!
//! On SQLite the plan and the removal are one transaction of the server's writer, with an audit
//! entry. On PostgreSQL the plan is read from this process's fold (where the incidents are), and
//! checked again under the log's lock against what the log holds by then — an action that reached
//! a closed incident after the fold read it keeps that incident — before the events leave the log
//! in one transaction; every process's fold then applies the removals by their number.

use std::collections::HashSet;

use uuid::Uuid;
use vigil_store::{PruneCounts, PruneItem};

use super::fold::Fold;
use super::postgres::{PgDb, LOG_LOCK};
use super::sqlite::SqliteDb;
use super::Db;
use crate::{now_ms, ServerError};

/// The most removals a fold applies in one transaction.
const REMOVALS_PAGE: i64 = 10_000;

impl Db {
    /// Removes the finished history older than `cutoff` (wall ms), or with `dry_run` only counts
    /// it. On PostgreSQL the plan comes from `fold`, which must be given.
    pub async fn prune(
        &self,
        fold: Option<&Fold>,
        cutoff: i64,
        dry_run: bool,
        actor: String,
    ) -> Result<PruneCounts, ServerError> {
        match self {
            Db::Sqlite(db) => db.prune(cutoff, dry_run, actor).await,
            Db::Postgres(db) => {
                let fold = fold.ok_or_else(|| {
                    ServerError::Invalid("retention on PostgreSQL needs the process's fold of the log".into())
                })?;
                fold.catch_up(db).await?;
                let items = fold.plan(cutoff).await?;
                if dry_run {
                    return Ok(PruneCounts::of(&items));
                }
                let removed = db.prune(items).await?;
                fold.apply_removals(db).await?;
                tracing::info!(
                    actor = %actor, incidents = removed.incidents, versions = removed.versions,
                    events = removed.events, "retention removed finished history from the log"
                );
                Ok(removed)
            }
        }
    }
}

impl Db {
    /// The removals numbered after `after`, at most `limit`, and whether more follow.
    pub async fn removals(&self, after: i64, limit: u32) -> Result<(Vec<vigil_sync::Removal>, bool), ServerError> {
        let mut found = match self {
            Db::Sqlite(db) => db.read(move |s| s.removals_after(after, limit + 1)).await?,
            Db::Postgres(db) => db.removals_after(after, i64::from(limit) + 1).await?,
        };
        let more = found.len() > limit as usize;
        found.truncate(limit as usize);
        Ok((found.into_iter().map(|(n, id, incident)| vigil_sync::Removal { n, id, incident }).collect(), more))
    }

    /// The number of the last removal (0: none).
    pub async fn last_removal(&self) -> Result<i64, ServerError> {
        match self {
            Db::Sqlite(db) => db.read(|s| s.last_removal()).await,
            Db::Postgres(db) => {
                let client = db.pool.get().await?;
                Ok(client.query_one("SELECT coalesce(max(tomb), 0) FROM events_pruned", &[]).await?.get(0))
            }
        }
    }
}

impl SqliteDb {
    pub async fn prune(&self, cutoff: i64, dry_run: bool, actor: String) -> Result<PruneCounts, ServerError> {
        Ok(self
            .writer()
            .run_async(move |tx| {
                let items = vigil_store::write::prune_plan(tx, cutoff)?;
                if dry_run {
                    return Ok(PruneCounts::of(&items));
                }
                let removed = vigil_store::write::prune(tx, &items, now_ms())?;
                let cutoff = serde_json::json!({ "cutoff": cutoff });
                vigil_store::write::audit_prune(tx, &removed, &actor, "retention.pruned", cutoff)?;
                Ok(removed)
            })
            .await?)
    }
}

impl PgDb {
    /// Removes `items` from the log under its lock, passing over any item the log no longer
    /// allows to go (an action on the incident stored since the plan, an event unreadable by this
    /// build, or its origin's last event). Returns what was removed.
    pub async fn prune(&self, items: Vec<PruneItem>) -> Result<PruneCounts, ServerError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK]).await?;
        let all: Vec<Uuid> = items.iter().flat_map(|i| i.events.iter().copied()).collect();
        let incidents: Vec<String> = items.iter().filter_map(|i| i.incident.map(|id| id.to_string())).collect();
        let mut held_back: HashSet<Uuid> = HashSet::new();
        for r in tx
            .query(
                "SELECT e.id FROM events e WHERE e.id = ANY($1)
                   AND (EXISTS (SELECT 1 FROM rejected r WHERE r.event_id = e.id)
                        OR e.origin_seq = (SELECT max(l.origin_seq) FROM events l WHERE l.origin = e.origin))",
                &[&all],
            )
            .await?
        {
            held_back.insert(r.get(0));
        }
        let mut acted_since: HashSet<String> = HashSet::new();
        for r in tx
            .query(
                "SELECT DISTINCT subject FROM events
                 WHERE kind = 'incident_acted' AND subject = ANY($1) AND NOT (id = ANY($2))",
                &[&incidents, &all],
            )
            .await?
        {
            acted_since.insert(r.get(0));
        }
        let going: Vec<&PruneItem> = items
            .iter()
            .filter(|i| !i.events.iter().any(|e| held_back.contains(e)))
            .filter(|i| i.incident.is_none_or(|id| !acted_since.contains(&id.to_string())))
            .collect();
        let (ids, of): (Vec<Uuid>, Vec<Option<Uuid>>) =
            going.iter().flat_map(|i| i.events.iter().map(|e| (*e, i.incident))).unzip();
        let kept = tx
            .execute(
                "INSERT INTO events_pruned (seq, id, origin, origin_seq, kind, subject, wall, prev_hash, hash, incident, pruned_at)
                 SELECT e.seq, e.id, e.origin, e.origin_seq, e.kind, e.subject, e.wall, e.prev_hash, e.hash, u.incident, $3
                 FROM unnest($1::uuid[], $2::uuid[]) AS u(id, incident) JOIN events e ON e.id = u.id
                 ORDER BY u.incident NULLS LAST, e.seq",
                &[&ids, &of, &now_ms()],
            )
            .await?;
        let removed = tx.execute("DELETE FROM events WHERE id = ANY($1)", &[&ids]).await?;
        if kept != removed {
            return Err(ServerError::Database(format!(
                "retention kept {kept} chain entries for {removed} events removed; nothing was changed"
            )));
        }
        tx.commit().await?;
        let mut counts = PruneCounts::of(going.iter().copied());
        counts.events = removed;
        Ok(counts)
    }

    /// The removals numbered after `tomb`, at most `limit`: (number, event, its incident).
    pub async fn removals_after(&self, tomb: i64, limit: i64) -> Result<Vec<(i64, Uuid, Option<Uuid>)>, ServerError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT tomb, id, incident FROM events_pruned WHERE tomb > $1 ORDER BY tomb LIMIT $2",
                &[&tomb, &limit],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
    }
}

impl Fold {
    /// The finished history older than `cutoff` in this fold.
    pub async fn plan(&self, cutoff: i64) -> Result<Vec<PruneItem>, ServerError> {
        Ok(self.writer().run_async(move |tx| vigil_store::write::prune_plan(tx, cutoff)).await?)
    }

    /// Applies the log's removals this fold has not applied yet (made by any server process):
    /// their events and incidents leave the fold too.
    pub async fn apply_removals(&self, pg: &PgDb) -> Result<(), ServerError> {
        loop {
            let through = self.removals_through();
            let page = pg.removals_after(through, REMOVALS_PAGE).await?;
            let Some(last) = page.last().map(|(tomb, _, _)| *tomb) else { return Ok(()) };
            let items = PruneItem::grouped(page.into_iter().map(|(_, event, incident)| (event, incident)));
            self.writer()
                .run_async(move |tx| {
                    vigil_store::write::prune(tx, &items, now_ms())?;
                    vigil_store::write::set_removals_through(tx, last)
                })
                .await?;
            self.set_removals_through(last);
        }
    }
}
