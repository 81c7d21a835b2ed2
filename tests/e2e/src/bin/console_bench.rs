//! `vigil-console-bench`: what the real window costs the machine it runs on for months.
//!
//! - `console_idle`: CPU (share of one core) and PSS of `vigil-desktop` and its WebKit processes
//!   in each state an operator sees — login and lock screens, the settings screen, the alarm desk on the campus and on a
//!   floor, one and twenty P1 alarms flashing, one acknowledged, camera snapshots refreshing, the
//!   crowded floor with a hospital group's devices, with and without an alarm — beside an empty
//!   Tauri window on the same machine, the floor under every figure (`console_idle`; the crowded
//!   floor is `console_crowded_floor`). While a state is measured
//!   nothing talks to the window; before, the bench checks the signal is really on screen (a
//!   flashing row and ring), so a figure can never come from an alarm that was not drawn.
//! - `console_soak`: a busy shift compressed. The demo simulator raises an alarm every few seconds;
//!   each is acknowledged, dispatched, noted and closed through the window's keyboard, snapshots
//!   refresh, the map follows every alarm to its floor, and the console is locked and unlocked now
//!   and then. Memory is read every 10 s and kept per minute as that minute's lowest reading (the
//!   web process trims its heap every 30 s) and its highest: start, end, peak, the slope of the
//!   lowest per 1,000 alarms after warm-up, and CPU seconds per alarm handled.
//!
//! Writes into results.json and BENCHMARKS.md. Run under Xvfb with a D-Bus session (scripts/bench.sh).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use serde_json::{json, Value};
use vigil_e2e::alarm::{connect, contact_id, send_and_ack};
use vigil_e2e::procs::{self, Reading};
use vigil_e2e::{workspace_root, Desktop};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    /// The reference hospital's states, beside an empty Tauri window.
    Idle,
    /// The crowded floor: a hospital group's devices on one floor.
    Crowded,
    Soak,
    All,
    /// Nothing measured: BENCHMARKS.md rendered again from results.json (after editing a note).
    Report,
}

#[derive(Parser)]
#[command(about = "CPU and memory of the real Vigil window: each state, and a compressed busy shift")]
struct Args {
    /// The `vigil` command line binary.
    #[arg(long, default_value = "target/debug/vigil")]
    vigil: PathBuf,
    /// The desktop binary.
    #[arg(long, default_value = "target/debug/vigil-desktop")]
    desktop: PathBuf,
    /// An empty Tauri window (vigil-desktop's `empty_window` example): the floor of every figure.
    #[arg(long, default_value = "target/debug/examples/empty_window")]
    empty_window: PathBuf,
    /// Folder for results.json; with `bench`, the Markdown goes to BENCHMARKS.md at the root.
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// A short, bounded run for CI: seconds per state, a two-minute soak, a smaller group.
    #[arg(long)]
    quick: bool,
    /// Which benchmark to run.
    #[arg(long, value_enum, default_value = "all")]
    run: Which,
    /// How long the soak runs (default 30 minutes, 2 with --quick).
    #[arg(long)]
    soak_minutes: Option<f64>,
    /// Runs the soak with `[store] cache_mib` set to this, reported as its own entry
    /// (`console_soak_store_cache_<N>_mib`): with a cache that fills in minutes, what is left of the
    /// slope is everything but SQLite's page cache.
    #[arg(long)]
    soak_cache_mib: Option<u32>,
}

struct Plan {
    settle: Duration,
    span: Duration,
    storm: Duration,
    group_scale: u32,
    soak: Duration,
    sample_every: Duration,
    warm_up: Duration,
}

const OPERATOR: (&str, &str) = ("demo-operator", "2468");
const ADMINISTRATOR: (&str, &str) = ("demo-admin", "2468");

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// `vigil demo` into `dir`, with the bench's settings: its own ports, no idle lock, alarms that
/// escalate (and so flash) ten seconds after they arrive, and no patrol watcher raising missed
/// rounds in the middle of a "no alarm" state.
fn demo(vigil: &Path, dir: &Path, scale: u32) -> Result<()> {
    let out = std::process::Command::new(vigil)
        .args(["demo", "--data-dir"])
        .arg(dir)
        .args(["--scale", &scale.to_string(), "--patrol-days", "1"])
        .output()
        .with_context(|| format!("run {}", vigil.display()))?;
    if !out.status.success() {
        bail!("vigil demo failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::write(
        dir.join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n\
         [incidents]\nacknowledge_within_seconds = 10\n[ui]\nlock_after_minutes = 0\n\
         [patrol]\ncheck_every_seconds = 86400\n",
    )?;
    Ok(())
}

/// DC-09 points (account, zone) of one floor, with the floor: the floor of the reference hospital
/// with the most alarm buttons.
fn floor_points(dir: &Path) -> Result<(String, Vec<(String, u32)>)> {
    let conn = rusqlite::Connection::open(dir.join("vigil.db"))?;
    let floor: String = conn.query_row(
        "SELECT floor_id FROM devices WHERE dc09_account IS NOT NULL AND deleted = 0
         GROUP BY floor_id ORDER BY count(*) DESC LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(
        "SELECT dc09_account, dc09_zone FROM devices WHERE dc09_account IS NOT NULL AND deleted = 0
         ORDER BY floor_id = ?1 DESC, code",
    )?;
    let points = stmt.query_map([&floor], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((floor, points))
}

async fn script(desktop: &Desktop, body: &str, args: Vec<Value>) -> Result<Value> {
    let value = desktop
        .run_async(&format!("const done = arguments[arguments.length - 1]; (async () => {{ {body} }})().then(done, e => done({{ error: String(e) }}));"), args)
        .await?;
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        bail!("in the webview: {error}");
    }
    Ok(value)
}

/// The window drawn, the demo operator logged in, nothing open: where every measurement starts.
async fn ready(desktop: &Desktop) -> Result<()> {
    desktop.wait_ready().await?;
    desktop.login(OPERATOR.0, OPERATOR.1).await?;
    desktop.close_all().await?;
    Ok(())
}

/// Logs out whoever is at the seat and logs `who` in.
async fn hand_over(desktop: &Desktop, who: (&str, &str)) -> Result<()> {
    desktop.testid("logout-button").await?.click().await?;
    desktop.wait_for("!document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;
    desktop.testid("login-name").await?.clear().await?;
    desktop.testid("login-pin").await?.clear().await?;
    desktop.login(who.0, who.1).await
}

async fn acknowledge_all(desktop: &Desktop) -> Result<()> {
    script(
        desktop,
        "const api = window.__vigil.api; for (const i of await api.incidents()) if (i.state === 'new') await api.act(i.id, { action: 'acknowledge' }); return true;",
        vec![],
    )
    .await?;
    desktop
        .wait_for("window.__vigil.console.alarms.incidents.every(i => i.state !== 'new')", Duration::from_secs(15))
        .await?;
    Ok(())
}

/// Sends `n` P1 panic alarms from the first `n` points and waits until the list shows `open` rows.
async fn raise(desktop: &Desktop, points: &[(String, u32)], from: usize, n: usize, open: usize) -> Result<()> {
    let mut panel = connect(desktop.dc09_address().await?).await?;
    for (k, (account, zone)) in points.iter().skip(from).take(n).enumerate() {
        send_and_ack(&mut panel, &contact_id(account, *zone, 120, u16::try_from(from + k + 1).unwrap_or(1))).await?;
    }
    desktop
        .wait_for(&format!("window.__vigil.console.alarms.incidents.length >= {open}"), Duration::from_secs(30))
        .await
        .with_context(|| format!("{open} alarms in the list"))?;
    Ok(())
}

/// Checks the attention signal is on screen before its cost is measured: the rows flash and the
/// ring pulses (the strip flashes only on the other screens).
async fn assert_flashing(desktop: &Desktop, rows: usize) -> Result<()> {
    let parts = format!(
        "({{ rows: document.querySelectorAll('.alarm-row.esc-unacknowledged, .alarm-row.esc-overdue').length >= {rows},
            ring: !!document.querySelector('.alarm-ring.flashing') }})"
    );
    let all = format!("(() => {{ const p = {parts}; return p.rows && p.ring; }})()");
    if desktop.wait_for(&all, Duration::from_secs(30)).await.is_err() {
        let seen = desktop.client.execute(&format!("return {parts}"), vec![]).await?;
        bail!("the alarm rows and ring do not all flash: {seen}");
    }
    Ok(())
}

struct Idle<'a> {
    plan: &'a Plan,
    states: Vec<Value>,
    storm: Option<Value>,
}

impl Idle<'_> {
    async fn measure(&mut self, root: u32, name: &str, alarms: bool, note: &str) -> Result<()> {
        eprintln!("bench: console_idle · {name}");
        let mut figures = procs::measure(root, self.plan.settle, self.plan.span).await?;
        figures["state"] = json!(name);
        figures["alarms_flashing"] = json!(alarms);
        figures["note"] = json!(note);
        eprintln!(
            "bench:   {} % of a core {}, {} MB {}",
            figures["cpu_percent"], figures["cpu_percent_by_process"], figures["pss_mb"], figures["pss_mb_by_process"]
        );
        self.states.push(figures);
        Ok(())
    }
}

/// 500 DC-09 frames a second from `vigil sim` (8 TCP connections, alarms of an unmapped panel that
/// fold into 8 incidents) into the window's own receiver while twenty P1 alarms flash on screen:
/// the sender measures each ACK; the window's CPU is measured over the same span.
async fn storm(vigil: &Path, desktop: &Desktop, root: u32, plan: &Plan) -> Result<Value> {
    let addr = desktop.dc09_address().await?.to_string();
    let seconds = plan.storm.as_secs().to_string();
    eprintln!("bench: console_idle · intake storm, 500 frames/s for {seconds} s, alarms flashing");
    let sender = tokio::process::Command::new(vigil)
        .args(["sim", "--dc09", &addr, "--json", "--rate", "500", "--duration", &seconds])
        .args(["--connections", "8", "--account", "1001", "--zones", "8"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("start vigil sim")?;
    let cpu = procs::measure(root, Duration::from_millis(500), plan.storm - Duration::from_secs(1)).await?;
    let out = sender.wait_with_output().await?;
    let summary: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("vigil sim said {:?}", String::from_utf8_lossy(&out.stdout)))?;
    eprintln!("bench:   ACK {} ms, window {} % of a core", summary["ack_ms"], cpu["cpu_percent"]);
    Ok(json!({
        "name": "dc09_intake_storm_window_flashing",
        "parameters": {"rate": 500, "seconds": plan.storm.as_secs(), "connections": 8, "receiver": "the window's own engine", "alarms_flashing": 20},
        "figures": {
            "sent": {"value": summary["sent"], "unit": "frames"},
            "achieved_rate": {"value": summary["rate"], "unit": "frames/s"},
            "ack_p50_ms": {"value": summary["ack_ms"]["p50"], "unit": "ms"},
            "ack_p99_ms": {"value": summary["ack_ms"]["p99"], "unit": "ms"},
            "ack_max_ms": {"value": summary["ack_ms"]["max"], "unit": "ms"},
            "target_p99_ms": {"value": 5, "unit": "ms"},
            "window_cpu_percent": {"value": cpu["cpu_percent"], "unit": "% of a core"}
        }
    }))
}

async fn idle_reference(vigil: &Path, work: &Path, idle: &mut Idle<'_>) -> Result<()> {
    let dir = work.join("reference");
    demo(vigil, &dir, 1)?;
    let (floor, points) = floor_points(&dir)?;
    let _snapshots = vigil_e2e::snapshot_server(vigil)?;
    let desktop = Desktop::launch(&dir, "zh_CN.UTF-8").await?;
    let root = desktop.root_pid().context("the window's process")?;
    let run = async {
        ready(&desktop).await?;
        desktop.testid("logout-button").await?.click().await?;
        desktop.wait_for("!document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;
        idle.measure(root, "login_screen", false, "the login screen, no open alarm").await?;

        desktop.login(OPERATOR.0, OPERATOR.1).await?;
        script(&desktop, "await window.__vigil.console.map.openCampus(); return true;", vec![]).await?;
        idle.measure(root, "desk_campus", false, "the alarm desk on the campus map, no open alarm").await?;

        // The settings screen as an administrator has it: the console accounts, the server card.
        hand_over(&desktop, ADMINISTRATOR).await?;
        script(&desktop, "window.__vigil.frame.stack.show('settings'); return true;", vec![]).await?;
        desktop
            .wait_for("!!document.querySelector('[data-testid=settings-user-demo-operator]')", Duration::from_secs(15))
            .await
            .context("the settings screen lists the accounts")?;
        idle.measure(root, "settings_screen", false, "the settings screen (F2) as an administrator, no open alarm")
            .await?;
        script(&desktop, "window.__vigil.frame.stack.show('alarms'); return true;", vec![]).await?;
        hand_over(&desktop, OPERATOR).await?;

        script(&desktop, "await window.__vigil.console.map.openFloor(arguments[0]); return true;", vec![json!(floor)])
            .await?;
        idle.measure(root, "desk_floor", false, "the alarm desk on the reference floor with the most alarm buttons")
            .await?;

        raise(&desktop, &points, 0, 1, 1).await?;
        assert_flashing(&desktop, 1).await?;
        idle.measure(
            root,
            "one_p1_flashing",
            true,
            "one P1 alarm, not acknowledged: its row flashes, its ring pulses, the siren sounds",
        )
        .await?;

        acknowledge_all(&desktop).await?;
        idle.measure(root, "one_p1_acknowledged", false, "the same alarm acknowledged, its panel open").await?;

        raise(&desktop, &points, 1, 20, 21).await?;
        assert_flashing(&desktop, 20).await?;
        idle.measure(root, "twenty_p1_flashing", true, "twenty more P1 alarms, not acknowledged, on one floor").await?;

        idle.storm = Some(storm(vigil, &desktop, root, idle.plan).await?);
        assert_flashing(&desktop, 20).await?;

        desktop.testid("lock-button").await?.click().await?;
        desktop.wait_for("!document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;
        idle.measure(root, "lock_screen_alarms", true, "the lock screen over twenty unacknowledged alarms").await?;
        desktop.testid("login-pin").await?.send_keys(OPERATOR.1).await?;
        desktop.testid("login-submit").await?.click().await?;
        desktop.wait_for("document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;

        acknowledge_all(&desktop).await?;
        // The incident with the most cameras that have snapshots, selected: its pictures refresh.
        let chosen = script(
            &desktop,
            "const v = window.__vigil; let best = null, most = 0;
             for (const i of await v.api.incidents()) {
               const d = await v.api.incidentDetail(i.id, 'zh');
               const n = d.cameras.filter(c => c.snapshot_url && !c.stream_url).length;
               if (n > most) { most = n; best = i.id; }
             }
             if (best) v.console.alarms.select(best);
             return { id: best, cameras: most };",
            vec![],
        )
        .await?;
        if chosen["cameras"].as_u64().unwrap_or(0) > 0 {
            desktop
                .wait_for(
                    "[...document.querySelectorAll('img.snapshot')].some(i => i.complete && i.naturalWidth > 0)",
                    Duration::from_secs(15),
                )
                .await
                .context("a camera snapshot is shown")?;
        }
        let note = format!("21 alarms acknowledged, one selected with {} cameras refreshing", chosen["cameras"]);
        idle.measure(root, "snapshots_refreshing", false, &note).await?;

        desktop.close_all().await?;
        idle.measure(root, "desk_after_closing", false, "every alarm closed: what the window kept").await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit().await?;
    run
}

/// Each state's CPU and PSS as figures of their own.
fn state_figures(states: &[Value]) -> serde_json::Map<String, Value> {
    let mut figures = serde_json::Map::new();
    for s in states {
        let name = s["state"].as_str().unwrap_or("?");
        figures.insert(format!("{name}_cpu_percent"), json!({"value": s["cpu_percent"], "unit": "% of a core"}));
        figures.insert(format!("{name}_pss_mb"), json!({"value": s["pss_mb"], "unit": "MB"}));
    }
    figures
}

async fn run_crowded(vigil: &Path, plan: &Plan, work: &Path) -> Result<Value> {
    let mut idle = Idle { plan, states: Vec::new(), storm: None };
    let devices = idle_crowded(vigil, plan, work, &mut idle).await?;
    let cpu = |name: &str| idle.states.iter().find(|s| s["state"] == name).and_then(|s| s["cpu_percent"].as_f64());
    let mut figures = state_figures(&idle.states);
    figures.insert("cpu_no_alarm_percent".into(), json!({"value": cpu("crowded_floor"), "unit": "% of a core"}));
    figures.insert("target_cpu_no_alarm_percent".into(), json!({"value": 5, "unit": "% of a core"}));
    figures.insert("cpu_flashing_percent".into(), json!({"value": cpu("crowded_floor_one_p1"), "unit": "% of a core"}));
    figures.insert("target_cpu_flashing_percent".into(), json!({"value": 25, "unit": "% of a core"}));
    Ok(json!({
        "name": "console_crowded_floor",
        "parameters": {
            "devices_on_floor": devices, "scale": plan.group_scale, "settle_seconds": plan.settle.as_secs(),
            "seconds_per_state": plan.span.as_secs(), "rendering": "software (Xvfb)"
        },
        "figures": figures,
        "states": idle.states,
    }))
}

async fn idle_crowded(vigil: &Path, plan: &Plan, work: &Path, idle: &mut Idle<'_>) -> Result<i64> {
    let dir = work.join("group");
    demo(vigil, &dir, plan.group_scale)?;
    let (floor, devices) = vigil_e2e::stress_floor(&dir)?;
    let (_, points) = floor_points(&dir)?;
    let desktop = Desktop::launch(&dir, "zh_CN.UTF-8").await?;
    let root = desktop.root_pid().context("the window's process")?;
    let run = async {
        ready(&desktop).await?;
        script(&desktop, "await window.__vigil.console.map.openFloor(arguments[0]); return true;", vec![json!(floor)])
            .await?;
        idle.measure(root, "crowded_floor", false, &format!("{devices} devices on one floor, no open alarm")).await?;
        raise(&desktop, &points, 0, 1, 1).await?;
        assert_flashing(&desktop, 1).await?;
        idle.measure(root, "crowded_floor_one_p1", true, &format!("one P1 flashing among {devices} devices")).await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    desktop.quit().await?;
    run.map(|()| devices)
}

/// An empty Tauri window, started straight (no WebDriver), measured the same way.
async fn empty_window(binary: &Path, plan: &Plan) -> Result<Value> {
    if !binary.exists() {
        bail!("{} does not exist: cargo build --example empty_window -p vigil-desktop", binary.display());
    }
    let mut child = tokio::process::Command::new(binary)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("start the empty window")?;
    let root = child.id().context("the empty window's process")?;
    eprintln!("bench: console_idle · empty_tauri_window");
    let mut figures = procs::measure(root, plan.settle + Duration::from_secs(3), plan.span).await?;
    if figures["pss_mb_by_process"].get("WebKitWebProces").is_none() {
        bail!("the empty window started no web process: {figures}");
    }
    figures["state"] = json!("empty_tauri_window");
    figures["alarms_flashing"] = json!(false);
    figures["note"] = json!("an empty Tauri window on this machine: the floor under every figure");
    eprintln!("bench:   {} % of a core, {} MB", figures["cpu_percent"], figures["pss_mb"]);
    // Gone, with its web processes, before the console's window starts.
    child.kill().await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !procs::window_pids(root).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(figures)
}

async fn run_idle(args: &Args, vigil: &Path, plan: &Plan, work: &Path) -> Result<(Value, Option<Value>)> {
    let mut idle = Idle { plan, states: Vec::new(), storm: None };
    let empty = empty_window(&abs(&args.empty_window), plan).await?;
    idle.states.push(empty.clone());
    idle_reference(vigil, work, &mut idle).await?;
    let worst = |flashing: bool| {
        idle.states
            .iter()
            .filter(|s| s["state"] != "empty_tauri_window" && s["alarms_flashing"] == flashing)
            .filter_map(|s| s["cpu_percent"].as_f64())
            .fold(0.0, f64::max)
    };
    let reference_peak = idle
        .states
        .iter()
        .filter(|s| s["state"] != "empty_tauri_window")
        .filter_map(|s| s["pss_mb"].as_f64())
        .fold(0.0, f64::max);
    let mut figures = state_figures(&idle.states);
    figures.insert("worst_cpu_no_alarm_percent".into(), json!({"value": worst(false), "unit": "% of a core"}));
    figures.insert("target_cpu_no_alarm_percent".into(), json!({"value": 5, "unit": "% of a core"}));
    figures.insert("worst_cpu_flashing_percent".into(), json!({"value": worst(true), "unit": "% of a core"}));
    figures.insert("target_cpu_flashing_percent".into(), json!({"value": 25, "unit": "% of a core"}));
    figures.insert("reference_peak_pss_mb".into(), json!({"value": reference_peak, "unit": "MB"}));
    figures.insert("target_reference_pss_mb".into(), json!({"value": 250, "unit": "MB"}));
    figures.insert(
        "reference_peak_above_empty_window_mb".into(),
        json!({"value": round1(reference_peak - empty["pss_mb"].as_f64().unwrap_or(0.0)), "unit": "MB"}),
    );
    let storm = idle.storm.take();
    Ok((
        json!({
            "name": "console_idle",
            "parameters": {
                "settle_seconds": plan.settle.as_secs(), "seconds_per_state": plan.span.as_secs(),
                "rendering": "software (Xvfb)",
                "processes": "vigil-desktop + WebKitWebProcess + WebKitNetworkProcess"
            },
            "figures": figures,
            "states": idle.states,
        }),
        storm,
    ))
}

/// Handles the selected incident through the keyboard as an operator does: acknowledge,
/// dispatch a guard, a note, close as a test; waits until its row has left the list.
async fn handle_selected(desktop: &Desktop, id: &str) -> Result<()> {
    let state = |s: &str| format!("document.querySelector('[data-testid=incident-state][data-state={s}]')");
    let ensure = format!(
        "(() => {{ const a = window.__vigil.console.alarms; if (a.selected?.id !== '{id}') a.select('{id}'); return document.querySelector('[data-testid=incident-panel]')?.textContent && a.selected?.id === '{id}'; }})()"
    );
    desktop.wait_for(&ensure, Duration::from_secs(10)).await?;
    let now = desktop.client.execute("return window.__vigil.console.alarms.selected?.state ?? null", vec![]).await?;
    if now == json!("new") {
        desktop.press('a').await?;
        desktop.wait_for(&state("acknowledged"), Duration::from_secs(10)).await?;
    }
    // Typed on the focused field, as an operator does: no element handle is taken (see
    // `Desktop::wait_focus`), so the session keeps no old panel alive.
    desktop.press('d').await?;
    desktop.wait_focus("dispatch-guard").await?;
    desktop.type_text("G0001\u{E007}").await?;
    desktop.wait_for(&state("dispatched"), Duration::from_secs(10)).await?;
    desktop.press('n').await?;
    desktop.wait_focus("note-text").await?;
    desktop.type_text("handled on scene\u{E007}").await?;
    desktop
        .wait_for("document.querySelector('[data-testid=timeline] [data-kind=note]')", Duration::from_secs(10))
        .await?;
    desktop.close_with_keys(id, '3').await
}

/// One minute of the soak: its lowest reading (what the window keeps) and its highest PSS.
struct Sample {
    minute: f64,
    handled: u64,
    reading: Reading,
    highest_mb: f64,
}

impl Sample {
    fn of(minute: f64, handled: u64, readings: Vec<Reading>) -> Sample {
        let highest_mb = readings.iter().map(Reading::pss_mb).fold(0.0, f64::max);
        let reading = readings
            .into_iter()
            .min_by(|a, b| a.pss_mb().total_cmp(&b.pss_mb()))
            .expect("a minute holds at least one reading");
        Sample { minute, handled, reading, highest_mb }
    }
}

fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        f64::NAN
    } else {
        sxy / sxx
    }
}

async fn run_soak(vigil: &Path, plan: &Plan, work: &Path, alarm_every: u64, cache_mib: Option<u32>) -> Result<Value> {
    let dir = work.join("soak");
    demo(vigil, &dir, 1)?;
    if let Some(mib) = cache_mib {
        let settings = dir.join("vigil.toml");
        let text = std::fs::read_to_string(&settings)?;
        std::fs::write(&settings, format!("{text}[store]\ncache_mib = {mib}\n"))?;
    }
    std::env::set_var("VIGIL_DEMO", "1");
    std::env::set_var("VIGIL_DEMO_ALARM_SECONDS", alarm_every.to_string());
    let desktop = Desktop::launch(&dir, "zh_CN.UTF-8").await;
    std::env::remove_var("VIGIL_DEMO");
    std::env::remove_var("VIGIL_DEMO_ALARM_SECONDS");
    let desktop = desktop?;
    let root = desktop.root_pid().context("the window's process")?;
    let run = async {
        ready(&desktop).await?;
        let started = Instant::now();
        let start = procs::read(root)?;
        let mut samples = vec![Sample::of(0.0, 0, vec![start.clone()])];
        // Read every few seconds, kept per minute as its lowest and highest reading: the web
        // process gives its freed heap back every 30 s, so one reading a minute would say as much
        // about where it fell against those trims as about what the window keeps.
        let mut minute: Vec<Reading> = Vec::new();
        let every_reading = plan.sample_every / 6;
        let mut next_reading = Instant::now() + every_reading;
        let mut next_sample = Instant::now() + plan.sample_every;
        let mut handled = 0u64;
        let mut locks = 0u64;
        eprintln!("bench: console_soak for {:.0} min, an alarm every {alarm_every} s", plan.soak.as_secs_f64() / 60.0);
        while started.elapsed() < plan.soak {
            if Instant::now() >= next_reading {
                minute.push(procs::read(root)?);
                next_reading += every_reading;
            }
            if Instant::now() >= next_sample && !minute.is_empty() {
                let sample = Sample::of(started.elapsed().as_secs_f64() / 60.0, handled, std::mem::take(&mut minute));
                eprintln!(
                    "bench:   {:5.1} min, {handled} alarms handled, {:.1} MB (highest {:.1})",
                    sample.minute,
                    sample.reading.pss_mb(),
                    sample.highest_mb
                );
                samples.push(sample);
                next_sample += plan.sample_every;
            }
            let open =
                desktop.client.execute("return window.__vigil.console.alarms.incidents.map(i => i.id)", vec![]).await?;
            let Some(id) = open.as_array().and_then(|a| a.first()).and_then(Value::as_str).map(str::to_owned) else {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            };
            if let Err(error) = handle_selected(&desktop, &id).await {
                // What the window showed when it could not be handled: a screenshot and its words.
                let shot = workspace_root().join("target/console_soak_failure.png");
                let _ = desktop.screenshot(&shot).await;
                let seen = desktop
                    .client
                    .execute(
                        "return { locked: !document.querySelector('.login-overlay').hidden,
                                  message: document.querySelector('[data-testid=console-message]')?.textContent,
                                  state: document.querySelector('[data-testid=incident-state]')?.dataset.state }",
                        vec![],
                    )
                    .await
                    .unwrap_or_default();
                return Err(
                    error.context(format!("handle incident {id}; the window showed {seen} ({})", shot.display()))
                );
            }
            handled += 1;
            if handled.is_multiple_of(10) {
                // Lock and unlock, as a shift change or a break does.
                desktop.testid("lock-button").await?.click().await?;
                desktop.wait_for("!document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;
                desktop.wait_focus("login-pin").await?;
                desktop.type_text(&format!("{}\u{E007}", OPERATOR.1)).await?;
                desktop.wait_for("document.querySelector('.login-overlay').hidden", Duration::from_secs(10)).await?;
                locks += 1;
            }
        }
        let last = procs::read(root)?;
        minute.push(last.clone());
        samples.push(Sample::of(started.elapsed().as_secs_f64() / 60.0, handled, minute));
        let model = desktop
            .client
            .execute("return window.__vigil.console.memoryModel ? window.__vigil.console.memoryModel() : null", vec![])
            .await?;
        Ok::<_, anyhow::Error>((samples, handled, locks, model, start, last))
    }
    .await;
    desktop.quit().await?;
    let (samples, handled, locks, model, start, end) = run?;
    let first = samples.first().context("no sample")?;
    let last = samples.last().context("no sample")?;
    let warm_minutes = plan.warm_up.as_secs_f64() / 60.0;
    let after: Vec<&Sample> = samples.iter().filter(|s| s.minute >= warm_minutes).collect();
    let points: Vec<(f64, f64)> = after.iter().map(|s| (s.handled as f64, s.reading.pss_mb())).collect();
    let per_thousand = slope(&points) * 1000.0;
    let peak = samples.iter().map(|s| s.highest_mb).fold(0.0, f64::max);
    let cpu = procs::cpu_seconds(&start, &end);
    let series: Vec<Value> = samples
        .iter()
        .map(|s| {
            json!({
                "minute": round1(s.minute), "handled": s.handled, "pss_mb": round1(s.reading.pss_mb()),
                "pss_highest_mb": round1(s.highest_mb), "pss_mb_by_process": s.reading.pss_by_name()
            })
        })
        .collect();
    let name = cache_mib.map_or_else(|| "console_soak".to_owned(), |mib| format!("console_soak_store_cache_{mib}_mib"));
    Ok(json!({
        "name": name,
        "parameters": {
            "store_cache_mib": cache_mib.unwrap_or(vigil_store::DEFAULT_CACHE_MIB),
            "minutes": round1(last.minute), "alarm_every_seconds": alarm_every, "warm_up_minutes": warm_minutes,
            "handled_through": "the window's keyboard: A, D + guard, N + note, C + category",
            "locks": locks, "alarms_handled": handled
        },
        "figures": {
            "alarms_handled": {"value": handled, "unit": "alarms"},
            "pss_start_mb": {"value": round1(first.reading.pss_mb()), "unit": "MB"},
            "pss_end_mb": {"value": round1(last.reading.pss_mb()), "unit": "MB"},
            "pss_peak_mb": {"value": round1(peak), "unit": "MB"},
            "pss_slope_mb_per_1000_alarms": {"value": round1(per_thousand), "unit": "MB"},
            "target_slope_mb_per_1000_alarms": {"value": 2, "unit": "MB"},
            "cpu_seconds_per_alarm": {"value": (cpu / handled.max(1) as f64 * 100.0).round() / 100.0, "unit": "s"},
            "cpu_average_percent": {"value": round1(procs::cpu_share(&start, &end) * 100.0), "unit": "% of a core"}
        },
        "window_model_at_end": model,
        "samples": series,
    }))
}

fn abs(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        workspace_root().join(p)
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let (vigil, out) = (abs(&args.vigil), abs(&args.out));
    std::env::set_var("VIGIL_DESKTOP_BIN", abs(&args.desktop));
    std::env::set_var("VIGIL_BIN", &vigil);
    let plan = if args.quick {
        Plan {
            settle: Duration::from_secs(4),
            span: Duration::from_secs(8),
            storm: Duration::from_secs(5),
            group_scale: 2,
            soak: Duration::from_secs_f64(args.soak_minutes.unwrap_or(2.0) * 60.0),
            sample_every: Duration::from_secs(15),
            warm_up: Duration::from_secs(30),
        }
    } else {
        Plan {
            settle: Duration::from_secs(10),
            span: Duration::from_secs(60),
            storm: Duration::from_secs(30),
            group_scale: 20,
            soak: Duration::from_secs_f64(args.soak_minutes.unwrap_or(30.0) * 60.0),
            sample_every: Duration::from_secs(60),
            warm_up: Duration::from_secs(5 * 60),
        }
    };
    let work = tempfile::tempdir()?;
    let mut results = Vec::new();
    if matches!(args.run, Which::Idle | Which::All) {
        let (idle, storm) = run_idle(&args, &vigil, &plan, work.path()).await?;
        results.push(idle);
        results.extend(storm);
    }
    if matches!(args.run, Which::Crowded | Which::All) {
        results.push(run_crowded(&vigil, &plan, work.path()).await?);
    }
    if matches!(args.run, Which::Soak | Which::All) {
        results.push(run_soak(&vigil, &plan, work.path(), 4, args.soak_cache_mib).await?);
    }
    let markdown_path = vigil_e2e::report::write(&out, results, args.quick)?;
    eprintln!("bench: wrote {} and {}", out.join("results.json").display(), markdown_path.display());
    Ok(())
}
