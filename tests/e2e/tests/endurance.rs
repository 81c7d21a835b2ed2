//! A window that runs for months: what it keeps is bounded by what is open now. On the real window:
//! an alarm flashes (its row and its ring switch on the one flash clock) until it is acknowledged;
//! a camera's snapshot is replaced in the same element and the picture before it is held by
//! nothing; closing the incident stops its panel's timers and drops it from the window's memory
//! model; after a run of alarms handled, every count is back where it started. The window's web
//! process has loaded the console's extension, which hands its freed heap back to the system.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};
use vigil_demo::{create_demo, DemoOptions, DATABASE_FILE};
use vigil_e2e::alarm::{connect, contact_id, send_and_ack};
use vigil_e2e::Desktop;
use vigil_store::Store;

async fn model(desktop: &Desktop) -> Result<Value> {
    Ok(desktop.client.execute("return window.__vigil.console.memoryModel()", vec![]).await?)
}

/// Whether the row and the ring of the selected incident carry the flash, and their phase now.
async fn flashing(desktop: &Desktop, id: &str) -> Result<Value> {
    Ok(desktop
        .client
        .execute(
            "const row = document.querySelector(`[data-testid=alarm-row-${arguments[0]}]`);
             const ring = document.querySelector('.alarm-ring');
             const on = document.documentElement.classList.contains('flash-on');
             const bright = (e) => !!e && e.classList.contains('flash') && on;
             const lit = (e, prop) => e ? getComputedStyle(e)[prop] : null;
             return { row: !!row && row.classList.contains('flash'), ring: !!ring && ring.classList.contains('flash'),
                      on, rowOn: bright(row), ringOn: bright(ring),
                      rowBackground: lit(row, 'backgroundColor'), ringOpacity: lit(ring && ring.querySelector('span'), 'opacity') };",
            vec![json!(id)],
        )
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_window_keeps_is_bounded_by_what_is_open() -> Result<()> {
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    let store = Store::open(&dir.path().join(DATABASE_FILE))?;
    let points: Vec<(String, u32)> = store.dc09_addresses()?.into_iter().map(|(a, z, _)| (a, z)).take(6).collect();
    drop(store);
    // Escalation after two seconds, so a row flashes soon after it arrives; no idle lock; no
    // patrol watcher raising missed rounds in the middle of the counts.
    std::fs::write(
        dir.path().join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n\
         [incidents]\nacknowledge_within_seconds = 2\n[ui]\nlock_after_minutes = 0\n[patrol]\ncheck_every_seconds = 86400\n",
    )?;
    let mut snapshots = vigil_e2e::snapshot_server(&vigil_e2e::vigil_binary())?;

    let desktop = Desktop::launch(dir.path(), "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        // The web process loaded the console's extension, which hands its freed heap back.
        let root = desktop.root_pid().context("the window's process")?;
        let web = vigil_e2e::procs::window_pids(root)
            .into_iter()
            .find(|(_, name)| name == "WebKitWebProces")
            .context("the window's web process")?;
        let maps = std::fs::read_to_string(format!("/proc/{}/maps", web.0))?;
        ensure!(maps.contains("libvigil_web_extension.so"), "the web process has not loaded the console's extension");
        // Nothing is drawn with GL (compositing is off), so WebKit's DMA-BUF renderer is off too.
        let environ = std::fs::read(format!("/proc/{}/environ", web.0))?;
        ensure!(
            environ.split(|&b| b == 0).any(|v| v == b"WEBKIT_DISABLE_DMABUF_RENDERER=1"),
            "the web process was started with WebKit's DMA-BUF renderer on"
        );
        desktop.login("demo-operator", "2468").await?;
        // Whatever the demo left open is closed first: the counts start from an empty desk.
        desktop.close_all().await?;
        let empty = model(&desktop).await?;
        let dc09 = desktop.dc09_address().await?;
        let mut panel = connect(dc09).await?;

        for (n, (account, zone)) in points.iter().enumerate() {
            send_and_ack(&mut panel, &contact_id(account, *zone, 120, u16::try_from(n + 1)?)).await?;
            let id = desktop
                .wait_for("window.__vigil.console.alarms.selected?.id", Duration::from_secs(15))
                .await
                .context("the new alarm is selected")?;
            let id = id.as_str().context("an incident id")?.to_owned();
            desktop.wait_for(&format!("document.querySelector('[data-testid=alarm-row-{id}].flash')"), Duration::from_secs(10)).await.context("the row flashes once the alarm waits")?;

            if n == 0 {
                // The row and the ring flash together on the flash clock: both phases are seen,
                // and in each the row's background and the ring's opacity differ from the other.
                let first = flashing(&desktop, &id).await?;
                ensure!(first["row"] == json!(true) && first["ring"] == json!(true), "row and ring flash: {first}");
                let mut looks = std::collections::HashMap::new();
                for _ in 0..10 {
                    let now = flashing(&desktop, &id).await?;
                    ensure!(now["rowOn"] == now["ringOn"], "row and ring switch together: {now}");
                    looks.insert(now["on"].as_bool().unwrap_or(false), (now["rowBackground"].clone(), now["ringOpacity"].clone()));
                    tokio::time::sleep(Duration::from_millis(170)).await;
                }
                ensure!(looks.len() == 2, "the flash switches between its two states: {looks:?}");
                ensure!(looks[&true].0 != looks[&false].0 && looks[&true].1 != looks[&false].1, "each phase looks different: {looks:?}");

                // Snapshots: the same element is refreshed in place, and the picture it showed
                // before is held by no element and no loader.
                desktop
                    .wait_for(
                        "[...document.querySelectorAll('img.snapshot')].some(i => i.complete && i.naturalWidth > 0)",
                        Duration::from_secs(15),
                    )
                    .await
                    .context("a camera's snapshot is shown")?;
                let before: Value = desktop
                    .client
                    .execute("const i = document.querySelector('img.snapshot'); i.dataset.mark = 'first'; return i.src;", vec![])
                    .await?;
                desktop
                    .wait_for(
                        &format!("document.querySelector('img.snapshot[data-mark=first]')?.src !== {before}"),
                        Duration::from_secs(10),
                    )
                    .await
                    .context("the snapshot is refreshed")?;
                let replaced: Value = desktop
                    .client
                    .execute(
                        "const i = document.querySelector('img.snapshot[data-mark=first]');
                         return { same: !!i, src: i && i.src, holders: [...document.images].filter(x => x.src === arguments[0]).length,
                                  shown: document.querySelectorAll('img.snapshot').length, model: window.__vigil.console.memoryModel() };",
                        vec![before.clone()],
                    )
                    .await?;
                ensure!(replaced["same"] == json!(true), "the snapshot is refreshed in the same element: {replaced}");
                ensure!(replaced["src"] != before, "the snapshot was replaced: {replaced}");
                ensure!(replaced["holders"] == json!(0), "nothing shows the replaced picture: {replaced}");
                let cameras = replaced["model"]["cameras"].as_u64().unwrap_or(0);
                ensure!(cameras == replaced["shown"].as_u64().unwrap_or(u64::MAX), "one picture held per camera: {replaced}");
                ensure!(replaced["model"]["snapshotsLoading"].as_u64().unwrap_or(99) <= cameras, "at most one picture on its way per camera: {replaced}");
                ensure!(replaced["model"]["timers"].as_u64() > empty["timers"].as_u64(), "the snapshots refresh on a timer: {replaced}");

                // A repeat of the alarm changes its incident, not its row: the row is the same
                // element afterwards, while the panel shows the repeat.
                desktop.client.execute(&format!("document.querySelector('[data-testid=alarm-row-{id}]').dataset.kept = '1'"), vec![]).await?;
                send_and_ack(&mut panel, &contact_id(account, *zone, 120, 900)).await?;
                desktop
                    .wait_for(
                        "window.__vigil.console.panel.incident?.repeats === 1 && document.querySelector('[data-testid=incident-timer]').textContent.includes('重复 1 次')",
                        Duration::from_secs(10),
                    )
                    .await
                    .context("the panel shows the repeat")?;
                let kept: Value = desktop.client.execute(&format!("return document.querySelector('[data-testid=alarm-row-{id}]').dataset.kept ?? null"), vec![]).await?;
                ensure!(kept == json!("1"), "a repeat leaves the alarm's row as it was (not rebuilt): {kept}");
            }

            // Acknowledge: the flash stops (row and ring).
            desktop.press('a').await?;
            desktop
                .wait_for(
                    &format!("document.querySelector('[data-testid=alarm-row-{id}][data-state=acknowledged]') && !document.querySelector('[data-testid=alarm-row-{id}].flash') && !document.querySelector('.alarm-ring.flash')"),
                    Duration::from_secs(10),
                )
                .await
                .context("acknowledging stops the flashing")?;

            // Close it: it leaves the list and the window's memory model.
            desktop.close_with_keys(&id, '3').await?;
            desktop.wait_for("window.__vigil.console.memoryModel().panelIncident === 0", Duration::from_secs(10)).await?;
            let after = model(&desktop).await?;
            for key in ["openIncidents", "rowsRemembered", "alarmRows", "alarmPoints", "panelIncident", "cameras", "snapshotsLoading", "rings"] {
                ensure!(after[key] == json!(0), "{key} after closing alarm {n}: {after}");
            }
            // The panel's snapshot timer went with its incident; the frame's and the desk's stay.
            ensure!(after["timers"] == empty["timers"], "timers after closing alarm {n}: {after} (empty desk: {empty})");
            ensure!(after["feedListeners"] == empty["feedListeners"], "listeners after closing alarm {n}: {after}");
            // Tauri's callbacks: the event listeners stay, each command's pair goes with its
            // answer (two commands may be on their way at the moment of reading).
            let (was, now) = (empty["ipcCallbacks"].as_u64().unwrap_or(0), after["ipcCallbacks"].as_u64().unwrap_or(u64::MAX));
            ensure!(now <= was + 4, "IPC callbacks after closing alarm {n}: {now} (empty desk: {was})");
        }
        // After six alarms handled the document is as big as before the first (a row or panel
        // left behind would show here).
        let last = model(&desktop).await?;
        let (a, b) = (empty["domNodes"].as_i64().unwrap_or(0), last["domNodes"].as_i64().unwrap_or(0));
        ensure!((b - a).abs() <= 40, "DOM nodes {a} on the empty desk, {b} after six alarms handled");
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let quit = desktop.quit().await;
    let _ = snapshots.kill().await;
    result.and(quit)
}
