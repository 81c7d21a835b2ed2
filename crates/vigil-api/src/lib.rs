//! What the console asks of its engine, in one place: the overview of the campus, a floor's devices,
//! search, device details, plan images and their import, device placement, settings.
//!
//! The Tauri shell wraps each method in a command; the HTTP server will serve the same methods, and
//! tests call them directly. Nothing here knows about windows or HTTP.

mod accounts;
pub mod attention;
mod cameras;
mod error;
mod incident_view;
mod incidents;
mod map;
pub mod patrol;
mod patrol_demo;
pub mod patrol_live;
mod patrol_review;
mod patrol_settle;
mod plan_import;
mod publish;
pub mod report;
mod session;
mod settings;
mod settings_view;
pub mod shell;
pub mod wand;
mod workstation;

pub use accounts::{AccountForm, AccountView};
pub use cameras::LinkedCamera;
pub use error::{ApiError, ErrorCode, Refusal};
pub use incidents::{GuardView, IncidentAction, IncidentDetail, IncidentView, PointView, TimelineKind, TimelineLine};
pub use map::{BuildingView, DeviceDetail, FloorDevices, FloorView, Overview, PlacedDevice, SearchHit, SiteView};
pub use plan_import::{inspect_plan, PlanImportError};
pub use publish::PublishReport;
pub use session::{Need, SessionToken, SessionView};
pub use settings::{
    default_file, new_token, Dc09Account, Dc09Settings, HttpSettings, IncidentSettings, MapSettings, Settings,
    SettingsError, StoreSettings, UiSettings, SETTINGS_FILE,
};
pub use settings_view::{Dc09AccountView, IncidentSettingsView, SettingsView};
pub use workstation::{DeviceMoveInput, Workstation, NO_LOGIN};

#[cfg(test)]
mod bindings;
