//! A notification through a real D-Bus session bus: the test starts its own `dbus-daemon`, claims
//! `org.freedesktop.Notifications` with a server that records every `Notify` call, and checks what
//! Vigil sent — text (Chinese included), application name and urgency.

mod common;

use std::time::Duration;

use common::{wait_until, Bus};
use vigil_attention::testing::NotificationRecorder;
use vigil_attention::{Notice, Notifier};

#[test]
fn notices_reach_the_notification_server_with_their_text_and_urgency() {
    let bus = Bus::start();
    // notify-rust finds the session bus through this variable, read on every send; this is the only
    // test in this binary, and it is set before any thread that could read it exists.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);

    let server = NotificationRecorder::claim().expect("claim org.freedesktop.Notifications on the private bus");

    let notifier = Notifier::new("Vigil", Duration::from_secs(5));
    notifier.send(Notice {
        summary: "P1 一键报警 OPD-1F".into(),
        body: "门诊楼 1F · 收费大厅 (OPD-1F-ALM-001)".into(),
        critical: true,
    });
    notifier.send(Notice { summary: "P3 巡更异常".into(), body: "住院楼 5F".into(), critical: false });
    assert!(
        wait_until(Duration::from_secs(5), || server.received().len() == 2),
        "the server got {:?}",
        server.received()
    );

    let got = server.received();
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
