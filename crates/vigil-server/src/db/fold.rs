//! The PostgreSQL log folded on the server: each server process keeps, in its data directory, a
//! Vigil SQLite database (`vigil-fold.db`) that applies the log in the server's order with the
//! very code a workstation applies a pull with (`vigil_store::write::apply_pulled`), so the
//! server's incidents, rounds and map are the workstations' by construction. It is a cache of the
//! log, not state: deleted, it is folded again from position 0 at the next start. It follows the
//! log's head, which PostgreSQL's NOTIFY moves for pushes through any process.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;
use vigil_store::{Store, Writer};

use super::postgres::PgDb;
use crate::ServerError;

/// The fold's file in a PostgreSQL server's data directory.
pub const FOLD_FILE: &str = "vigil-fold.db";

pub(crate) struct Fold {
    writer: Writer,
    /// The fold's own id: no event of the log is its own.
    me: Uuid,
    /// The log's position folded through.
    folded: watch::Sender<i64>,
    /// The log's removals (retention) applied through.
    removals: AtomicI64,
}

impl Fold {
    pub fn open(dir: &Path) -> Result<Fold, ServerError> {
        let path: PathBuf = super::sqlite::database_in(dir)?.with_file_name(FOLD_FILE);
        let writer = Writer::start_with_cache(&path, super::sqlite::SERVER_CACHE_MIB)?;
        let me = writer.run(vigil_store::write::workstation_id)?;
        let store = Store::open(&path)?;
        let cursor = store.sync_marks()?.cursor;
        let removals = AtomicI64::new(store.removals_through()?);
        Ok(Fold { writer, me, folded: watch::channel(cursor).0, removals })
    }

    pub(super) fn writer(&self) -> &Writer {
        &self.writer
    }

    pub(super) fn removals_through(&self) -> i64 {
        self.removals.load(Ordering::Relaxed)
    }

    pub(super) fn set_removals_through(&self, tomb: i64) {
        self.removals.store(tomb, Ordering::Relaxed);
    }

    /// The log's position folded through.
    pub fn folded(&self) -> i64 {
        *self.folded.borrow()
    }

    /// Folds every page of the log after the fold's position, and applies the log's removals;
    /// returns the position reached.
    pub async fn catch_up(&self, pg: &PgDb) -> Result<i64, ServerError> {
        loop {
            let cursor = self.folded();
            let (events, _last) = pg.pull(cursor, vigil_sync::MAX_PULL_EVENTS).await?;
            let page = vigil_sync::page_length(events.iter().map(|e| e.event.payload.len()));
            let events: Vec<(vigil_store::SyncEvent, i64)> =
                events.into_iter().take(page).map(|e| (e.event, e.seq.unwrap_or(cursor))).collect();
            let Some(next) = events.last().map(|(_, seq)| *seq) else {
                self.apply_removals(pg).await?;
                return Ok(cursor);
            };
            let me = self.me;
            self.writer
                .run_async(move |tx| {
                    vigil_store::write::apply_pulled(tx, &events, me)?;
                    vigil_store::write::set_cursor(tx, next)
                })
                .await?;
            self.folded.send_replace(next);
        }
    }

    /// Keeps folding as the log grows (`head`), until `stop`; a failure is logged and retried.
    pub fn follow(self: Arc<Self>, pg: PgDb, mut head: watch::Receiver<i64>, mut stop: watch::Receiver<bool>) {
        tokio::spawn(async move {
            loop {
                if let Err(e) = self.catch_up(&pg).await {
                    tracing::warn!(error = %e, "folding the log stopped; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = stop.wait_for(|s| *s) => return,
                    }
                    continue;
                }
                tokio::select! {
                    _ = head.changed() => {}
                    // Now and then even without news: a NOTIFY lost while reconnecting.
                    _ = tokio::time::sleep(Duration::from_secs(10)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        });
    }

    pub fn close(&self) {
        self.writer.close();
    }
}
