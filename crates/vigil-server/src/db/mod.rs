//! Where the server keeps everything: a Vigil SQLite database in its data directory, or a
//! PostgreSQL database shared by every `vigil server` process serving the same hospital.
//!
//! Both keep the same log with the same rules ([`vigil_store::check_push`] decides what a push
//! may store); each takes a push all or nothing, in one transaction, and assigns the server's
//! order under one lock, so a position is never seen before the positions below it.

pub(crate) mod fold;
mod postgres;
mod retention;
mod sqlite;

pub use fold::FOLD_FILE;

use std::path::{Path, PathBuf};

use tokio::sync::watch;
use uuid::Uuid;
use vigil_domain::event::{CheckInRecorded, EventBody, EventKind};
use vigil_store::{
    CheckInStored, ClientKind, EnrollRefusal, EnrolledWorkstation, PushOutcome, SyncEvent, TokenHolder, WitnessedHead,
};
use vigil_sync::{Heads, WireEvent};

use crate::ServerError;

/// Where a server's database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `vigil.db` in this directory.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:password@host:port/database`).
    Postgres(String),
}

impl Location {
    /// The database `--data-dir` and `--database` name: SQLite in `dir` unless `database` is a
    /// `postgres://` (or `postgresql://`) URL.
    pub fn new(dir: &Path, database: Option<&str>) -> Result<Location, ServerError> {
        match database.map(str::trim).filter(|d| !d.is_empty()) {
            None => Ok(Location::Sqlite(dir.to_owned())),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                url.parse::<tokio_postgres::Config>()
                    .map_err(|e| ServerError::Invalid(format!("--database: not a PostgreSQL URL ({e})")))?;
                Ok(Location::Postgres(url.to_owned()))
            }
            Some(other) => Err(ServerError::Invalid(format!(
                "--database: {other:?} is not a postgres:// URL (leave it out for SQLite in --data-dir)"
            ))),
        }
    }

    /// Names the database for logs and messages, without a password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(dir) => format!("SQLite in {}", dir.display()),
            Location::Postgres(url) => match url.parse::<tokio_postgres::Config>() {
                Ok(c) => {
                    let hosts: Vec<String> = c
                        .get_hosts()
                        .iter()
                        .map(|h| match h {
                            tokio_postgres::config::Host::Tcp(h) => h.clone(),
                            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                        })
                        .collect();
                    let port = c.get_ports().first().copied().unwrap_or(5432);
                    format!("PostgreSQL {}:{port}/{}", hosts.join(","), c.get_dbname().unwrap_or("postgres"))
                }
                Err(_) => "PostgreSQL".to_owned(),
            },
        }
    }
}

/// What a stored push reports back.
pub(crate) struct Pushed {
    pub outcome: PushOutcome,
    /// The server log's last position after the push.
    pub head: i64,
}

/// An open server database.
pub(crate) enum Db {
    Sqlite(sqlite::SqliteDb),
    Postgres(Box<postgres::PgDb>),
}

impl Db {
    pub async fn open(location: &Location) -> Result<Db, ServerError> {
        Ok(match location {
            Location::Sqlite(dir) => Db::Sqlite(sqlite::SqliteDb::open(dir).await?),
            Location::Postgres(url) => Db::Postgres(Box::new(postgres::PgDb::open(url).await?)),
        })
    }

    /// The log's last position; an error when the database does not answer.
    pub async fn last_seq(&self) -> Result<i64, ServerError> {
        match self {
            Db::Sqlite(db) => db.last_seq().await,
            Db::Postgres(db) => db.last_seq().await,
        }
    }

    /// The enrolled client holding a token (its hash), unless revoked.
    pub async fn token_holder(&self, token_hash: String) -> Result<Option<TokenHolder>, ServerError> {
        match self {
            Db::Sqlite(db) => db.token_holder(token_hash).await,
            Db::Postgres(db) => db.token_holder(token_hash).await,
        }
    }

    /// Stores a new enrollment code (`code` as generated; only its hash is kept).
    pub async fn create_enrollment(
        &self,
        name: String,
        code: String,
        ttl_ms: i64,
        kind: ClientKind,
    ) -> Result<(), ServerError> {
        match self {
            Db::Sqlite(db) => db.create_enrollment(name, code, ttl_ms, kind).await,
            Db::Postgres(db) => db.create_enrollment(name, code, ttl_ms, kind).await,
        }
    }

    pub async fn redeem(
        &self,
        code: String,
        origin: Uuid,
        token_hash: String,
    ) -> Result<Result<String, EnrollRefusal>, ServerError> {
        match self {
            Db::Sqlite(db) => db.redeem(code, origin, token_hash).await,
            Db::Postgres(db) => db.redeem(code, origin, token_hash).await,
        }
    }

    pub async fn revoke(&self, name: String) -> Result<usize, ServerError> {
        match self {
            Db::Sqlite(db) => db.revoke(name).await,
            Db::Postgres(db) => db.revoke(name).await,
        }
    }

    pub async fn workstations(&self) -> Result<Vec<EnrolledWorkstation>, ServerError> {
        match self {
            Db::Sqlite(db) => db.workstations().await,
            Db::Postgres(db) => db.workstations().await,
        }
    }

    /// Stores `origin`'s batch all or nothing, witnessing `heads`; `clock_offset` is its clock
    /// minus the server's (ms).
    pub async fn push(
        &self,
        origin: Uuid,
        events: Vec<SyncEvent>,
        heads: Heads,
        clock_offset: i64,
    ) -> Result<Pushed, ServerError> {
        match self {
            Db::Sqlite(db) => db.push(origin, events, heads, clock_offset).await,
            Db::Postgres(db) => db.push(origin, events, heads, clock_offset).await,
        }
    }

    /// Up to `limit` events after position `after`, in the server's order, and the log's last
    /// position.
    pub async fn pull(&self, after: i64, limit: u32) -> Result<(Vec<WireEvent>, i64), ServerError> {
        match self {
            Db::Sqlite(db) => db.pull(after, limit).await,
            Db::Postgres(db) => db.pull(after, limit).await,
        }
    }

    /// The heads the server witnessed, of one workstation or of all.
    pub async fn heads(&self, origin: Option<Uuid>) -> Result<Vec<WitnessedHead>, ServerError> {
        match self {
            Db::Sqlite(db) => db.heads(origin).await,
            Db::Postgres(db) => db.heads(origin).await,
        }
    }

    /// Walks every origin's chain in the log, and compares it with every head the server witnessed.
    pub async fn verify(&self) -> Result<(vigil_store::EventChainReport, vigil_store::WitnessReport), ServerError> {
        match self {
            Db::Sqlite(db) => db.verify().await,
            Db::Postgres(db) => db.verify().await,
        }
    }

    /// Commits one event of the server's own (an administrator's change made on the server, such
    /// as an account), chained under the server's own origin and placed in the log like a push.
    pub async fn commit_own(&self, actor: String, subject: String, body: EventBody) -> Result<Uuid, ServerError> {
        match self {
            Db::Sqlite(db) => db.commit_own(actor, subject, body).await,
            Db::Postgres(db) => db.commit_own(actor, subject, body).await,
        }
    }

    /// Stores check-ins posted to the server (a guard's handheld) as the server's own events,
    /// all or none; `Err(index)` names the first one held before with another body.
    pub async fn record_check_ins(
        &self,
        actor: String,
        items: Vec<CheckInRecorded>,
    ) -> Result<Result<Vec<CheckInStored>, usize>, ServerError> {
        match self {
            Db::Sqlite(db) => db.record_check_ins(actor, items).await,
            Db::Postgres(db) => db.record_check_ins(actor, items).await,
        }
    }

    /// Every event of `kind` in the server's order.
    pub async fn events_of_kind(&self, kind: EventKind) -> Result<Vec<vigil_store::EventRow>, ServerError> {
        match self {
            Db::Sqlite(db) => db.events_of_kind(kind).await,
            Db::Postgres(db) => db.events_of_kind(kind).await,
        }
    }

    /// Keeps `head` at the log's last position as other server processes on the same database
    /// extend it (PostgreSQL's LISTEN/NOTIFY; on SQLite, the administration's commands writing
    /// beside the server), until `stop` turns true.
    pub fn follow(&self, head: watch::Sender<i64>, stop: watch::Receiver<bool>) {
        match self {
            Db::Sqlite(db) => db.follow(head, stop),
            Db::Postgres(db) => db.follow(head, stop),
        }
    }

    /// On PostgreSQL, the fold of the log kept in `dir` (opened, and following `head` until
    /// `stop`); SQLite folds every push as it stores it, so it needs none.
    pub fn start_fold(
        &self,
        dir: &Path,
        head: watch::Receiver<i64>,
        stop: watch::Receiver<bool>,
    ) -> Result<Option<std::sync::Arc<fold::Fold>>, ServerError> {
        let Db::Postgres(db) = self else { return Ok(None) };
        let fold = std::sync::Arc::new(fold::Fold::open(dir)?);
        fold.clone().follow((**db).clone(), head, stop);
        Ok(Some(fold))
    }

    /// Finishes what is being written and closes.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(db) => db.close().await,
            Db::Postgres(db) => db.close(),
        }
    }
}

/// Expands a witnessed head from the wire into the store's.
pub(crate) fn store_heads(heads: &Heads) -> (Option<vigil_store::Head>, Option<vigil_store::Head>) {
    let as_head =
        |h: &Option<vigil_sync::WireHead>| h.as_ref().map(|h| vigil_store::Head { seq: h.seq, hash: h.hash.clone() });
    (as_head(&heads.events), as_head(&heads.audit))
}
