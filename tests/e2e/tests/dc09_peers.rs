//! `vigil agent` and `vigil sim` against independent DC-09 implementations from PyPI (siadc09,
//! my-dc09-spt, pysiaalarm), and against `kill -9`: every acknowledged alarm is stored, once.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use vigil_e2e::vigil_binary as vigil;
use vigil_e2e::workspace_root;

const HEX_KEY: &str = "000102030405060708090A0B0C0D0E0F";
const TEXT_KEY: &str = "0123456789abcdef";

fn python() -> Result<PathBuf> {
    let py = workspace_root().join(".venv/bin/python");
    if !py.exists() {
        bail!("{} is missing: scripts/setup.sh makes the venv with the DC-09 peers", py.display());
    }
    Ok(py)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// The demo hospital plus two keyed accounts: 1234 (hex key) and 5678 (text key).
fn workstation() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let out = Command::new(vigil()).args(["demo", "--data-dir"]).arg(dir.path()).output()?;
    if !out.status.success() {
        bail!("vigil demo: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut settings = std::fs::read_to_string(dir.path().join("vigil.toml"))?;
    settings.push_str(&format!(
        "\n[[dc09.accounts]]\naccount = \"1234\"\nkey = \"{HEX_KEY}\"\n\n[[dc09.accounts]]\naccount = \"5678\"\nkey = \"{TEXT_KEY}\"\nkey_format = \"text\"\n"
    ));
    std::fs::write(dir.path().join("vigil.toml"), settings)?;
    Ok(dir)
}

struct Agent {
    child: Child,
    tcp: String,
    udp: String,
    http: String,
}

fn agent(dir: &Path, dc09: &str) -> Result<Agent> {
    agent_with_clock(dir, dc09, None)
}

/// `vigil`, its wall clock moved by `offset` (libfaketime) when one is given.
fn vigil_with_clock(offset: Option<&str>) -> Command {
    vigil_e2e::command_at(&vigil(), offset)
}

/// `vigil agent`, its clock moved by `offset` if given.
fn agent_with_clock(dir: &Path, dc09: &str, offset: Option<&str>) -> Result<Agent> {
    let mut command = vigil_with_clock(offset);
    let mut child = command
        .args(["agent", "--data-dir"])
        .arg(dir)
        .args(["--dc09", dc09, "--http", "127.0.0.1:0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("start vigil agent")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    let addrs: Value = serde_json::from_str(&line).with_context(|| format!("agent said {line:?}"))?;
    let text = |k: &str| addrs[k].as_str().unwrap_or("").to_owned();
    Ok(Agent { child, tcp: text("dc09_tcp"), udp: text("dc09_udp"), http: text("http") })
}

fn count(dir: &Path, sql: &str) -> Result<i64> {
    let conn = rusqlite::Connection::open(dir.join("vigil.db"))?;
    Ok(conn.query_row(sql, [], |r| r.get(0))?)
}

fn run_json(cmd: &mut Command) -> Result<Value> {
    let out = cmd.output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("").to_owned();
    let value: Value = serde_json::from_str(&last)
        .with_context(|| format!("output {text:?} {}", String::from_utf8_lossy(&out.stderr)))?;
    if !out.status.success() {
        bail!("{:?} failed: {value}", cmd.get_program());
    }
    Ok(value)
}

#[test]
fn independent_senders_are_acknowledged_and_their_alarms_stored() -> Result<()> {
    let dir = workstation()?;
    let mut agent = agent(dir.path(), "127.0.0.1:0")?;
    let result = (|| -> Result<()> {
        let script = |name: &str| workspace_root().join("tests/interop").join(name);
        let sia = run_json(Command::new(python()?).arg(script("siadc09_peer.py")).args([
            "--tcp",
            &agent.tcp,
            "--udp",
            &agent.udp,
            "--plain-account",
            "1001",
            "--key-account",
            "1234",
            "--key",
            HEX_KEY,
            "--text-account",
            "5678",
            "--text-key",
            TEXT_KEY,
        ]))?;
        // siadc09 and the strict reader (every encrypted answer decrypted to text before `]` is
        // looked for) read every ACK; NAK and DUH name what they should.
        assert_eq!(sia["failed"], 0, "siadc09 read every answer as expected: {sia}");
        assert_eq!(sia["acked_events"], 12);
        let port = |a: &str| a.rsplit(':').next().unwrap_or("").to_owned();
        let spt = run_json(Command::new(python()?).arg(script("mydc09_peer.py")).args([
            "--tcp-port",
            &port(&agent.tcp),
            "--udp-port",
            &port(&agent.udp),
            "--plain-account",
            "1001",
            "--key-account",
            "5678",
            "--key-text",
            TEXT_KEY,
            "--hex-account",
            "1234",
            "--key-hex",
            HEX_KEY,
        ]))?;
        assert_eq!(spt["acked"].as_array().map(Vec::len), Some(12), "my-dc09-spt: {spt}");
        assert_eq!(spt["strict_failures"].as_array().map(Vec::len), Some(0), "strict reader: {spt}");
        // Exactly the acknowledged events are stored: 4 + 4 plain on 1001, 4 + 4 encrypted each on
        // 1234 (hex key) and 5678 (text key); the wrong-key, bad-CRC and unreadable frames store nothing.
        assert_eq!(count(dir.path(), "SELECT count(*) FROM alarm_signals WHERE account = '1001'")?, 8);
        assert_eq!(count(dir.path(), "SELECT count(*) FROM alarm_signals WHERE account = '1234'")?, 8);
        assert_eq!(count(dir.path(), "SELECT count(*) FROM alarm_signals WHERE account = '5678'")?, 8);
        assert_eq!(count(dir.path(), "SELECT count(*) FROM alarm_signals")?, 24);
        // vigil sim's HTTP event sender, with the intake token vigil.toml was written with.
        let settings = std::fs::read_to_string(dir.path().join("vigil.toml"))?;
        let token = settings
            .lines()
            .find_map(|l| l.strip_prefix("intake_token = \""))
            .and_then(|l| l.strip_suffix('"'))
            .context("intake token")?;
        let http = run_json(Command::new(vigil()).args([
            "sim",
            "--http",
            &format!("http://{}", agent.http),
            "--token",
            token,
            "--rate",
            "50",
            "--count",
            "5",
            "--json",
        ]))?;
        assert_eq!(http["acked"], 5, "{http}");
        assert_eq!(count(dir.path(), "SELECT count(*) FROM alarm_signals WHERE source = 'http'")?, 5);
        // Link tests refresh the panel's link state and store no alarm.
        assert_eq!(count(dir.path(), "SELECT count(*) FROM dc09_links WHERE account IN ('1001', '1234')")?, 2);
        Ok(())
    })();
    let _ = agent.child.kill();
    let _ = agent.child.wait();
    result?;
    vigil_e2e::check_log(dir.path())
}

#[test]
fn vigil_sim_is_understood_by_pysiaalarm() -> Result<()> {
    let port = free_port();
    let mut receiver = Command::new(python()?)
        .arg(workspace_root().join("tests/interop/pysiaalarm_receiver.py"))
        .args([
            "--port",
            &port.to_string(),
            "--account",
            "4321",
            "--key",
            "0123456789ABCDEF",
            "--expect",
            "10",
            "--timeout",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = receiver.stdout.take().context("stdout")?;
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    assert_eq!(lines.next().transpose()?.as_deref(), Some("ready"));
    let sim = run_json(Command::new(vigil()).args([
        "sim",
        "--dc09",
        &format!("127.0.0.1:{port}"),
        "--account",
        "4321",
        "--key-text",
        "0123456789ABCDEF",
        "--rate",
        "20",
        "--duration",
        "30",
        "--count",
        "10",
        "--json",
    ]))?;
    let report: Value = serde_json::from_str(&lines.next().transpose()?.unwrap_or_default())?;
    let _ = receiver.wait();
    assert_eq!(sim["acked"], 10, "pysiaalarm acknowledged every frame: {sim}");
    let events = report["events"].as_array().context("events")?;
    assert_eq!(events.len(), 10, "{report}");
    assert!(events.iter().all(|e| e["valid"] == true && e["account"] == "4321"), "{report}");
    Ok(())
}

#[test]
fn every_acknowledged_alarm_survives_kill_9_exactly_once() -> Result<()> {
    let dir = workstation()?;
    let addr = format!("127.0.0.1:{}", free_port());
    let log = dir.path().join("acked.log");
    let mut agent = agent(dir.path(), &addr)?;
    let sim = Command::new(vigil())
        .args([
            "sim",
            "--dc09",
            &addr,
            "--account",
            "1001",
            "--zones",
            "20",
            "--rate",
            "150",
            "--duration",
            "6",
            "--connections",
            "4",
            "--json",
            "--acked-log",
        ])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(1200));
        agent.child.kill()?; // SIGKILL: no chance to flush anything
        agent.child.wait()?;
        agent = self::agent(dir.path(), &addr)?;
    }
    let out = sim.wait_with_output()?;
    let summary: Value = serde_json::from_slice(&out.stdout)?;
    let _ = agent.child.kill();
    let _ = agent.child.wait();

    let acked = std::fs::read_to_string(&log)?;
    let conn = rusqlite::Connection::open(dir.path().join("vigil.db"))?;
    let mut lines = 0;
    for line in acked.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        let [account, sequence, data, ts] = parts.as_slice() else { bail!("bad log line {line:?}") };
        let sent = vigil_dc09::Timestamp::parse(ts).context("timestamp")?.0.unix_timestamp() * 1000;
        let key = format!("dc09:{account}:{sequence}:{data}:{sent}:0");
        let n: i64 =
            conn.query_row("SELECT count(*) FROM alarm_signals WHERE idempotency_key = ?1", [&key], |r| r.get(0))?;
        assert_eq!(n, 1, "acknowledged frame {line:?} is stored exactly once");
        lines += 1;
    }
    assert!(lines > 100, "the storm got through between the kills: {summary}");
    assert_eq!(summary["acked"].as_i64(), Some(lines), "{summary}");
    let stored: i64 = conn.query_row("SELECT count(*) FROM alarm_signals WHERE account = '1001'", [], |r| r.get(0))?;
    assert!(stored >= lines, "stored {stored} < acknowledged {lines}");
    // Every acknowledged frame is an event of the log, and its incident is in the projection.
    let orphans: i64 = conn.query_row(
        "SELECT count(*) FROM alarm_signals s WHERE s.account = '1001' AND (
             NOT EXISTS (SELECT 1 FROM events e WHERE e.kind = 'signal_received' AND json_extract(e.payload, '$.signal.id') = s.id)
             OR s.incident_id IS NULL
             OR NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = s.incident_id AND i.deleted = 0))",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(orphans, 0, "every stored signal has its event and its incident");
    drop(conn);
    vigil_e2e::check_log(dir.path())?;
    Ok(())
}

/// Sends one frame over TCP and returns the answer.
fn send_frame(addr: &str, frame: &[u8]) -> Result<Vec<u8>> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(frame)?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 512];
    while !answer.ends_with(b"\r") {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    Ok(answer)
}

#[test]
fn the_same_frame_on_two_workstations_opens_the_same_incident() -> Result<()> {
    let (one, two) = (workstation()?, workstation()?);
    let mut agents = [agent(one.path(), "127.0.0.1:0")?, agent(two.path(), "127.0.0.1:0")?];
    let result = (|| -> Result<()> {
        // A panel's primary and backup path: the same bytes to both receivers.
        let now = time::OffsetDateTime::now_utc();
        let frame = vigil_dc09::Frame::contact_id("1001", 17, 120, 3, now).encode(None, b"");
        for a in &agents {
            let answer = send_frame(&a.tcp, &frame)?;
            assert!(String::from_utf8_lossy(&answer).contains("\"ACK\"0017"), "{}", String::from_utf8_lossy(&answer));
        }
        let incident = |dir: &Path| -> Result<(String, String)> {
            let conn = rusqlite::Connection::open(dir.join("vigil.db"))?;
            Ok(conn.query_row("SELECT id, incident_id FROM alarm_signals WHERE account = '1001'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
        };
        let (a, b) = (incident(one.path())?, incident(two.path())?);
        assert_eq!(a, b, "the same signal id and the same incident id on both workstations");
        let origin = |dir: &Path| -> Result<String> {
            let conn = rusqlite::Connection::open(dir.join("vigil.db"))?;
            Ok(conn.query_row("SELECT origin FROM events LIMIT 1", [], |r| r.get(0))?)
        };
        assert_ne!(origin(one.path())?, origin(two.path())?, "each data directory is a workstation of its own");
        Ok(())
    })();
    for a in &mut agents {
        let _ = a.child.kill();
        let _ = a.child.wait();
    }
    result?;
    vigil_e2e::check_log(one.path())?;
    vigil_e2e::check_log(two.path())
}

/// The HLC never runs backwards: `vigil agent` restarted with its clock set an hour back (and the
/// sender on the same clock) goes on stamping its events after the ones before.
#[test]
fn the_event_clock_survives_a_restart_an_hour_back() -> Result<()> {
    if Command::new("faketime").arg("-f").arg("+0").arg("true").status().map(|s| !s.success()).unwrap_or(true) {
        bail!("faketime is missing: scripts/setup.sh installs it");
    }
    let dir = workstation()?;
    let addr = format!("127.0.0.1:{}", free_port());
    let send = |offset: Option<&str>, count: &str| -> Result<Value> {
        run_json(vigil_with_clock(offset).args([
            "sim",
            "--dc09",
            &addr,
            "--account",
            "1001",
            "--zones",
            "5",
            "--rate",
            "50",
            "--count",
            count,
            "--json",
        ]))
    };
    let mut first = agent(dir.path(), &addr)?;
    let sent = send(None, "5")?;
    assert_eq!(sent["acked"], 5, "{sent}");
    first.child.kill()?;
    first.child.wait()?;
    // The same data directory, the wall clock an hour behind.
    let mut second = agent_with_clock(dir.path(), &addr, Some("-1h"))?;
    let sent = send(Some("-1h"), "5");
    let _ = second.child.kill();
    let _ = second.child.wait();
    assert_eq!(sent?["acked"], 5);
    let conn = rusqlite::Connection::open(dir.path().join("vigil.db"))?;
    let mut stmt = conn.prepare("SELECT hlc, wall FROM events ORDER BY seq")?;
    let rows: Vec<(i64, i64)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    assert!(rows.len() >= 10, "{} events", rows.len());
    assert!(rows.windows(2).all(|w| w[1].0 > w[0].0), "HLC stamps strictly increase in commit order: {rows:?}");
    let (first_wall, last_wall) = (rows[0].1, rows[rows.len() - 1].1);
    assert!(last_wall < first_wall - 3_000_000, "the later events' wall clock really was an hour back");
    drop(stmt);
    drop(conn);
    vigil_e2e::check_log(dir.path())
}
