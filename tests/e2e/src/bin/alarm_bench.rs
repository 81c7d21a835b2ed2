//! `vigil-alarm-bench`: alarm to operator. A DC-09 frame is written to the window's own receiver;
//! the time runs until its incident's row is on screen in the real `vigil-desktop` window (the
//! first animation frame after the row entered the document) and the siren has started — whichever
//! is later. Over many alarms, on the reference hospital and with a hospital group's devices all on
//! the alarm's floor. Writes into results.json and BENCHMARKS.md. Run under Xvfb (scripts/bench.sh).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};
use vigil_e2e::alarm::{connect, contact_id, send_and_ack};
use vigil_e2e::report::percentile;
use vigil_e2e::{workspace_root, Desktop};
use vigil_store::{IncidentFilter, Store};

#[derive(Parser)]
#[command(about = "Alarm-to-operator latency in the real Vigil window")]
struct Args {
    /// The `vigil` command line binary.
    #[arg(long, default_value = "target/debug/vigil")]
    vigil: PathBuf,
    /// The desktop binary.
    #[arg(long, default_value = "target/debug/vigil-desktop")]
    desktop: PathBuf,
    /// Folder for results.json; with `bench`, the Markdown goes to BENCHMARKS.md at the root.
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// A short, bounded run for CI: fewer alarms, a smaller group.
    #[arg(long)]
    quick: bool,
}

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The siren's "started" events after `since` (ms since 1970), from the window's attention log.
async fn siren_started_after(desktop: &Desktop, since: f64) -> Result<Option<f64>> {
    let log = desktop
        .run_async(
            "const done = arguments[arguments.length - 1]; window.__vigil.api.attentionLog().then(done, () => done(null));",
            vec![],
        )
        .await?;
    Ok(log["siren"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["event"] == "started")
        .filter_map(|e| e["at_ms"].as_f64())
        .find(|t| *t + 1.0 >= since))
}

/// Runs `alarms` alarms one after another on the hospital in `dir`; returns each latency (ms) of
/// the row, the siren, and the later of the two.
async fn measure(dir: &Path, alarms: usize) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    std::fs::write(
        dir.join("vigil.toml"),
        "[http]\nlisten = \"127.0.0.1:0\"\n[dc09]\ntcp = \"127.0.0.1:0\"\nudp = \"127.0.0.1:0\"\n[incidents]\nacknowledge_within_seconds = 3600\n[ui]\nlock_after_minutes = 0\n",
    )?;
    let points = Store::open(&dir.join("vigil.db"))?.dc09_addresses()?;
    if points.is_empty() {
        bail!("the hospital has no DC-09 alarm points");
    }
    let desktop = Desktop::launch(dir, "zh_CN.UTF-8").await?;
    let result = async {
        desktop.wait_ready().await?;
        desktop.login("demo-operator", "2468").await?;
        let mut panel = connect(desktop.dc09_address().await?).await?;
        let store = Store::open(&dir.join("vigil.db"))?;
        let (mut rows, mut sirens, mut both) = (Vec::new(), Vec::new(), Vec::new());
        for n in 0..alarms {
            let (account, zone, _) = &points[n % points.len()];
            let frame = contact_id(account, *zone, 120, u16::try_from(n % 9999 + 1).unwrap_or(1));
            let sent = now_ms();
            send_and_ack(&mut panel, &frame).await?;
            let id = store.incidents(IncidentFilter::Open, 1)?.pop().context("an incident for the alarm")?.incident.id;
            let deadline = Instant::now() + Duration::from_secs(30);
            let (row, siren) = loop {
                let row = desktop
                    .client
                    .execute("return window.__vigil.console.alarms.firstShown.get(arguments[0]) ?? null", vec![json!(id)])
                    .await?
                    .as_f64();
                let siren = siren_started_after(&desktop, sent).await?;
                if let (Some(r), Some(s)) = (row, siren) {
                    break (r, s);
                }
                if Instant::now() > deadline {
                    bail!("alarm {n}: row {row:?}, siren {siren:?} after 30 s");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            rows.push(row - sent);
            sirens.push(siren - sent);
            both.push(row.max(siren) - sent);
            // Answer it, so the next alarm starts the siren afresh and the list stays short.
            desktop
                .run_async(
                    "const done = arguments[arguments.length - 1]; window.__vigil.api.act(arguments[0], { action: 'close', category: 'test' }).then(() => done(true), (e) => done(String(e)));",
                    vec![json!(id)],
                )
                .await?;
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let siren = desktop
                    .run_async("const done = arguments[arguments.length - 1]; window.__vigil.api.siren().then(done, () => done(null));", vec![])
                    .await?;
                if siren["playing"].is_null() && !siren.is_null() {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("alarm {n}: the siren did not stop after the incident was closed");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        Ok::<_, anyhow::Error>((rows, sirens, both))
    }
    .await;
    desktop.quit().await?;
    result
}

fn figures(name: &str, params: Value, (rows, sirens, both): (Vec<f64>, Vec<f64>, Vec<f64>)) -> Value {
    let ms = |v: f64| json!({ "value": round(v), "unit": "ms" });
    json!({
        "name": name,
        "parameters": params,
        "figures": {
            "p50_ms": ms(percentile(&both, 50.0)),
            "p99_ms": ms(percentile(&both, 99.0)),
            "max_ms": ms(percentile(&both, 100.0)),
            "row_p50_ms": ms(percentile(&rows, 50.0)),
            "row_p99_ms": ms(percentile(&rows, 99.0)),
            "siren_p50_ms": ms(percentile(&sirens, 50.0)),
            "siren_p99_ms": ms(percentile(&sirens, 99.0)),
            "target_p99_ms": { "value": 100, "unit": "ms" },
        }
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let root = workspace_root();
    let abs = |p: &Path| if p.is_absolute() { p.to_owned() } else { root.join(p) };
    let (vigil, desktop_bin, out) = (abs(&args.vigil), abs(&args.desktop), abs(&args.out));
    std::env::set_var("VIGIL_DESKTOP_BIN", &desktop_bin);
    std::env::set_var("VIGIL_BIN", &vigil);
    let (alarms, scale) = if args.quick { (10, 2) } else { (100, 20) };
    let work = tempfile::tempdir()?;
    let mut results = Vec::new();

    let demo = |dir: &Path, scale: u32| -> Result<()> {
        let status = std::process::Command::new(&vigil)
            .args(["demo", "--data-dir"])
            .arg(dir)
            .args(["--scale", &scale.to_string()])
            .stdout(std::process::Stdio::null())
            .status()?;
        if !status.success() {
            bail!("vigil demo --scale {scale} failed");
        }
        Ok(())
    };

    eprintln!("bench: {alarms} alarms to the operator on the reference hospital");
    let hospital = work.path().join("hospital");
    demo(&hospital, 1)?;
    let devices: i64 =
        rusqlite::Connection::open(hospital.join("vigil.db"))?
            .query_row("SELECT count(*) FROM devices", [], |r| r.get(0))?;
    results.push(figures(
        "alarm_to_operator",
        json!({ "alarms": alarms, "devices": devices, "transport": "DC-09 TCP, Contact ID panic" }),
        measure(&hospital, alarms).await?,
    ));

    eprintln!("bench: {alarms} alarms with a hospital group's devices on the alarm's floor");
    let group = work.path().join("group");
    demo(&group, scale)?;
    let (_, crowded) = vigil_e2e::stress_floor(&group)?;
    results.push(figures(
        "alarm_to_operator_crowded_floor",
        json!({ "alarms": alarms, "devices_on_floor": crowded, "scale": scale, "transport": "DC-09 TCP, Contact ID panic" }),
        measure(&group, alarms).await?,
    ));

    for r in &results {
        eprintln!("{}: {}", r["name"], r["figures"]);
    }
    let markdown = vigil_e2e::report::write(&out, results, args.quick)?;
    eprintln!("bench: wrote {}", markdown.display());
    Ok(())
}
