//! What the window holds: the opened workstation, or why it could not be opened.

use std::path::PathBuf;

use tauri::{AppHandle, Manager};
use vigil_api::{ApiError, ErrorCode, Workstation};
use vigil_demo::DemoOptions;

pub struct AppState {
    pub data_dir: PathBuf,
    /// The engine's receivers, once started: where they listen, or why they could not.
    pub engine: std::sync::Arc<std::sync::Mutex<EngineStatus>>,
    /// The running engine, kept for the life of the window.
    pub running: std::sync::Arc<std::sync::Mutex<Option<vigil_engine::Engine>>>,
    /// The opened workstation, shared with the engine (one writer for both).
    pub workstation: Option<std::sync::Arc<Workstation>>,
    /// The session of the operator at this window's seat, if anyone is logged in.
    pub seat: std::sync::Mutex<Option<vigil_api::SessionToken>>,
    /// Shown full-screen instead of the console: a newer or damaged database, unreadable settings.
    pub startup_error: Option<ApiError>,
    /// Siren, notifications and escalation notices.
    pub attention: crate::attention::Attention,
}

impl AppState {
    /// Opens `VIGIL_DATA_DIR` (or the platform's app-data directory). With `VIGIL_DEMO=1` an empty
    /// workstation is filled with the demo hospital at once; otherwise the window offers it.
    pub fn start(app: &AppHandle) -> AppState {
        let data_dir = match std::env::var_os("VIGIL_DATA_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => app.path().app_data_dir().unwrap_or_else(|_| PathBuf::from("vigil-data")),
        };
        match Workstation::open(&data_dir) {
            Ok(workstation) => {
                let mut startup_error = None;
                if std::env::var("VIGIL_DEMO").is_ok_and(|v| v == "1") && workstation.is_empty().unwrap_or(false) {
                    if let Err(error) = workstation.create_demo(DemoOptions::default()) {
                        startup_error = Some(error);
                    }
                }
                let workstation = std::sync::Arc::new(workstation);
                let engine = std::sync::Arc::new(std::sync::Mutex::new(EngineStatus::Starting));
                let running = std::sync::Arc::new(std::sync::Mutex::new(None));
                start_engine(app.clone(), workstation.clone(), engine.clone(), running.clone());
                AppState {
                    data_dir,
                    engine,
                    running,
                    workstation: Some(workstation),
                    seat: std::sync::Mutex::new(None),
                    startup_error,
                    attention: crate::attention::Attention::new(),
                }
            }
            Err(error) => AppState {
                data_dir,
                engine: std::sync::Arc::new(std::sync::Mutex::new(EngineStatus::Off)),
                running: std::sync::Arc::new(std::sync::Mutex::new(None)),
                workstation: None,
                seat: std::sync::Mutex::new(None),
                startup_error: Some(error),
                attention: crate::attention::Attention::new(),
            },
        }
    }

    pub fn workstation(&self) -> Result<&Workstation, ApiError> {
        self.workstation.as_deref().ok_or_else(|| self.not_open())
    }

    /// Why there is no workstation: what stopped it opening.
    fn not_open(&self) -> ApiError {
        self.startup_error
            .clone()
            .unwrap_or_else(|| ApiError::new(ErrorCode::NotStarted, "the workstation is not open"))
    }

    /// Runs `work` on the workstation, as whoever is at this seat, on the runtime's blocking
    /// threads. What the window asks reads SQLite, hashes a PIN (Argon2 over 19 MiB) or waits for
    /// the writer's commit. Run on one of the runtime's workers (one per core: two on this machine)
    /// it held that worker, and the engine's DC-09 receivers answer their ACKs on the same workers:
    /// with alarms flashing, a storm's ACK p99 was 24 ms, and is 3 ms with the work here (BENCHMARKS.md).
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Workstation, vigil_api::SessionToken) -> Result<T, ApiError> + Send + 'static,
    {
        let workstation = self.workstation.clone().ok_or_else(|| self.not_open())?;
        let who = self.who();
        tauri::async_runtime::spawn_blocking(move || work(&workstation, who))
            .await
            .map_err(|e| ApiError::new(ErrorCode::Storage, format!("the console's command stopped: {e}")))?
    }

    /// Who acts from this window: the seat's session (or none, and the action asks for a login).
    pub fn who(&self) -> vigil_api::SessionToken {
        self.seat.lock().unwrap_or_else(|p| p.into_inner()).unwrap_or(vigil_api::SessionToken::NONE)
    }

    pub fn set_seat(&self, token: Option<vigil_api::SessionToken>) {
        *self.seat.lock().unwrap_or_else(|p| p.into_inner()) = token;
    }
}

/// Where the engine's receivers are, as the status bar shows it.
pub use vigil_api::shell::EngineState as EngineStatus;

/// Starts the receivers beside the window. A port already taken does not stop the console: the
/// map and everything stored still work, and the status bar says what is not listening.
fn start_engine(
    app: AppHandle,
    workstation: std::sync::Arc<Workstation>,
    status: std::sync::Arc<std::sync::Mutex<EngineStatus>>,
    running: std::sync::Arc<std::sync::Mutex<Option<vigil_engine::Engine>>>,
) {
    tauri::async_runtime::spawn(async move {
        let dir = workstation.dir().to_owned();
        let result = vigil_engine::Engine::start_with(workstation, vigil_engine::Overrides::default()).await;
        let next = match result {
            Ok(mut engine) => {
                // The demo workstation's built-in simulator: camera snapshots, and an alarm now and
                // then (every VIGIL_DEMO_ALARM_SECONDS when set: a busy shift compressed).
                if std::env::var("VIGIL_DEMO").is_ok_and(|v| v == "1") {
                    let every = std::env::var("VIGIL_DEMO_ALARM_SECONDS")
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                        .filter(|s| s.is_finite() && *s >= 0.5)
                        .map(std::time::Duration::from_secs_f64);
                    if let Err(e) = engine.start_demo_simulator(every).await {
                        eprintln!("vigil-desktop: the demo simulator did not start: {e}");
                    }
                }
                let show = |a: Option<std::net::SocketAddr>| a.map(|a| a.to_string());
                let listening = EngineStatus::Listening {
                    dc09_tcp: show(engine.dc09_tcp),
                    dc09_udp: show(engine.dc09_udp),
                    http: show(engine.http),
                };
                match Workstation::open_for_reading(&dir) {
                    Ok(own) => crate::attention::watch(app, engine.incident_news(), own),
                    Err(e) => eprintln!("vigil-desktop: no siren or notices, the database did not open again: {e}"),
                }
                *running.lock().unwrap_or_else(|p| p.into_inner()) = Some(engine);
                listening
            }
            Err(error) => {
                eprintln!("vigil-desktop: the receivers did not start: {error}");
                EngineStatus::Failed { message: error.to_string() }
            }
        };
        *status.lock().unwrap_or_else(|p| p.into_inner()) = next;
    });
}
