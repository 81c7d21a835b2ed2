//! What the receivers commit: signals and link tests, through the workstation's one writer
//! (`vigil_store::Writer`). A receiver acknowledges its sender only when its job's commit has
//! returned, and with `synchronous=FULL` a returned commit is on disk.

use tokio::sync::broadcast;
use vigil_store::{write, IncidentChange, NewSignal};

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

#[derive(Debug, Clone, thiserror::Error)]
pub enum WriterError {
    #[error("the database writer has stopped")]
    Stopped,
    #[error("commit failed: {0}")]
    Commit(String),
}

/// The receivers' side of the workstation's writer; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    inner: vigil_store::Writer,
    news: broadcast::Sender<IncidentChange>,
}

impl Writer {
    /// Commits through `inner`; every incident a commit opens or changes is announced on `news`
    /// once the commit has returned.
    pub fn new(inner: vigil_store::Writer, news: broadcast::Sender<IncidentChange>) -> Writer {
        Writer { inner, news }
    }

    /// Commits `ops` in one of the writer's transactions and returns, for each signal, whether it
    /// was new (false: a retransmission already stored). Returns only after the commit.
    pub async fn commit(&self, ops: Vec<Op>) -> Result<Vec<bool>, WriterError> {
        let (flags, changes) = self
            .inner
            .run_async(move |tx| {
                let mut flags = Vec::new();
                let mut changes = Vec::new();
                for op in ops {
                    match op {
                        Op::Signal(mut signal) => {
                            // A DC-09 frame finds its alarm point as the devices table says now.
                            if let (None, Some(account), true) =
                                (signal.device_id, signal.account.as_deref(), signal.source.starts_with("dc09"))
                            {
                                signal.device_id = write::dc09_point(tx, account, signal.zone.unwrap_or(0))?;
                            }
                            let signal = *signal;
                            let new = write::insert_signal(tx, &signal)?;
                            // A retransmission changes no incident: only a new signal counts.
                            if new {
                                changes.extend(write::apply_signal(tx, &signal)?);
                            }
                            flags.push(new);
                        }
                        Op::Touch { account, sender, at } => write::touch_link(tx, &account, sender.as_deref(), at)?,
                    }
                }
                Ok((flags, changes))
            })
            .await
            .map_err(|e| WriterError::Commit(e.to_string()))?;
        for change in changes {
            // Nobody listening (a headless agent) is fine.
            let _ = self.news.send(change);
        }
        Ok(flags)
    }

    /// Runs any other write of the engine (a panel marked faulted) through the same writer.
    pub async fn run<T, F>(&self, work: F) -> Result<T, WriterError>
    where
        T: Send + 'static,
        F: FnOnce(&vigil_store::Transaction<'_>) -> vigil_store::Result<T> + Send + 'static,
    {
        self.inner.run_async(work).await.map_err(|e| WriterError::Commit(e.to_string()))
    }
}
