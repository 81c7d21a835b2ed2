//! `vigil-sync-bench`: sync between workstations and the central server, on loopback, with the
//! real sync client (`vigil_sync::Agent`, headless) and a real `vigil server` (in-process, SQLite):
//!
//! 1. catch-up: a workstation that kept working through an outage and has its patrol check-ins
//!    (about 100,000 events, four weeks of rounds) queued pushes them to a fresh server;
//! 2. an alarm stored at workstation A until B's engine announces it (A → server → B), p50/p99;
//! 3. fifty workstations committing together: events per second through the server, the time from
//!    a commit until the server confirmed it (p50/p99), and the CPU the process used.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};
use vigil_api::Workstation;
use vigil_domain::event::{EventBody, ProcedureSet};
use vigil_domain::Id;
use vigil_e2e::report::percentile;
use vigil_e2e::workspace_root;
use vigil_store::{IncidentChange, NewSignal, Store, Writer};

#[derive(Parser)]
#[command(about = "Sync benchmark: catch-up after an outage, A-to-B latency, fifty workstations")]
struct Args {
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// A short, bounded run for CI.
    #[arg(long)]
    quick: bool,
}

fn now_ms() -> i64 {
    Store::now_ms()
}

/// A server on a free loopback port, over `dir`.
async fn server(dir: &Path) -> Result<vigil_server::Running> {
    Ok(vigil_server::serve(&vigil_server::Location::Sqlite(dir.to_owned()), "127.0.0.1:0").await?)
}

/// Enrolls the data directory `dir` (its writer `writer`) with the server and returns its agent,
/// not yet running.
async fn agent(
    server: &vigil_server::Running,
    server_dir: &Path,
    dir: &Path,
    writer: Writer,
    name: &str,
    news: Arc<dyn Fn(IncidentChange) + Send + Sync>,
) -> Result<Arc<vigil_sync::Agent>> {
    let url = format!("http://{}", server.addr);
    let code = vigil_server::enroll(&vigil_server::Location::Sqlite(server_dir.to_owned()), name, 10).await?;
    let origin = writer.run(vigil_store::write::workstation_id)?;
    let answer = vigil_sync::Client::new(&url, None)?.enroll(&code, origin).await?;
    let enrolled = vigil_sync::TokenFile { server: url, token: answer.token, name: name.into(), origin };
    enrolled.write(dir).map_err(anyhow::Error::msg)?;
    Ok(Arc::new(vigil_sync::Agent::open(dir, &enrolled, writer, news).map_err(anyhow::Error::msg)?))
}

fn demo(dir: &Path, patrol_days: u32) -> Result<Workstation> {
    let ws = Workstation::open(dir)?;
    ws.create_demo_with(Default::default(), patrol_days)?;
    Ok(ws)
}

fn events_of(dir: &Path) -> Result<u64> {
    Ok(Store::open(&dir.join("vigil.db"))?.event_count()?)
}

/// 1. Catch-up of a workstation's queue after an outage.
async fn catch_up(quick: bool) -> Result<Value> {
    let work = tempfile::tempdir()?;
    let (ws_dir, server_dir) = (work.path().join("ws"), work.path().join("server"));
    let days = if quick { 1 } else { 28 };
    eprintln!("bench: a workstation with {days} day(s) of patrol rounds queued");
    let ws = demo(&ws_dir, days)?;
    demo(&server_dir, 0)?;
    let queued = events_of(&ws_dir)?;
    let server = server(&server_dir).await?;
    let agent = agent(&server, &server_dir, &ws_dir, ws.writer()?.clone(), "ws", Arc::new(|_| {})).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let task = tokio::spawn(agent.clone().run(stopped));
    let deadline = Duration::from_secs(if quick { 120 } else { 600 });
    loop {
        let view = agent.status.view();
        if view.queue == 0 && view.last_sync.is_some() && events_of(&server_dir)? >= queued {
            break;
        }
        if started.elapsed() > deadline {
            bail!("catch-up did not finish within {deadline:?}: {view:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = task.await;
    server.stop().await;
    eprintln!("bench: {queued} events caught up in {seconds:.2} s");
    Ok(json!({
        "name": "sync_catch_up",
        "parameters": {"queued_events": queued, "server": "SQLite, in-process, loopback", "patrol_days": days},
        "figures": {
            "seconds": {"value": (seconds * 100.0).round() / 100.0, "unit": "s"},
            "events_per_second": {"value": (queued as f64 / seconds).round(), "unit": "events/s"},
            "target_seconds": {"value": 10, "unit": "s"}
        },
        "note": "100,000 events is the target's size; the quick run queues one day of rounds"
    }))
}

fn signal_at(device: Id) -> NewSignal {
    NewSignal::from_device(device, "panic", 1, now_ms())
}

/// 2. An alarm stored at A until B's engine announces it.
async fn a_to_b(quick: bool) -> Result<Value> {
    let work = tempfile::tempdir()?;
    let dirs: Vec<_> = ["a", "b", "server"].iter().map(|n| work.path().join(n)).collect();
    let a = demo(&dirs[0], 0)?;
    let b = demo(&dirs[1], 0)?;
    demo(&dirs[2], 0)?;
    let server = server(&dirs[2]).await?;
    let arrived: Arc<Mutex<std::collections::HashMap<Id, Instant>>> = Arc::default();
    let seen = arrived.clone();
    let agent_a = agent(&server, &dirs[2], &dirs[0], a.writer()?.clone(), "a", Arc::new(|_| {})).await?;
    let agent_b = agent(
        &server,
        &dirs[2],
        &dirs[1],
        b.writer()?.clone(),
        "b",
        Arc::new(move |c: IncidentChange| {
            seen.lock().unwrap_or_else(|p| p.into_inner()).entry(c.incident_id).or_insert_with(Instant::now);
        }),
    )
    .await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let tasks = [tokio::spawn(agent_a.run(stopped.clone())), tokio::spawn(agent_b.run(stopped))];
    tokio::time::sleep(Duration::from_secs(2)).await;
    let points: Vec<Id> = a.search("ALM", 400)?.into_iter().map(|h| h.id).collect();
    let samples = if quick { 30 } else { 300 };
    let mut latencies = Vec::new();
    for i in 0..samples {
        let signal = signal_at(points[i % points.len()]);
        let stored_at = Instant::now();
        let change = a
            .writer()?
            .run(move |tx| {
                vigil_store::write::insert_signal(tx, &signal)?;
                vigil_store::write::apply_signal(tx, &signal)
            })?
            .context("an incident")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(at) = arrived.lock().unwrap_or_else(|p| p.into_inner()).get(&change.incident_id) {
                latencies.push(at.duration_since(stored_at).as_secs_f64() * 1000.0);
                break;
            }
            if Instant::now() > deadline {
                bail!("alarm {i} did not reach B within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // An alarm every 200 ms: a busy control room, not a storm.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    server.stop().await;
    let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
    eprintln!("bench: A to B p50 {p50:.1} ms, p99 {p99:.1} ms over {samples} alarms");
    let round = |v: f64| (v * 10.0).round() / 10.0;
    Ok(json!({
        "name": "sync_a_to_b",
        "parameters": {"alarms": samples, "every_ms": 200, "server": "SQLite, in-process, loopback"},
        "figures": {
            "p50_ms": {"value": round(p50), "unit": "ms"},
            "p99_ms": {"value": round(p99), "unit": "ms"},
            "max_ms": {"value": round(latencies.iter().copied().fold(0.0, f64::max)), "unit": "ms"},
            "target_p99_ms": {"value": 1000, "unit": "ms"}
        },
        "note": "from the alarm's commit at A until B's engine announces its incident (pushed, stored and folded by the server, long-polled and folded by B)"
    }))
}

/// CPU time this process has used so far (user + system), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// 3. Fifty workstations committing together.
async fn fifty(quick: bool) -> Result<Value> {
    let work = tempfile::tempdir()?;
    let server_dir = work.path().join("server");
    std::fs::create_dir_all(&server_dir)?;
    let server = server(&server_dir).await?;
    let (count, seconds, every) =
        if quick { (5, 5.0, Duration::from_millis(200)) } else { (50, 60.0, Duration::from_millis(500)) };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut stations = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..count {
        let dir = work.path().join(format!("ws{i}"));
        std::fs::create_dir_all(&dir)?;
        let writer = Writer::start(&dir.join("vigil.db"))?;
        let agent = agent(&server, &server_dir, &dir, writer.clone(), &format!("ws{i}"), Arc::new(|_| {})).await?;
        tasks.push(tokio::spawn(agent.clone().run(stopped.clone())));
        stations.push((dir, writer, agent));
    }
    eprintln!("bench: {count} workstations, one event each every {every:?}, for {seconds} s");
    let committed: Arc<Mutex<Vec<(usize, i64, Instant)>>> = Arc::default();
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let mut load = Vec::new();
    for (i, (_, writer, _)) in stations.iter().enumerate() {
        let (writer, committed) = (writer.clone(), committed.clone());
        load.push(tokio::spawn(async move {
            let mut n = 0u64;
            while started.elapsed().as_secs_f64() < seconds {
                let body = EventBody::ProcedureSet(ProcedureSet {
                    alarm_type: format!("ws{i}"),
                    language: "en".into(),
                    steps: vec![format!("step {n}")],
                });
                let subject = format!("ws{i}/en");
                let seq = writer
                    .run_async(move |tx| {
                        Ok(vigil_store::write::commit_event(tx, "bench", &subject, body, now_ms())?.event.origin_seq)
                    })
                    .await;
                if let Ok(seq) = seq {
                    committed.lock().unwrap_or_else(|p| p.into_inner()).push((i, seq, Instant::now()));
                }
                n += 1;
                tokio::time::sleep(every).await;
            }
        }));
    }
    // How long each event waits for the server's confirmation, read from the workstations' marks.
    let mut confirmed_after: Vec<f64> = Vec::new();
    let mut pending: Vec<(usize, i64, Instant)> = Vec::new();
    let readers: Vec<Store> =
        stations.iter().map(|(d, _, _)| Store::open(&d.join("vigil.db"))).collect::<Result<_, _>>()?;
    let drain_deadline = Duration::from_secs_f64(seconds + 60.0);
    loop {
        pending.extend(committed.lock().unwrap_or_else(|p| p.into_inner()).drain(..));
        let marks: Vec<i64> = readers.iter().map(|r| r.sync_marks().map(|m| m.pushed).unwrap_or(0)).collect();
        let now = Instant::now();
        pending.retain(|(i, seq, at)| {
            if marks[*i] >= *seq {
                confirmed_after.push(now.duration_since(*at).as_secs_f64() * 1000.0);
                false
            } else {
                true
            }
        });
        let loading = started.elapsed().as_secs_f64() < seconds;
        if !loading && pending.is_empty() && load.iter().all(|t| t.is_finished()) {
            break;
        }
        if started.elapsed() > drain_deadline {
            bail!("{} events still unconfirmed {drain_deadline:?} after the start", pending.len());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let total = events_of(&server_dir)?;
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    server.stop().await;
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let (p50, p99) = (percentile(&confirmed_after, 50.0), percentile(&confirmed_after, 99.0));
    eprintln!(
        "bench: {total} events from {count} workstations in {wall:.1} s; confirmed p50 {p50:.1} ms, p99 {p99:.1} ms"
    );
    Ok(json!({
        "name": "sync_fifty_workstations",
        "parameters": {"workstations": count, "event_every_ms": every.as_millis(), "seconds": seconds, "server_processes": 1, "database": "SQLite"},
        "figures": {
            "events_per_second": {"value": round(total as f64 / wall), "unit": "events/s"},
            "confirmed_p50_ms": {"value": round(p50), "unit": "ms"},
            "confirmed_p99_ms": {"value": round(p99), "unit": "ms"},
            "cpu_percent": {"value": round(cpu / wall * 100.0), "unit": "% of a core (server and every client, one process)"}
        },
        "note": "each workstation is the real sync client on its own SQLite file; they and the server share one process, so the CPU is theirs together. Every workstation also pulls and folds every other's events. Two server processes on one PostgreSQL are not built yet"
    }))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let out = if args.out.is_absolute() { args.out.clone() } else { workspace_root().join(&args.out) };
    let results = vec![catch_up(args.quick).await?, a_to_b(args.quick).await?, fifty(args.quick).await?];
    let markdown = vigil_e2e::report::write(&out, results, args.quick)?;
    eprintln!("bench: wrote {}", markdown.display());
    Ok(())
}
