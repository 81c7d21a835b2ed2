//! The server on SQLite: a normal Vigil database in its data directory, written through one
//! writer, so the log's local sequence is the server's order and every push is folded into the
//! same projection tables a workstation has.

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use uuid::Uuid;
use vigil_domain::event::{CheckInRecorded, EventBody, EventKind};
use vigil_store::{
    CheckInStored, ClientKind, EnrollRefusal, EnrolledWorkstation, Store, StoreError, SyncEvent, TokenHolder,
    WitnessedHead, Writer,
};
use vigil_sync::{Heads, WireEvent};

use super::{store_heads, Pushed};
use crate::ServerError;

pub(crate) struct SqliteDb {
    writer: Writer,
    reader: Arc<Mutex<Store>>,
}

/// The server writer's page cache: a server holds every workstation's log, and a push's inserts
/// touch pages all over its indexes (event ids, check-in ids, places in each origin's chain); with
/// a workstation's 16 MiB, a catch-up of 100,000 events keeps reading pages back from the OS.
pub(crate) const SERVER_CACHE_MIB: u32 = 64;

/// Creates `dir` when missing and names its database file.
pub(crate) fn database_in(dir: &Path) -> Result<std::path::PathBuf, ServerError> {
    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.to_owned(), source })?;
    Ok(dir.join(vigil_store::DATABASE_FILE))
}

impl SqliteDb {
    pub async fn open(dir: &Path) -> Result<SqliteDb, ServerError> {
        let path = database_in(dir)?;
        tokio::task::spawn_blocking(move || {
            let writer = Writer::start_with_cache(&path, SERVER_CACHE_MIB)?;
            let reader = Store::open(&path)?;
            Ok(SqliteDb { writer, reader: Arc::new(Mutex::new(reader)) })
        })
        .await
        .map_err(|e| ServerError::Invalid(format!("opening the database stopped: {e}")))?
    }

    pub(super) fn writer(&self) -> &Writer {
        &self.writer
    }

    pub(super) async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ServerError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || work(&reader.lock().unwrap_or_else(|p| p.into_inner())))
            .await
            .map_err(|e| ServerError::Invalid(format!("a read stopped: {e}")))?
            .map_err(ServerError::Store)
    }

    pub async fn last_seq(&self) -> Result<i64, ServerError> {
        self.read(|s| s.last_event_seq()).await
    }

    pub async fn token_holder(&self, token_hash: String) -> Result<Option<TokenHolder>, ServerError> {
        self.read(move |s| s.token_holder(&token_hash)).await
    }

    pub async fn create_enrollment(
        &self,
        name: String,
        code: String,
        ttl_ms: i64,
        kind: ClientKind,
    ) -> Result<(), ServerError> {
        Ok(self
            .writer
            .run_async(move |tx| vigil_store::write::create_enrollment(tx, &name, &code, ttl_ms, kind))
            .await?)
    }

    pub async fn redeem(
        &self,
        code: String,
        origin: Uuid,
        token_hash: String,
    ) -> Result<Result<String, EnrollRefusal>, ServerError> {
        Ok(self
            .writer
            .run_async(move |tx| vigil_store::write::redeem_enrollment(tx, &code, origin, &token_hash))
            .await?)
    }

    pub async fn revoke(&self, name: String) -> Result<usize, ServerError> {
        Ok(self.writer.run_async(move |tx| vigil_store::write::revoke_workstation(tx, &name)).await?)
    }

    pub async fn workstations(&self) -> Result<Vec<EnrolledWorkstation>, ServerError> {
        self.read(|s| s.enrolled_workstations()).await
    }

    pub async fn push(
        &self,
        origin: Uuid,
        events: Vec<SyncEvent>,
        heads: Heads,
        clock_offset: i64,
    ) -> Result<Pushed, ServerError> {
        let (outcome, head) = self
            .writer
            .run_async(move |tx| {
                let (events_head, audit_head) = store_heads(&heads);
                let outcome = vigil_store::write::accept_push(
                    tx,
                    origin,
                    &events,
                    (events_head.as_ref(), audit_head.as_ref()),
                    Some(clock_offset),
                )?;
                let head: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM events", [], |r| r.get(0))?;
                Ok((outcome, head))
            })
            .await?;
        Ok(Pushed { outcome, head })
    }

    pub async fn pull(&self, after: i64, limit: u32) -> Result<(Vec<WireEvent>, i64), ServerError> {
        self.read(move |s| {
            let rows = s.log_rows(after, limit)?;
            let last = s.last_event_seq()?;
            let events = rows.iter().map(|(r, pruned)| WireEvent::pulled(r, *pruned)).collect::<Result<Vec<_>, _>>()?;
            Ok((events, last))
        })
        .await
    }

    pub async fn heads(&self, origin: Option<Uuid>) -> Result<Vec<WitnessedHead>, ServerError> {
        self.read(move |s| {
            Ok(s.all_witnessed_heads()?.into_iter().filter(|h| origin.is_none_or(|o| h.origin == o)).collect())
        })
        .await
    }

    pub async fn verify(&self) -> Result<(vigil_store::EventChainReport, vigil_store::WitnessReport), ServerError> {
        self.read(|s| {
            let chain = s.verify_events()?;
            let witness = s.check_witnessed(&s.all_witnessed_heads()?, None)?;
            Ok((chain, witness))
        })
        .await
    }

    pub async fn commit_own(&self, actor: String, subject: String, body: EventBody) -> Result<Uuid, ServerError> {
        Ok(self
            .writer
            .run_async(move |tx| {
                let committed = vigil_store::write::commit_event(tx, &actor, &subject, body, crate::now_ms())?;
                Ok(committed.event.id)
            })
            .await?)
    }

    pub async fn record_check_ins(
        &self,
        actor: String,
        items: Vec<CheckInRecorded>,
    ) -> Result<Result<Vec<CheckInStored>, usize>, ServerError> {
        Ok(self
            .writer
            .run_async(move |tx| vigil_store::write::record_check_ins(tx, &actor, &items, crate::now_ms()))
            .await?)
    }

    pub async fn events_of_kind(&self, kind: EventKind) -> Result<Vec<vigil_store::EventRow>, ServerError> {
        self.read(move |s| s.events_of_kind(kind)).await
    }

    /// The server is this file's only long-running writer, but `vigil server accounts` commits
    /// beside it: every second, a log grown under it wakes the pulls waiting on news.
    pub fn follow(&self, head: watch::Sender<i64>, mut stop: watch::Receiver<bool>) {
        let reader = self.reader.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                let reader = reader.clone();
                let last = tokio::task::spawn_blocking(move || {
                    reader.lock().unwrap_or_else(|p| p.into_inner()).last_event_seq()
                })
                .await;
                if let Ok(Ok(last)) = last {
                    head.send_if_modified(|h| std::mem::replace(h, (*h).max(last)) < last);
                }
            }
        });
    }

    pub async fn close(&self) {
        let writer = self.writer.clone();
        let _ = tokio::task::spawn_blocking(move || writer.close()).await;
    }
}
