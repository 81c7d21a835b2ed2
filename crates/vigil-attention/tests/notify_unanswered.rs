//! Notifications when nobody shows them: no bus at all, a bus where no notification server owns
//! the name, and a server that takes the call and never answers. In each, `send` hands the notice
//! over and returns before anything is known, and the failure is recorded within the time limit:
//! an alarm never waits for a desktop notification.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::{wait_until, Bus};
use vigil_attention::{Notice, NoticeOutcome, Notifier};
use zbus::OwnedVariant;

/// The notifier's time limit for one delivery.
const LIMIT: Duration = Duration::from_secs(1);

/// A notification server that takes every call and never replies, like a hung daemon.
struct Hung {
    calls: Arc<AtomicUsize>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Hung {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        _summary: String,
        _body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::future::pending::<u32>().await
    }
}

fn alarm(summary: &str) -> Notice {
    Notice { summary: summary.into(), body: "门诊楼 1F (OPD-1F-ALM-001)".into(), critical: true }
}

/// Sends one notice from another thread and checks that the call returned at once (a `send` that
/// waited for the hung server would otherwise hang this test instead of failing it); returns when
/// it was sent.
fn hand_over(notifier: &Notifier, notice: Notice) -> Instant {
    let (returned, took) = mpsc::channel();
    let sender = notifier.clone();
    let sent = Instant::now();
    std::thread::spawn(move || {
        let started = Instant::now();
        sender.send(notice);
        let _ = returned.send(started.elapsed());
    });
    let took = took.recv_timeout(LIMIT).expect("send returned: it must only hand the notice over");
    // Generous for a loaded 2-core machine; a delivery that waited would take the whole limit.
    assert!(took < Duration::from_millis(50), "send took {took:?}: it must only hand over");
    sent
}

fn failed(outcome: &NoticeOutcome) -> bool {
    !outcome.delivered && outcome.error.is_some()
}

#[test]
fn without_anyone_to_show_it_a_notice_fails_in_the_background_within_its_time_limit() {
    // No bus at all. (The variable is read on each delivery; it is only changed here, between
    // deliveries, and this is the only test in this binary.)
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/vigil-test-bus");
    let notifier = Notifier::new("Vigil", LIMIT);
    let sent = hand_over(&notifier, alarm("P1 一键报警 (no bus)"));
    assert!(wait_until(LIMIT * 3, || notifier.sent().first().is_some_and(failed)), "{:?}", notifier.sent());
    assert!(sent.elapsed() < LIMIT * 3);

    // A bus, but no notification server on it (and nothing it could start).
    let bus = Bus::start();
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let notifier = Notifier::new("Vigil", LIMIT);
    let sent = hand_over(&notifier, alarm("P1 一键报警 (no server)"));
    assert!(wait_until(LIMIT * 3, || notifier.sent().first().is_some_and(failed)), "{:?}", notifier.sent());
    assert!(sent.elapsed() < LIMIT * 3);
    let error = notifier.sent()[0].error.clone().unwrap_or_default();
    assert!(error.contains("Notifications"), "the bus says nobody owns the name: {error}");

    // A server that owns the name and never answers: the outcome is unknown when `send` returns,
    // is a failure once the limit has passed, and the next notice is still attempted.
    let calls = Arc::new(AtomicUsize::new(0));
    let _server = zbus::block_on(
        zbus::connection::Builder::session()
            .name("org.freedesktop.Notifications")
            .serve_at("/org/freedesktop/Notifications", Hung { calls: calls.clone() })
            .build(),
    )
    .expect("claim org.freedesktop.Notifications on the private bus");
    let notifier = Notifier::new("Vigil", LIMIT);
    let sent = hand_over(&notifier, alarm("P1 一键报警 (hung)"));
    hand_over(&notifier, alarm("P2 入侵报警 (hung)"));
    assert!(notifier.sent().is_empty(), "nothing is known yet: {:?}", notifier.sent());
    assert!(wait_until(LIMIT * 2, || calls.load(Ordering::SeqCst) >= 1), "the server got the call");

    assert!(wait_until(LIMIT * 5, || notifier.sent().len() == 2), "{:?}", notifier.sent());
    let waited = sent.elapsed();
    let outcomes = notifier.sent();
    assert!(outcomes.iter().all(failed), "{outcomes:?}");
    assert!(outcomes.iter().all(|o| o.error.as_deref().is_some_and(|e| e.contains("no answer"))), "{outcomes:?}");
    assert!(waited >= LIMIT * 2 - Duration::from_millis(100), "each delivery had its full limit: {waited:?}");
    assert!(waited < LIMIT * 5, "and no more: {waited:?}");
    drop(bus);
}
