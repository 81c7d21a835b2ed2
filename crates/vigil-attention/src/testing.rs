//! A notification server for tests (feature `test-server`): it claims
//! `org.freedesktop.Notifications` on the session bus, shows nothing and remembers every `Notify`
//! call, so a test can check what Vigil — this crate alone, or the whole desktop app — sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zbus::OwnedVariant;

/// One notification as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub app_name: String,
    pub summary: String,
    pub body: String,
    /// The `urgency` hint: 0 low, 1 normal, 2 critical.
    pub urgency: Option<u8>,
    /// -1 is the server's default, 0 never expires.
    pub expire_timeout: i32,
}

struct Recorder {
    received: Arc<Mutex<Vec<Received>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Recorder {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        hints: HashMap<String, OwnedVariant>,
        expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let mut received = self.received.lock().unwrap_or_else(|p| p.into_inner());
        received.push(Received { app_name, summary, body, urgency, expire_timeout });
        u32::try_from(received.len()).unwrap_or(u32::MAX)
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("vigil-test-recorder".into(), "vigil".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}

/// The recording server; it owns the name until dropped.
pub struct NotificationRecorder {
    _connection: zbus::Connection,
    received: Arc<Mutex<Vec<Received>>>,
}

impl NotificationRecorder {
    /// Claims the name on the session bus `DBUS_SESSION_BUS_ADDRESS` points at.
    pub fn claim() -> zbus::Result<NotificationRecorder> {
        let received = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::block_on(
            zbus::connection::Builder::session()
                .name("org.freedesktop.Notifications")
                .serve_at("/org/freedesktop/Notifications", Recorder { received: received.clone() })
                .build(),
        )?;
        Ok(NotificationRecorder { _connection: connection, received })
    }

    /// Everything received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
