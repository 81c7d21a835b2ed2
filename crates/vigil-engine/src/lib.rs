//! Vigil's engine: the receivers that take alarms in (SIA DC-09 over TCP and UDP, JSON events over
//! HTTP), the writer that commits them before anyone is acknowledged, and panel supervision.
//!
//! The desktop console runs it beside its window; `vigil agent` runs it alone. It never links a GUI.

mod dc09;
pub mod demo;
mod http;
pub mod snapshots;
mod stats;
mod tcp;
mod udp;
mod writer;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::{broadcast, watch};
use vigil_api::Settings;
use vigil_dc09::{Key, Keys};

pub use stats::Stats;
pub use writer::{Writer, WriterError};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Api(#[from] vigil_api::ApiError),
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("settings: {0}")]
    Settings(String),
}

/// Where to listen; `None` keeps what `vigil.toml` says.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub dc09: Option<String>,
    pub http: Option<String>,
    /// The central server to sync with instead of the one the enrollment names.
    pub server: Option<String>,
}

/// What every receiver shares: how to commit, the settings and keys in force, the counters.
pub(crate) struct Shared {
    /// Reads for the HTTP API and supervision go through the workstation's own connection; every
    /// write goes through its one writer.
    pub workstation: Arc<vigil_api::Workstation>,
    /// `vigil.toml` as last read: re-read when the file changes, so DC-09 accounts, keys, tokens
    /// and the clock window take effect without a restart.
    settings: std::sync::RwLock<Arc<Live>>,
    pub writer: Writer,
    pub stats: Stats,
    /// Incidents opened or changed by received signals, announced after their commit.
    pub news: broadcast::Sender<vigil_store::IncidentChange>,
}

/// The settings in force and the keys made from them.
pub(crate) struct Live {
    pub settings: Settings,
    pub keys: Keys,
}

impl Shared {
    pub(crate) fn live(&self) -> Arc<Live> {
        self.settings.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn settings(&self) -> Settings {
        self.live().settings.clone()
    }

    /// Re-reads `vigil.toml`; a file that does not parse (or a key that is not one) keeps what is
    /// in force and says why. Listen addresses still need a restart.
    fn reload(&self) {
        let path = self.workstation.dir().join(vigil_api::SETTINGS_FILE);
        let parsed = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| Settings::parse(&text))
            .and_then(|settings| keys_from(&settings).map(|keys| Live { settings, keys }).map_err(|e| e.to_string()));
        match parsed {
            Ok(live) => {
                *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(live);
                eprintln!(
                    "vigil-engine: {} re-read: DC-09 accounts and keys, tokens and limits now in force",
                    path.display()
                );
            }
            Err(e) => eprintln!("vigil-engine: {} changed but is kept as before: {e}", path.display()),
        }
    }
}

type Stamp = Option<(Option<std::time::SystemTime>, u64)>;

fn stamp(p: &Path) -> Stamp {
    std::fs::metadata(p).ok().map(|m| (m.modified().ok(), m.len()))
}

/// Watches `vigil.toml` (every two seconds, by its modification time and size, from `last` as it
/// was when the settings in force were read) and re-reads it when it changes.
async fn watch_settings(shared: Arc<Shared>, mut last: Stamp, mut stop: watch::Receiver<bool>) {
    let path = shared.workstation.dir().join(vigil_api::SETTINGS_FILE);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            _ = stop.changed() => return,
        }
        let now = stamp(&path);
        if now != last {
            last = now;
            let shared = shared.clone();
            let _ = tokio::task::spawn_blocking(move || shared.reload()).await;
        }
    }
}

/// A running engine: its addresses, and a switch to stop it.
pub struct Engine {
    pub dc09_tcp: Option<SocketAddr>,
    pub dc09_udp: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Sync with the central server, when this data directory is enrolled.
    pub(crate) sync: Option<Arc<vigil_sync::SyncStatus>>,
}

fn keys_from(settings: &Settings) -> Result<Keys, EngineError> {
    let mut keys = Keys::none();
    for a in &settings.dc09.accounts {
        if let Some(text) = &a.key {
            let key = if a.key_format == "text" { Key::from_text(text) } else { Key::from_hex(text) }
                .map_err(|e| EngineError::Settings(format!("account {}: {e}", a.account)))?;
            keys.insert(&a.account, key);
        }
    }
    Ok(keys)
}

/// Looks for patrol rounds whose window has passed with checkpoints missing, every
/// `[patrol] check_every_seconds`, and raises each once (a P3 incident, announced like an alarm).
async fn watch_rounds(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let every =
        std::time::Duration::from_secs(u64::from(shared.workstation.settings().patrol.check_every_seconds.max(1)));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        let ws = shared.workstation.clone();
        let now = vigil_store::Store::now_ms();
        match tokio::task::spawn_blocking(move || ws.raise_missed_rounds(now)).await {
            Ok(Ok(changes)) => {
                for change in changes {
                    let _ = shared.news.send(change);
                }
            }
            Ok(Err(e)) => eprintln!("vigil: checking patrol rounds failed: {e}"),
            Err(e) => eprintln!("vigil: checking patrol rounds failed: {e}"),
        }
    }
}

/// The sync agent of an enrolled data directory (its token file), or none.
fn sync_agent(shared: &Arc<Shared>, server: Option<String>) -> Result<Option<Arc<vigil_sync::Agent>>, EngineError> {
    let dir = shared.workstation.dir();
    let Some(mut enrolled) = vigil_sync::TokenFile::read(dir).map_err(EngineError::Settings)? else {
        if server.is_some() {
            return Err(EngineError::Settings(format!(
                "{} is not enrolled with a server: enroll it first (vigil agent --server URL --enroll CODE)",
                dir.display()
            )));
        }
        return Ok(None);
    };
    if let Some(url) = server {
        enrolled.server = url;
    }
    let news = shared.news.clone();
    let agent = vigil_sync::Agent::open(
        dir,
        &enrolled,
        shared.workstation.writer()?.clone(),
        Arc::new(move |change| {
            let _ = news.send(change);
        }),
    )
    .map_err(EngineError::Settings)?;
    Ok(Some(Arc::new(agent)))
}

/// Enrolls the workstation with the central server at `server` with a code from `vigil server
/// enroll`, as the administrator in session `who` (the window's settings screen; the command line
/// has `vigil enroll`), and records it in the audit log. [`Engine::start_sync`] then starts syncing.
pub async fn enroll(
    workstation: &vigil_api::Workstation,
    who: vigil_api::SessionToken,
    server: &str,
    code: &str,
) -> Result<vigil_sync::EnrollmentView, EngineError> {
    let actor = workstation.administrator(who)?;
    let field = |field: &str, message: String| {
        EngineError::Api(vigil_api::ApiError::field(vigil_api::ErrorCode::Invalid, field, message))
    };
    let server = server.trim();
    if !(server.starts_with("https://") || server.starts_with("http://")) {
        return Err(field("server", format!("{server:?} is not the server's address (https://host:8750)")));
    }
    if code.trim().is_empty() {
        return Err(field("code", "the enrollment code from `vigil server enroll` is needed".into()));
    }
    let origin = workstation.writer()?.run(vigil_store::write::workstation_id)?;
    let enrolled = vigil_sync::enroll(workstation.dir(), origin, server, code).await.map_err(|e| match e {
        vigil_sync::EnrollError::Server(why) => field("server", why),
        vigil_sync::EnrollError::Enrolled(why) => {
            EngineError::Api(vigil_api::ApiError::new(vigil_api::ErrorCode::Conflict, why))
        }
        other => field("code", other.to_string()),
    })?;
    workstation.record_enrollment(&actor, &enrolled.server, &enrolled.name, enrolled.fingerprint.is_some())?;
    Ok(enrolled.view())
}

/// The enrollment of the data directory `dir`, without its token; `None` when not enrolled.
pub fn enrollment(dir: &Path) -> Result<Option<vigil_sync::EnrollmentView>, EngineError> {
    Ok(vigil_sync::TokenFile::read(dir).map_err(EngineError::Settings)?.map(|t| t.view()))
}

impl Engine {
    /// Starts syncing with the central server once the data directory is enrolled (after
    /// [`enroll`]); does nothing when it syncs already or is not enrolled.
    pub fn start_sync(&mut self) -> Result<(), EngineError> {
        if self.sync.is_some() {
            return Ok(());
        }
        if let Some(agent) = sync_agent(&self.shared, None)? {
            self.sync = Some(agent.status.clone());
            self.tasks.push(tokio::spawn(agent.run(self.stop.subscribe())));
        }
        Ok(())
    }

    /// Opens the data directory and starts the receivers its settings (or `overrides`) ask for.
    pub async fn start(dir: &Path, overrides: Overrides) -> Result<Engine, EngineError> {
        Engine::start_with(Arc::new(vigil_api::Workstation::open(dir)?), overrides).await
    }

    /// Starts the receivers of an opened workstation (the window's): they commit through its one
    /// writer, so the window's actions and the received alarms share one commit order.
    pub async fn start_with(
        workstation: Arc<vigil_api::Workstation>,
        overrides: Overrides,
    ) -> Result<Engine, EngineError> {
        let settings = workstation.settings().clone();
        let read_at = stamp(&workstation.dir().join(vigil_api::SETTINGS_FILE));
        let keys = keys_from(&settings)?;
        let (news, _) = broadcast::channel(4096);
        let writer = Writer::new(workstation.writer()?.clone(), news.clone());
        let shared = Arc::new(Shared {
            workstation,
            settings: std::sync::RwLock::new(Arc::new(Live { settings: settings.clone(), keys })),
            writer,
            stats: Stats::default(),
            news,
        });
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();

        // `--dc09 ADDR` opens TCP and UDP on the same address (docs/interfaces.md); otherwise each
        // follows its own setting.
        let (tcp_addr, udp_addr) = match overrides.dc09 {
            Some(addr) => (Some(addr.clone()), Some(addr)),
            None => (settings.dc09.tcp.clone(), settings.dc09.udp.clone()),
        };
        // An empty address turns that receiver off.
        let (tcp_addr, udp_addr) =
            (tcp_addr.filter(|a| !a.trim().is_empty()), udp_addr.filter(|a| !a.trim().is_empty()));
        let mut engine = Engine {
            dc09_tcp: None,
            dc09_udp: None,
            http: None,
            shared: shared.clone(),
            stop,
            tasks: Vec::new(),
            sync: None,
        };
        if let Some(addr) = &tcp_addr {
            let (bound, task) = tcp::serve(addr, shared.clone(), stopped.clone()).await?;
            engine.dc09_tcp = Some(bound);
            tasks.push(task);
        }
        if let Some(addr) = &udp_addr {
            let (bound, task) = udp::serve(addr, shared.clone(), stopped.clone()).await?;
            engine.dc09_udp = Some(bound);
            tasks.push(task);
        }
        let http_addr = overrides.http.or(Some(settings.http.listen.clone())).filter(|a| !a.is_empty());
        if let Some(addr) = &http_addr {
            let (bound, task) = http::serve(addr, shared.clone(), stopped.clone()).await?;
            engine.http = Some(bound);
            tasks.push(task);
        }
        if settings.dc09.supervision_seconds > 0
            || settings.dc09.accounts.iter().any(|a| a.supervision_seconds.is_some())
        {
            tasks.push(tokio::spawn(dc09::supervise(shared.clone(), stopped.clone())));
        }
        tasks.push(tokio::spawn(watch_settings(shared.clone(), read_at, stopped.clone())));
        tasks.push(tokio::spawn(watch_rounds(shared.clone(), stopped.clone())));
        if let Some(agent) = sync_agent(&shared, overrides.server)? {
            engine.sync = Some(agent.status.clone());
            tasks.push(tokio::spawn(agent.run(stopped.clone())));
        }
        engine.tasks = tasks;
        Ok(engine)
    }

    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    /// Where sync with the central server stands; `None` when this workstation is not enrolled.
    pub fn sync_status(&self) -> Option<vigil_sync::SyncView> {
        self.sync.as_ref().map(|s| s.view())
    }

    /// Incidents opened or changed by received signals, each announced once its commit returned.
    pub fn incident_news(&self) -> broadcast::Receiver<vigil_store::IncidentChange> {
        self.shared.news.subscribe()
    }

    /// Stops accepting, finishes what is in flight, and waits for the receivers to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
