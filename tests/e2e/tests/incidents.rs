//! The alarm desk on the real window: a DC-09 alarm reaches the list, the map and the siren; the
//! operator handles it from new to closed with the keyboard alone; the audit log names him at every
//! step and its chain holds. A screenshot of the incident panel is kept for people to look at.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{json, Value};
use vigil_demo::{create_demo, DemoOptions, DATABASE_FILE};
use vigil_e2e::alarm::{connect, contact_id, send_and_ack};
use vigil_e2e::vigil_binary;
use vigil_e2e::{workspace_root, Desktop};
use vigil_store::{IncidentFilter, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_handles_a_dc09_alarm_with_the_keyboard() -> Result<()> {
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    let store = Store::open(&dir.path().join(DATABASE_FILE))?;
    // A one-click button wired to zone 1 of its panel.
    let (account, zone, point_id) =
        store.dc09_addresses()?.into_iter().find(|(_, zone, _)| *zone == 1).context("a demo alarm point on zone 1")?;
    let point = store.device(point_id)?;
    drop(store);
    // Receivers on free loopback ports; the demo's panel keys are left out, so frames are plain.
    std::fs::write(
        dir.path().join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n[incidents]\nacknowledge_within_seconds = 600\n",
    )?;
    // `vigil sim` serves the demo cameras' snapshots, as on a demo workstation.
    let mut snapshots = vigil_e2e::snapshot_server(&vigil_binary())?;

    let desktop = Desktop::launch(dir.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        // The login screen says it is a demo, with its accounts.
        assert!(desktop.text_content("login-demo").await?.contains("demo-operator"));
        desktop.login("demo-operator", "2468").await?;
        assert!(desktop.text_content("session").await?.contains("值班员"));
        let dc09 = desktop.dc09_address().await?;

        let mut panel = connect(dc09).await?;
        send_and_ack(&mut panel, &contact_id(&account, zone, 120, 1)).await?;
        let incident = Store::open(&dir.path().join(DATABASE_FILE))?
            .incidents(IncidentFilter::Open, 10)?
            .pop()
            .context("the acknowledged alarm has its incident")?;
        let id = incident.incident.id;

        // It reaches the list, selected; the map opens its floor and flashes the point.
        let row = format!("alarm-row-{id}");
        // Asked in the page, not through an element handle: the list redraws its rows on every change.
        desktop
            .wait_for(&format!("document.querySelector('[data-testid={row}]')"), Duration::from_secs(15))
            .await
            .context("the alarm appears in the list")?;
        desktop
            .wait_for(&format!("document.querySelector('[data-testid={row}].selected')"), Duration::from_secs(10))
            .await?;
        desktop
            .wait_for(
                &format!("window.__vigil.console.map.current?.floor?.id === '{}'", point.floor_id),
                Duration::from_secs(10),
            )
            .await
            .context("the map shows the alarm's floor")?;
        desktop.wait_for("document.querySelector('.alarm-ring.p1.flashing')", Duration::from_secs(10)).await?;
        assert!(desktop.text_content("incident-panel").await?.contains(point.code.as_str()));
        assert!(desktop.text_content("procedure").await?.contains("摄像机"), "the procedure is in Chinese");
        // The P1 siren loops until acknowledged.
        let log = attention(&desktop).await?;
        assert_eq!(
            log["siren"].as_array().and_then(|l| l.last()).map(|e| e["event"].clone()),
            Some(json!("started")),
            "{log}"
        );
        assert_eq!(
            log["siren"].as_array().and_then(|l| l.last()).map(|e| e["priority"].clone()),
            Some(json!(1)),
            "{log}"
        );
        // The linked cameras show real snapshots from the simulator.
        desktop
            .wait_for(
                "[...document.querySelectorAll('img.snapshot')].some(i => i.complete && i.naturalWidth > 0)",
                Duration::from_secs(15),
            )
            .await
            .context("a linked camera's snapshot is shown")?;
        pictures_painted(&desktop).await?;
        desktop.screenshot(&workspace_root().join("target/e2e-shots/incident-panel-new.png")).await?;

        // A break: the desk is locked (L) and unlocked with the PIN and Enter, as an operator
        // does; the next key goes to the desk, not to the hidden PIN field.
        desktop.press('l').await?;
        desktop.wait_for("!document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;
        desktop.wait_focus("login-pin").await?;
        desktop.type_text("2468\u{E007}").await?;
        desktop.wait_for("document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;

        // Acknowledge (A): the siren stops.
        desktop.press('a').await?;
        state_is(&desktop, "acknowledged").await?;
        let log = attention(&desktop).await?;
        assert_eq!(
            log["siren"].as_array().and_then(|l| l.last()).map(|e| e["event"].clone()),
            Some(json!("stopped")),
            "{log}"
        );

        // Dispatch (D): type the guard's badge, Enter.
        desktop.press('d').await?;
        desktop.testid("dispatch-guard").await?.send_keys("G0001\u{E007}").await?;
        state_is(&desktop, "dispatched").await?;
        // Note (N), then on scene (O).
        desktop.press('n').await?;
        desktop.testid("note-text").await?.send_keys("保安到场，患者家属情绪激动，已劝离\u{E007}").await?;
        desktop
            .wait_for("document.querySelector('[data-testid=timeline] [data-kind=note]')", Duration::from_secs(10))
            .await?;
        desktop.press('o').await?;
        state_is(&desktop, "on_scene").await?;
        pictures_painted(&desktop).await?;
        desktop.screenshot(&workspace_root().join("target/e2e-shots/incident-panel.png")).await?;

        // Close (C) with category 1, a real incident: it leaves the open list.
        desktop.close_with_keys(&id.to_string(), '1').await?;
        Ok::<_, anyhow::Error>(id)
    }
    .await;
    desktop.quit().await?;
    let _ = snapshots.kill().await;
    let id = result?;

    // The database holds the whole story, and the audit log names the operator at every step.
    let store = Store::open(&dir.path().join(DATABASE_FILE))?;
    let stored = store.incident(id)?.context("incident")?;
    assert_eq!(format!("{:?}", stored.incident.state), "Closed");
    assert_eq!(format!("{:?}", stored.incident.category), "Some(Real)");
    let audit: Vec<(String, String)> = store.audit_tail(50)?.into_iter().rev().map(|e| (e.actor, e.action)).collect();
    for action in
        ["login", "incident.acknowledge", "incident.dispatch", "incident.note", "incident.on_scene", "incident.close"]
    {
        assert!(
            audit.contains(&("demo-operator".to_owned(), action.to_owned())),
            "{action} by demo-operator in the audit log: {audit:?}"
        );
    }
    assert_eq!(store.verify_audit()?.first_altered, None);
    Ok(())
}

async fn attention(desktop: &Desktop) -> Result<Value> {
    desktop
        .run_async("const done = arguments[arguments.length - 1]; window.__vigil.api.attentionLog().then(done, (e) => done({ error: String(e) }));", vec![])
        .await
}

/// Waits until the snapshots are decoded and painted (WebKit decodes images after `load`).
async fn pictures_painted(desktop: &Desktop) -> Result<()> {
    desktop
        .run_async(
            "const done = arguments[arguments.length - 1]; Promise.all([...document.querySelectorAll('img.snapshot')].map(i => i.decode().catch(() => null))).then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));",
            vec![],
        )
        .await?;
    Ok(())
}

async fn state_is(desktop: &Desktop, state: &str) -> Result<()> {
    desktop
        .wait_for(
            &format!("document.querySelector('[data-testid=incident-state][data-state={state}]')"),
            Duration::from_secs(10),
        )
        .await
        .with_context(|| format!("the incident becomes {state}"))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_alarm_gets_louder_and_the_supervisor_is_told() -> Result<()> {
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    let (account, zone, _) = Store::open(&dir.path().join(DATABASE_FILE))?
        .dc09_addresses()?
        .into_iter()
        .find(|(_, zone, _)| *zone == 1)
        .context("a demo alarm point on zone 1")?;
    // Unacknowledged after one second: the first level of the three-level response.
    std::fs::write(
        dir.path().join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n[incidents]\nacknowledge_within_seconds = 1\n",
    )?;
    // The desktop's notifications go to the session bus the tests run in (scripts/headless.sh
    // starts one): a recording notification server takes them there.
    let notifications = vigil_attention::testing::NotificationRecorder::claim().context(
        "claim org.freedesktop.Notifications (run the e2e tests inside a session bus: scripts/headless.sh, as scripts/test.sh does)",
    )?;
    let desktop = Desktop::launch(dir.path(), "en_US.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-operator", "2468").await?;
        let mut panel = connect(desktop.dc09_address().await?).await?;
        send_and_ack(&mut panel, &contact_id(&account, zone, 120, 7)).await?;
        desktop
            .wait_for("document.querySelector('.alarm-row.esc-unacknowledged')", Duration::from_secs(10))
            .await
            .context("the late row flashes")?;
        desktop
            .wait_for("document.querySelector('[data-testid=escalation]')", Duration::from_secs(10))
            .await
            .context("the panel says the supervisor was told")?;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = attention(&desktop).await?;
            let loud =
                log["siren"].as_array().into_iter().flatten().any(|e| e["event"] == "started" && e["loud"] == true);
            let told =
                log["notifications"].as_array().into_iter().flatten().any(|n| {
                    n["summary"].as_str().is_some_and(|s| s.starts_with("Supervisor")) && n["critical"] == true
                });
            if loud && told {
                break;
            }
            anyhow::ensure!(std::time::Instant::now() < deadline, "no louder siren or supervisor notice: {log}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // What the desktop showed: the new alarm, then the supervisor's notice, both critical.
        let shown = notifications.received();
        let new_alarm = shown.iter().find(|n| n.summary.starts_with("P1")).context("the new alarm's notification")?;
        assert_eq!((new_alarm.app_name.as_str(), new_alarm.urgency), ("Vigil", Some(2)), "{shown:?}");
        assert!(new_alarm.body.contains("ALM"), "the body names the point: {new_alarm:?}");
        let supervisor =
            shown.iter().find(|n| n.summary.starts_with("Supervisor")).context("the supervisor's notice")?;
        assert_eq!(supervisor.urgency, Some(2), "{shown:?}");
        // Acknowledging answers the first level: the siren stops.
        desktop.press('a').await?;
        state_is(&desktop, "acknowledged").await?;
        let log = attention(&desktop).await?;
        assert_eq!(log["siren"].as_array().and_then(|l| l.last()).map(|e| e["event"].clone()), Some(json!("stopped")));
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit().await?;
    result
}

/// Posts one event to the window's own HTTP intake; returns the status line.
fn post_event(addr: &str, token: &str, body: &str) -> Result<String> {
    Ok(vigil_e2e::http_post(addr, "/v1/events", token, body)?.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_from_a_wrong_clock_shows_as_a_clock_fault_on_its_incident() -> Result<()> {
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    std::fs::write(
        dir.path().join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\nintake_token = \"e2e-intake-token\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n",
    )?;
    let desktop = Desktop::launch(dir.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-operator", "2468").await?;
        desktop.dc09_address().await?;
        let status = desktop
            .run_async(
                "const done = arguments[arguments.length - 1]; window.__vigil.api.engineStatus().then(done, () => done(null));",
                vec![],
            )
            .await?;
        let http = status["http"].as_str().context("the window's engine serves HTTP")?.replace("0.0.0.0", "127.0.0.1");
        // A face-recognition system whose clock says 2036: stored, never refused, flagged.
        let body = json!({"id": "0191f3a4-0000-7000-8000-0000000000e2", "source": "face-recognition",
                          "point": "OPD-1F-CAM-001", "type": "watchlist_hit", "priority": 2,
                          "time": "2036-12-01T08:00:00Z"})
        .to_string();
        let line = post_event(&http, "e2e-intake-token", &body)?;
        anyhow::ensure!(line.contains("201"), "the event is stored: {line}");
        desktop
            .wait_for("document.querySelector('[data-testid=clock-fault]')", Duration::from_secs(15))
            .await
            .context("the incident panel says the sender's clock is wrong")?;
        let timeline = desktop.text_content("timeline").await?;
        assert!(timeline.contains("2036-12-01"), "the sender's own time is on the timeline: {timeline}");
        desktop.client.execute("document.querySelector('[data-testid=timeline]').scrollIntoView()", vec![]).await?;
        desktop.screenshot(&workspace_root().join("target/e2e-shots/clock-fault.png")).await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit().await?;
    result
}
