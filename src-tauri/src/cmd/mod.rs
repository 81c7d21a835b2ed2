//! The commands the web UI invokes, one module per domain; each is a thin call into `vigil-api`.

pub mod app;
pub mod incidents;
pub mod map;
pub mod patrol;
pub mod session;
pub mod settings;
