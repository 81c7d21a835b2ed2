//! A real PostgreSQL server for tests and benchmarks, started from Debian's `postgresql` binaries:
//! a cluster of its own in a temporary directory, on a port of its own, trusting loopback only,
//! run as the `postgres` user when started by root (PostgreSQL refuses to run as root). No system
//! service is used or touched.
//!
//! `VIGIL_TEST_POSTGRES` (an admin URL such as `postgres://postgres@127.0.0.1:5499/postgres`)
//! names a server started already — `scripts/test.sh` starts one for the whole run — and then
//! nothing is started here. Either way each test asks for a [`Postgres::database`] of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A PostgreSQL server: started here (and stopped when dropped), or the one the environment names.
pub struct Postgres {
    host: String,
    port: u16,
    user: String,
    bin: PathBuf,
    own: Option<Cluster>,
}

struct Cluster {
    dir: tempfile::TempDir,
    as_postgres: bool,
}

/// How a test's setup failed, said so the reader knows what to install or fix.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn fail(what: impl Into<String>) -> Error {
    Error(what.into())
}

/// The directory holding `initdb`, `pg_ctl` and `createdb`: `PG_BIN` when set, else the newest
/// of Debian's `/usr/lib/postgresql/*/bin`, else what `pg_config --bindir` says.
pub fn binaries() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Ok(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output().ok().filter(|o| o.status.success());
    match out {
        Some(o) => Ok(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())),
        None => Err(fail("PostgreSQL's server binaries are not installed (Debian: apt-get install postgresql; scripts/setup.sh does it)")),
    }
}

fn free_port() -> Result<u16, Error> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| fail(format!("no free port: {e}")))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Runs a PostgreSQL binary, as `postgres` when asked; fails with what it printed.
fn run(as_postgres: bool, program: &Path, args: &[&str]) -> Result<(), Error> {
    let mut command = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot run {}: {e}", program.display())))?;
    if !out.status.success() {
        return Err(fail(format!(
            "{} {} failed: {}{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )));
    }
    Ok(())
}

impl Postgres {
    /// The server `VIGIL_TEST_POSTGRES` names, or a new one of this process's own.
    pub fn start() -> Result<Postgres, Error> {
        let bin = binaries()?;
        if let Ok(url) = std::env::var("VIGIL_TEST_POSTGRES") {
            return Postgres::at(&url, bin);
        }
        Postgres::start_own(bin, &[])
    }

    /// A new server of this process's own, with extra `postgres -c` settings (`name=value`).
    pub fn start_own(bin: PathBuf, settings: &[&str]) -> Result<Postgres, Error> {
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("vigil-pg-")
            .tempdir()
            .map_err(|e| fail(format!("no temporary directory: {e}")))?;
        let data = dir.path().join("data");
        if as_postgres {
            let owned = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| fail(format!("cannot run chown: {e}")))?;
            if !owned.success() {
                return Err(fail("the postgres user is missing (it comes with Debian's postgresql package)"));
            }
        }
        let data_text = data.display().to_string();
        run(
            as_postgres,
            &bin.join("initdb"),
            &["-D", &data_text, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
        )?;
        let port = free_port()?;
        let socket_dir = dir.path().display().to_string();
        let mut options = format!("-c listen_addresses=127.0.0.1 -p {port} -k {socket_dir}");
        for s in settings {
            options.push_str(&format!(" -c {s}"));
        }
        let log = dir.path().join("postgres.log").display().to_string();
        run(
            as_postgres,
            &bin.join("pg_ctl"),
            &["-D", &data_text, "-l", &log, "-o", &options, "-w", "-t", "60", "start"],
        )?;
        let pg = Postgres {
            host: "127.0.0.1".into(),
            port,
            user: "postgres".into(),
            bin,
            own: Some(Cluster { dir, as_postgres }),
        };
        pg.wait_ready()?;
        Ok(pg)
    }

    fn at(url: &str, bin: PathBuf) -> Result<Postgres, Error> {
        // postgres://user@host:port/db — the forms scripts/test.sh and a developer would write.
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| fail(format!("VIGIL_TEST_POSTGRES is not a postgres:// URL: {url}")))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let (user, hostport) = authority.rsplit_once('@').unwrap_or(("postgres", authority));
        let user = user.split(':').next().unwrap_or("postgres");
        let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "5432"));
        let port = port.parse().map_err(|_| fail(format!("VIGIL_TEST_POSTGRES has no valid port: {url}")))?;
        Ok(Postgres { host: host.into(), port, user: user.into(), bin, own: None })
    }

    fn wait_ready(&self) -> Result<(), Error> {
        let started = Instant::now();
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", &self.host, "-p", &self.port.to_string(), "-U", &self.user])
                .stdout(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err(fail(format!("PostgreSQL on port {} did not answer within 30 s", self.port)));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new, empty database of its own, and the URL a `vigil server --database` takes.
    pub fn database(&self) -> Result<String, Error> {
        let name = format!("vigil_{}", uuid::Uuid::now_v7().simple());
        let port = self.port.to_string();
        run(false, &self.bin.join("createdb"), &["-h", &self.host, "-p", &port, "-U", &self.user, &name])?;
        Ok(format!("postgres://{}@{}:{}/{name}", self.user, self.host, self.port))
    }

    /// The rows `sql` returns from the database at `url`, each row's columns joined by `|`
    /// (`psql`, so a test reads the server's tables without a client library of its own).
    pub fn query(&self, url: &str, sql: &str) -> Result<Vec<String>, Error> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| fail(format!("cannot run psql: {e}")))?;
        if !out.status.success() {
            return Err(fail(format!("psql {sql:?}: {}", String::from_utf8_lossy(&out.stderr))));
        }
        Ok(String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.is_empty()).map(str::to_owned).collect())
    }

    /// The server's log (what it said when it failed to start, say), when it is this process's own.
    pub fn log(&self) -> Option<String> {
        self.own.as_ref().and_then(|c| std::fs::read_to_string(c.dir.path().join("postgres.log")).ok())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(cluster) = &self.own {
            let data = cluster.dir.path().join("data").display().to_string();
            let _ = run(cluster.as_postgres, &self.bin.join("pg_ctl"), &["-D", &data, "-m", "immediate", "-w", "stop"]);
        }
    }
}
