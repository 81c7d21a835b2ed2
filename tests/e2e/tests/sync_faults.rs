//! The server and three `vigil agent` processes, each agent behind a fault-injecting proxy, while
//! DC-09 alarms for the same points arrive at all three: partitions, answers dropped after the
//! server committed, duplicated and delayed requests, `kill -9` of the server and of agents, one
//! agent's clock ten minutes ahead. After healing, every event exists once everywhere, no chain
//! has a gap, and every workstation's incidents are the server's.
//!
//! The faults are drawn from a seed that is printed; `VIGIL_FAULT_SEED=N` replays a run and
//! `VIGIL_FAULT_SECONDS` makes it longer (the benchmark runs minutes); `VIGIL_FAULT_KEEP=1` keeps
//! every database in `target/sync-faults/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use vigil_e2e::proxy::{Fault, FaultProxy};
use vigil_e2e::vigil_binary as vigil;
use vigil_e2e::{first_json_line, free_port, workspace_root};
use vigil_pgtest::Postgres;

fn demo() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let out = Command::new(vigil()).args(["demo", "--patrol-days", "0", "--data-dir"]).arg(dir.path()).output()?;
    if !out.status.success() {
        bail!("vigil demo: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(dir)
}

/// libfaketime, preloaded straight into `vigil` (the `faketime` wrapper forks, and `kill -9` of
/// the wrapper would leave the agent running).
/// `vigil`, its clock moved by `offset` (libfaketime's `FAKETIME`, e.g. "+600") if given.
fn vigil_at(offset: Option<&str>) -> Command {
    vigil_e2e::command_at(&vigil(), offset)
}

struct Server {
    dir: tempfile::TempDir,
    port: u16,
    /// The PostgreSQL database it shares with the other server process, if any.
    database: Option<String>,
    child: Option<Child>,
}

impl Server {
    fn start(&mut self) -> Result<()> {
        let mut command = Command::new(vigil());
        command
            .args(["server", "--json", "--listen", &format!("127.0.0.1:{}", self.port), "--data-dir"])
            .arg(self.dir.path());
        if let Some(url) = &self.database {
            command.args(["--database", url]);
        }
        self.child = Some(first_json_line(command)?.0);
        Ok(())
    }

    fn enroll(&self, name: &str) -> Result<String> {
        let mut command = Command::new(vigil());
        command.args(["server", "enroll", "--name", name, "--data-dir"]).arg(self.dir.path());
        if let Some(url) = &self.database {
            command.args(["--database", url]);
        }
        let out = command.output()?;
        if !out.status.success() {
            bail!("vigil server enroll: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?.trim().to_owned())
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Agent {
    name: String,
    dir: tempfile::TempDir,
    dc09: String,
    /// `faketime` offset of its clock.
    clock: Option<&'static str>,
    child: Option<Child>,
}

impl Agent {
    fn start(&mut self, enroll: Option<(&str, &str)>) -> Result<()> {
        let mut command = vigil_at(self.clock);
        command.args(["agent", "--json", "--http", "", "--dc09", &self.dc09, "--data-dir"]).arg(self.dir.path());
        if let Some((server, code)) = enroll {
            command.args(["--server", server, "--enroll", code]);
        }
        self.child = Some(first_json_line(command).with_context(|| format!("agent {}", self.name))?.0);
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn db(dir: &Path) -> Result<rusqlite::Connection> {
    db_at(&dir.join("vigil.db"))
}

fn db_at(file: &Path) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(file)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

fn event_ids(dir: &Path) -> Result<Vec<String>> {
    event_ids_at(&dir.join("vigil.db"))
}

fn event_ids_at(file: &Path) -> Result<Vec<String>> {
    let conn = db_at(file)?;
    let mut stmt = conn.prepare("SELECT id FROM events ORDER BY id")?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// The servers' log: SQLite in the one server's directory, or the PostgreSQL database the two
/// server processes share.
enum Log<'a> {
    Sqlite(PathBuf),
    Postgres(&'a Postgres, &'a str),
}

impl Log<'_> {
    fn event_ids(&self) -> Result<Vec<String>> {
        match self {
            Log::Sqlite(dir) => event_ids(dir),
            Log::Postgres(pg, url) => {
                let mut ids = pg.query(url, "SELECT id::text FROM events")?;
                // In the order SQLite's `ORDER BY id` gives the workstations' text ids.
                ids.sort();
                Ok(ids)
            }
        }
    }

    /// The ids of the signals the log holds.
    fn signal_ids(&self) -> Result<std::collections::BTreeSet<String>> {
        let sql = "SELECT json_extract(payload, '$.signal.id') FROM events WHERE kind = 'signal_received'";
        match self {
            Log::Sqlite(dir) => {
                let conn = db(dir)?;
                let mut stmt = conn.prepare(sql)?;
                let ids = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                Ok(ids)
            }
            Log::Postgres(pg, url) => Ok(pg
                .query(url, "SELECT payload::json->'signal'->>'id' FROM events WHERE kind = 'signal_received'")?
                .into_iter()
                .collect()),
        }
    }
}

/// Every live incident folded from the log, by id, with its whole body, in a Vigil database file.
fn incidents_at(file: &Path) -> Result<BTreeMap<String, Value>> {
    let conn = db_at(file)?;
    let mut stmt = conn.prepare("SELECT id, body FROM incidents WHERE deleted = 0 AND from_log = 1")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (id, body) = row?;
        out.insert(id, serde_json::from_str(&body)?);
    }
    Ok(out)
}

/// Whether `dir`'s own events are all confirmed by the server.
fn drained(dir: &Path) -> Result<bool> {
    let conn = db(dir)?;
    let pending: i64 = conn.query_row(
        "SELECT count(*) FROM events WHERE origin = (SELECT value FROM local_meta WHERE key = 'workstation_id')
           AND origin_seq > coalesce((SELECT CAST(value AS INTEGER) FROM local_meta WHERE key = 'sync.pushed'), 0)",
        [],
        |r| r.get(0),
    )?;
    Ok(pending == 0)
}

/// Where two incidents part: the fields that differ and, in the timeline, the first line.
fn describe(server: Option<&Value>, here: Option<&Value>) -> String {
    let (Some(server), Some(here)) = (server, here) else {
        return format!("on the server: {}, here: {}", server.is_some(), here.is_some());
    };
    let mut out = format!("incident {} ({}):", server["id"], server["point"]);
    for (key, value) in server.as_object().into_iter().flatten() {
        if key != "timeline" && here.get(key) != Some(value) {
            out.push_str(&format!(" {key} server {value} here {};", here[key]));
        }
    }
    let (st, ht) = (server["timeline"].as_array(), here["timeline"].as_array());
    if let (Some(st), Some(ht)) = (st, ht) {
        if let Some(i) = (0..st.len().max(ht.len())).find(|i| st.get(*i) != ht.get(*i)) {
            out.push_str(&format!(
                " timeline ({} lines here, {} on the server) parts at line {i}: server {:?} here {:?}",
                ht.len(),
                st.len(),
                st.get(i).map(Value::to_string),
                ht.get(i).map(Value::to_string)
            ));
        }
    }
    out
}

/// `vigil rebuild --check`: the projections are what the whole log folds to, in the agreed order.
fn rebuild_check(dir: &Path) -> Result<()> {
    let out = Command::new(vigil()).args(["rebuild", "--check", "--data-dir"]).arg(dir).output()?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stdout);
        bail!("vigil rebuild --check {}: {}", dir.display(), text.lines().take(8).collect::<Vec<_>>().join(" | "));
    }
    Ok(())
}

fn verify(dir: &Path) -> Result<()> {
    let out = Command::new(vigil()).args(["verify", "--data-dir"]).arg(dir).output()?;
    if !out.status.success() {
        bail!(
            "vigil verify {}: {}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

#[test]
fn after_partitions_lost_answers_duplicates_kills_and_a_skewed_clock_everyone_agrees() -> Result<()> {
    faults(None)
}

/// The same faults with two server processes on one PostgreSQL: ws-b syncs through the second,
/// the others through the first, and either may be killed. What the servers hold is then read
/// from PostgreSQL, and each process's own fold of the log (vigil-fold.db) must equal every workstation's.
#[test]
fn two_server_processes_on_one_postgresql_through_the_same_faults_everyone_agrees() -> Result<()> {
    let pg = Postgres::start().map_err(anyhow::Error::msg)?;
    faults(Some(&pg))
}

fn faults(pg: Option<&Postgres>) -> Result<()> {
    let seed: u64 = std::env::var("VIGIL_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
    });
    let seconds: u64 = std::env::var("VIGIL_FAULT_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(12);
    eprintln!("sync fault test: seed {seed} (replay with VIGIL_FAULT_SEED={seed}), {seconds} s of faults");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let skew = vigil_e2e::libfaketime().is_some();
    if !skew {
        eprintln!(
            "libfaketime is not installed: the skewed clock is left out of this run (scripts/setup.sh installs it)"
        );
    }

    let runtime = tokio::runtime::Runtime::new()?;
    let database = pg.map(|pg| pg.database()).transpose().map_err(anyhow::Error::msg)?;
    let mut servers = vec![Server { dir: demo()?, port: free_port()?, database: database.clone(), child: None }];
    if database.is_some() {
        servers.push(Server { dir: demo()?, port: free_port()?, database: database.clone(), child: None });
    }
    for server in &mut servers {
        server.start()?;
    }
    let log = match (pg, &database) {
        (Some(pg), Some(url)) => Log::Postgres(pg, url),
        _ => Log::Sqlite(servers[0].dir.path().to_owned()),
    };
    let mut agents = Vec::new();
    let mut proxies = Vec::new();
    for (i, name) in ["ws-a", "ws-b", "ws-c"].into_iter().enumerate() {
        let through = &servers[if i == 1 { servers.len() - 1 } else { 0 }];
        let upstream: std::net::SocketAddr = format!("127.0.0.1:{}", through.port).parse()?;
        let proxy = runtime.block_on(FaultProxy::start(upstream))?;
        let code = servers[0].enroll(name)?;
        let mut agent = Agent {
            name: name.into(),
            dir: demo()?,
            dc09: format!("127.0.0.1:{}", free_port()?),
            clock: (i == 2 && skew).then_some("+600"),
            child: None,
        };
        agent.start(Some((&format!("http://{}", proxy.addr), code.trim())))?;
        agents.push(agent);
        proxies.push(proxy);
    }

    // The same panel account at every workstation: the same points, so incidents meet and merge.
    // The skewed workstation's panel shares its clock (DC-09 refuses frames far from the
    // receiver's time); what it records then carries times ten minutes ahead.
    let logs: Vec<PathBuf> = agents.iter().map(|a| a.dir.path().join("acked.log")).collect();
    let sims: Vec<Child> = agents
        .iter()
        .zip(&logs)
        .map(|(a, log)| {
            vigil_at(a.clock)
                .args(["sim", "--dc09", &a.dc09, "--account", "4001", "--zones", "6", "--rate", "8"])
                .args(["--duration", &seconds.to_string(), "--json", "--acked-log"])
                .arg(log)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .context("vigil sim")
        })
        .collect::<Result<_>>()?;

    let start = Instant::now();
    let (mut server_killed, mut agent_kills) = (false, 0);
    while start.elapsed() < Duration::from_secs(seconds) {
        for (i, proxy) in proxies.iter().enumerate() {
            let fault = match rng.gen_range(0..100) {
                0..=44 => Fault::Pass,
                45..=69 => Fault::Partition,
                70..=81 => Fault::DropResponses,
                82..=93 => Fault::Duplicate,
                _ => Fault::Delay(Duration::from_millis(rng.gen_range(50..400))),
            };
            if fault != proxy.fault() {
                eprintln!("{:5.1} s  {}: {fault:?}", start.elapsed().as_secs_f64(), agents[i].name);
            }
            proxy.set(fault);
        }
        let roll = rng.gen_range(0..100);
        if roll < 8 && !server_killed && start.elapsed() > Duration::from_secs(2) {
            let which = rng.gen_range(0..servers.len());
            eprintln!("{:5.1} s  kill -9 server process {}", start.elapsed().as_secs_f64(), which + 1);
            servers[which].kill();
            std::thread::sleep(Duration::from_millis(rng.gen_range(200..1200)));
            servers[which].start()?;
            server_killed = true;
        } else if roll < 16 && agent_kills < 2 {
            let i = rng.gen_range(0..agents.len());
            eprintln!("{:5.1} s  kill -9 {}", start.elapsed().as_secs_f64(), agents[i].name);
            agents[i].kill();
            std::thread::sleep(Duration::from_millis(rng.gen_range(100..800)));
            agents[i].start(None)?;
            agent_kills += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.gen_range(300..1200)));
    }
    for sim in sims {
        let out = sim.wait_with_output()?;
        eprintln!("sim: {}", String::from_utf8_lossy(&out.stdout).trim());
    }

    // Heal, and wait for everyone to agree.
    for proxy in &proxies {
        proxy.set(Fault::Pass);
    }
    eprintln!("healed after {:.1} s; waiting for the queues to drain", start.elapsed().as_secs_f64());
    let healed = Instant::now();
    let agreed = loop {
        let server_ids = log.event_ids()?;
        let mut all = agents.iter().map(|a| Ok(drained(a.dir.path())? && event_ids(a.dir.path())? == server_ids));
        if all.try_fold(true, |ok, each: Result<bool>| each.map(|e| ok && e))? {
            break true;
        }
        if healed.elapsed() > Duration::from_secs(60) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    eprintln!("caught up {:.1} s after healing", healed.elapsed().as_secs_f64());
    // Let the last pulls fold before the processes stop.
    std::thread::sleep(Duration::from_millis(1500));
    for a in &mut agents {
        a.kill();
    }
    // On PostgreSQL every server process folds the log into its own `vigil-fold.db` (killed and
    // restarted with the rest, it goes on from where its fold stood): each must have it all.
    let folds: Vec<PathBuf> = match &log {
        Log::Sqlite(dir) => vec![dir.join("vigil.db")],
        Log::Postgres(..) => servers.iter().map(|s| s.dir.path().join(vigil_server::FOLD_FILE)).collect(),
    };
    if matches!(log, Log::Postgres(..)) {
        let server_ids = log.event_ids()?;
        let waited = Instant::now();
        while !folds
            .iter()
            .all(|fold| event_ids_at(fold).is_ok_and(|ids| server_ids.iter().all(|id| ids.binary_search(id).is_ok())))
        {
            if waited.elapsed() > Duration::from_secs(60) {
                bail!("the servers' folds did not reach the whole log within 60 s (seed {seed})");
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        // The last page folded and committed.
        std::thread::sleep(Duration::from_millis(500));
    }
    for server in &mut servers {
        server.kill();
    }
    if std::env::var_os("VIGIL_FAULT_KEEP").is_some() {
        // For whoever replays a seed: every database as the run left it.
        let keep = workspace_root().join("target/sync-faults");
        let _ = std::fs::remove_dir_all(&keep);
        for (name, dir) in std::iter::once(("server", servers[0].dir.path()))
            .chain(agents.iter().map(|a| (a.name.as_str(), a.dir.path())))
        {
            std::fs::create_dir_all(keep.join(name))?;
            for file in ["vigil.db", "vigil.db-wal", vigil_server::FOLD_FILE] {
                if dir.join(file).exists() {
                    std::fs::copy(dir.join(file), keep.join(name).join(file))?;
                }
            }
        }
        eprintln!("kept the databases in {}", keep.display());
    }

    let server_ids = log.event_ids()?;
    for a in &agents {
        let ids = event_ids(a.dir.path())?;
        let missing = server_ids.iter().filter(|id| ids.binary_search(id).is_err()).count();
        let extra = ids.iter().filter(|id| server_ids.binary_search(id).is_err()).count();
        assert!(
            agreed,
            "{}: {missing} of the server's events missing, {extra} not on the server (seed {seed})",
            a.name
        );
    }
    assert!(server_ids.len() > 30, "the workload got through: {} events (seed {seed})", server_ids.len());
    match &log {
        Log::Sqlite(dir) => {
            verify(dir)?;
            rebuild_check(dir)?;
        }
        Log::Postgres(_, url) => {
            // The servers' copy in PostgreSQL: every chain walked, every witnessed head found.
            let out = Command::new(vigil())
                .args(["server", "verify", "--database", url, "--data-dir"])
                .arg(servers[0].dir.path())
                .output()?;
            if !out.status.success() {
                bail!(
                    "vigil server verify: {}{} (seed {seed})",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    let on_server = incidents_at(&folds[0])?;
    for other in &folds[1..] {
        assert!(incidents_at(other)? == on_server, "the two server processes fold the log alike (seed {seed})");
    }
    for a in &agents {
        verify(a.dir.path())?;
        rebuild_check(a.dir.path())?;
        let here = incidents_at(&a.dir.path().join("vigil.db"))?;
        let differing: Vec<&String> =
            on_server.keys().chain(here.keys()).filter(|id| on_server.get(*id) != here.get(*id)).collect();
        assert!(
            differing.is_empty(),
            "{}: {} incident(s) differ from the server's; the first: {} (seed {seed})",
            a.name,
            differing.len(),
            differing.first().map_or(String::new(), |id| describe(on_server.get(*id), here.get(*id)))
        );
    }
    // Every frame a workstation acknowledged to its sender reached the server's log.
    let in_log = log.signal_ids()?;
    for (a, log) in agents.iter().zip(&logs) {
        let conn = db(a.dir.path())?;
        let acked = std::fs::read_to_string(log).unwrap_or_default().lines().count();
        let mut stmt = conn.prepare("SELECT id FROM alarm_signals WHERE account = '4001'")?;
        let signals: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        assert!(signals.len() >= acked, "{}: {} stored < {acked} acknowledged", a.name, signals.len());
        for id in &signals {
            assert!(in_log.contains(id), "{}: signal {id} is not in the server's log (seed {seed})", a.name);
        }
    }
    eprintln!("{} events, {} incidents, the same everywhere", server_ids.len(), on_server.len());
    Ok(())
}
