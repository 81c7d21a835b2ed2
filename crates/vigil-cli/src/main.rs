//! `vigil`: the command line of Vigil's engine.

mod patrol;
mod server;
mod sim;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use vigil_demo::{DemoOptions, DemoSummary};

#[derive(Parser)]
#[command(name = "vigil", version, about = "Vigil, the hospital security console: engine, demo and tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the demo hospital (the product brief's reference site) in a data directory.
    Demo {
        /// Where the workstation keeps its database and vigil.toml.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// Number of campuses: 1 is the reference hospital, 20 a hospital group of ≈ 64,000 devices.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(DemoOptions::MAX_SCALE)))]
        scale: u32,
        /// Seed of the generator; the same seed and scale always give the same hospital.
        #[arg(long, default_value_t = DemoOptions::DEFAULT_SEED)]
        seed: u64,
        /// Replace the Vigil database in a directory that is not empty.
        #[arg(long)]
        force: bool,
        /// Days of patrol rounds already walked (routes in force from then; 0: no routes).
        #[arg(long, default_value_t = 7)]
        patrol_days: u32,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the console's engine without a window: DC-09 (TCP and UDP) and HTTP receivers.
    Agent {
        /// The workstation's data directory (an empty one gets default settings and database).
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// Open DC-09 TCP and UDP on this address instead of vigil.toml's.
        #[arg(long, value_name = "ADDR")]
        dc09: Option<String>,
        /// Serve the HTTP API on this address instead of vigil.toml's.
        #[arg(long, value_name = "ADDR")]
        http: Option<String>,
        /// The central server to sync with (default: the one this directory enrolled with).
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// Enroll this workstation with the server first, with a code from `vigil server enroll`.
        #[arg(long, value_name = "CODE", requires = "server")]
        enroll: Option<String>,
        /// Print the listening addresses as one JSON line.
        #[arg(long)]
        json: bool,
    },
    /// The central server: sync for every workstation, and its administration.
    Server(server::ServerArgs),
    /// Enroll a workstation's data directory with the central server (a code from `vigil server
    /// enroll`), without starting anything: the desktop console or `vigil agent` then syncs.
    Enroll {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// The server's address, e.g. http://10.0.0.5:8750.
        #[arg(long, value_name = "URL")]
        server: String,
        /// The one-time code.
        code: String,
    },
    /// Send DC-09 alarms (and link tests) to a receiver, for demos, tests and benchmarks.
    Sim(sim::SimArgs),
    /// Check the hash chains of the audit log and the event log; names the first altered entry
    /// (exit 1 if any).
    Verify {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild every projection (incidents, shelves, device status, procedures, camera links,
    /// positions) from the event log; with --check only compare and name each difference (exit 1
    /// if any). Refuses a log whose hash chain is broken.
    Rebuild {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
        /// Only compare; change nothing.
        #[arg(long)]
        check: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish this workstation's campus — the site, every floor with its plan and devices, the
    /// guards, the console accounts not shared yet — as events, so the central server hands it to every workstation of the hospital
    /// (one enrolled with an empty data directory fills itself). Run again after editing.
    Publish {
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
    },
    /// Import data into a workstation.
    #[command(subcommand)]
    Import(patrol::Import),
    /// Reports for a date range, as the review screen exports them.
    Export(patrol::ExportArgs),
}

fn open_existing(data_dir: &std::path::Path) -> anyhow::Result<vigil_store::Store> {
    let db = data_dir.join(vigil_store::DATABASE_FILE);
    if !db.exists() {
        anyhow::bail!("{} holds no Vigil database", data_dir.display());
    }
    Ok(vigil_store::Store::open(&db)?)
}

/// `vigil agent` runs for months: jemalloc gives freed memory back to the system
/// (glibc keeps it per thread; see the desktop's main.rs).
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    vigil_engine::snapshots::remember_local_offset();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vigil: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Agent { data_dir, dc09, http, server, enroll, json } => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(agent(data_dir, vigil_engine::Overrides { dc09, http, server }, enroll, json))
        }
        Command::Server(args) => server::run(args),
        Command::Enroll { data_dir, server, code } => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(enroll(&data_dir, &server, &code))
        }
        Command::Import(what) => patrol::import(what),
        Command::Export(args) => patrol::export(args),
        Command::Verify { data_dir, json } => {
            let store = open_existing(&data_dir)?;
            let audit = store.verify_audit()?;
            let events = store.verify_events()?;
            let patrol = store.verify_check_ins()?;
            let check_ins = store.check_in_count()?;
            let witness = witness(&data_dir, &store)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "audit": { "entries": audit.entries, "intact": audit.first_altered.is_none(),
                                   "first_altered": audit.first_altered.as_ref().map(|(seq, why)| serde_json::json!({ "entry": seq, "why": why })) },
                        "events": events_json(&events),
                        "patrol": { "check_ins": check_ins, "intact": patrol.is_none(),
                                    "first_altered": patrol.as_ref().map(|(id, why)| serde_json::json!({ "check_in": id.to_string(), "why": why })) },
                        "witness": witness.as_ref().map(Witness::json),
                    })
                );
            } else {
                if audit.first_altered.is_none() {
                    println!("audit log: {} entries, hash chain intact", audit.entries);
                }
                if events.first_altered.is_none() {
                    println!(
                        "event log: {} events from {} origin(s), hash chains intact",
                        events.events, events.origins
                    );
                }
                if patrol.is_none() {
                    println!("patrol log: {check_ins} check-ins, each as its event recorded it");
                }
                if let Some(w) = &witness {
                    w.print();
                }
            }
            if let Some((seq, why)) = audit.first_altered {
                anyhow::bail!("audit log: entry {seq} was altered: {why}");
            }
            if let Some((seq, id, why)) = events.first_altered {
                anyhow::bail!("event log: event {seq} ({id}) was altered: {why}");
            }
            if let Some((id, why)) = patrol {
                anyhow::bail!("patrol log: check-in {id} was altered: {why}");
            }
            if let Some(w) = witness {
                w.fail()?;
            }
            Ok(())
        }
        Command::Publish { data_dir } => publish(&data_dir),
        Command::Rebuild { data_dir, check, json } => {
            let mut store = open_existing(&data_dir)?;
            let started = Instant::now();
            let report = store.rebuild(!check)?;
            let seconds = started.elapsed().as_secs_f64();
            if json {
                let mut value = serde_json::to_value(&report)?;
                value["seconds"] = serde_json::json!(seconds);
                println!("{value}");
            } else {
                println!(
                    "{} events folded into {} incidents in {seconds:.2} s{}",
                    report.events,
                    report.incidents,
                    if report.legacy_incidents > 0 {
                        format!(" ({} incidents from before the event log kept as they are)", report.legacy_incidents)
                    } else {
                        String::new()
                    }
                );
                for (reason, n) in &report.skipped {
                    println!("  skipped {n} event(s): {reason}");
                }
                for d in &report.differences {
                    println!("  {}: {d}", if report.repaired { "repaired" } else { "differs" });
                }
            }
            if check && !report.differences.is_empty() {
                anyhow::bail!("{} projection row(s) differ from the event log", report.differences.len());
            }
            if !check && report.differences.is_empty() && !json {
                println!("every projection matches the event log");
            }
            Ok(())
        }
        Command::Sim(args) if args.patrol_days.is_some() => {
            let (days, dir) = (args.patrol_days.unwrap_or(0), args.data_dir.clone().unwrap_or_default());
            let ws = vigil_api::Workstation::open(&dir)?;
            let now = vigil_store::Store::now_ms();
            let started = Instant::now();
            let stored = ws.walk_rounds(now - i64::from(days) * 86_400_000, now)?;
            let secs = started.elapsed().as_secs_f64();
            if args.json {
                println!("{}", serde_json::json!({ "check_ins": stored, "days": days, "seconds": secs }));
            } else {
                println!("stored {stored} check-ins for {days} day(s) of rounds in {secs:.1} s");
            }
            Ok(())
        }
        Command::Sim(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let json = args.json;
            let summary = runtime.block_on(sim::run(args))?;
            if json {
                println!("{summary}");
            } else {
                println!(
                    "sent {} acked {} nak {} duh {} retransmits {} gave up {}; ACK p50 {} ms p99 {} ms max {} ms",
                    summary["sent"],
                    summary["acked"],
                    summary["nak"],
                    summary["duh"],
                    summary["retransmits"],
                    summary["gave_up"],
                    summary["ack_ms"]["p50"],
                    summary["ack_ms"]["p99"],
                    summary["ack_ms"]["max"]
                );
            }
            Ok(())
        }
        Command::Demo { data_dir, scale, seed, force, patrol_days, json } => {
            let started = Instant::now();
            let summary = vigil_demo::create_demo(&data_dir, DemoOptions { scale, seed }, force)?;
            // vigil.toml lists the demo's panel accounts and keys (an existing file is kept).
            let store = vigil_store::Store::open(&data_dir.join(vigil_store::DATABASE_FILE))?;
            let accounts: Vec<vigil_api::Dc09Account> = vigil_demo::dc09_accounts(&store, seed)?
                .into_iter()
                .map(|a| vigil_api::Dc09Account {
                    account: a.account,
                    key: a.key,
                    key_format: a.key_format.into(),
                    supervision_seconds: None,
                })
                .collect();
            let mut store = store;
            let actor = std::env::var("USER").unwrap_or_else(|_| "vigil demo".into());
            let event = vigil_store::AuditEvent {
                actor,
                action: "demo.create".into(),
                subject: "hospital".into(),
                details: serde_json::json!({ "scale": scale, "seed": seed }).to_string(),
            };
            store.transaction(|tx| vigil_store::write::append_audit(tx, &event).map(|_| ()))?;
            drop(store);
            vigil_api::Settings::load_or_create_with(&data_dir, &accounts)?;
            // Routes, schedules and a week of rounds walked (through the workstation's one writer).
            if patrol_days > 0 {
                let ws = vigil_api::Workstation::open(&data_dir)?;
                ws.create_demo_patrol(vigil_store::Store::now_ms(), patrol_days)?;
            }
            print_demo(&data_dir, &summary, started.elapsed().as_secs_f64(), json);
            Ok(())
        }
    }
}

/// What `vigil verify` found against the heads a server witnessed: on the server, its copy of
/// every workstation's log; on an enrolled workstation, its own chains against what the server saw.
struct Witness {
    /// "the server's copy" or "this workstation".
    whose: &'static str,
    report: Option<vigil_store::WitnessReport>,
    /// On a workstation: entries the server saw that this log no longer holds count as removed.
    own: bool,
    unreachable: Option<String>,
}

impl Witness {
    fn json(&self) -> serde_json::Value {
        let r = self.report.clone().unwrap_or_default();
        serde_json::json!({
            "checked": r.checked, "not_held": r.not_held,
            "intact": self.report.is_some() && r.first_mismatch.is_none() && !(self.own && r.not_held > 0),
            "first_mismatch": r.first_mismatch.as_ref().map(|(h, why)| serde_json::json!({
                "origin": h.origin.to_string(), "chain": h.chain, "seq": h.seq, "seen_at": h.seen_at, "why": why })),
            "unreachable": self.unreachable,
        })
    }

    fn print(&self) {
        match (&self.report, &self.unreachable) {
            (Some(r), _) if r.first_mismatch.is_none() && !(self.own && r.not_held > 0) => println!(
                "witness: {} heads the server saw checked against {}, all match{}",
                r.checked,
                self.whose,
                if r.not_held > 0 { format!(" ({} not received yet)", r.not_held) } else { String::new() }
            ),
            (None, Some(why)) => println!("witness: not checked, the server cannot be reached ({why})"),
            _ => {}
        }
    }

    fn fail(self) -> anyhow::Result<()> {
        let Some(r) = self.report else { return Ok(()) };
        if let Some((h, why)) = r.first_mismatch {
            anyhow::bail!(
                "witness: {} entry {} of workstation {} was rewritten: {why} (seen {} ms since 1970)",
                h.chain,
                h.seq,
                h.origin,
                h.seen_at
            );
        }
        if self.own && r.not_held > 0 {
            anyhow::bail!("witness: {} entries the server saw are missing here: removed after it saw them", r.not_held);
        }
        Ok(())
    }
}

fn witness(dir: &std::path::Path, store: &vigil_store::Store) -> anyhow::Result<Option<Witness>> {
    let on_server = store.all_witnessed_heads()?;
    if !on_server.is_empty() {
        let report = store.check_witnessed(&on_server, None)?;
        return Ok(Some(Witness { whose: "the server's copy", report: Some(report), own: false, unreachable: None }));
    }
    let Some(enrolled) = vigil_sync::TokenFile::read(dir).map_err(anyhow::Error::msg)? else { return Ok(None) };
    let client = vigil_sync::Client::of(&enrolled)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    Ok(Some(match runtime.block_on(client.heads()) {
        Ok(heads) => Witness {
            whose: "this workstation",
            report: Some(store.check_witnessed(&heads, Some(enrolled.origin))?),
            own: true,
            unreachable: None,
        },
        Err(e) => Witness { whose: "this workstation", report: None, own: true, unreachable: Some(e.to_string()) },
    }))
}

/// Flushes what the process printed that it is ready, then waits for SIGINT or SIGTERM.
async fn until_stopped() -> anyhow::Result<()> {
    use std::io::Write as _;
    std::io::stdout().flush()?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    Ok(())
}

/// What `vigil verify` and `vigil server verify` say of an event log's chains, as JSON.
pub(crate) fn events_json(r: &vigil_store::EventChainReport) -> serde_json::Value {
    serde_json::json!({
        "events": r.events, "origins": r.origins, "pruned": r.pruned, "intact": r.first_altered.is_none(),
        "first_altered": r.first_altered.as_ref().map(|(seq, id, why)| serde_json::json!({ "event": seq, "id": id, "why": why })),
    })
}

/// Publishes the campus of `dir` as events of its workstation (offline, like `vigil demo`: the
/// console on this directory should be closed, as its writer is the one writer).
fn publish(dir: &std::path::Path) -> anyhow::Result<()> {
    open_existing(dir)?;
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let r = vigil_api::Workstation::open(dir)?.publish_campus_as(&format!("publish:{user}"))?;
    println!(
        "published {} campus, {} floors, {} guards and {} accounts as {} events; the server hands them to every workstation",
        r.sites, r.floors, r.guards, r.accounts, r.events
    );
    Ok(())
}

/// Trades an enrollment code for this data directory's token and keeps it (`server-token.json`).
async fn enroll(dir: &std::path::Path, server: &str, code: &str) -> anyhow::Result<()> {
    let workstation = vigil_api::Workstation::open(dir)?;
    let origin = workstation.writer()?.run(vigil_store::write::workstation_id)?;
    let enrolled = vigil_sync::enroll(dir, origin, server, code).await?;
    let pinned = if enrolled.fingerprint.is_some() { ", trusting only its certificate" } else { "" };
    eprintln!("vigil: enrolled as {:?} with {server}{pinned}", enrolled.name);
    Ok(())
}

async fn agent(
    dir: PathBuf,
    overrides: vigil_engine::Overrides,
    enroll_code: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    if let (Some(code), Some(server)) = (&enroll_code, &overrides.server) {
        enroll(&dir, server, code).await?;
    }
    let engine = vigil_engine::Engine::start(&dir, overrides).await?;
    let show = |a: Option<std::net::SocketAddr>| a.map(|a| a.to_string());
    if json {
        println!(
            "{}",
            serde_json::json!({ "dc09_tcp": show(engine.dc09_tcp), "dc09_udp": show(engine.dc09_udp), "http": show(engine.http) })
        );
    } else {
        println!(
            "vigil agent on {}: DC-09 TCP {}, UDP {}, HTTP {}",
            dir.display(),
            show(engine.dc09_tcp).unwrap_or_else(|| "off".into()),
            show(engine.dc09_udp).unwrap_or_else(|| "off".into()),
            show(engine.http).unwrap_or_else(|| "off".into())
        );
    }
    until_stopped().await?;
    engine.stop().await;
    Ok(())
}

fn print_demo(dir: &std::path::Path, s: &DemoSummary, seconds: f64, json: bool) {
    if json {
        let value = serde_json::json!({
            "data_dir": dir,
            "sites": s.sites,
            "buildings": s.buildings,
            "floors": s.floors,
            "cameras": s.devices.cameras,
            "alarm_points": s.devices.alarm_points,
            "mobile_alarm_points": s.devices.mobile_alarm_points,
            "checkpoints": s.devices.checkpoints,
            "devices": s.devices.total(),
            "guards": s.guards,
            "accounts": s.accounts,
            "seconds": seconds,
        });
        println!("{value}");
    } else {
        println!("Demo hospital created in {} ({seconds:.1} s)", dir.display());
        println!("  {} campus(es), {} buildings, {} floors", s.sites, s.buildings, s.floors);
        println!(
            "  {} cameras, {} fixed alarm points, {} mobile alarm points, {} patrol checkpoints",
            s.devices.cameras, s.devices.alarm_points, s.devices.mobile_alarm_points, s.devices.checkpoints
        );
        println!(
            "  {} guards; accounts demo-operator, demo-supervisor, demo-admin (PIN {})",
            s.guards,
            vigil_demo::DEMO_PIN
        );
    }
}
