//! `vigil-patrol-bench`: a month of a hospital group's patrols (`vigil demo --scale 20`, then
//! `vigil sim --patrol-days 30`: every checkpoint on its schedule, about two million check-ins),
//! and what a supervisor and the console ask of it: the month's compliance, one page of the
//! filtered log, the month's CSV export, a 100,000-row wand import, and the live round state after
//! a check-in. `--quick` runs the same on the reference hospital over two days, for CI.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(about = "Patrol benchmark: a month of check-ins at group scale")]
struct Args {
    #[arg(long, default_value = "target/debug/vigil")]
    vigil: PathBuf,
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// A short, bounded run for CI.
    #[arg(long)]
    quick: bool,
}

fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    (runs[runs.len() / 2] * 1000.0).round() / 1000.0
}

/// Runs `work` `n` times; the median in milliseconds.
fn timed_ms<T>(n: usize, mut work: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut runs = Vec::new();
    let mut last = None;
    for _ in 0..n {
        let started = Instant::now();
        last = Some(work()?);
        runs.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((median(runs), last.context("ran")?))
}

fn run(vigil: &PathBuf, args: &[&str]) -> Result<String> {
    let out = Command::new(vigil).args(args).output().with_context(|| format!("run vigil {args:?}"))?;
    if !out.status.success() {
        bail!("vigil {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn main() -> Result<()> {
    let args = Args::parse();
    let root = vigil_e2e::workspace_root();
    let vigil = if args.vigil.is_absolute() { args.vigil.clone() } else { root.join(&args.vigil) };
    let out = if args.out.is_absolute() { args.out.clone() } else { root.join(&args.out) };
    let (scale, days) = if args.quick { (1u32, 2u32) } else { (20, 30) };
    let work = tempfile::tempdir()?;
    let dir = work.path().join("group");
    let dir_s = dir.to_str().context("utf-8 path")?.to_owned();

    let started = Instant::now();
    // The hospital, its routes in force for the month, and every round of it walked by the demo's
    // simulated guards (what `vigil sim --patrol-days` does for days not walked yet).
    run(&vigil, &["demo", "--data-dir", &dir_s, "--scale", &scale.to_string(), "--patrol-days", &days.to_string()])?;
    let demo_s = started.elapsed().as_secs_f64();
    let sim: Value = serde_json::from_str(&run(
        &vigil,
        &["sim", "--patrol-days", &days.to_string(), "--data-dir", &dir_s, "--json"],
    )?)?;
    eprintln!("bench: demo and a month walked in {demo_s:.1} s; sim catching up {sim}");

    let ws = vigil_api::Workstation::open(&dir)?;
    let check_ins = ws.with_store(|s| s.check_in_count())?;
    let now = vigil_store::Store::now_ms();
    let tz = ws.settings().patrol.zone();
    let day = |ms: i64| tz.to_datetime(jiff::Timestamp::from_millisecond(ms).unwrap_or_default()).date().to_string();
    let range = ws.report_range(&day(now - i64::from(days - 1) * 86_400_000), Some(&day(now)))?;

    // 1. The month's compliance, as the report computes it.
    let month = vigil_domain::schedule::Shift {
        key: range.label.clone(),
        date: range.label.clone(),
        kind: vigil_domain::schedule::ShiftKind::Day,
        start: range.from,
        end: range.to,
    };
    let (compliance_ms, review) = timed_ms(3, || Ok(ws.review(month.clone(), false)?))?;
    eprintln!("bench: compliance {compliance_ms} ms over {} expected", review.totals.expected);

    // 2. One page of the filtered log: by guard over the month, and by building, paging on.
    let guard = ws.with_store(|s| s.guards())?.into_iter().nth(3).context("a guard")?.badge;
    let building = ws.with_store(|s| s.checkpoints())?.first().context("a checkpoint")?.building;
    let mut cursor = None;
    let mut page_runs = Vec::new();
    for i in 0..20 {
        let filter = vigil_api::patrol::LogFilter {
            from: Some(range.from),
            to: Some(range.to),
            guard: (i % 2 == 0).then(|| guard.clone()),
            building: (i % 2 == 1).then_some(building),
            before: cursor,
            ..Default::default()
        };
        let started = Instant::now();
        let page = ws.patrol_log_page(&filter, 100)?;
        page_runs.push(started.elapsed().as_secs_f64() * 1000.0);
        if i % 2 == 1 {
            cursor = page.next;
        }
    }
    let page_ms = median(page_runs);

    // 3. The month's CSV export, written to a file as `vigil export` writes it.
    let csv_path = work.path().join("month.csv");
    let (csv_ms, csv) = timed_ms(1, || {
        let file = std::io::BufWriter::new(std::fs::File::create(&csv_path)?);
        let mut out = ws.export_patrol_csv_to(&range, true, file)?;
        std::io::Write::flush(&mut out)?;
        Ok(std::fs::metadata(&csv_path)?.len())
    })?;

    // 4. A 100,000-row wand file (GBK, two header rows) imported all at once.
    let rows = if args.quick { 10_000 } else { 100_000 };
    let checkpoints = ws.with_store(|s| s.checkpoints())?;
    let person = ws.with_store(|s| s.guards())?.remove(0).name;
    let mut text =
        String::from("巡检时间,巡检器,人员,巡检点,事件,编号\nPatrol Time,ReaderNum,Person,Checkpoint,Event,Chip ID\n");
    let base = now - 20 * 86_400_000;
    for i in 0..rows {
        let cp = &checkpoints[i % checkpoints.len()];
        let at = base + (i as i64) * 7_000;
        let local = tz.to_datetime(jiff::Timestamp::from_millisecond(at).unwrap_or_default());
        text.push_str(&format!(
            "{},W07,{person},{},巡检,{}\n",
            local.strftime("%Y-%m-%d %H:%M:%S"),
            cp.name_zh,
            cp.tag
        ));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let started = Instant::now();
    let report = ws.import_wand_as("bench", &gbk, "wand-100k.csv", None, false, &mut |_, _| {})?;
    let import_ms = started.elapsed().as_secs_f64() * 1000.0;
    if report.refused.is_some() || report.stored as usize != rows {
        bail!("the wand file was not imported whole: {report:?}");
    }

    // 5. Live round state for every checkpoint, right after a check-in arrives.
    let cp = &checkpoints[0];
    let (mut live_runs, mut store_runs) = (Vec::new(), Vec::new());
    let (mut first_ms, mut board_ms) = (0.0, 0.0);
    for i in 0..10 {
        let body = json!({ "id": uuid::Uuid::now_v7(), "tag": cp.tag, "guard": guard, "device": "HH-BENCH",
                           "time": jiff::Timestamp::from_millisecond(vigil_store::Store::now_ms()).unwrap_or_default().to_string() });
        let items = vigil_api::patrol::parse_check_ins(&body, vigil_store::Store::now_ms())
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        if i == 0 {
            // The window judged once (the map's first question after start).
            let started = Instant::now();
            let marks = ws.patrol_marks_at(vigil_store::Store::now_ms())?;
            first_ms = started.elapsed().as_secs_f64() * 1000.0;
            let started = Instant::now();
            let board = ws.patrol_board_at(vigil_store::Store::now_ms())?;
            board_ms = started.elapsed().as_secs_f64() * 1000.0;
            eprintln!(
                "bench: {} checkpoint marks; the patrol screen's board of {} rounds",
                marks.marks.len(),
                board.rounds.len()
            );
        }
        // A check-in stored, then every checkpoint's state as the map asks for it.
        let started = Instant::now();
        ws.record_check_ins("bench", items)?.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let stored_at = Instant::now();
        ws.patrol_marks_at(vigil_store::Store::now_ms())?;
        live_runs.push(stored_at.elapsed().as_secs_f64() * 1000.0);
        store_runs.push(stored_at.duration_since(started).as_secs_f64() * 1000.0);
    }
    let live_ms = median(live_runs);
    let store_ms = median(store_runs);

    let result = json!({
        "name": "patrol_month",
        "parameters": {"scale": scale, "days": days, "check_ins": check_ins, "wand_rows": rows,
                       "expected_checkpoints": review.totals.expected},
        "figures": {
            "demo_and_month_walked_s": {"value": (demo_s * 10.0).round() / 10.0, "unit": "s"},
            "month_compliance_ms": {"value": compliance_ms, "unit": "ms"},
            "target_month_compliance_ms": {"value": 500, "unit": "ms"},
            "log_page_ms": {"value": page_ms, "unit": "ms"},
            "target_log_page_ms": {"value": 20, "unit": "ms"},
            "month_csv_export_s": {"value": (csv_ms / 10.0).round() / 100.0, "unit": "s"},
            "month_csv_bytes": {"value": csv, "unit": "bytes"},
            "target_month_csv_export_s": {"value": 5, "unit": "s"},
            "wand_import_s": {"value": (import_ms / 10.0).round() / 100.0, "unit": "s"},
            "target_wand_import_s": {"value": 3, "unit": "s"},
            "live_round_state_ms": {"value": live_ms, "unit": "ms"},
            "check_in_store_ms": {"value": store_ms, "unit": "ms"},
            "live_window_first_judged_ms": {"value": (first_ms * 10.0).round() / 10.0, "unit": "ms"},
            "patrol_screen_board_ms": {"value": (board_ms * 10.0).round() / 10.0, "unit": "ms"},
            "target_live_round_state_ms": {"value": 5, "unit": "ms"}
        }
    });
    eprintln!("bench: {result}");
    let markdown = vigil_e2e::report::write(&out, vec![result], args.quick)?;
    eprintln!("bench: wrote {} and {}", out.join("results.json").display(), markdown.display());
    Ok(())
}
