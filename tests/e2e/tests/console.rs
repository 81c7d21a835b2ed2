//! The console as an operator and an administrator use it, on the real window: open a building and
//! a floor, check the counts against the database, search a camera, switch the language, and have a
//! bad floor-plan import refused without changing anything.

use std::time::Duration;

use anyhow::{Context, Result};
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::key::Key;
use serde_json::{json, Value};
use vigil_demo::{create_demo, DemoOptions, DATABASE_FILE};
use vigil_e2e::{workspace_root, Desktop};
use vigil_store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_finds_a_camera_on_the_reference_hospital() -> Result<()> {
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    let store = Store::open(&dir.path().join(DATABASE_FILE))?;
    let totals = store.device_counts()?;
    let opd = store.buildings()?.into_iter().find(|b| b.code.as_str() == "OPD").context("OPD")?;
    let floors = store.floors()?;
    let opd_2f = floors.iter().find(|f| f.building_id == opd.id && f.level == 2).context("OPD 2F")?;
    let opd_2f_devices = store.floor_devices(opd_2f.id)?.len();
    let camera = store.device_by_code("OPD-1F-CAM-001")?.context("OPD-1F-CAM-001")?;
    drop(store);

    // Receivers on free loopback ports, so the test never fights another program for 12300.
    std::fs::write(
        dir.path().join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n",
    )?;
    let desktop = Desktop::launch(dir.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-operator", "2468").await?;
        desktop
            .wait_for("document.querySelector('[data-testid=engine-status].listening')", Duration::from_secs(15))
            .await
            .context("the engine's receivers listen beside the window")?;

        // The status bar shows the database's counts, in Chinese (the system locale).
        for (id, expected) in [
            ("count-cameras", totals.cameras),
            ("count-alarm-points", totals.alarm_points),
            ("count-mobile-alarm-points", totals.mobile_alarm_points),
            ("count-checkpoints", totals.checkpoints),
        ] {
            let shown = desktop.testid(id).await?.attr("data-count").await?.unwrap_or_default();
            assert_eq!(shown, expected.to_string(), "{id}");
        }
        let bar = desktop.testid("status-bar").await?.text().await?;
        assert!(bar.contains("摄像机") && bar.contains("2,620"), "status bar: {bar}");
        let sync = desktop.text_content("sync-status").await?;
        assert!(sync.contains("本地"), "sync status: {sync:?}");

        // Open the outpatient building, then its 2F from the floor buttons.
        desktop.testid(&format!("building-{}", opd.id)).await?.click().await?;
        desktop.wait_for("window.__vigil.console.map.lastOpen", Duration::from_secs(20)).await?;
        desktop.testid(&format!("floor-button-{}", opd_2f.id)).await?.click().await?;
        let opened = desktop
            .wait_for(
                &format!("(window.__vigil.console.map.lastOpen || {{}}).floorId === '{}' && window.__vigil.console.map.lastOpen", opd_2f.id),
                Duration::from_secs(20),
            )
            .await?;
        assert_eq!(opened["devices"], json!(opd_2f_devices), "devices drawn on OPD 2F");
        let class = desktop.testid(&format!("floor-button-{}", opd_2f.id)).await?.attr("class").await?.unwrap_or_default();
        assert!(class.contains("active"), "the open floor's button is marked: {class}");
        let crumbs = desktop.text_content("breadcrumbs").await?;
        assert!(crumbs.contains("门诊楼") && crumbs.contains("2层"), "breadcrumbs: {crumbs}");

        // Search the camera by code; Enter jumps to it and opens its details.
        let search = desktop.testid("search-input").await?;
        search.send_keys("opd-1f-cam-001").await?;
        desktop.testid("search-result-OPD-1F-CAM-001").await?;
        search.send_keys(&String::from(char::from(Key::Enter))).await?;
        desktop
            .wait_for(
                &format!("document.querySelector('[data-testid=detail-code]') && document.querySelector('[data-testid=detail-code]').textContent === '{}'", camera.code),
                Duration::from_secs(15),
            )
            .await?;
        assert_eq!(desktop.testid("detail-kind").await?.text().await?, "摄像机");
        let location = desktop.testid("detail-location").await?.text().await?;
        assert!(location.contains("门诊楼") && location.contains("1层"), "location: {location}");
        let selected_floor = desktop.client.execute("return window.__vigil.console.map.current.floor.id", vec![]).await?;
        assert_eq!(selected_floor, json!(camera.floor_id.to_string()), "the map moved to the camera's floor");

        desktop.screenshot(&workspace_root().join("target/e2e/console-zh.png")).await?;

        // Switch to English: the whole console follows.
        desktop.testid("language-toggle").await?.click().await?;
        desktop.wait_for("document.querySelector('[data-testid=status-bar]').textContent.includes('Cameras')", Duration::from_secs(5)).await?;
        assert_eq!(desktop.testid("detail-kind").await?.text().await?, "Camera");
        // Its text, not WebDriver's idea of what shows: the status is cut with an ellipsis when the
        // bar is full, which WebKitWebDriver reports as no text at all.
        let sync = desktop.text_content("sync-status").await?;
        assert!(sync.contains("Local only"), "sync status in English: {sync:?}");
        assert_eq!(desktop.client.execute("return document.documentElement.lang", vec![]).await?, json!("en"));

        desktop.screenshot(&workspace_root().join("target/e2e/console.png")).await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit().await?;
    result?;

    // The language choice was remembered by the workstation.
    let store = Store::open(&dir.path().join(DATABASE_FILE))?;
    assert_eq!(store.setting("ui.language")?.as_deref(), Some("en"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_replaces_a_plan_and_a_bad_file_changes_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    let store = Store::open(&dir.path().join(DATABASE_FILE))?;
    let camera = store.device_by_code("EMG-1F-CAM-001")?.context("EMG-1F-CAM-001")?;
    let floor_id = camera.floor_id;
    let plan_before = store.plan_image(floor_id)?.context("plan")?;
    drop(store);

    let desktop = Desktop::launch(dir.path(), "en_US.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-admin", "2468").await?;
        let console = "window.__vigil.console";
        desktop
            .run_async(&format!("const done = arguments[arguments.length - 1]; {console}.map.openFloor('{floor_id}').then(() => done(true));"), vec![])
            .await?;
        desktop.testid("edit-toggle").await?.click().await?;
        desktop.testid("edit-toolbar").await?;

        // The view must be at rest before a device is picked by its position on screen.
        let mut last = Value::Null;
        for _ in 0..50 {
            let view = desktop
                .client
                .execute("const m = window.__vigil.console.map.map; const c = m.getCenter(); return [c.lat, c.lng, m.getZoom()]", vec![])
                .await?;
            if view == last {
                break;
            }
            last = view;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // Drag the device nearest the middle of the view 40 px right and 30 px down, then save.
        let picked = desktop
            .client
            .execute(
                "const m = window.__vigil.console.map; const map = m.map; const d = m.layer.devices;
                 const size = map.getSize(); let best = -1, bestD = Infinity;
                 const pts = d.ids.map((_, i) => map.latLngToContainerPoint([-d.ys[i], d.xs[i]]));
                 for (let i = 0; i < d.ids.length; i++) {
                   // A device with no neighbour within 40 px, so the grab cannot take another one.
                   if (pts.some((q, j) => j !== i && Math.hypot(q.x - pts[i].x, q.y - pts[i].y) < 40)) continue;
                   // Its new place must still be on the plan (a move off the plan is held at the edge).
                   const k = map.getZoomScale(map.getZoom(), 0);
                   if (d.xs[i] + 60 / k > d.plan.width || d.ys[i] + 45 / k > d.plan.height) continue;
                   const dist = Math.hypot(pts[i].x - size.x / 2, pts[i].y - size.y * 0.6);
                   if (dist < bestD) { bestD = dist; best = i; }
                 }
                 const p = map.latLngToContainerPoint([-d.ys[best], d.xs[best]]);
                 const r = map.getContainer().getBoundingClientRect();
                 return { id: d.ids[best], x: r.left + p.x, y: r.top + p.y, scale: map.getZoomScale(map.getZoom(), 0), px: d.xs[best], py: d.ys[best] };",
                vec![],
            )
            .await?;
        let mouse = MouseActions::new("mouse".into())
            .then(PointerAction::MoveTo { duration: None, x: picked["x"].as_f64().unwrap_or(0.0).round(), y: picked["y"].as_f64().unwrap_or(0.0).round() })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::MoveBy { duration: Some(Duration::from_millis(250)), x: 20.0, y: 15.0 })
            .then(PointerAction::MoveBy { duration: Some(Duration::from_millis(250)), x: 20.0, y: 15.0 })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        desktop.client.perform_actions(mouse).await?;

        let moved = desktop.client.execute("return window.__vigil.console.map.layer.moved.size", vec![]).await?;
        assert_eq!(moved, json!(1), "the drag moved one device (picked {picked})");
        desktop.testid("edit-save").await?.click().await?;
        desktop.wait_for("document.querySelector('[data-testid=edit-message]').textContent.includes('1 device positions saved')", Duration::from_secs(10)).await?;

        // Text pretending to be an image, then a PNG cut in half: both refused with a reason.
        let refused = desktop
            .run_async(
                &format!(
                    "const done = arguments[arguments.length - 1];
                     const bytes = new TextEncoder().encode('this is not a floor plan');
                     {console}.edit.importBytes('{floor_id}', bytes).then(ok => done([ok, document.querySelector('[data-testid=edit-message]').textContent]));"
                ),
                vec![],
            )
            .await?;
        assert_eq!(refused[0], json!(false));
        let message = refused[1].as_str().unwrap_or_default();
        assert!(message.contains("refused") && message.contains("not a PNG, JPEG or SVG"), "message: {message}");

        // A real SVG plan is accepted and the floor takes its size.
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="2400" height="1200"><rect width="2400" height="1200" fill="#123"/><text x="100" y="100" fill="#fff" font-size="60">新平面图 New plan</text></svg>"##;
        let accepted = desktop
            .run_async(
                &format!(
                    "const done = arguments[arguments.length - 1];
                     {console}.edit.importBytes('{floor_id}', new TextEncoder().encode(arguments[0])).then(ok => done([ok, {console}.map.current.floor.plan]));"
                ),
                vec![json!(svg)],
            )
            .await?;
        assert_eq!(accepted[0], json!(true));
        assert_eq!(accepted[1], json!({"width": 2400, "height": 1200}));
        desktop.screenshot(&workspace_root().join("target/e2e/edit-mode.png")).await?;
        Ok::<_, anyhow::Error>(picked)
    }
    .await;
    desktop.quit().await?;
    let picked = result?;

    let store = Store::open(&dir.path().join(DATABASE_FILE))?;
    let plan_after = store.plan_image(floor_id)?.context("plan")?;
    assert_ne!(plan_after.bytes, plan_before.bytes);
    assert_eq!((plan_after.size.width, plan_after.size.height), (2400, 1200));
    assert_eq!(store.device(camera.id)?.x, camera.x, "devices keep their place on a larger plan");
    let moved = store.device(picked["id"].as_str().context("id")?.parse()?)?;
    let scale = picked["scale"].as_f64().context("scale")?;
    let (dx, dy) = (moved.x - picked["px"].as_f64().context("px")?, moved.y - picked["py"].as_f64().context("py")?);
    assert!(
        (dx - 40.0 / scale).abs() <= 2.0 / scale + 1.0 && (dy - 30.0 / scale).abs() <= 2.0 / scale + 1.0,
        "moved by ({dx}, {dy}) at scale {scale}"
    );
    assert_eq!(moved.meta.version, 2, "a move is a new version of the row");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_database_is_refused_on_screen_and_left_untouched() -> Result<()> {
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    let db = dir.path().join(DATABASE_FILE);
    {
        let conn = rusqlite::Connection::open(&db)?;
        conn.pragma_update(None, "user_version", vigil_store::LATEST_VERSION + 1)?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
    }
    let before = std::fs::read(&db)?;
    let desktop = Desktop::launch(dir.path(), "en_US.UTF-8").await?;
    let result = async {
        let screen = desktop.testid("startup-error").await?.text().await?;
        assert!(screen.contains("newer Vigil"), "screen: {screen}");
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit_unchecked().await?;
    result?;
    assert_eq!(std::fs::read(&db)?, before, "the newer database was not modified");
    Ok(())
}
