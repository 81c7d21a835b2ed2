//! What the window holds: the opened workstation, or why it could not be opened.

use std::path::PathBuf;

use tauri::{AppHandle, Manager};
use vigil_api::{ApiError, Workstation};
use vigil_demo::DemoOptions;

pub struct AppState {
    pub data_dir: PathBuf,
    pub workstation: Option<Workstation>,
    /// Shown full-screen instead of the console: a newer or damaged database, unreadable settings.
    pub startup_error: Option<ApiError>,
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
                AppState { data_dir, workstation: Some(workstation), startup_error }
            }
            Err(error) => AppState { data_dir, workstation: None, startup_error: Some(error) },
        }
    }

    pub fn workstation(&self) -> Result<&Workstation, ApiError> {
        self.workstation.as_ref().ok_or_else(|| {
            self.startup_error.clone().unwrap_or_else(|| ApiError::new("not_started", "the workstation is not open"))
        })
    }
}
