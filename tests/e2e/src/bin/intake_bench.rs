//! `vigil-intake-bench`: a DC-09 storm into one `vigil agent` on this machine (sender included):
//! ACK latency, frames stored against frames acknowledged, peak memory; then `kill -9` rounds
//! during a storm, checking after each restart that every acknowledged frame is stored; `vigil
//! rebuild --check` after each; and the time to rebuild every projection from a log of a million
//! events.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde_json::{json, Value};
use vigil_e2e::workspace_root;

#[derive(Parser)]
#[command(about = "DC-09 intake benchmark: storm and kill -9 rounds")]
struct Args {
    #[arg(long, default_value = "target/debug/vigil")]
    vigil: PathBuf,
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// A short, bounded run for CI.
    #[arg(long)]
    quick: bool,
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_agent(vigil: &Path, dir: &Path, dc09: &str) -> Result<Child> {
    let mut child = Command::new(vigil)
        .args(["agent", "--data-dir"])
        .arg(dir)
        .args(["--dc09", dc09, "--http", "127.0.0.1:0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("start vigil agent")?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().context("stdout")?), &mut line)?;
    if line.trim().is_empty() {
        bail!("the agent did not start");
    }
    Ok(child)
}

fn sim(vigil: &Path, addr: &str, extra: &[&str], log: &Path) -> Result<Child> {
    Ok(Command::new(vigil)
        .args(["sim", "--dc09", addr, "--json", "--acked-log"])
        .arg(log)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?)
}

fn finish(child: Child) -> Result<Value> {
    let out = child.wait_with_output()?;
    serde_json::from_slice(&out.stdout).with_context(|| format!("sim said {:?}", String::from_utf8_lossy(&out.stdout)))
}

/// Peak resident memory of a process, in MiB (VmHWM).
fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// `vigil rebuild --check --json` on a data directory: its report (differences must be none).
fn rebuild_check(vigil: &Path, dir: &Path) -> Result<Value> {
    let out = Command::new(vigil).args(["rebuild", "--check", "--json", "--data-dir"]).arg(dir).output()?;
    let report: Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!("rebuild said {:?} {:?}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })?;
    if !out.status.success() {
        bail!("vigil rebuild --check found differences: {report}");
    }
    Ok(report)
}

/// Writes `events` events the way the console's writer does (signals over many points, most
/// incidents acknowledged and closed), in large transactions, into a fresh demo database.
fn fill_log(dir: &Path, events: u64) -> Result<()> {
    use vigil_domain::event::{EventBody, IncidentActed};
    use vigil_domain::incident::{Action, CloseCategory, Role};
    use vigil_store::{write, NewSignal, Store};
    let mut store = Store::open(&dir.join("vigil.db"))?;
    let points: Vec<vigil_domain::Id> =
        store.point_list()?.into_iter().filter(|p| p.kind == "alarm_point").map(|p| p.id).collect();
    let start = 1_780_000_000_000i64;
    let mut written = 0u64;
    let mut n = 0u64;
    while written < events {
        store.transaction(|tx| {
            for _ in 0..20_000 {
                if written >= events {
                    break;
                }
                n += 1;
                let point = points[(n as usize * 7919) % points.len()];
                let at = start + n as i64 * 500;
                let key = format!("bench:{n}");
                let signal = NewSignal {
                    id: NewSignal::id_for(Some(&key), Some(at), at),
                    idempotency_key: Some(key),
                    source: "dc09-tcp".into(),
                    sender: Some("127.0.0.1:1".into()),
                    account: Some("1001".into()),
                    zone: Some((n % 64) as u32),
                    code: Some("E120".into()),
                    qualifier: Some("new".into()),
                    alarm_type: "panic".into(),
                    priority: 1,
                    sequence: Some((n % 10_000) as u32),
                    device_id: Some(point),
                    received_at: at,
                    sent_at: Some(at),
                    clock_fault: None,
                    details: None,
                    raw: None,
                };
                write::insert_signal(tx, &signal)?;
                let change = write::apply_signal(tx, &signal)?;
                written += 1;
                // Two in three new incidents are handled: acknowledged, then closed as false.
                if let Some(change) = change.filter(|c| c.opened && !n.is_multiple_of(3)) {
                    for action in [Action::Acknowledge, Action::Close { category: CloseCategory::False }] {
                        let body = EventBody::IncidentActed(IncidentActed {
                            incident: change.incident_id,
                            role: Role::Operator,
                            action,
                            at: at + 1000,
                        });
                        write::commit_event(tx, "bench-operator", &change.incident_id.to_string(), body, at + 1000)?;
                        written += 1;
                    }
                }
            }
            Ok(())
        })?;
        eprintln!("bench: {written} events written");
    }
    Ok(())
}

/// How many frames in the acknowledged log are missing from the database.
fn missing(dir: &Path, logs: &[&Path]) -> Result<(u64, u64)> {
    let conn = rusqlite::Connection::open(dir.join("vigil.db"))?;
    let mut stmt = conn.prepare("SELECT count(*) FROM alarm_signals WHERE idempotency_key = ?1")?;
    let (mut acked, mut lost) = (0, 0);
    for log in logs {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        for line in text.lines() {
            let parts: Vec<&str> = line.split('\t').collect();
            let [account, sequence, data, ts] = parts.as_slice() else { continue };
            let Some(sent) = vigil_dc09::Timestamp::parse(ts) else { continue };
            let key = format!("dc09:{account}:{sequence}:{data}:{}:0", sent.0.unix_timestamp() * 1000);
            acked += 1;
            let n: i64 = stmt.query_row([&key], |r| r.get(0))?;
            if n != 1 {
                lost += 1;
            }
        }
    }
    Ok((acked, lost))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let root = workspace_root();
    let abs = |p: &Path| if p.is_absolute() { p.to_owned() } else { root.join(p) };
    let (vigil, out) = (abs(&args.vigil), abs(&args.out));
    let (tcp_rate, udp_rate, connections, seconds, rounds) =
        if args.quick { (190.0, 10.0, 10, 5.0, 3) } else { (1900.0, 100.0, 50, 60.0, 20) };
    let work = tempfile::tempdir()?;
    let dir = work.path().join("ws");
    let demo = Command::new(&vigil).args(["demo", "--data-dir"]).arg(&dir).output()?;
    if !demo.status.success() {
        bail!("vigil demo: {}", String::from_utf8_lossy(&demo.stderr));
    }

    // 1. The storm.
    let addr = format!("127.0.0.1:{}", free_port()?);
    let mut agent = start_agent(&vigil, &dir, &addr)?;
    let pid = agent.id();
    eprintln!(
        "bench: {} frames/s over {connections} TCP connections + {udp_rate}/s UDP for {seconds} s",
        tcp_rate + udp_rate
    );
    let (tcp_log, udp_log) = (work.path().join("tcp.log"), work.path().join("udp.log"));
    let secs = seconds.to_string();
    let tcp = sim(
        &vigil,
        &addr,
        &[
            "--rate",
            &tcp_rate.to_string(),
            "--duration",
            &secs,
            "--connections",
            &connections.to_string(),
            "--account",
            "1001",
            "--zones",
            "64",
        ],
        &tcp_log,
    )?;
    let udp = sim(
        &vigil,
        &addr,
        &[
            "--udp",
            "--rate",
            &udp_rate.to_string(),
            "--duration",
            &secs,
            "--connections",
            "2",
            "--account",
            "1002",
            "--zones",
            "64",
        ],
        &udp_log,
    )?;
    let (tcp, udp) = (finish(tcp)?, finish(udp)?);
    let peak = peak_rss_mib(pid);
    let _ = agent.kill();
    let _ = agent.wait();
    let (acked, lost) = missing(&dir, &[&tcp_log, &udp_log])?;
    let stored: i64 = rusqlite::Connection::open(dir.join("vigil.db"))?.query_row(
        "SELECT count(*) FROM alarm_signals WHERE account IN ('1001', '1002')",
        [],
        |r| r.get(0),
    )?;
    let f = |v: &Value, k: &str| v["ack_ms"][k].as_f64().unwrap_or(f64::NAN);
    let storm = json!({
        "name": "dc09_intake_storm",
        "parameters": {"tcp_connections": connections, "tcp_rate": tcp_rate, "udp_rate": udp_rate, "seconds": seconds},
        "figures": {
            "sent": {"value": tcp["sent"].as_u64().unwrap_or(0) + udp["sent"].as_u64().unwrap_or(0), "unit": "frames"},
            "acknowledged": {"value": acked, "unit": "frames"},
            "stored": {"value": stored, "unit": "frames"},
            "lost": {"value": lost, "unit": "frames"},
            "achieved_rate": {"value": (tcp["rate"].as_f64().unwrap_or(0.0) + udp["rate"].as_f64().unwrap_or(0.0)).round(), "unit": "frames/s"},
            "ack_p50_ms": {"value": f(&tcp, "p50"), "unit": "ms"},
            "ack_p99_ms": {"value": f(&tcp, "p99").max(f(&udp, "p99")), "unit": "ms"},
            "ack_max_ms": {"value": f(&tcp, "max").max(f(&udp, "max")), "unit": "ms"},
            "udp_ack_p99_ms": {"value": f(&udp, "p99"), "unit": "ms"},
            "peak_rss_mib": {"value": (peak * 10.0).round() / 10.0, "unit": "MiB"},
            "target_p99_ms": {"value": 5, "unit": "ms"},
            "target_lost_below": {"value": 1, "unit": "frames"}
        }
    });
    let after_storm = rebuild_check(&vigil, &dir)?;
    let mut storm = storm;
    storm["figures"]["events_in_log"] = json!({"value": after_storm["events"], "unit": "events"});
    storm["figures"]["rebuild_check_differences"] =
        json!({"value": after_storm["differences"].as_array().map_or(0, Vec::len), "unit": "rows"});
    eprintln!("bench: storm {storm}");

    // 2. kill -9 rounds during a storm.
    let addr = format!("127.0.0.1:{}", free_port()?);
    let log = work.path().join("kill.log");
    let mut agent = start_agent(&vigil, &dir, &addr)?;
    let storm_secs = (rounds as f64 * 2.0 + 2.0).to_string();
    let runner = sim(
        &vigil,
        &addr,
        &["--rate", "500", "--duration", &storm_secs, "--connections", "8", "--account", "1003", "--zones", "64"],
        &log,
    )?;
    let mut per_round = Vec::new();
    let started = Instant::now();
    for round in 1..=rounds {
        std::thread::sleep(Duration::from_millis(1500));
        agent.kill()?; // SIGKILL
        agent.wait()?;
        agent = start_agent(&vigil, &dir, &addr)?;
        let (acked, lost) = missing(&dir, &[&log])?;
        per_round.push(json!({"round": round, "acknowledged_so_far": acked, "lost": lost}));
        eprintln!("bench: kill round {round}: {acked} acknowledged so far, {lost} lost");
    }
    let summary = finish(runner)?;
    let _ = agent.kill();
    let _ = agent.wait();
    let (acked, lost) = missing(&dir, &[&log])?;
    let after_kills = rebuild_check(&vigil, &dir)?;
    let kills = json!({
        "name": "dc09_kill_rounds",
        "parameters": {"rounds": rounds, "rate": 500, "connections": 8, "seconds": started.elapsed().as_secs_f64().round()},
        "figures": {
            "acknowledged": {"value": acked, "unit": "frames"},
            "lost": {"value": lost, "unit": "frames"},
            "sender_gave_up": {"value": summary["gave_up"], "unit": "frames"},
            "rebuild_check_differences": {"value": after_kills["differences"].as_array().map_or(0, Vec::len), "unit": "rows"},
            "target_lost_below": {"value": 1, "unit": "frames"}
        },
        "rounds": per_round
    });
    // 3. Rebuild every projection from a long log (the check folds all of it and compares).
    let events: u64 = if args.quick { 20_000 } else { 1_000_000 };
    let log_dir = work.path().join("log");
    let demo = Command::new(&vigil).args(["demo", "--data-dir"]).arg(&log_dir).output()?;
    if !demo.status.success() {
        bail!("vigil demo: {}", String::from_utf8_lossy(&demo.stderr));
    }
    fill_log(&log_dir, events)?;
    let mut runs = Vec::new();
    let mut last = Value::Null;
    for _ in 0..3 {
        let started = Instant::now();
        last = rebuild_check(&vigil, &log_dir)?;
        runs.push(started.elapsed().as_secs_f64());
    }
    runs.sort_by(f64::total_cmp);
    let rebuild = json!({
        "name": "event_log_rebuild",
        "parameters": {"events": last["events"], "incidents": last["incidents"], "runs": runs.len()},
        "figures": {
            "rebuild_check_s": {"value": (runs[runs.len() / 2] * 100.0).round() / 100.0, "unit": "s"},
            "fold_s": {"value": last["seconds"].as_f64().map(|s| (s * 100.0).round() / 100.0), "unit": "s"},
            "differences": {"value": last["differences"].as_array().map_or(0, Vec::len), "unit": "rows"},
            "target_s": {"value": 10, "unit": "s"}
        }
    });
    eprintln!("bench: rebuild {rebuild}");
    let markdown = vigil_e2e::report::write(&out, vec![storm, kills, rebuild], args.quick)?;
    eprintln!("bench: wrote {} and {}", out.join("results.json").display(), markdown.display());
    if lost > 0 {
        bail!("{lost} acknowledged frames were lost");
    }
    Ok(())
}
