//! Sync on the real window: a workstation enrolled with a `vigil server` shows it is online; an
//! acknowledgement given in its window reaches a second workstation (`vigil agent`), and an alarm
//! received there reaches the window; cut off from the server, the window says offline and counts
//! what waits while alarms keep arriving and being handled; with the server back, the queue drains.

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use vigil_api::IncidentAction;
use vigil_demo::{create_demo, DemoOptions, DATABASE_FILE};
use vigil_e2e::alarm::{connect, contact_id, send_and_ack};
use vigil_e2e::vigil_binary as vigil;
use vigil_e2e::{first_json_line, free_port, workspace_root, Desktop};
use vigil_store::{IncidentFilter, Store};

fn server(dir: &Path, port: u16) -> Result<Child> {
    let mut command = Command::new(vigil());
    command.args(["server", "--json", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"]).arg(dir);
    Ok(first_json_line(command)?.0)
}

fn enroll(server_dir: &Path, url: &str, dir: &Path, name: &str) -> Result<()> {
    let out =
        Command::new(vigil()).args(["server", "enroll", "--name", name, "--data-dir"]).arg(server_dir).output()?;
    let code = String::from_utf8(out.stdout)?;
    let status =
        Command::new(vigil()).args(["enroll", "--server", url, "--data-dir"]).arg(dir).arg(code.trim()).status()?;
    if !status.success() {
        bail!("vigil enroll {name} failed");
    }
    Ok(())
}

fn state_of(dir: &Path, id: &str) -> Result<Option<String>> {
    let store = Store::open(&dir.join(DATABASE_FILE))?;
    Ok(store.incident(id.parse()?)?.map(|i| i.incident.state.as_str().to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_syncs_goes_offline_keeps_working_and_drains_its_queue() -> Result<()> {
    let server_dir = tempfile::tempdir()?;
    create_demo(server_dir.path(), DemoOptions { ..DemoOptions::default() }, false)?;
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}");
    let mut srv = server(server_dir.path(), port)?;

    // Workstation A: the window. Workstation B: an agent.
    let a = tempfile::tempdir()?;
    create_demo(a.path(), DemoOptions::default(), false)?;
    std::fs::write(
        a.path().join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n[incidents]\nacknowledge_within_seconds = 600\n",
    )?;
    enroll(server_dir.path(), &url, a.path(), "control-room-1")?;
    let b = tempfile::tempdir()?;
    create_demo(b.path(), DemoOptions::default(), false)?;
    enroll(server_dir.path(), &url, b.path(), "control-room-2")?;
    let b_dc09 = format!("127.0.0.1:{}", free_port()?);
    let mut agent = {
        let mut command = Command::new(vigil());
        command.args(["agent", "--json", "--http", "", "--dc09", &b_dc09, "--data-dir"]).arg(b.path());
        first_json_line(command)?.0
    };
    let (account, zone, _) = Store::open(&a.path().join(DATABASE_FILE))?
        .dc09_addresses()?
        .into_iter()
        .find(|(_, zone, _)| *zone == 1)
        .context("a demo alarm point on zone 1")?;
    let shots = workspace_root().join("target/e2e-shots");
    std::fs::create_dir_all(&shots)?;

    let desktop = Desktop::launch(a.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-operator", "2468").await?;
        if let Err(e) = desktop
            .wait_for("document.querySelector('[data-testid=sync-status]').dataset.state === 'online'", Duration::from_secs(20))
            .await
        {
            let marks = Store::open(&a.path().join(DATABASE_FILE))?.sync_marks()?;
            bail!("the status bar does not say online but {:?} ({marks:?}): {e}", desktop.text_content("sync-status").await?);
        }
        assert!(desktop.text_content("sync-status").await?.contains("已同步"));

        // An alarm at A, acknowledged in A's window, is acknowledged at B.
        let mut panel = connect(desktop.dc09_address().await?).await?;
        send_and_ack(&mut panel, &contact_id(&account, zone, 120, 1)).await?;
        let id = Store::open(&a.path().join(DATABASE_FILE))?
            .incidents(IncidentFilter::Open, 10)?
            .pop()
            .context("its incident")?
            .incident
            .id
            .to_string();
        // The key acts on the incident the panel shows: wait until it shows this one.
        desktop
            .wait_for(
                &format!("!!document.querySelector('[data-testid=alarm-row-{id}].selected') && window.__vigil.console.panel.incident?.id === '{id}'"),
                Duration::from_secs(15),
            )
            .await
            .context("the new alarm is selected and shown in the panel")?;
        desktop.press('a').await?;
        desktop
            .wait_for(&format!("!!document.querySelector('[data-testid=alarm-row-{id}][data-state=acknowledged]')"), Duration::from_secs(10))
            .await
            .context("the alarm is acknowledged in A's window")?;
        let mut acknowledged_at_b = false;
        for _ in 0..100 {
            if state_of(b.path(), &id)?.as_deref() == Some("acknowledged") {
                acknowledged_at_b = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !acknowledged_at_b {
            let (at_a, at_b) = (Store::open(&a.path().join(DATABASE_FILE))?.sync_marks()?, Store::open(&b.path().join(DATABASE_FILE))?.sync_marks()?);
            bail!(
                "the acknowledgement given in A's window reaches B within 10 s: B has it {:?}; marks A {at_a:?}, B {at_b:?}; A's status {:?}",
                state_of(b.path(), &id)?,
                desktop.text_content("sync-status").await?
            );
        }

        // An alarm received at B shows in A's window.
        let mut b_panel = connect(b_dc09.parse()?).await?;
        send_and_ack(&mut b_panel, &contact_id(&account, zone + 1, 130, 1)).await?;
        let from_b = loop_until(|| {
            Ok(Store::open(&a.path().join(DATABASE_FILE))?
                .incidents(IncidentFilter::Open, 10)?
                .into_iter()
                .map(|i| i.incident.id.to_string())
                .find(|i| *i != id))
        })
        .await
        .context("B's alarm reaches A's database")?;
        desktop
            .wait_for(&format!("!!document.querySelector('[data-testid=alarm-row-{from_b}]')"), Duration::from_secs(15))
            .await
            .context("B's alarm is in A's alarm list")?;

        // The server goes: A says offline, and goes on receiving and counting what waits.
        srv.kill()?;
        srv.wait()?;
        desktop
            .wait_for("document.querySelector('[data-testid=sync-status]').dataset.state === 'offline'", Duration::from_secs(20))
            .await
            .context("the status bar says offline")?;
        send_and_ack(&mut panel, &contact_id(&account, zone + 2, 120, 2)).await?;
        desktop
            .wait_for(
                "Number(document.querySelector('[data-testid=sync-status]').dataset.queue) > 0 && !!document.querySelector('[data-testid=offline-banner]')",
                Duration::from_secs(15),
            )
            .await
            .context("the queue grows while offline, and the banner says so")?;
        assert_eq!(
            desktop.run_async("const done = arguments[arguments.length - 1]; done(window.__vigil.console.alarms.incidents.length);", vec![]).await?,
            Value::from(3),
            "the alarm received while offline is in the list with the others"
        );
        desktop.screenshot(&shots.join("sync-offline.png")).await?;

        // The server is back: the queue drains.
        srv = server(server_dir.path(), port)?;
        desktop
            .wait_for(
                "(() => { const s = document.querySelector('[data-testid=sync-status]').dataset; return s.state === 'online' && s.queue === '0'; })()",
                Duration::from_secs(30),
            )
            .await
            .context("back online with nothing waiting")?;
        assert!(desktop.wait_for("!document.querySelector('[data-testid=offline-banner]')", Duration::from_secs(5)).await.is_ok());
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let quit = desktop.quit().await;
    stop([&mut agent, &mut srv]);
    result?;
    quit?;
    vigil_e2e::check_log(b.path())?;
    vigil_e2e::check_log(server_dir.path())
}

/// An administrator enrolls the window's workstation with a TLS server in the settings screen,
/// with the code `vigil server enroll --cert` printed: the screen then shows the server, the name
/// and a pinned link, the status bar says online, and what the window does reaches the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_enrolls_the_window_in_its_settings_screen_over_tls() -> Result<()> {
    let server_dir = tempfile::tempdir()?;
    create_demo(server_dir.path(), DemoOptions::default(), false)?;
    let rcgen::CertifiedKey { cert, key_pair } = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])?;
    let (cert_file, key_file) = (server_dir.path().join("server.pem"), server_dir.path().join("server.key"));
    std::fs::write(&cert_file, cert.pem())?;
    std::fs::write(&key_file, key_pair.serialize_pem())?;
    let port = free_port()?;
    let mut srv = {
        let mut command = Command::new(vigil());
        command
            .args(["server", "--json", "--listen", &format!("127.0.0.1:{port}"), "--cert"])
            .arg(&cert_file)
            .arg("--key")
            .arg(&key_file)
            .arg("--data-dir")
            .arg(server_dir.path());
        first_json_line(command)?.0
    };
    let out = Command::new(vigil())
        .args(["server", "enroll", "--name", "control-room-3", "--cert"])
        .arg(&cert_file)
        .arg("--data-dir")
        .arg(server_dir.path())
        .output()?;
    let code = String::from_utf8(out.stdout)?.trim().to_owned();
    assert!(code.contains('@'), "the code carries the certificate's fingerprint: {code}");

    let ws = tempfile::tempdir()?;
    create_demo(ws.path(), DemoOptions::default(), false)?;
    std::fs::write(
        ws.path().join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n",
    )?;
    let shots = workspace_root().join("target/e2e-shots");
    std::fs::create_dir_all(&shots)?;
    let desktop = Desktop::launch(ws.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-admin", "2468").await?;
        desktop
            .wait_for(
                "document.querySelector('[data-testid=sync-status]').dataset.state === 'local'",
                Duration::from_secs(10),
            )
            .await
            .context("not enrolled: the status bar says local")?;
        desktop.press(char::from(fantoccini::key::Key::F2)).await?;
        desktop
            .wait_for("!!document.querySelector('[data-testid=settings-not-enrolled]')", Duration::from_secs(10))
            .await
            .context("the settings screen offers to enroll")?;
        let address = desktop.testid("settings-enroll-server").await?;
        address.clear().await?;
        address.send_keys(&format!("https://127.0.0.1:{port}")).await?;
        desktop.testid("settings-enroll-code").await?.send_keys(&code).await?;
        desktop.testid("settings-enroll").await?.click().await?;
        if let Err(e) = desktop
            .wait_for("!!document.querySelector('[data-testid=settings-enrolled]')", Duration::from_secs(15))
            .await
        {
            let said = desktop.text_content("settings-server").await.unwrap_or_default();
            bail!("the settings screen does not show the enrollment ({e}): {said}");
        }
        assert_eq!(desktop.text_content("settings-server-name").await?, "control-room-3");
        let link: Value = desktop
            .client
            .execute("return document.querySelector('[data-testid=settings-server-link]').dataset.transport", vec![])
            .await?;
        assert_eq!(link, Value::from("pinned"), "the link trusts only the server's certificate");
        desktop
            .wait_for(
                "document.querySelector('[data-testid=sync-status]').dataset.state === 'online'",
                Duration::from_secs(20),
            )
            .await
            .context("enrolled in the window, it syncs at once: online")?;
        desktop
            .wait_for(
                "document.querySelector('[data-testid=settings-server-sync]').dataset.state === 'online'",
                Duration::from_secs(10),
            )
            .await?;
        desktop.screenshot(&shots.join("settings-server-enrolled.png")).await?;
        // An alarm received now reaches the server.
        let (account, zone, _) = Store::open(&ws.path().join(DATABASE_FILE))?
            .dc09_addresses()?
            .into_iter()
            .find(|(_, zone, _)| *zone == 1)
            .context("a demo alarm point on zone 1")?;
        let mut panel = connect(desktop.dc09_address().await?).await?;
        send_and_ack(&mut panel, &contact_id(&account, zone, 120, 1)).await?;
        loop_until(|| {
            let held = Store::open(&server_dir.path().join(DATABASE_FILE))?.enrolled_workstations()?;
            Ok(held.first().filter(|w| w.events > 0).map(|_| ()))
        })
        .await
        .context("the alarm's event reaches the server over TLS")?;
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let quit = desktop.quit().await;
    let enrolled: Value = serde_json::from_str(&std::fs::read_to_string(ws.path().join("server-token.json"))?)?;
    let _ = srv.kill();
    let _ = srv.wait();
    result?;
    quit?;
    assert_eq!(enrolled["fingerprint"].as_str(), Some(vigil_sync::tls::fingerprint(cert.der()).as_str()));
    let audit = Store::open(&ws.path().join(DATABASE_FILE))?.audit_tail(100)?;
    assert!(
        audit.iter().any(|e| e.action == "sync.enrolled" && e.actor == "demo-admin"),
        "the enrollment is in the audit log with who did it"
    );
    vigil_e2e::check_log(server_dir.path())
}

/// An incident closed twice (two workstations that could not reach each other, here the second
/// close written to the log as it would have arrived) is listed for the supervisor in the review
/// screen, with the close that was kept aside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_finds_a_second_close_in_the_review_screen() -> Result<()> {
    use vigil_domain::event::{EventBody, IncidentActed};
    use vigil_domain::incident::{Action, CloseCategory, Role};
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    let id = {
        let ws = vigil_api::Workstation::open(dir.path())?;
        let device = ws.search("OPD-1F-ALM-007", 1)?.remove(0).id;
        let signal = vigil_store::NewSignal::from_device(device, "panic", 1, Store::now_ms());
        let id = ws
            .writer()?
            .run(move |tx| {
                vigil_store::write::insert_signal(tx, &signal)?;
                vigil_store::write::apply_signal(tx, &signal)
            })?
            .context("an incident")?
            .incident_id;
        let who = ws.login("demo-operator", "2468", None)?.0;
        for action in [
            IncidentAction::Acknowledge,
            IncidentAction::Dispatch { guard: "G0001".into() },
            IncidentAction::OnScene,
            IncidentAction::Close { category: "false".into() },
        ] {
            ws.act_on_incident(who, id, &action)?;
        }
        // The other workstation's close, as a pull brings it: kept, marked, not acting.
        let now = Store::now_ms();
        let body = EventBody::IncidentActed(IncidentActed {
            incident: id,
            role: Role::Supervisor,
            action: Action::Close { category: CloseCategory::Test },
            at: now,
        });
        ws.writer()?.run(move |tx| {
            vigil_store::write::commit_event(tx, "demo-supervisor", &id.to_string(), body, now).map(|_| ())
        })?;
        id
    };
    let shots = workspace_root().join("target/e2e-shots");
    std::fs::create_dir_all(&shots)?;
    let desktop = Desktop::launch(dir.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-supervisor", "2468").await?;
        desktop.press(char::from(fantoccini::key::Key::F4)).await?;
        desktop
            .wait_for(&format!("!!document.querySelector('[data-testid=review-needing-{id}]')"), Duration::from_secs(15))
            .await
            .context("the incident is listed for review")?;
        let row = desktop.text_content(&format!("review-needing-{id}")).await?;
        assert!(row.contains("OPD-1F-ALM-007") && row.contains("demo-supervisor"), "{row}");
        let mark: Value = desktop
            .client
            .execute(&format!("return document.querySelector('[data-testid=review-needing-{id}] [data-mark]')?.dataset.mark ?? null"), vec![])
            .await?;
        assert_eq!(mark, Value::from("second_close"));
        desktop.screenshot(&shots.join("review-needing.png")).await?;
        // Looked at: marked reviewed, it leaves the list; the marked close stays on its timeline.
        desktop.testid(&format!("review-reviewed-{id}")).await?.click().await?;
        desktop
            .wait_for(&format!("!document.querySelector('[data-testid=review-needing-{id}]')"), Duration::from_secs(10))
            .await
            .context("marked reviewed, the incident leaves the list")?;
        let stored = Store::open(&dir.path().join(DATABASE_FILE))?.incident(id)?.context("the incident")?.incident;
        assert!(!stored.needs_review);
        assert!(stored.timeline.iter().any(|l| l.mark.is_some()), "the second close stays marked");
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let quit = desktop.quit().await;
    result?;
    quit
}

/// An administrator adds a console account in the window's settings screen; a bad PIN is refused
/// naming the field; the account reaches a second workstation through the server, where the new
/// operator logs in with the server and that workstation's agent both gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_added_in_the_window_logs_in_at_another_workstation_while_it_is_offline() -> Result<()> {
    let server_dir = tempfile::tempdir()?;
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}");
    let mut srv = server(server_dir.path(), port)?;
    let a = tempfile::tempdir()?;
    create_demo(a.path(), DemoOptions::default(), false)?;
    std::fs::write(a.path().join("vigil.toml"), "[http]\nlisten = \"\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"\"\n")?;
    enroll(server_dir.path(), &url, a.path(), "control-room-1")?;
    let b = tempfile::tempdir()?;
    create_demo(b.path(), DemoOptions::default(), false)?;
    enroll(server_dir.path(), &url, b.path(), "control-room-2")?;
    let mut agent = {
        let mut command = Command::new(vigil());
        command.args(["agent", "--json", "--http", "", "--dc09", "", "--data-dir"]).arg(b.path());
        first_json_line(command)?.0
    };
    let shots = workspace_root().join("target/e2e-shots");
    std::fs::create_dir_all(&shots)?;

    let desktop = Desktop::launch(a.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-operator", "2468").await?;
        desktop.press(char::from(fantoccini::key::Key::F2)).await?;
        desktop
            .wait_for("!!document.querySelector('[data-testid=settings-users-locked]')", Duration::from_secs(10))
            .await
            .context("an operator is told only an administrator manages accounts")?;
        assert!(desktop.text_content("settings-users-locked").await?.contains("仅管理员"));
        desktop.testid("logout-button").await?.click().await?;
        desktop.wait_for("!document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;
        desktop.testid("login-name").await?.clear().await?;
        desktop.testid("login-pin").await?.clear().await?;
        desktop.login("demo-admin", "2468").await?;
        desktop
            .wait_for("!!document.querySelector('[data-testid=settings-user-demo-operator]')", Duration::from_secs(10))
            .await
            .context("the administrator sees the accounts")?;

        let desk = &desktop;
        let fill = |name: &'static str, pin: &'static str| async move {
            for (id, text) in [("settings-user-add-name", name), ("settings-user-add-full", "王伟"), ("settings-user-add-pin", pin)] {
                let field = desk.testid(id).await?;
                field.clear().await?;
                field.send_keys(text).await?;
            }
            desk.testid("settings-user-add").await?.click().await?;
            Ok::<(), anyhow::Error>(())
        };
        // A PIN too short: refused, the field named, nothing added.
        fill("wang.wei", "12").await?;
        desktop
            .wait_for("!!document.querySelector('[data-testid=settings-user-error]')", Duration::from_secs(10))
            .await
            .context("a short PIN is refused")?;
        let said = desktop.text_content("settings-user-error").await?;
        assert!(said.starts_with("PIN"), "the refusal names the PIN: {said}");
        desktop.screenshot(&shots.join("settings-users-refused.png")).await?;
        assert!(desktop.testid("settings-user-wang.wei").await.is_err(), "nothing was added");

        fill("wang.wei", "8642").await?;
        desktop
            .wait_for("!!document.querySelector('[data-testid=\"settings-user-wang.wei\"]')", Duration::from_secs(10))
            .await
            .context("the account is listed")?;
        // Made a supervisor from its row.
        desktop
            .client
            .execute(
                "const s = document.querySelector('[data-testid=\"settings-user-role-wang.wei\"]'); s.value = 'supervisor'; s.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![],
            )
            .await?;
        desktop
            .wait_for("document.querySelector('[data-testid=\"settings-user-wang.wei\"]')?.dataset.role === 'supervisor'", Duration::from_secs(10))
            .await
            .context("the role is changed")?;
        desktop.screenshot(&shots.join("settings-users.png")).await?;

        // The administrator publishes A's campus from the server card; the server has it next.
        desktop.testid("settings-publish").await?.click().await?;
        desktop
            .wait_for("!!document.querySelector('[data-testid=settings-publish-result]')", Duration::from_secs(20))
            .await
            .context("the campus is published from the window")?;
        desktop.screenshot(&shots.join("settings-publish.png")).await?;
        loop_until(|| {
            let n: i64 = rusqlite::Connection::open(server_dir.path().join(DATABASE_FILE))?.query_row(
                "SELECT count(*) FROM events WHERE kind = 'floor_published'",
                [],
                |r| r.get(0),
            )?;
            Ok((n > 50).then_some(()))
        })
        .await
        .context("the published floors reach the server")?;

        // It reaches B through the server.
        loop_until(|| Ok(Store::open(&b.path().join(DATABASE_FILE))?.account("wang.wei")?.filter(|a| a.role == vigil_domain::incident::Role::Supervisor)))
            .await
            .context("the account reaches workstation B as a supervisor")?;
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let quit = desktop.quit().await;
    stop([&mut agent, &mut srv]);
    result?;
    quit?;
    // B, alone: the new supervisor logs in there.
    let at_b = vigil_api::Workstation::open(b.path())?;
    let (_, session) = at_b.login("wang.wei", "8642", None)?;
    assert_eq!((session.full_name.as_str(), session.role), ("王伟", vigil_domain::incident::Role::Supervisor));
    drop(at_b);
    let audit = Store::open(&a.path().join(DATABASE_FILE))?.audit_tail(100)?;
    assert!(audit.iter().any(|e| e.action == "account.set" && e.actor == "demo-admin" && e.subject == "wang.wei"));
    assert!(!audit.iter().any(|e| e.details.contains("argon2")), "no hash in the audit log");
    vigil_e2e::check_log(b.path())
}

/// A window started on an empty data directory that is enrolled waits for the campus, saying so,
/// and opens the console by itself once another workstation published it (`vigil publish`): the
/// map with every camera, and the demo's accounts to log in with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_enrolled_window_fills_itself_from_the_server_and_opens() -> Result<()> {
    let server_dir = tempfile::tempdir()?;
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}");
    let mut srv = server(server_dir.path(), port)?;
    let c = tempfile::tempdir()?;
    std::fs::write(c.path().join("vigil.toml"), "[http]\nlisten = \"\"\n[dc09]\ntcp = \"\"\nudp = \"\"\n")?;
    enroll(server_dir.path(), &url, c.path(), "control-room-9")?;
    let a = tempfile::tempdir()?;
    create_demo(a.path(), DemoOptions::default(), false)?;
    enroll(server_dir.path(), &url, a.path(), "control-room-1")?;
    let shots = workspace_root().join("target/e2e-shots");
    std::fs::create_dir_all(&shots)?;

    let desktop = Desktop::launch(c.path(), "zh_CN.UTF-8").await?;
    let mut agent: Option<Child> = None;
    let result = async {
        desktop
            .wait_for("!!document.querySelector('[data-testid=filling]')", Duration::from_secs(20))
            .await
            .context("an enrolled, empty window waits for the campus instead of offering the demo")?;
        assert!(desktop.testid("create-demo").await.is_err(), "no demo hospital is offered");
        desktop
            .wait_for(
                "document.querySelector('[data-testid=filling-status]').textContent.includes('已同步')",
                Duration::from_secs(20),
            )
            .await
            .context("the waiting screen says sync is online")?;
        desktop.screenshot(&shots.join("filling.png")).await?;

        // Workstation A publishes its campus and pushes it.
        let out = Command::new(vigil()).args(["publish", "--data-dir"]).arg(a.path()).output()?;
        if !out.status.success() {
            bail!("vigil publish: {}", String::from_utf8_lossy(&out.stderr));
        }
        let mut command = Command::new(vigil());
        command.args(["agent", "--json", "--http", "", "--dc09", "", "--data-dir"]).arg(a.path());
        agent = Some(first_json_line(command)?.0);
        desktop
            .wait_for("window.__vigil.ready === true", Duration::from_secs(40))
            .await
            .context("the console opens by itself once the campus arrived")?;
        desktop.login("demo-operator", "2468").await.context("the published demo accounts log in")?;
        let cameras = desktop.text_content("status-bar").await?;
        assert!(cameras.contains("2,620"), "the status bar counts every camera: {cameras}");
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let quit = desktop.quit().await;
    stop(agent.iter_mut().chain([&mut srv]));
    result?;
    quit?;
    vigil_e2e::check_log(c.path())
}

/// Stops the processes a test started (the agent, the server), whatever became of them.
fn stop<'a>(children: impl IntoIterator<Item = &'a mut Child>) {
    for child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Polls `find` every 100 ms for 10 s until it finds something.
async fn loop_until<T>(mut find: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    for _ in 0..100 {
        if let Some(found) = find()? {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("not within 10 s")
}
