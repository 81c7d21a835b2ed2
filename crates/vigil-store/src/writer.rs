//! The one writer of a workstation: a thread that owns the only connection that writes, and
//! commits every change — received alarms, operators' actions, logins, settings — in the order it
//! takes them. That order is the event log's local sequence.
//!
//! Jobs waiting together share one transaction (up to [`MAX_BATCH`]): under a storm that turns
//! thousands of fsyncs a second into tens. Each job runs inside its own savepoint, so one that fails
//! (an invalid move) is rolled back alone and the others still commit. A job's result is handed
//! back only once its transaction has committed — which is what lets a receiver acknowledge a
//! sender only for what is on disk.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Transaction;

use crate::{Result, Store, StoreError};

/// The most jobs one transaction takes: enough to keep a storm's commits few, small enough that the
/// first job in a batch does not wait long.
pub const MAX_BATCH: usize = 512;

trait Work: Send {
    /// Runs the job inside the batch's transaction (in a savepoint of its own); false when the
    /// transaction itself is gone and the batch must fail.
    fn run(&mut self, tx: &Transaction<'_>) -> bool;
    /// Hands the result over once the transaction's fate is known.
    fn finish(self: Box<Self>, commit: std::result::Result<(), String>);
}

struct Job<T, F> {
    work: Option<F>,
    result: Option<Result<T>>,
    reply: Option<Box<dyn FnOnce(Result<T>) + Send>>,
}

impl<T, F> Work for Job<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
{
    fn run(&mut self, tx: &Transaction<'_>) -> bool {
        let Some(work) = self.work.take() else { return true };
        if let Err(e) = tx.execute_batch("SAVEPOINT job") {
            self.result = Some(Err(StoreError::from(e)));
            return false;
        }
        // A job that panics is a failed job, not a dead writer.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(tx)))
            .unwrap_or_else(|_| Err(StoreError::Invalid("the change failed unexpectedly and was not stored".into())));
        let end = if result.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
        let ended = tx.execute_batch(end);
        // An error SQLite answers by ending the whole transaction (a full disk) leaves nothing for
        // the rest of the batch to run in: say so, rather than let a savepoint start a new one.
        let intact = ended.is_ok() && !tx.is_autocommit();
        self.result = Some(match ended {
            Ok(()) if intact => result,
            Ok(()) => Err(StoreError::Invalid("the transaction ended under this change; not stored".into())),
            Err(e) => Err(StoreError::from(e)),
        });
        intact
    }

    fn finish(mut self: Box<Self>, commit: std::result::Result<(), String>) {
        let result = match (commit, self.result.take()) {
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(StoreError::Invalid("the job did not run".into())),
            // Nothing of this batch is on disk: no result may be handed out as if it were.
            (Err(message), _) => Err(StoreError::Invalid(format!("not stored, the commit failed: {message}"))),
        };
        if let Some(reply) = self.reply.take() {
            reply(result);
        }
    }
}

/// Handle to the writer thread; cheap to clone, usable from threads and async tasks alike.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::SyncSender<Box<dyn Work>>,
    /// Set by [`Writer::close`]: the thread stops after the batch in hand.
    closing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::sync::Arc<std::sync::Mutex<Option<std::thread::JoinHandle<()>>>>,
    /// Counts committed batches: whoever sends what was committed (the sync pusher) waits on it
    /// instead of polling.
    commits: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

impl Writer {
    /// Starts the writer on the database at `path` (opened as any store is: inspected, migrated).
    pub fn start(path: &Path) -> Result<Writer> {
        Writer::start_with_cache(path, crate::DEFAULT_CACHE_MIB)
    }

    /// Like [`Writer::start`], with `cache_mib` MiB of page cache for the writer's connection.
    pub fn start_with_cache(path: &Path, cache_mib: u32) -> Result<Writer> {
        let mut store = Store::open(path)?;
        store.set_cache_mib(cache_mib)?;
        let (queue, jobs) = mpsc::sync_channel::<Box<dyn Work>>(8192);
        let closing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = closing.clone();
        let commits = std::sync::Arc::new(tokio::sync::watch::channel(0u64).0);
        let committed = commits.clone();
        let thread = std::thread::Builder::new()
            .name("vigil-writer".into())
            .spawn(move || {
                while let Ok(first) = jobs.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match jobs.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    let outcome = store.transaction(|tx| {
                        for job in &mut batch {
                            if !job.run(tx) {
                                return Err(StoreError::Invalid("the transaction was ended by SQLite".into()));
                            }
                        }
                        Ok(())
                    });
                    let commit = outcome.map_err(|e| e.to_string());
                    if commit.is_ok() {
                        committed.send_modify(|n| *n += 1);
                    }
                    for job in batch {
                        job.finish(commit.clone());
                    }
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                }
                // The connection closes here, with its WAL checkpointed.
                drop(store);
            })
            .map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
        Ok(Writer { queue, closing, thread: std::sync::Arc::new(std::sync::Mutex::new(Some(thread))), commits })
    }

    /// Changes each time a batch has been committed.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// Commits what is queued, stops the thread and closes its connection before returning (a
    /// server stopping in-process; a process that exits need not call it). Later jobs are refused.
    pub fn close(&self) {
        self.closing.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = self.run(|_| Ok(()));
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }

    fn submit<T, F>(&self, work: F, reply: Box<dyn FnOnce(Result<T>) + Send>) -> Result<()>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let job: Box<dyn Work> = Box::new(Job { work: Some(work), result: None, reply: Some(reply) });
        self.queue.send(job).map_err(|_| StoreError::Invalid("the database writer has stopped".into()))
    }

    /// Runs `work` in the writer's next transaction and returns its result once committed. Blocks
    /// the calling thread (a command of the window, the command line).
    pub fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(
            work,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )?;
        rx.recv().map_err(|_| StoreError::Invalid("the database writer has stopped".into()))?
    }

    /// Like [`Writer::run`], awaited by an async task (a receiver) instead of blocking it.
    pub async fn run_async<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let queue = self.queue.clone();
        let job: Box<dyn Work> = Box::new(Job {
            work: Some(work),
            result: None,
            reply: Some(Box::new(move |r| {
                let _ = tx.send(r);
            })),
        });
        // The queue is bounded: a full queue (a storm beyond what the disk takes) waits here,
        // off the async threads.
        match queue.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || queue.send(job))
                    .await
                    .map_err(|e| StoreError::Invalid(e.to_string()))?
                    .map_err(|_| StoreError::Invalid("the database writer has stopped".into()))?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(StoreError::Invalid("the database writer has stopped".into()))
            }
        }
        rx.await.map_err(|_| StoreError::Invalid("the database writer has stopped".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_job_is_rolled_back_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("vigil.db");
        let writer = Writer::start(&path).expect("writer");
        let w = writer.clone();
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let w = w.clone();
                std::thread::spawn(move || {
                    w.run(move |tx| {
                        tx.execute("INSERT INTO settings (key, value) VALUES (?1, 'x')", [format!("k{i}")])?;
                        if i % 5 == 0 {
                            return Err(StoreError::Invalid(format!("job {i} refuses")));
                        }
                        Ok(i)
                    })
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().expect("thread")).collect();
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 4);
        // A job that panics fails alone, and the writer goes on.
        assert!(writer.run(|_| -> Result<()> { panic!("a bug in one change") }).is_err());
        writer
            .run(|tx| Ok(tx.execute("INSERT INTO settings (key, value) VALUES ('after', 'x')", [])?))
            .expect("still writing");
        let store = Store::open(&path).expect("open");
        for i in 0..20 {
            let stored = store.setting(&format!("k{i}")).expect("read");
            assert_eq!(stored.is_some(), i % 5 != 0, "job {i}");
        }
    }
}
