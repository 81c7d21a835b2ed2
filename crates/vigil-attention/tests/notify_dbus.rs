//! A notification through a real D-Bus session bus: the test starts its own `dbus-daemon`, claims
//! `org.freedesktop.Notifications` with a server that records every `Notify` call, and checks what
//! Vigil sent — text (Chinese included), application name and urgency.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{wait_until, Bus};
use vigil_attention::{Notice, Notifier};
use zbus::OwnedVariant;

#[derive(Debug, Clone)]
struct Received {
    app_name: String,
    summary: String,
    body: String,
    urgency: Option<u8>,
    expire_timeout: i32,
}

/// A notification server that shows nothing and remembers everything.
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
        let mut received = self.received.lock().expect("lock");
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

#[test]
fn notices_reach_the_notification_server_with_their_text_and_urgency() {
    let bus = Bus::start();
    // notify-rust finds the session bus through this variable, read on every send; this is the only
    // test in this binary, and it is set before any thread that could read it exists.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);

    let received = Arc::new(Mutex::new(Vec::new()));
    let _server = zbus::block_on(
        zbus::connection::Builder::session()
            .name("org.freedesktop.Notifications")
            .serve_at("/org/freedesktop/Notifications", Recorder { received: received.clone() })
            .build(),
    )
    .expect("claim org.freedesktop.Notifications on the private bus");

    let notifier = Notifier::new("Vigil", Duration::from_secs(5));
    notifier.send(Notice {
        summary: "P1 一键报警 OPD-1F".into(),
        body: "门诊楼 1F · 收费大厅 (OPD-1F-ALM-001)".into(),
        critical: true,
    });
    notifier.send(Notice { summary: "P3 巡更异常".into(), body: "住院楼 5F".into(), critical: false });
    assert!(
        wait_until(Duration::from_secs(5), || received.lock().expect("lock").len() == 2),
        "the server got {:?}",
        received
    );

    let got = received.lock().expect("lock").clone();
    assert_eq!(got[0].app_name, "Vigil");
    assert_eq!(got[0].summary, "P1 一键报警 OPD-1F");
    assert_eq!(got[0].body, "门诊楼 1F · 收费大厅 (OPD-1F-ALM-001)");
    assert_eq!(got[0].urgency, Some(2), "critical urgency");
    assert_eq!(got[0].expire_timeout, 0, "a critical notice stays until dismissed");
    assert_eq!((got[1].summary.as_str(), got[1].body.as_str()), ("P3 巡更异常", "住院楼 5F"));
    assert_eq!(got[1].urgency, Some(1), "normal urgency");
    assert_eq!(got[1].expire_timeout, -1, "the server's own time on screen");

    // And the notifier knows both were delivered, in order.
    assert!(wait_until(Duration::from_secs(5), || notifier.sent().len() == 2), "{:?}", notifier.sent());
    let sent = notifier.sent();
    assert!(sent.iter().all(|o| o.delivered && o.error.is_none()), "{sent:?}");
    assert_eq!((sent[0].summary.as_str(), sent[0].critical), ("P1 一键报警 OPD-1F", true));
    drop(bus);
}
