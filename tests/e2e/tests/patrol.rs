//! Patrol on the real window: a check-in posted to `/v1/checkins` turns its checkpoint green on the
//! map and in the round; a checkpoint left unchecked past its window (a test schedule with windows
//! of seconds) raises the round's P3 incident on the alarm desk; once the shift has ended, the
//! supervisor explains the exception, signs the shift off and exports the PDF, whose text holds the
//! guard's Chinese name and the signature. Screenshots of the patrol and review screens are kept.

use std::time::Duration;

use anyhow::{Context, Result};
use fantoccini::key::Key;
use serde_json::json;
use vigil_demo::{create_demo, DemoOptions, DATABASE_FILE};
use vigil_domain::event::LegDef;
use vigil_e2e::{http_post, workspace_root, Desktop};
use vigil_store::{IncidentFilter, Store};

const TOKEN: &str = "e2e-intake-token";
const MINUTE: i64 = 60_000;

fn now_ms() -> i64 {
    vigil_store::Store::now_ms()
}

/// `HH:MM` in Shanghai (UTC+8, no daylight saving) of a UTC instant on a minute boundary.
fn shanghai_hm(ms: i64) -> String {
    let minutes = (ms / MINUTE + 8 * 60).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_is_walked_missed_explained_signed_and_exported() -> Result<()> {
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    // The round starts at the next minute (at least 25 s away); its shift ends a minute later.
    let start = (now_ms() + 25_000).div_euclid(MINUTE) * MINUTE + MINUTE;
    let shift_end = start + MINUTE;
    std::fs::write(
        dir.path().join("vigil.toml"),
        format!(
            "[http]\nlisten = \"127.0.0.1:0\"\nintake_token = \"{TOKEN}\"\n[dc09]\ntcp = \"\"\nudp = \"\"\n\
             [patrol]\non_time_seconds = 5\ntolerance_seconds = 10\ncheck_every_seconds = 1\n\
             night_starts = \"{}\"\nday_starts = \"{}\"\n",
            shanghai_hm(shift_end),
            shanghai_hm(shift_end + 12 * 60 * MINUTE),
        ),
    )?;
    // Two checkpoints of one floor, 20 s apart, every 5 minutes from the next minute on.
    let (a, b, guard) = {
        let ws = vigil_api::Workstation::open(dir.path())?;
        let store = Store::open(&dir.path().join(DATABASE_FILE))?;
        let checkpoints = store.checkpoints()?;
        let first = checkpoints.first().context("the demo has checkpoints")?.clone();
        let second = checkpoints
            .iter()
            .find(|c| c.floor == first.floor && c.id != first.id)
            .context("two checkpoints on one floor")?
            .clone();
        let guard = store.guards()?.into_iter().next().context("a demo guard")?;
        ws.save_route_as(
            "e2e",
            vigil_api::patrol::RouteInput {
                id: None,
                name: "测试巡更路线 E2E".into(),
                ordered: true,
                legs: vec![LegDef { checkpoint: first.id, walk_s: 0 }, LegDef { checkpoint: second.id, walk_s: 20 }],
                start: shanghai_hm(start),
                end: shanghai_hm(start),
                every_minutes: 5,
                weekdays: 0b111_1111,
                retired: false,
            },
            now_ms(),
        )?;
        (first, second, guard)
    };

    let desktop = Desktop::launch(dir.path(), "zh_CN.UTF-8").await?;
    let shots = workspace_root().join("target/e2e-shots");
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-supervisor", "2468").await?;
        let status = desktop
            .run_async(
                "const done = arguments[arguments.length - 1]; \
                 const poll = () => window.__vigil.api.engineStatus().then(s => s.http ? done(s) : setTimeout(poll, 100), () => setTimeout(poll, 100)); poll();",
                vec![],
            )
            .await?;
        let http = status["http"].as_str().context("the window's engine serves HTTP")?.replace("0.0.0.0", "127.0.0.1");
        // The map on the checkpoints' floor.
        desktop
            .run_async(
                "const done = arguments[arguments.length - 1]; window.__vigil.console.map.openFloor(arguments[0]).then(() => done(true), (e) => done(String(e)));",
                vec![json!(a.floor.to_string())],
            )
            .await?;

        // The round starts; the guard's handheld checks in at the first checkpoint.
        let wait = (start + 1_000 - now_ms()).max(0) as u64;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let body = json!({ "id": "0191f3a4-0000-7000-8000-00000000c001", "tag": a.tag.to_lowercase(), "guard": guard.badge,
                           "time": rfc3339(now_ms()), "device": "HH-E2E", "method": "nfc" })
        .to_string();
        let (line, answer) = http_post(&http, "/v1/checkins", TOKEN, &body)?;
        anyhow::ensure!(line.contains("201"), "the check-in is stored: {line} {answer}");
        // The same check-in again (a retried upload): 200, nothing new; changed: 409.
        let (again, _) = http_post(&http, "/v1/checkins", TOKEN, &body)?;
        anyhow::ensure!(again.contains("200"), "a retry stores nothing new: {again}");
        let changed = body.replace("HH-E2E", "HH-OTHER");
        let (conflict, _) = http_post(&http, "/v1/checkins", TOKEN, &changed)?;
        anyhow::ensure!(conflict.contains("409"), "the same id with another body is a conflict: {conflict}");

        // Green on the map: the desk asks Rust how the round stands.
        let done_on_map = format!(
            "(() => {{ const m = window.__vigil.console.map; const i = m.layer.indexOf('{}'); return i >= 0 && m.layer.devices.statuses[i] === 5; }})()",
            a.id
        );
        let pending_on_map = format!(
            "(() => {{ const m = window.__vigil.console.map; const i = m.layer.indexOf('{}'); return i >= 0 && m.layer.devices.statuses[i] === 4; }})()",
            b.id
        );
        desktop.run_async("const done = arguments[arguments.length - 1]; window.__vigil.console.refreshPatrolMarks().then(() => done(true));", vec![]).await?;
        desktop.wait_for(&done_on_map, Duration::from_secs(20)).await.context("the checked checkpoint is green on the map")?;
        desktop.wait_for(&pending_on_map, Duration::from_secs(5)).await.context("the next one is still due")?;
        desktop
            .wait_for(
                &format!("[...document.querySelectorAll('.guard-mark')].some((e) => e.textContent.includes('{}'))", guard.name),
                Duration::from_secs(10),
            )
            .await
            .context("the guard is shown on the map where he last checked in")?;
        desktop.screenshot(&shots.join("patrol-map.png")).await?;

        // The patrol screen shows the round with the first checkpoint on time.
        desktop.press(char::from(Key::F3)).await?;
        desktop.testid("screen-patrol").await?;
        desktop
            .wait_for(&format!("document.querySelector('[data-testid=round-checkpoint-{}][data-mark=on_time]')", a.id), Duration::from_secs(20))
            .await
            .context("the round shows the checkpoint on time")?;
        desktop.wait_for("document.querySelector('[data-testid=patrol-log] tbody tr')", Duration::from_secs(10)).await?;
        desktop.screenshot(&shots.join("patrol-screen.png")).await?;

        // Nobody checks the second one: past its window the round is raised as a P3 incident.
        let incident = {
            let deadline = std::time::Instant::now() + Duration::from_secs(90);
            loop {
                let open = Store::open(&dir.path().join(DATABASE_FILE))?.incidents(IncidentFilter::Open, 50)?;
                if let Some(i) = open.into_iter().find(|i| i.incident.alarm_type == "patrol_round_missed") {
                    break i;
                }
                anyhow::ensure!(std::time::Instant::now() < deadline, "no round-missed incident was raised");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        };
        assert_eq!(incident.incident.priority.level(), 3);
        desktop.press(char::from(Key::F1)).await?;
        desktop
            .wait_for(&format!("document.querySelector('[data-testid=alarm-row-{}]')", incident.incident.id), Duration::from_secs(20))
            .await
            .context("the missed round reaches the alarm desk")?;

        // The shift ends; the review opens on it.
        let wait = (shift_end + 1_500 - now_ms()).max(0) as u64;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        desktop.press(char::from(Key::F4)).await?;
        desktop.testid("screen-review").await?;
        desktop
            .wait_for("document.querySelector('[data-testid=review-exceptions] .exception.open')", Duration::from_secs(20))
            .await
            .context("the missed checkpoint waits for an explanation")?;
        let sign = desktop.testid("review-sign-off").await?;
        assert!(!sign.is_enabled().await?, "no sign-off while an exception is unexplained");
        desktop.testid("exception-text").await?.send_keys("对讲机联系：B 区电梯检修，巡更员改道，已补巡").await?;
        desktop.testid("exception-explain").await?.click().await?;
        desktop
            .wait_for("!document.querySelector('[data-testid=review-exceptions] .exception.open')", Duration::from_secs(10))
            .await?;
        desktop.testid("review-sign-off").await?.click().await?;
        desktop
            .wait_for("document.querySelector('[data-testid=review-signed]').textContent.includes('李强')", Duration::from_secs(10))
            .await
            .context("the shift shows who signed it")?;
        desktop.testid("review-export-patrol_pdf").await?.click().await?;
        let message = desktop
            .wait_for(
                "(() => { const m = document.querySelector('[data-testid=review-message]'); return m && m.textContent.includes('.pdf') ? m.textContent : null; })()",
                Duration::from_secs(20),
            )
            .await?;
        desktop.screenshot(&shots.join("review-screen.png")).await?;
        let path = message.as_str().and_then(|m| m.split_once('：').or_else(|| m.split_once(": ")).map(|(_, p)| p.trim().to_owned())).context("the path")?;
        let text = std::process::Command::new("pdftotext").args(["-layout", &path, "-"]).output().context("pdftotext (poppler-utils)")?;
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(text.contains(&guard.name), "the PDF names the guard {}: {text}", guard.name);
        assert!(text.contains("李强"), "the PDF names the supervisor who signed: {text}");
        assert!(text.contains("对讲机联系"), "the PDF holds the explanation: {text}");
        // The last 7 days as charts: compliance per day and per guard, response times.
        desktop.testid("review-view-7").await?.click().await?;
        for chart in ["chart-by-day", "chart-by-guard", "chart-response"] {
            desktop
                .wait_for(&format!("document.querySelector('[data-testid={chart}] canvas')"), Duration::from_secs(20))
                .await
                .with_context(|| format!("{chart} is drawn"))?;
        }
        desktop.screenshot(&shots.join("review-range.png")).await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit().await?;
    result
}

/// RFC 3339 of a UTC instant, as a handheld writes it.
fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_draws_a_route_on_the_map_and_schedules_it() -> Result<()> {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
    let dir = tempfile::tempdir()?;
    create_demo(dir.path(), DemoOptions::default(), false)?;
    std::fs::write(
        dir.path().join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"\"\nudp = \"\"\n",
    )?;
    // The demo's routes with two days walked, so the patrol screen shows rounds as a site has them.
    vigil_api::Workstation::open(dir.path())?.create_demo_patrol(now_ms(), 2)?;
    let floor = {
        let store = Store::open(&dir.path().join(DATABASE_FILE))?;
        let checkpoints = store.checkpoints()?;
        // A floor with at least three checkpoints.
        let mut per_floor = std::collections::HashMap::new();
        for c in &checkpoints {
            *per_floor.entry(c.floor).or_insert(0) += 1;
        }
        *per_floor.iter().find(|(_, n)| **n >= 3).context("a floor with three checkpoints")?.0
    };
    let desktop = Desktop::launch(dir.path(), "zh_CN.UTF-8").await?;
    let shots = workspace_root().join("target/e2e-shots");
    let result = async {
        desktop.wait_ready().await.context("ready")?;
        desktop.login("demo-admin", "2468").await.context("login")?;
        desktop.press(char::from(Key::F3)).await.context("F3")?;
        desktop.wait_for("document.querySelector('[data-testid^=round-] [data-mark=on_time]')", Duration::from_secs(20)).await?;
        desktop.screenshot(&shots.join("patrol-demo.png")).await?;
        desktop.testid("route-new").await.context("route-new")?.click().await.context("click route-new")?;
        desktop.testid("route-name").await?.send_keys("门诊夜巡 A 线").await.context("type the name")?;
        desktop.testid("route-pick").await?.click().await.context("pick")?;
        // The desk's map, with the banner saying what is being picked.
        desktop.wait_for("!document.querySelector('[data-testid=route-pick-banner]').hidden", Duration::from_secs(10)).await?;
        desktop
            .run_async(
                "const done = arguments[arguments.length - 1]; window.__vigil.console.map.openFloor(arguments[0]).then(() => done(true), (e) => done(String(e)));",
                vec![json!(floor.to_string())],
            )
            .await?;
        // Two checkpoints clicked in walking order (their screen positions asked of the map).
        let points = desktop
            .client
            .execute(
                "const m = window.__vigil.console.map; const map = m.map; const d = m.layer.devices;
                 const r = map.getContainer().getBoundingClientRect(); const out = [];
                 for (let i = 0; i < d.ids.length && out.length < 2; i++) {
                   if (d.kinds[i] !== 3) continue;
                   const p = map.latLngToContainerPoint([-d.ys[i], d.xs[i]]);
                   if (p.x < 20 || p.y < 20 || p.x > r.width - 20 || p.y > r.height - 20) continue;
                   if (out.some((q) => Math.hypot(q.px - p.x, q.py - p.y) < 30)) continue;
                   out.push({ id: d.ids[i], x: r.left + p.x, y: r.top + p.y, px: p.x, py: p.y });
                 }
                 return out;",
                vec![],
            )
            .await?;
        let points = points.as_array().cloned().unwrap_or_default();
        anyhow::ensure!(points.len() == 2, "two checkpoints on screen: {points:?}");
        // Each click is checked on the banner (and made again if a redraw of the map was under way):
        // its position is asked of the map right before the click.
        for (n, p) in points.iter().enumerate() {
            let id = p["id"].as_str().unwrap_or_default().to_owned();
            let mut taken = false;
            for _ in 0..3 {
                let at = desktop
                    .client
                    .execute(
                        "const m = window.__vigil.console.map; const map = m.map; const i = m.layer.indexOf(arguments[0]);
                         if (i < 0) return null;
                         const q = m.layer.position(i); const p = map.latLngToContainerPoint([-q.y, q.x]);
                         const r = map.getContainer().getBoundingClientRect(); return { x: r.left + p.x, y: r.top + p.y };",
                        vec![json!(id)],
                    )
                    .await?;
                if at.is_null() {
                    // The map moved to another floor meanwhile (a new alarm takes the desk to its
                    // point): back to the route's floor, and the click again.
                    desktop
                        .run_async(
                            "const done = arguments[arguments.length - 1]; window.__vigil.console.map.openFloor(arguments[0]).then(() => done(true), (e) => done(String(e)));",
                            vec![json!(floor.to_string())],
                        )
                        .await?;
                    continue;
                }
                let click = MouseActions::new("mouse".into())
                    .then(PointerAction::MoveTo { duration: None, x: at["x"].as_f64().unwrap_or(0.0).round(), y: at["y"].as_f64().unwrap_or(0.0).round() })
                    .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
                    .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
                desktop.client.perform_actions(click).await?;
                desktop.client.release_actions().await?;
                let count = format!("document.querySelector('[data-testid=route-pick-banner]').textContent.includes('{}.')", n + 1);
                if desktop.wait_for(&count, Duration::from_secs(4)).await.is_ok() {
                    taken = true;
                    break;
                }
            }
            anyhow::ensure!(taken, "checkpoint {id} was picked");
        }
        desktop
            .wait_for("document.querySelector('[data-testid=route-pick-banner]').textContent.includes('2')", Duration::from_secs(10))
            .await
            .context("both checkpoints are on the route")?;
        desktop.screenshot(&shots.join("route-pick.png")).await?;
        desktop.testid("route-pick-done").await?.click().await?;
        desktop.testid("screen-patrol").await?;
        desktop.wait_for("document.querySelectorAll('[data-testid=route-legs] li').length === 2", Duration::from_secs(10)).await?;
        desktop.testid("route-save").await?.click().await?;
        desktop
            .wait_for("document.querySelector('[data-testid=route-message]')?.textContent.includes('路线已保存')", Duration::from_secs(10))
            .await
            .context("the route is saved")?;
        let store = Store::open(&dir.path().join(DATABASE_FILE))?;
        let route = store.routes()?.into_iter().find(|r| r.name == "门诊夜巡 A 线").context("the route")?;
        let picked: Vec<String> = points.iter().filter_map(|p| p["id"].as_str().map(str::to_owned)).collect();
        let legs: Vec<String> = route.legs.iter().map(|l| l.checkpoint.to_string()).collect();
        assert_eq!(legs, picked, "the legs are the checkpoints in the order they were clicked");
        let schedule = store.schedules()?.into_iter().find(|s| s.route == route.id).context("its schedule")?;
        assert_eq!((schedule.start, schedule.end, schedule.every), (22 * 60, 6 * 60, 120));
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit().await?;
    result
}
