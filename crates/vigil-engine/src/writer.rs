//! The one writer: a thread that owns a database connection and commits what the receivers hand
//! it in batches. A receiver acknowledges its sender only when its batch's commit has returned,
//! and with `synchronous=FULL` a returned commit is on disk.

use std::path::Path;

use tokio::sync::{broadcast, mpsc, oneshot};
use vigil_store::{write, IncidentChange, NewSignal, Store, StoreError};

/// One change to commit.
#[derive(Debug, Clone)]
pub enum Op {
    Signal(Box<NewSignal>),
    /// A panel showed it is alive.
    Touch {
        account: String,
        sender: Option<String>,
        at: i64,
    },
}

struct Job {
    ops: Vec<Op>,
    reply: oneshot::Sender<Result<Vec<bool>, String>>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum WriterError {
    #[error("the database writer has stopped")]
    Stopped,
    #[error("commit failed: {0}")]
    Commit(String),
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

/// The most jobs one transaction takes: enough to keep a storm's commits few, small enough that
/// the first sender in a batch does not wait long.
const MAX_BATCH: usize = 512;

impl Writer {
    /// Starts the writer on the database at `path`. Every incident a commit opens or changes is
    /// announced on `news` once the commit has returned.
    pub fn start(path: &Path, news: broadcast::Sender<IncidentChange>) -> Result<Writer, StoreError> {
        let mut store = Store::open(path)?;
        let (tx, mut rx) = mpsc::channel::<Job>(8192);
        std::thread::Builder::new()
            .name("vigil-writer".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let mut jobs = vec![first];
                    while jobs.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(job) => jobs.push(job),
                            Err(_) => break,
                        }
                    }
                    let mut changes = Vec::new();
                    let result = store.transaction(|tx| {
                        let mut all = Vec::with_capacity(jobs.len());
                        for job in &jobs {
                            let mut flags = Vec::new();
                            for op in &job.ops {
                                match op {
                                    Op::Signal(signal) => {
                                        let new = write::insert_signal(tx, signal)?;
                                        // A retransmission changes no incident: only a new signal counts.
                                        if new {
                                            changes.extend(write::apply_signal(tx, signal)?);
                                        }
                                        flags.push(new);
                                    }
                                    Op::Touch { account, sender, at } => {
                                        write::touch_link(tx, account, sender.as_deref(), *at)?
                                    }
                                }
                            }
                            all.push(flags);
                        }
                        Ok(all)
                    });
                    match result {
                        Ok(all) => {
                            for change in changes {
                                // Nobody listening (a headless agent) is fine.
                                let _ = news.send(change);
                            }
                            for (job, flags) in jobs.into_iter().zip(all) {
                                let _ = job.reply.send(Ok(flags));
                            }
                        }
                        Err(e) => {
                            let message = e.to_string();
                            for job in jobs {
                                let _ = job.reply.send(Err(message.clone()));
                            }
                        }
                    }
                }
            })
            .map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
        Ok(Writer { tx })
    }

    /// Commits `ops` in one of the writer's transactions and returns, for each signal, whether it
    /// was new (false: a retransmission already stored). Returns only after the commit.
    pub async fn commit(&self, ops: Vec<Op>) -> Result<Vec<bool>, WriterError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Job { ops, reply }).await.map_err(|_| WriterError::Stopped)?;
        answer.await.map_err(|_| WriterError::Stopped)?.map_err(WriterError::Commit)
    }
}
