//! `vigil-sync-bench`: sync between workstations and the central server, on loopback, with the
//! real sync client (`vigil_sync::Agent`, headless) and a real `vigil server`, on SQLite and on a
//! real PostgreSQL (started by `vigil-pgtest`, or the one `VIGIL_TEST_POSTGRES` names):
//!
//! 1. catch-up: a workstation that kept working through an outage and has its patrol check-ins
//!    (about 100,000 events, four weeks of rounds) queued pushes them to a fresh server
//!    (in-process), on each database;
//!    — on PostgreSQL also until the server's fold (`vigil-fold.db`) has folded it all;
//! 2. an alarm stored at workstation A until B's engine announces it (A → server → B), p50/p99;
//! 3. fifty workstations committing together, through `vigil server` processes of their own: one on
//!    SQLite, one on PostgreSQL, then two on one PostgreSQL with the workstations split between
//!    them: events per second through the servers, the time from a commit until the server
//!    confirmed it (p50/p99), and the CPU of each server process, of PostgreSQL and of the clients;
//! 4. a new workstation enrolled with an empty data directory filling itself with the published
//!    demo campus (`vigil publish`), until its map holds every device.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};
use vigil_api::Workstation;
use vigil_domain::event::{EventBody, ProcedureSet};
use vigil_domain::Id;
use vigil_e2e::procs;
use vigil_e2e::report::percentile;
use vigil_e2e::workspace_root;
use vigil_pgtest::Postgres;
use vigil_server::Location;
use vigil_store::{IncidentChange, NewSignal, Store, Writer};

#[derive(Parser)]
#[command(about = "Sync benchmark: catch-up after an outage, A-to-B latency, fifty workstations")]
struct Args {
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// The `vigil` binary the server processes run.
    #[arg(long, default_value = "target/debug/vigil")]
    vigil: PathBuf,
    /// A short, bounded run for CI.
    #[arg(long)]
    quick: bool,
    /// Run only this part (the others keep their figures in results.json).
    #[arg(long, value_parser = ["catch-up", "a-to-b", "fill", "fifty"])]
    only: Option<String>,
}

fn now_ms() -> i64 {
    Store::now_ms()
}

/// A server in this process on a free loopback port.
async fn server(at: &Location) -> Result<vigil_server::Running> {
    Ok(vigil_server::serve(at, "127.0.0.1:0").await?)
}

fn url_of(server: &vigil_server::Running) -> String {
    format!("http://{}", server.addr)
}

/// A `vigil server` process of its own on a free loopback port: the child and its URL.
fn server_process(vigil: &Path, dir: &Path, at: &Location) -> Result<(Child, String)> {
    let mut command = Command::new(vigil);
    // Fifty workstations enroll from this one address within seconds.
    command.args(["server", "--json", "--listen", "127.0.0.1:0", "--enroll-per-minute", "1000", "--data-dir"]).arg(dir);
    if let Location::Postgres(url) = at {
        command.args(["--database", url]);
    }
    let (child, said) = vigil_e2e::first_json_line(command)?;
    Ok((child, format!("http://{}", said["http"].as_str().context("its address")?)))
}

/// Where a run keeps the server's log, for the report.
fn database_name(at: &Location) -> &'static str {
    match at {
        Location::Sqlite(_) => "SQLite",
        Location::Postgres(_) => "PostgreSQL",
    }
}

/// How many events the server holds: every origin's log is gapless.
async fn events_on(at: &Location) -> Result<u64> {
    Ok(vigil_server::workstations(at).await?.iter().map(|w| w.events.max(0) as u64).sum())
}

/// Enrolls the data directory `dir` (its writer `writer`) with the server at `url` and returns its
/// agent, not yet running.
async fn agent(
    url: &str,
    at: &Location,
    dir: &Path,
    writer: Writer,
    name: &str,
    news: Arc<dyn Fn(IncidentChange) + Send + Sync>,
) -> Result<Arc<vigil_sync::Agent>> {
    let url = url.to_owned();
    let code = vigil_server::enroll(at, name, 10).await?;
    let origin = writer.run(vigil_store::write::workstation_id)?;
    let answer = vigil_sync::Client::new(&url, None)?.enroll(&code, origin).await?;
    let enrolled =
        vigil_sync::TokenFile { server: url, token: answer.token, name: name.into(), origin, fingerprint: None };
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
async fn catch_up(quick: bool, pg: &Postgres) -> Result<Vec<Value>> {
    let work = tempfile::tempdir()?;
    let ws_dir = work.path().join("ws");
    let days = if quick { 1 } else { 28 };
    eprintln!("bench: a workstation with {days} day(s) of patrol rounds queued");
    demo(&ws_dir, days)?;
    let queued = events_of(&ws_dir)?;
    let mut results = Vec::new();
    for (i, postgres) in [false, true].into_iter().enumerate() {
        // The same queue each time: a copy of the workstation as the outage left it.
        let copy = work.path().join(format!("ws{i}"));
        std::fs::create_dir_all(&copy)?;
        Store::open(&ws_dir.join("vigil.db"))?.backup_to(&copy.join("vigil.db"))?;
        let at = if postgres {
            Location::Postgres(pg.database().map_err(anyhow::Error::msg)?)
        } else {
            let dir = work.path().join(format!("server{i}"));
            demo(&dir, 0)?;
            Location::Sqlite(dir)
        };
        results.push(catch_up_to(quick, &copy, queued, days, &at).await?);
    }
    Ok(results)
}

async fn catch_up_to(quick: bool, ws_dir: &Path, queued: u64, days: u32, at: &Location) -> Result<Value> {
    let ws = Workstation::open(ws_dir)?;
    let fold_dir = tempfile::tempdir()?;
    let options = vigil_server::ServeOptions { fold_dir: Some(fold_dir.path().to_owned()), ..Default::default() };
    let server = vigil_server::serve_with(at, "127.0.0.1:0", &options).await?;
    let agent = agent(&url_of(&server), at, ws_dir, ws.writer()?.clone(), "ws", Arc::new(|_| {})).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let task = tokio::spawn(agent.clone().run(stopped));
    let deadline = Duration::from_secs(if quick { 120 } else { 600 });
    loop {
        let view = agent.status.view();
        if view.queue == 0 && view.last_sync.is_some() && events_on(at).await? >= queued {
            break;
        }
        if started.elapsed() > deadline {
            bail!("catch-up did not finish within {deadline:?}: {view:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    // On PostgreSQL, until the server's own fold has every event too (SQLite folds as it stores).
    // Asked of the server (as /v1/health says it): opening the fold's file to count would check
    // the whole file each time, and slow the fold it measures.
    let folded_seconds = match at {
        Location::Sqlite(_) => seconds,
        Location::Postgres(_) => loop {
            let (log, folded) = server.positions();
            if folded.is_some_and(|f| f >= log) {
                break started.elapsed().as_secs_f64();
            }
            if started.elapsed() > deadline {
                bail!("the server's fold did not catch up within {deadline:?}: {folded:?} of {log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        },
    };
    let _ = stop.send(true);
    let _ = task.await;
    server.stop().await;
    let database = database_name(at);
    eprintln!("bench: {queued} events caught up in {seconds:.2} s, folded on the server in {folded_seconds:.2} s ({database})");
    Ok(json!({
        "name": format!("sync_catch_up_{}", database.to_lowercase()),
        "parameters": {"queued_events": queued, "server": format!("{database}, in-process, loopback"), "patrol_days": days},
        "figures": {
            "seconds": {"value": (seconds * 100.0).round() / 100.0, "unit": "s"},
            "events_per_second": {"value": (queued as f64 / seconds).round(), "unit": "events/s"},
            "folded_seconds": {"value": (folded_seconds * 100.0).round() / 100.0, "unit": "s"},
            "target_seconds": {"value": 10, "unit": "s"}
        },
        "note": match at {
            Location::Sqlite(_) => "100,000 events is the target's size; the quick run queues one day of rounds. The server stores, chains and folds every event in the same transaction",
            Location::Postgres(_) => "100,000 events is the target's size; the quick run queues one day of rounds. seconds: until PostgreSQL stored and chained them all; folded_seconds: until the server process's own fold (vigil-fold.db) had folded them too",
        }
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
    let at = Location::Sqlite(dirs[2].clone());
    let server = server(&at).await?;
    let arrived: Arc<Mutex<std::collections::HashMap<Id, Instant>>> = Arc::default();
    let seen = arrived.clone();
    let agent_a = agent(&url_of(&server), &at, &dirs[0], a.writer()?.clone(), "a", Arc::new(|_| {})).await?;
    let agent_b = agent(
        &url_of(&server),
        &at,
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

/// 4. A workstation enrolled with an empty data directory, filled with the campus another
///    workstation published, until its map holds every device.
async fn fill(quick: bool) -> Result<Value> {
    let work = tempfile::tempdir()?;
    let (a_dir, c_dir, server_dir) = (work.path().join("a"), work.path().join("c"), work.path().join("server"));
    let a = demo(&a_dir, 0)?;
    let at = Location::Sqlite(server_dir);
    let server = server(&at).await?;
    let report = a.publish_campus_as("publish:bench")?;
    let bytes: u64 = Store::open(&a_dir.join("vigil.db"))?
        .events_of_kind(vigil_domain::event::EventKind::FloorPublished)?
        .iter()
        .map(|r| r.payload.len() as u64)
        .sum();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let agent_a = agent(&url_of(&server), &at, &a_dir, a.writer()?.clone(), "a", Arc::new(|_| {})).await?;
    let task_a = tokio::spawn(agent_a.clone().run(stopped.clone()));
    let deadline = Duration::from_secs(if quick { 60 } else { 300 });
    let pushed = Instant::now();
    while agent_a.status.view().queue > 0 || agent_a.status.view().last_sync.is_none() {
        if pushed.elapsed() > deadline {
            bail!("A's publication did not reach the server within {deadline:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = Workstation::open(&c_dir)?;
    let want = a.with_store(|s| s.device_counts())?;
    let agent_c = agent(&url_of(&server), &at, &c_dir, c.writer()?.clone(), "c", Arc::new(|_| {})).await?;
    let started = Instant::now();
    let task_c = tokio::spawn(agent_c.run(stopped));
    while c.with_store(|s| s.device_counts())? != want {
        if started.elapsed() > deadline {
            bail!("the empty workstation did not fill within {deadline:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = task_a.await;
    let _ = task_c.await;
    server.stop().await;
    let devices = want.cameras + want.alarm_points + want.mobile_alarm_points + want.checkpoints;
    eprintln!("bench: an empty workstation filled with {} floors ({devices} devices) in {seconds:.2} s", report.floors);
    Ok(json!({
        "name": "sync_fill_empty_workstation",
        "parameters": {"floors": report.floors, "devices": devices, "events": report.events, "server": "SQLite, in-process, loopback"},
        "figures": {
            "seconds": {"value": (seconds * 100.0).round() / 100.0, "unit": "s"},
            "floor_payload_mb": {"value": ((bytes as f64) / 1_048_576.0 * 10.0).round() / 10.0, "unit": "MB"}
        },
        "note": "from the new workstation's first pull until its map holds every device of the published demo campus (plans as base64 inside each floor's event)"
    }))
}

/// 3. Fifty workstations committing together, through `processes` server processes on `at`.
async fn fifty(quick: bool, vigil: &Path, at: &Location, processes: usize) -> Result<Value> {
    let work = tempfile::tempdir()?;
    let mut servers = Vec::new();
    for i in 0..processes {
        let dir = work.path().join(format!("server{i}"));
        std::fs::create_dir_all(&dir)?;
        let dir = match at {
            Location::Sqlite(_) => work.path().join("server0"),
            Location::Postgres(_) => dir,
        };
        servers.push(server_process(vigil, &dir, at)?);
    }
    let at = match at {
        Location::Sqlite(_) => Location::Sqlite(work.path().join("server0")),
        other => other.clone(),
    };
    let (count, seconds, every) =
        if quick { (5, 5.0, Duration::from_millis(200)) } else { (50, 60.0, Duration::from_millis(500)) };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut stations = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..count {
        let dir = work.path().join(format!("ws{i}"));
        std::fs::create_dir_all(&dir)?;
        let writer = Writer::start(&dir.join("vigil.db"))?;
        // A load balancer's round robin: workstation i syncs through server process i mod n.
        let url = &servers[i % servers.len()].1;
        let agent = agent(url, &at, &dir, writer.clone(), &format!("ws{i}"), Arc::new(|_| {})).await?;
        tasks.push(tokio::spawn(agent.clone().run(stopped.clone())));
        stations.push((dir, writer, agent));
    }
    let pids: Vec<u32> = servers.iter().map(|(child, _)| child.id()).collect();
    let server_cpu = || pids.iter().map(|pid| procs::cpu_seconds_of(*pid)).collect::<Vec<f64>>();
    eprintln!("bench: {count} workstations, one event each every {every:?}, for {seconds} s");
    let committed: Arc<Mutex<Vec<(usize, i64, Instant)>>> = Arc::default();
    let started = Instant::now();
    let (servers_before, postgres_before, clients_before) =
        (server_cpu(), procs::cpu_seconds_named("postgres"), procs::cpu_seconds_of(std::process::id()));
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
    let share = |after: f64, before: f64| ((after - before) / wall * 1000.0).round() / 10.0;
    let per_server: Vec<f64> = server_cpu().iter().zip(&servers_before).map(|(a, b)| share(*a, *b)).collect();
    let postgres_cpu = share(procs::cpu_seconds_named("postgres"), postgres_before);
    let clients_cpu = share(procs::cpu_seconds_of(std::process::id()), clients_before);
    let total = events_on(&at).await?;
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    for (mut child, _) in servers {
        let _ = child.kill();
        let _ = child.wait();
    }
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let (p50, p99) = (percentile(&confirmed_after, 50.0), percentile(&confirmed_after, 99.0));
    let database = database_name(&at);
    eprintln!(
        "bench: {total} events from {count} workstations through {processes} {database} server process(es) in {wall:.1} s; \
         confirmed p50 {p50:.1} ms, p99 {p99:.1} ms; CPU servers {per_server:?}, PostgreSQL {postgres_cpu}, clients {clients_cpu} (% of a core)"
    );
    let mut figures = json!({
        "events_per_second": {"value": round(total as f64 / wall), "unit": "events/s"},
        "confirmed_p50_ms": {"value": round(p50), "unit": "ms"},
        "confirmed_p99_ms": {"value": round(p99), "unit": "ms"},
        "clients_cpu_percent": {"value": clients_cpu, "unit": "% of a core (the fifty sync clients, one process)"}
    });
    for (i, cpu) in per_server.iter().enumerate() {
        figures[format!("server_{}_cpu_percent", i + 1)] = json!({"value": cpu, "unit": "% of a core"});
    }
    if matches!(at, Location::Postgres(_)) {
        figures["postgres_cpu_percent"] =
            json!({"value": postgres_cpu, "unit": "% of a core (every postgres process)"});
    }
    Ok(json!({
        "name": format!("sync_fifty_workstations_{}_{processes}", database.to_lowercase()),
        "parameters": {"workstations": count, "event_every_ms": every.as_millis(), "seconds": seconds, "server_processes": processes, "database": database},
        "figures": figures,
        "note": "each workstation is the real sync client on its own SQLite file, all in the bench's process; the servers are `vigil server` processes of their own (workstation i syncs through process i mod n). Every workstation also pulls and folds every other's events. On 2 cores the clients, the servers and PostgreSQL share the CPU. The offered load is 100 events/s (fifty workstations, two a second each) and every setup keeps up, so events/s is the offered rate, not a ceiling. A second server process buys availability, not write throughput: pushes take one lock (the log's order), so through two pools they queue on it and the confirmation latency about doubles, for about the same total server CPU"
    }))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let out = if args.out.is_absolute() { args.out.clone() } else { workspace_root().join(&args.out) };
    let vigil = if args.vigil.is_absolute() { args.vigil.clone() } else { workspace_root().join(&args.vigil) };
    let pg = Postgres::start().map_err(anyhow::Error::msg)?;
    let runs = |part: &str| args.only.as_deref().is_none_or(|only| only == part);
    let mut results = Vec::new();
    if runs("catch-up") {
        results.extend(catch_up(args.quick, &pg).await?);
    }
    if runs("a-to-b") {
        results.push(a_to_b(args.quick).await?);
    }
    if runs("fill") {
        results.push(fill(args.quick).await?);
    }
    if runs("fifty") {
        let sqlite = Location::Sqlite(PathBuf::new());
        results.push(fifty(args.quick, &vigil, &sqlite, 1).await?);
        let own = Location::Postgres(pg.database().map_err(anyhow::Error::msg)?);
        results.push(fifty(args.quick, &vigil, &own, 1).await?);
        let shared = Location::Postgres(pg.database().map_err(anyhow::Error::msg)?);
        results.push(fifty(args.quick, &vigil, &shared, 2).await?);
    }
    let markdown = vigil_e2e::report::write(&out, results, args.quick)?;
    eprintln!("bench: wrote {}", markdown.display());
    Ok(())
}
