//! `vigil-map-bench`: the map and demo benchmarks, measured in the real webview of `vigil-desktop`
//! (WebKitWebDriver, `performance.now()`), with a plain Leaflet DOM-marker layer on the same data
//! for comparison. Writes `results.json` and a Markdown table. Run it under Xvfb (scripts/bench.sh).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};
use vigil_e2e::{workspace_root, Desktop};

#[derive(Parser)]
#[command(about = "Map and demo benchmarks in the real Vigil window")]
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
    /// A short, bounded run for CI: smaller data, fewer repetitions.
    #[arg(long)]
    quick: bool,
    /// Only rewrite the Markdown from an existing results.json in --out.
    #[arg(long)]
    render_only: bool,
}

struct Plan {
    runs: usize,
    steps: usize,
    dom_frames: usize,
    group_scale: u32,
    dom_limit: usize,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        return f64::NAN;
    }
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[rank.min(values.len() - 1)]
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn numbers(value: &Value, key: &str) -> Vec<f64> {
    value.as_array().map(|a| a.iter().filter_map(|v| v[key].as_f64()).collect()).unwrap_or_default()
}

/// Times `vigil demo --scale N` (a fresh directory each run); returns the last directory.
fn bench_demo(vigil: &Path, scale: u32, runs: usize, root: &Path) -> Result<(Value, PathBuf)> {
    let mut seconds = Vec::new();
    let mut devices = 0;
    let mut dir = root.join("group-0");
    for run in 0..runs {
        dir = root.join(format!("group-{run}"));
        let started = Instant::now();
        let out = Command::new(vigil)
            .args(["demo", "--data-dir", dir.to_str().context("utf-8 path")?, "--scale", &scale.to_string(), "--json"])
            .output()
            .with_context(|| format!("run {}", vigil.display()))?;
        seconds.push(started.elapsed().as_secs_f64());
        if !out.status.success() {
            bail!("vigil demo failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let summary: Value = serde_json::from_slice(&out.stdout)?;
        devices = summary["devices"].as_u64().unwrap_or(0);
    }
    let result = json!({
        "name": "vigil_demo_scale",
        "parameters": {"scale": scale, "runs": runs, "devices": devices},
        "figures": {"median_seconds": {"value": round(median(&mut seconds) * 100.0) / 100.0, "unit": "s"}, "target_seconds": {"value": 30, "unit": "s"}}
    });
    Ok((result, dir))
}

const FRAME: &str = "const frame = () => new Promise(r => requestAnimationFrame(() => r()));";

async fn open_floor_times(desktop: &Desktop, floor: &str, other: &str, runs: usize) -> Result<Value> {
    let script = format!(
        "const done = arguments[arguments.length - 1]; {FRAME}
         const m = window.__vigil.console.map;
         (async () => {{
           const out = [];
           for (let i = 0; i < arguments[0]; i++) {{
             await m.openFloor(arguments[2]); await frame();
             const t0 = performance.now();
             const r = await m.openFloor(arguments[1]);
             await frame(); await frame();
             out.push({{ ms: performance.now() - t0, devices: r.devices, draw: r.draw.ms }});
           }}
           done(out);
         }})().catch(e => done(String(e)));"
    );
    desktop.run_async(&script, vec![json!(runs), json!(floor), json!(other)]).await
}

async fn building_paint_times(desktop: &Desktop, building: &str, runs: usize) -> Result<Value> {
    let script = format!(
        "const done = arguments[arguments.length - 1]; {FRAME}
         const v = window.__vigil; const m = v.console.map;
         (async () => {{
           const b = m.findBuilding(arguments[1]).building;
           const out = [];
           for (let i = 0; i < arguments[0]; i++) {{
             await m.openFloor(b.floors[0].id); await frame();
             const t0 = performance.now();
             const parts = await Promise.all(b.floors.map(f => v.api.floorDevices(f.id)));
             const all = {{ floor_id: b.floors[0].id, plan: parts[0].plan, ids: [], codes: [], kinds: [], statuses: [], xs: [], ys: [], headings: [], fovs: [], ranges: [] }};
             for (const p of parts) for (const k of ['ids','codes','kinds','statuses','xs','ys','headings','fovs','ranges']) for (const x of p[k]) all[k].push(x);
             m.layer.setData(all);
             await frame(); await frame();
             out.push({{ ms: performance.now() - t0, devices: all.ids.length, draw: m.layer.lastDraw.ms }});
           }}
           done(out);
         }})().catch(e => done(String(e)));"
    );
    desktop.run_async(&script, vec![json!(runs), json!(building)]).await
}

/// Pans or zooms a little on every animation frame for `frames` frames and records the intervals
/// between frames (and the device layer's own draw time in each), as an operator dragging the map
/// or turning the wheel would see them.
async fn frame_times(desktop: &Desktop, mode: &str, frames: usize) -> Result<Value> {
    let script = "const done = arguments[arguments.length - 1];
         const m = window.__vigil.console.map; const map = m.map; const layer = m.layer;
         const mode = arguments[0]; const frames = arguments[1];
         const base = map.getZoom(); const intervals = [], draws = [];
         let last = null, n = 0, lastDraw = null;
         const tick = (ts) => {
           if (last !== null) intervals.push(ts - last);
           if (layer.lastDraw !== lastDraw && last !== null) draws.push(layer.lastDraw.ms);
           lastDraw = layer.lastDraw; last = ts;
           if (++n > frames) { map.setZoom(base, { animate: false }); return done({ intervals, draws }); }
           if (mode === 'pan') map.panBy([n % 40 < 20 ? 12 : -12, n % 60 < 30 ? 6 : -6], { animate: false });
           else map.setZoom(base + 2 * Math.abs(Math.sin(n / 12)), { animate: false });
           requestAnimationFrame(tick);
         };
         requestAnimationFrame(tick);";
    desktop.run_async(script, vec![json!(mode), json!(frames)]).await
}

/// Replaces Vigil's device layer with plain Leaflet DOM markers (divIcon) for the same devices.
async fn dom_first_paint(desktop: &Desktop, limit: usize) -> Result<Value> {
    let script = format!(
        "const done = arguments[arguments.length - 1]; {FRAME}
         const v = window.__vigil; const L = v.leaflet; const m = v.console.map; const map = m.map;
         (async () => {{
           const d = m.layer.devices; const n = Math.min(arguments[0], d.ids.length);
           m.layer.remove(); await frame();
           const t0 = performance.now();
           const markers = [];
           for (let i = 0; i < n; i++) markers.push(L.marker([-d.ys[i], d.xs[i]], {{ icon: L.divIcon({{ className: 'dom-marker', iconSize: [8, 8] }}) }}));
           window.__domLayer = L.layerGroup(markers).addTo(map);
           await frame(); await frame();
           done({{ ms: performance.now() - t0, devices: n }});
         }})().catch(e => done(String(e)));"
    );
    desktop.run_async(&script, vec![json!(limit)]).await
}

fn check(value: &Value, what: &str) -> Result<()> {
    if let Some(error) = value.as_str() {
        bail!("{what} failed in the webview: {error}");
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let root = workspace_root();
    let abs = |p: &Path| {
        if p.is_absolute() {
            p.to_owned()
        } else {
            root.join(p)
        }
    };
    let (vigil, desktop_bin, out) = (abs(&args.vigil), abs(&args.desktop), abs(&args.out));
    if args.render_only {
        vigil_e2e::report::write(&out, Vec::new(), args.quick)?;
        return Ok(());
    }
    std::env::set_var("VIGIL_DESKTOP_BIN", &desktop_bin);
    std::env::set_var("VIGIL_BIN", &vigil);
    let plan = if args.quick {
        Plan { runs: 2, steps: 30, dom_frames: 10, group_scale: 2, dom_limit: 2_000 }
    } else {
        Plan { runs: 7, steps: 240, dom_frames: 6, group_scale: 20, dom_limit: usize::MAX }
    };
    let work = tempfile::tempdir()?;
    let mut results = Vec::new();

    // 1. vigil demo at group scale.
    eprintln!("bench: vigil demo --scale {}", plan.group_scale);
    let (demo, group_dir) = bench_demo(&vigil, plan.group_scale, if args.quick { 1 } else { 3 }, work.path())?;
    results.push(demo);

    // 2. First paint of the busiest floor and of a whole building, on the reference hospital.
    let reference = work.path().join("reference");
    let out_demo = Command::new(&vigil).args(["demo", "--data-dir", reference.to_str().context("utf-8")?]).output()?;
    if !out_demo.status.success() {
        bail!("vigil demo failed: {}", String::from_utf8_lossy(&out_demo.stderr));
    }
    let (busiest, busiest_code, other, building, building_code) = {
        let conn = rusqlite::Connection::open(reference.join("vigil.db"))?;
        let (busiest, code): (String, String) = conn.query_row(
            "SELECT d.floor_id, b.code || '-' || CASE WHEN f.level < 0 THEN 'B' || -f.level ELSE f.level || 'F' END
             FROM devices d JOIN floors f ON f.id = d.floor_id JOIN buildings b ON b.id = f.building_id
             GROUP BY d.floor_id ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let other: String = conn.query_row("SELECT id FROM floors WHERE id <> ?1 LIMIT 1", [&busiest], |r| r.get(0))?;
        let (building, building_code): (String, String) = conn.query_row(
            "SELECT b.id, b.code FROM devices d JOIN floors f ON f.id = d.floor_id JOIN buildings b ON b.id = f.building_id
             GROUP BY b.id ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        (busiest, code, other, building, building_code)
    };
    eprintln!("bench: first paint on the reference hospital (busiest floor {busiest_code}, building {building_code})");
    let desktop = Desktop::launch(&reference, "en_US.UTF-8").await?;
    desktop
        .client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(Some(Duration::from_secs(900)), None, None))
        .await?;
    let measured = async {
        desktop.wait_ready().await?;
        let floor = open_floor_times(&desktop, &busiest, &other, plan.runs).await?;
        check(&floor, "busiest floor")?;
        let whole = building_paint_times(&desktop, &building, plan.runs).await?;
        check(&whole, "whole building")?;
        Ok::<_, anyhow::Error>((floor, whole))
    }
    .await;
    desktop.quit().await?;
    let (floor, whole) = measured?;
    let devices = floor[0]["devices"].as_u64().unwrap_or(0);
    results.push(json!({
        "name": "first_paint_busiest_floor",
        "parameters": {"floor": busiest_code, "devices": devices, "runs": plan.runs},
        "figures": {
            "median_ms": {"value": round(median(&mut numbers(&floor, "ms"))), "unit": "ms"},
            "max_ms": {"value": round(percentile(&mut numbers(&floor, "ms"), 100.0)), "unit": "ms"},
            "layer_draw_median_ms": {"value": round(median(&mut numbers(&floor, "draw"))), "unit": "ms"},
            "target_ms": {"value": 300, "unit": "ms"}
        }
    }));
    results.push(json!({
        "name": "first_paint_whole_building",
        "parameters": {"building": building_code, "devices": whole[0]["devices"], "runs": plan.runs},
        "figures": {
            "median_ms": {"value": round(median(&mut numbers(&whole, "ms"))), "unit": "ms"},
            "max_ms": {"value": round(percentile(&mut numbers(&whole, "ms"), 100.0)), "unit": "ms"},
            "target_ms": {"value": 300, "unit": "ms"}
        }
    }));

    // 3. Pan and zoom with every device of the group on one floor; then plain DOM markers.
    let (stress, stress_n) = vigil_e2e::stress_floor(&group_dir)?;
    eprintln!("bench: pan and zoom with {stress_n} devices on one floor");
    let desktop = Desktop::launch(&group_dir, "en_US.UTF-8").await?;
    desktop
        .client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(Some(Duration::from_secs(1800)), None, None))
        .await?;
    let measured = async {
        desktop.wait_ready().await?;
        let first = desktop
            .run_async(
                &format!("const done = arguments[arguments.length - 1]; {FRAME} const m = window.__vigil.console.map; const t0 = performance.now(); m.openFloor(arguments[0]).then(async r => {{ await frame(); await frame(); done({{ ms: performance.now() - t0, devices: r.devices }}); }}).catch(e => done(String(e)));"),
                vec![json!(stress)],
            )
            .await?;
        check(&first, "stress floor")?;
        let pan = frame_times(&desktop, "pan", plan.steps).await?;
        check(&pan, "pan frames")?;
        let zoom = frame_times(&desktop, "zoom", plan.steps).await?;
        check(&zoom, "zoom frames")?;
        // The same map with no devices at all: how fast this machine's webview paints frames anyway.
        desktop.client.execute("window.__vigil.console.map.layer.remove()", vec![]).await?;
        let empty = frame_times(&desktop, "pan", plan.steps).await?;
        check(&empty, "empty frames")?;
        let empty_zoom = frame_times(&desktop, "zoom", plan.steps).await?;
        check(&empty_zoom, "empty zoom frames")?;
        desktop.client.execute("window.__vigil.console.map.layer.addTo(window.__vigil.console.map.map)", vec![]).await?;
        let dom_first = dom_first_paint(&desktop, plan.dom_limit).await?;
        check(&dom_first, "DOM markers")?;
        let dom_pan = frame_times(&desktop, "pan", plan.dom_frames).await?;
        check(&dom_pan, "DOM pan frames")?;
        let dom_zoom = frame_times(&desktop, "zoom", plan.dom_frames).await?;
        check(&dom_zoom, "DOM zoom frames")?;
        Ok::<_, anyhow::Error>((first, pan, zoom, empty, empty_zoom, dom_first, dom_pan, dom_zoom))
    }
    .await;
    desktop.quit().await?;
    let (first, pan, zoom, empty, empty_zoom, dom_first, dom_pan, dom_zoom) = measured?;
    let series = |v: &Value, key: &str| -> Vec<f64> {
        v[key].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
    };
    let mut draws = series(&pan, "draws");
    draws.extend(series(&zoom, "draws"));
    let first_ms = first["ms"].as_f64().unwrap_or(f64::NAN);
    let dom_first_ms = dom_first["ms"].as_f64().unwrap_or(f64::NAN);
    let pan_ms = median(&mut series(&pan, "intervals"));
    let zoom_ms = median(&mut series(&zoom, "intervals"));
    let empty_pan_ms = median(&mut series(&empty, "intervals"));
    let empty_zoom_ms = median(&mut series(&empty_zoom, "intervals"));
    let dom_pan_ms = median(&mut series(&dom_pan, "intervals"));
    let dom_zoom_ms = median(&mut series(&dom_zoom, "intervals"));
    results.push(json!({
        "name": "pan_zoom_one_floor",
        "parameters": {"devices": stress_n, "frames": plan.steps, "dom_markers": dom_first["devices"], "dom_frames": plan.dom_frames},
        "figures": {
            "first_paint_ms": {"value": round(first_ms), "unit": "ms"},
            "pan_frame_median_ms": {"value": round(pan_ms), "unit": "ms"},
            "pan_frame_p95_ms": {"value": round(percentile(&mut series(&pan, "intervals"), 95.0)), "unit": "ms"},
            "zoom_frame_median_ms": {"value": round(zoom_ms), "unit": "ms"},
            "zoom_frame_p95_ms": {"value": round(percentile(&mut series(&zoom, "intervals"), 95.0)), "unit": "ms"},
            "layer_draw_median_ms": {"value": round(median(&mut draws)), "unit": "ms"},
            "layer_draw_p95_ms": {"value": round(percentile(&mut draws, 95.0)), "unit": "ms"},
            "no_devices_pan_frame_median_ms": {"value": round(empty_pan_ms), "unit": "ms"},
            "no_devices_zoom_frame_median_ms": {"value": round(empty_zoom_ms), "unit": "ms"},
            "pan_step_above_no_devices_ms": {"value": round(pan_ms - empty_pan_ms), "unit": "ms"},
            "target_pan_step_above_no_devices_ms": {"value": 10, "unit": "ms"},
            "zoom_step_above_no_devices_ms": {"value": round(zoom_ms - empty_zoom_ms), "unit": "ms"},
            "target_zoom_step_above_no_devices_ms": {"value": 25, "unit": "ms"},
            "target_frame_ms": {"value": 16, "unit": "ms"},
            "dom_first_paint_ms": {"value": round(dom_first_ms), "unit": "ms"},
            "dom_pan_frame_median_ms": {"value": round(dom_pan_ms), "unit": "ms"},
            "dom_zoom_frame_median_ms": {"value": round(dom_zoom_ms), "unit": "ms"},
            "dom_vs_vigil_first_paint": {"value": round(dom_first_ms / first_ms), "unit": "ratio"},
            "dom_vs_vigil_pan_frame": {"value": round(dom_pan_ms / pan_ms), "unit": "ratio"},
            "dom_vs_vigil_zoom_frame": {"value": round(dom_zoom_ms / zoom_ms), "unit": "ratio"}
        }
    }));

    let markdown_path = vigil_e2e::report::write(&out, results, args.quick)?;
    eprintln!("bench: wrote {} and {}", out.join("results.json").display(), markdown_path.display());
    Ok(())
}
