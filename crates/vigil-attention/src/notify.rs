//! Desktop notifications (freedesktop D-Bus, through notify-rust). A notice is handed to a thread
//! and the caller goes on at once; each delivery has a time limit, so a missing or hung
//! notification daemon never delays an alarm, and what happened is kept for inspection.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A desktop notification to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The headline the desktop shows first (e.g. the priority and alarm type).
    pub summary: String,
    /// Where and what, for an operator who is not looking at the console.
    pub body: String,
    /// Critical urgency: stays on screen until dismissed.
    pub critical: bool,
}

/// What became of one notice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NoticeOutcome {
    /// Which notice this was.
    pub summary: String,
    /// Whether it was sent as critical.
    pub critical: bool,
    /// The notification service accepted it.
    pub delivered: bool,
    /// Why it was not shown: no bus, no service, no answer in time, or dropped here.
    pub error: Option<String>,
    /// When the outcome was known (ms since 1970).
    pub at_ms: i64,
}

/// Notices waiting for the sender thread; beyond this a notice is dropped (and recorded).
const QUEUE: usize = 64;
/// Deliveries still running past their time limit; beyond this new notices are not attempted.
const STUCK_LIMIT: usize = 4;
const LOG_LIMIT: usize = 500;

/// Sends notices off the caller's thread; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    tx: SyncSender<Notice>,
    outcomes: Arc<Mutex<VecDeque<NoticeOutcome>>>,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn record(outcomes: &Mutex<VecDeque<NoticeOutcome>>, notice: &Notice, result: Result<(), String>) {
    let mut log = outcomes.lock().unwrap_or_else(|p| p.into_inner());
    if log.len() == LOG_LIMIT {
        log.pop_front();
    }
    if let Err(e) = &result {
        eprintln!("vigil-attention: notification {:?} not shown: {e}", notice.summary);
    }
    log.push_back(NoticeOutcome {
        summary: notice.summary.clone(),
        critical: notice.critical,
        delivered: result.is_ok(),
        error: result.err(),
        at_ms: now_ms(),
    });
}

fn deliver(app_name: &str, notice: &Notice) -> Result<(), String> {
    let mut n = notify_rust::Notification::new();
    n.appname(app_name).summary(&notice.summary).body(&notice.body);
    #[cfg(all(unix, not(target_os = "macos")))]
    n.urgency(if notice.critical { notify_rust::Urgency::Critical } else { notify_rust::Urgency::Normal });
    if notice.critical {
        n.timeout(notify_rust::Timeout::Never);
    }
    n.show().map(|_| ()).map_err(|e| e.to_string())
}

fn run(app_name: String, timeout: Duration, rx: Receiver<Notice>, outcomes: Arc<Mutex<VecDeque<NoticeOutcome>>>) {
    let stuck = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    while let Ok(notice) = rx.recv() {
        if stuck.load(std::sync::atomic::Ordering::SeqCst) >= STUCK_LIMIT {
            record(&outcomes, &notice, Err("earlier notifications are still hanging; not attempted".into()));
            continue;
        }
        // Each delivery runs on its own thread so that one hung D-Bus call cannot stop the next.
        let (done_tx, done_rx) = mpsc::channel();
        let name = app_name.clone();
        let item = notice.clone();
        let hanging = stuck.clone();
        hanging.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let spawned = std::thread::Builder::new().name("vigil-notify-send".into()).spawn(move || {
            let result = deliver(&name, &item);
            hanging.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            let _ = done_tx.send(result);
        });
        let result = match spawned {
            Ok(_) => done_rx
                .recv_timeout(timeout)
                .unwrap_or_else(|_| Err(format!("no answer from the notification service within {timeout:?}"))),
            Err(e) => {
                stuck.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                Err(format!("no thread to send it: {e}"))
            }
        };
        record(&outcomes, &notice, result);
    }
}

impl Notifier {
    /// A notifier that names itself `app_name` and gives each delivery `timeout`.
    pub fn new(app_name: &str, timeout: Duration) -> Notifier {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let outcomes = Arc::new(Mutex::new(VecDeque::new()));
        let log = outcomes.clone();
        let name = app_name.to_owned();
        if let Err(e) =
            std::thread::Builder::new().name("vigil-notify".into()).spawn(move || run(name, timeout, rx, log))
        {
            eprintln!("vigil-attention: notifications are off, no thread for them: {e}");
        }
        Notifier { tx, outcomes }
    }

    /// Hands `notice` over and returns at once; it is shown (or its failure recorded) in the background.
    pub fn send(&self, notice: Notice) {
        match self.tx.try_send(notice) {
            Ok(()) => {}
            Err(TrySendError::Full(notice)) => record(&self.outcomes, &notice, Err("too many notices waiting".into())),
            Err(TrySendError::Disconnected(notice)) => {
                record(&self.outcomes, &notice, Err("the notification thread has stopped".into()))
            }
        }
    }

    /// What became of the notices sent so far, oldest first (the last 500).
    pub fn sent(&self) -> Vec<NoticeOutcome> {
        self.outcomes.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }
}
