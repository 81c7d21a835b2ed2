//! The workstation's side of sync, run beside its engine: the pusher sends its own events (the
//! outbox) in order until the server has them all, the puller brings everyone's events in the
//! server's order and folds the others' into this workstation's projections through its one
//! writer. Both keep going alone when the server cannot be reached, and say so in [`SyncStatus`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;
use vigil_store::{IncidentChange, Store, StoreError, Writer};

use crate::{
    Client, ClientError, Heads, PushRequest, TokenFile, WireEvent, WireHead, MAX_PULL_EVENTS, MAX_PUSH_EVENTS,
};

/// Where the workstation's sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Not yet in touch since start.
    Connecting,
    /// In touch, nothing left to push.
    Online,
    /// In touch, events still to push or pull.
    Syncing,
    /// The server cannot be reached: everything is kept and sent later.
    Offline,
    /// The server refuses this workstation (revoked token, diverged history): a person must act.
    Refused,
}

/// What the status bar shows of sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncView {
    pub state: SyncState,
    pub server: String,
    pub name: String,
    /// This workstation's events the server has not confirmed yet.
    #[ts(type = "number")]
    pub queue: u64,
    /// When the server last answered (ms since 1970).
    #[ts(type = "number | null")]
    pub last_sync: Option<i64>,
    /// This workstation's clock minus the server's (ms), from the last answer.
    #[ts(type = "number | null")]
    pub clock_offset_ms: Option<i64>,
    /// Why the last attempt failed, for the one who must act.
    pub problem: Option<String>,
}

/// Shared between the sync tasks and whoever shows their status. The second part is why this
/// copy holds back its events (the server holds more of its log than it does), which an answer
/// from the server does not clear: a person must act.
#[derive(Debug)]
pub struct SyncStatus(Mutex<SyncView>, Mutex<Option<String>>);

impl SyncStatus {
    pub fn view(&self) -> SyncView {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn update(&self, change: impl FnOnce(&mut SyncView)) {
        change(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn answered(&self, server_time: i64, sent_at: i64, received_at: i64) {
        self.update(|v| {
            v.last_sync = Some(received_at);
            // The server's clock read at about the middle of the exchange.
            v.clock_offset_ms = Some((sent_at + received_at) / 2 - server_time);
            v.problem = None;
            if matches!(v.state, SyncState::Offline | SyncState::Connecting | SyncState::Refused) {
                v.state = if v.queue == 0 { SyncState::Online } else { SyncState::Syncing };
            }
        });
        self.held_back_still();
    }

    /// Holds this copy's events back, saying why, until the process restarts.
    fn hold_back(&self, why: String) {
        *self.1.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
        self.held_back_still();
    }

    fn is_held_back(&self) -> bool {
        self.1.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    fn held_back_still(&self) {
        let held = self.1.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(why) = held {
            self.update(|v| {
                v.state = SyncState::Refused;
                v.problem = Some(why);
            });
        }
    }

    fn failed(&self, e: &ClientError) {
        self.update(|v| {
            v.state = match e {
                ClientError::Refused { status: 401 | 403 | 409, .. } => SyncState::Refused,
                // Asked to slow down: still in touch with the server.
                ClientError::Refused { status: 429, .. } => v.state,
                _ => SyncState::Offline,
            };
            v.problem = Some(e.to_string());
        });
    }
}

/// Everything the sync tasks need.
pub struct Agent {
    pub client: Client,
    pub origin: Uuid,
    pub writer: Writer,
    /// A connection of its own for the outbox and the marks.
    pub reader: Arc<Mutex<Store>>,
    pub status: Arc<SyncStatus>,
    /// Called with each incident a pulled event opened or changed, after its commit.
    pub news: Arc<dyn Fn(IncidentChange) + Send + Sync>,
    /// Set when the server was out of reach or holds less than it did: the pusher asks where it
    /// stands before waiting for new events.
    ask: std::sync::atomic::AtomicBool,
    /// Wakes the idle pusher when `ask` is set.
    wake: tokio::sync::Notify,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Waits `d`, or less if asked to stop; returns whether to stop.
async fn pause(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

/// How often an idle workstation asks the server where it stands.
const ASK_EVERY: Duration = Duration::from_secs(30);

/// How long to wait when the server answers 429 (its rate limit) before asking again.
const RATE_LIMITED_WAIT: Duration = Duration::from_secs(2);

/// Waits after failures: 1 s, doubling up to 10 s (a control room wants to be back soon after the
/// network is), back to 1 s after a success.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Backoff {
        Backoff(Duration::from_secs(1))
    }
    fn next(&mut self) -> Duration {
        let d = self.0;
        self.0 = (self.0 * 2).min(Duration::from_secs(10));
        d
    }
    fn reset(&mut self) {
        self.0 = Duration::from_secs(1);
    }
}

impl Agent {
    /// An agent for the workstation enrolled in `dir` (its token file), committing through `writer`.
    pub fn open(
        dir: &std::path::Path,
        enrolled: &TokenFile,
        writer: Writer,
        news: Arc<dyn Fn(IncidentChange) + Send + Sync>,
    ) -> Result<Agent, String> {
        let client = Client::of(enrolled).map_err(|e| e.to_string())?;
        let store = Store::open(&dir.join(vigil_store::DATABASE_FILE)).map_err(|e| e.to_string())?;
        store.set_cache_mib(2).map_err(|e| e.to_string())?;
        let status = Arc::new(SyncStatus(
            Mutex::new(SyncView {
                state: SyncState::Connecting,
                server: enrolled.server.clone(),
                name: enrolled.name.clone(),
                queue: 0,
                last_sync: None,
                clock_offset_ms: None,
                problem: None,
            }),
            Mutex::new(None),
        ));
        Ok(Agent {
            client,
            origin: enrolled.origin,
            writer,
            reader: Arc::new(Mutex::new(store)),
            status,
            news,
            ask: std::sync::atomic::AtomicBool::new(true),
            wake: tokio::sync::Notify::new(),
        })
    }

    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || work(&reader.lock().unwrap_or_else(|p| p.into_inner())))
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))?
    }

    /// Has the pusher ask where the server stands before anything else, waking it if idle.
    fn ask_soon(&self) {
        self.ask.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// After a failed exchange: says so in the status, has the pusher ask where the server stands
    /// once back (it may have come back from an older backup), and waits — backing off while the
    /// server cannot be reached. Returns whether to stop.
    async fn failed(&self, e: &ClientError, backoff: &mut Backoff, stop: &mut watch::Receiver<bool>) -> bool {
        self.status.failed(e);
        self.ask_soon();
        let wait = match e {
            ClientError::Unreachable(_) => backoff.next(),
            ClientError::Refused { status: 429, .. } => RATE_LIMITED_WAIT,
            _ => Duration::from_secs(30),
        };
        pause(wait, stop).await
    }

    /// Runs the pusher and the puller until `stop` turns true.
    pub async fn run(self: Arc<Self>, stop: watch::Receiver<bool>) {
        let pusher = tokio::spawn(self.clone().push_loop(stop.clone()));
        let puller = tokio::spawn(self.pull_loop(stop));
        let _ = tokio::join!(pusher, puller);
    }

    async fn push_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut backoff = Backoff::new();
        let origin = self.origin;
        let mut asked: Option<std::time::Instant> = None;
        let mut commits = self.writer.commits();
        loop {
            commits.borrow_and_update();
            if *stop.borrow() {
                return;
            }
            let outbox = self
                .read(move |s| {
                    let marks = s.sync_marks()?;
                    let mut rows = s.origin_events_after(origin, marks.pushed, MAX_PUSH_EVENTS as u32)?;
                    rows.truncate(crate::page_length(rows.iter().map(|r| r.payload.len())));
                    let pending = s.origin_events_pending(origin, marks.pushed)?;
                    let (events_head, audit) = s.chain_heads(origin)?;
                    Ok((rows, pending, events_head, audit))
                })
                .await;
            let (rows, pending, events_head, audit) = match outbox {
                Ok(found) => found,
                Err(e) => {
                    eprintln!("vigil: sync: the outbox cannot be read: {e}");
                    if pause(Duration::from_secs(5), &mut stop).await {
                        return;
                    }
                    continue;
                }
            };
            self.status.update(|v| {
                v.queue = pending;
                if v.state == SyncState::Online && pending > 0 {
                    v.state = SyncState::Syncing;
                } else if v.state == SyncState::Syncing && pending == 0 {
                    v.state = SyncState::Online;
                }
            });
            // Held back (see below): the queue is counted and shown, nothing is sent.
            if self.status.is_held_back() {
                self.status.held_back_still();
                tokio::select! {
                    _ = commits.changed() => {}
                    _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                    _ = stop.changed() => return,
                }
                continue;
            }
            // Nothing new: now and then an empty push asks where the server stands, so a server
            // restored from an older backup is fed again what it lost.
            if self.ask.swap(false, std::sync::atomic::Ordering::SeqCst) {
                asked = None;
            }
            if let Some(due) = asked.map(|at: std::time::Instant| ASK_EVERY.saturating_sub(at.elapsed())) {
                if rows.is_empty() && !due.is_zero() {
                    // Idle: woken by the next commit, a failure elsewhere, or when asking is due.
                    tokio::select! {
                        _ = commits.changed() => {}
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(due) => {}
                        _ = stop.changed() => return,
                    }
                    continue;
                }
            }
            asked = Some(std::time::Instant::now());
            let events: Vec<WireEvent> = match rows.iter().map(|r| WireEvent::from_row(r, false)).collect() {
                Ok(events) => events,
                Err(e) => {
                    eprintln!("vigil: sync: an event of the outbox cannot be sent: {e}");
                    if pause(Duration::from_secs(30), &mut stop).await {
                        return;
                    }
                    continue;
                }
            };
            // This copy's own log ends here (or later, if it committed since it was read).
            let held = events_head.as_ref().map_or(0, |h| h.seq);
            let last = match events.last() {
                Some(e) => Some(WireHead { seq: e.event.origin_seq, hash: e.event.hash.clone() }),
                None => events_head.map(|h| WireHead { seq: h.seq, hash: h.hash }),
            };
            let sent_at = now_ms();
            let push = PushRequest {
                protocol: crate::PROTOCOL,
                origin,
                sent_at,
                events,
                heads: Heads { events: last, audit: audit.map(|h| WireHead { seq: h.seq, hash: h.hash }) },
            };
            let confirmed = match self.client.push(&push).await {
                Ok(answer) => {
                    self.status.answered(answer.server_time, sent_at, now_ms());
                    for r in &answer.rejected {
                        eprintln!("vigil: sync: the server keeps event {} but cannot fold it: {}", r.id, r.reason);
                    }
                    Some(answer.next - 1)
                }
                Err(ClientError::Refused { body, .. }) if body.error.code == "gap" && body.error.expected.is_some() => {
                    // The server has less (restored from an older backup) or more (a response
                    // lost after its commit) than we thought: continue from what it expects.
                    body.error.expected.map(|e| e - 1)
                }
                Err(ClientError::Refused { body, .. }) if body.error.code == "diverged" => {
                    // Places of this workstation's log hold other events on the server: this copy
                    // was restored from an older backup, or copied, and went on without them.
                    // What it holds is kept here, counted, and not sent.
                    let why = format!(
                        "this copy's events differ from the server's copy of this workstation's log ({}): \
                         it was restored from an older backup or copied, and went on. Its events are kept here \
                         and not sent; see the README (\"The central server\") to enroll it as a new workstation",
                        body.error.message
                    );
                    eprintln!("vigil: sync: {why}");
                    self.status.hold_back(why);
                    continue;
                }
                Err(e) => {
                    if self.failed(&e, &mut backoff, &mut stop).await {
                        return;
                    }
                    continue;
                }
            };
            backoff.reset();
            if confirmed.is_some_and(|p| p > held) {
                // The server holds more of this workstation's log than this copy does: it was
                // restored from an older backup, or copied. Nothing is marked sent that this copy
                // does not hold; the puller brings the missing events back, and then it goes on.
                // (If this copy has events of its own at those places, the server answers the
                // next push `diverged`, below.)
                if pause(Duration::from_secs(2), &mut stop).await {
                    return;
                }
                continue;
            }
            if let Some(pushed) = confirmed {
                if let Err(e) = self.writer.run_async(move |tx| vigil_store::write::set_pushed(tx, pushed)).await {
                    eprintln!("vigil: sync: cannot record what the server confirmed: {e}");
                }
            }
        }
    }

    /// Removes here what the server's retention removed (numbered through `removed`): the same
    /// finished history, each event's chain entry kept, with an audit entry for each page.
    async fn follow_removals(&self, removed: i64) -> Result<(), String> {
        let mut through = self.read(|s| s.removals_through()).await.map_err(|e| e.to_string())?;
        while through < removed {
            let page = self.client.removals(through, crate::MAX_REMOVALS).await.map_err(|e| e.to_string())?;
            let Some(last) = page.removals.last().map(|r| r.n) else { return Ok(()) };
            let items = vigil_store::PruneItem::grouped(page.removals.iter().map(|r| (r.id, r.incident)));
            self.writer
                .run_async(move |tx| {
                    let counts = vigil_store::write::prune(tx, &items, now_ms())?;
                    let through = serde_json::json!({ "through": last });
                    vigil_store::write::audit_prune(tx, &counts, "server:retention", "retention.applied", through)?;
                    vigil_store::write::set_removals_through(tx, last)
                })
                .await
                .map_err(|e| e.to_string())?;
            through = last;
            if !page.more {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn pull_loop(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut backoff = Backoff::new();
        loop {
            if *stop.borrow() {
                return;
            }
            let cursor = match self.read(|s| Ok(s.sync_marks()?.cursor)).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("vigil: sync: the cursor cannot be read: {e}");
                    if pause(Duration::from_secs(5), &mut stop).await {
                        return;
                    }
                    continue;
                }
            };
            // Out of touch (just started, or after a failure): ask without waiting, so the status
            // says online as soon as the server answers; then wait for news.
            let wait = match self.status.view().state {
                SyncState::Online | SyncState::Syncing => 25,
                _ => 0,
            };
            let sent_at = now_ms();
            let answer = tokio::select! {
                a = self.client.pull(cursor, MAX_PULL_EVENTS, wait) => a,
                _ = stop.changed() => return,
            };
            let answer = match answer {
                Ok(answer) => answer,
                Err(ClientError::Refused { body, .. }) if body.error.code == "cursor_ahead" => {
                    self.ask_soon();
                    let back = body.error.expected.unwrap_or(0);
                    eprintln!("vigil: sync: the server's log ends at {back}, before this workstation's cursor {cursor}: pulling from there");
                    if let Err(e) = self.writer.run_async(move |tx| vigil_store::write::set_cursor(tx, back)).await {
                        eprintln!("vigil: sync: cannot move the cursor back: {e}");
                    }
                    continue;
                }
                Err(e) => {
                    if self.failed(&e, &mut backoff, &mut stop).await {
                        return;
                    }
                    continue;
                }
            };
            backoff.reset();
            self.status.answered(answer.server_time, sent_at, now_ms());
            if answer.removed > 0 {
                if let Err(e) = self.follow_removals(answer.removed).await {
                    eprintln!("vigil: sync: the server's removals cannot be applied here yet: {e}");
                }
            }
            if answer.cursor == cursor && answer.events.is_empty() {
                continue;
            }
            let cursor = answer.cursor;
            let events: Vec<_> = answer.events.into_iter().map(|e| (e.event, e.seq.unwrap_or(cursor))).collect();
            let (next, me) = (answer.cursor, self.origin);
            let stored = self
                .writer
                .run_async(move |tx| {
                    let changes = vigil_store::write::apply_pulled(tx, &events, me)?;
                    vigil_store::write::set_cursor(tx, next)?;
                    Ok(changes)
                })
                .await;
            match stored {
                Ok(changes) => {
                    for change in changes {
                        (self.news)(change);
                    }
                }
                Err(e) => {
                    // Nothing of the batch was kept; it is pulled again.
                    eprintln!("vigil: sync: pulled events cannot be stored: {e}");
                    self.status.update(|v| v.problem = Some(format!("pulled events cannot be stored: {e}")));
                    if pause(Duration::from_secs(10), &mut stop).await {
                        return;
                    }
                }
            }
        }
    }
}
