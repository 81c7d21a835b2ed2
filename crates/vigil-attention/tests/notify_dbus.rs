//! A notification through a real D-Bus session bus: the test starts its own `dbus-daemon`, claims
//! `org.freedesktop.Notifications` with a server that records every `Notify` call, and checks what
//! Vigil sent. Then the same with nobody owning the name: the send still returns at once and the
//! failure is recorded.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigil_attention::{Notice, Notifier};
use zbus::OwnedVariant;

/// A private session bus, stopped when dropped.
struct Bus {
    daemon: Child,
    address: String,
}

impl Bus {
    fn start() -> Bus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "dbus-daemon must be installed for this test (Debian package `dbus`; scripts/setup.sh installs it)",
            );
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().expect("stdout")).read_line(&mut line).expect("the bus address");
        Bus { daemon, address: line.trim().to_owned() }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

#[derive(Debug, Clone)]
struct Received {
    app_name: String,
    summary: String,
    body: String,
    urgency: Option<u8>,
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
        _expire_timeout: i32,
    ) -> u32 {
        let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
        let mut received = self.received.lock().expect("lock");
        received.push(Received { app_name, summary, body, urgency });
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

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

#[test]
fn a_critical_notice_reaches_the_notification_server_and_a_missing_one_never_blocks() {
    let bus = Bus::start();
    // notify-rust and zbus find the session bus through this variable; one test owns this process.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);

    let received = Arc::new(Mutex::new(Vec::new()));
    let server = zbus::block_on(
        zbus::connection::Builder::session()
            .name("org.freedesktop.Notifications")
            .serve_at("/org/freedesktop/Notifications", Recorder { received: received.clone() })
            .build(),
    )
    .expect("claim org.freedesktop.Notifications on the private bus");

    let notifier = Notifier::new("Vigil", Duration::from_secs(5));
    notifier.send(Notice {
        summary: "P1 一键报警".into(),
        body: "门诊楼 1F · 收费大厅 (OPD-1F-ALM-001)".into(),
        critical: true,
    });
    assert!(
        wait_until(Duration::from_secs(10), || !received.lock().expect("lock").is_empty()),
        "the server got nothing"
    );
    let got = received.lock().expect("lock")[0].clone();
    assert_eq!(got.app_name, "Vigil");
    assert_eq!(got.summary, "P1 一键报警");
    assert!(got.body.contains("OPD-1F-ALM-001"));
    assert_eq!(got.urgency, Some(2), "critical urgency");
    assert!(wait_until(Duration::from_secs(5), || notifier.sent().first().is_some_and(|o| o.delivered)));

    // The daemon goes away: sending still returns at once, and the failure is recorded in time.
    drop(server);
    let quiet = Notifier::new("Vigil", Duration::from_secs(2));
    let started = Instant::now();
    quiet.send(Notice { summary: "P2 入侵报警".into(), body: String::new(), critical: false });
    assert!(started.elapsed() < Duration::from_millis(200), "send is a hand-over, not a delivery");
    assert!(
        wait_until(Duration::from_secs(10), || quiet.sent().first().is_some_and(|o| !o.delivered && o.error.is_some())),
        "the failure is recorded: {:?}",
        quiet.sent()
    );
    drop(bus);
}
