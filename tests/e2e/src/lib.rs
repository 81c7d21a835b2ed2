//! Drives the real `vigil-desktop` window through tauri-driver and WebKitWebDriver, for the
//! end-to-end tests and the webview benchmarks. Run under Xvfb (see `scripts/test.sh`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

pub mod alarm;
pub mod procs;
pub mod proxy;
pub mod report;

/// Puts every device of a hospital group on one floor (scaled into its plan): the stress floor of
/// the map and alarm benchmarks. Returns the floor's id and how many devices it now holds.
pub fn stress_floor(dir: &Path) -> Result<(String, i64)> {
    let conn = rusqlite::Connection::open(dir.join("vigil.db"))?;
    let (floor, w, h): (String, f64, f64) = conn.query_row(
        "SELECT f.id, f.plan_w, f.plan_h FROM floors f JOIN buildings b ON b.id = f.building_id
         WHERE b.kind = 'outpatient' AND f.level = 1 ORDER BY b.code LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    conn.execute(
        "UPDATE devices SET
            x = x * ?2 / (SELECT plan_w FROM floors WHERE floors.id = devices.floor_id),
            y = y * ?3 / (SELECT plan_h FROM floors WHERE floors.id = devices.floor_id),
            floor_id = ?1",
        rusqlite::params![floor, w, h],
    )?;
    let n: i64 = conn.query_row("SELECT count(*) FROM devices WHERE floor_id = ?1", [&floor], |r| r.get(0))?;
    Ok((floor, n))
}

/// `vigil sim --snapshots`: the demo cameras' snapshots, served where the demo hospital's cameras
/// look for them (`vigil_demo::DEMO_SNAPSHOTS`), as on a demo workstation. Stopped when dropped.
pub fn snapshot_server(vigil: &Path) -> Result<Child> {
    Command::new(vigil)
        .args(["sim", "--snapshots", "127.0.0.1:8791"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("start {} sim --snapshots (build the workspace first)", vigil.display()))
}

/// libfaketime, as Debian's `faketime` package installs it, if it is there.
pub fn libfaketime() -> Option<PathBuf> {
    let lib = std::fs::read_dir("/usr/lib").ok()?.flatten().map(|e| e.path().join("faketime/libfaketime.so.1"));
    lib.into_iter().find(|p| p.exists())
}

/// `binary` with its wall clock moved by `offset` (libfaketime's `FAKETIME`: "+600", "-1h") when
/// one is given, preloaded into the process itself. Not through the `faketime` wrapper: it forks,
/// and killing it would leave the process it started running after the test.
pub fn command_at(binary: &Path, offset: Option<&str>) -> std::process::Command {
    let mut command = std::process::Command::new(binary);
    if let (Some(offset), Some(lib)) = (offset, libfaketime()) {
        command.env("LD_PRELOAD", lib).env("FAKETIME", offset).env("FAKETIME_DONT_RESET", "1");
    }
    command
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

/// The desktop binary under test: `VIGIL_DESKTOP_BIN`, else the workspace's debug build.
pub fn desktop_binary() -> Result<PathBuf> {
    let path = match std::env::var_os("VIGIL_DESKTOP_BIN") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("target/debug/vigil-desktop"),
    };
    if !path.exists() {
        bail!("{} does not exist: build it first (scripts/test.sh does)", path.display());
    }
    Ok(path)
}

fn tauri_driver() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let candidates = [home.join(".cargo/bin/tauri-driver"), PathBuf::from("/usr/local/bin/tauri-driver")];
    candidates.into_iter().find(|p| p.exists()).context(
        "tauri-driver is not installed: `cargo install tauri-driver --locked --version ^2` (scripts/setup.sh does)",
    )
}

/// A loopback port free right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts a `vigil` command that announces itself with one JSON line on stdout (`--json`: its
/// addresses) and returns it with that line; one that prints nothing within 60 s is killed.
pub fn first_json_line(mut command: std::process::Command) -> Result<(std::process::Child, Value)> {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().context("start vigil")?;
    let stdout = child.stdout.take().context("stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        let _ = tx.send(read.map(|_| line));
    });
    let line = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(line) => line?,
        Err(_) => {
            let _ = child.kill();
            bail!("{:?} printed nothing within 60 s", command.get_args().collect::<Vec<_>>());
        }
    };
    let value = serde_json::from_str(&line).with_context(|| format!("vigil said {line:?}"))?;
    Ok((child, value))
}

/// A running console window and the WebDriver session that drives it.
pub struct Desktop {
    pub client: Client,
    driver: Child,
    data_dir: PathBuf,
}

impl Desktop {
    /// Starts `vigil-desktop` on `data_dir` with the given system locale (e.g. `zh_CN.UTF-8`).
    pub async fn launch(data_dir: &Path, locale: &str) -> Result<Desktop> {
        if std::env::var_os("DISPLAY").is_none() {
            bail!("no DISPLAY: run the end-to-end tests under Xvfb (scripts/test.sh does)");
        }
        let app = desktop_binary()?;
        let port = free_port()?;
        let native_port = free_port()?;
        let mut driver = Command::new(tauri_driver()?)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
                "--native-driver",
                "/usr/bin/WebKitWebDriver",
            ])
            .env("VIGIL_DATA_DIR", data_dir)
            .env("LANG", locale)
            .env("LC_ALL", locale)
            .env("LANGUAGE", locale.split('.').next().unwrap_or(locale))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("start tauri-driver")?;

        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if Instant::now() > deadline {
                let _ = driver.kill().await;
                bail!("tauri-driver did not open port {port}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": app }));
        caps.insert("browserName".into(), json!("wry"));
        // tauri-driver listens before the native driver behind it answers: a refused first
        // session is asked for again, a few times, before the launch counts as failed.
        let mut attempt = 0;
        let client = loop {
            match ClientBuilder::rustls()?.capabilities(caps.clone()).connect(&url).await {
                Ok(client) => break client,
                Err(error) if attempt < 4 => {
                    attempt += 1;
                    eprintln!("vigil-e2e: no WebDriver session yet ({error}); asking again");
                    tokio::time::sleep(Duration::from_millis(750)).await;
                }
                Err(error) => return Err(anyhow::Error::new(error).context("open a WebDriver session")),
            }
        };
        Ok(Desktop { client, driver, data_dir: data_dir.to_owned() })
    }

    /// The process that runs the window and its WebDriver harness: the window's processes
    /// (`vigil-desktop`, WebKit's) are among its descendants (see `procs`).
    pub fn root_pid(&self) -> Option<u32> {
        self.driver.id()
    }

    /// Waits until the console has loaded its overview and drawn the campus.
    pub async fn wait_ready(&self) -> Result<()> {
        self.wait_for("window.__vigil && (window.__vigil.ready || window.__vigil.error)", Duration::from_secs(60))
            .await?;
        let error = self.client.execute("return window.__vigil.error || null", vec![]).await?;
        if let Some(message) = error.as_str() {
            bail!("the console failed to start: {message}");
        }
        Ok(())
    }

    /// Polls a JavaScript expression until it is truthy.
    pub async fn wait_for(&self, expression: &str, timeout: Duration) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            // A DOM node comes back as `true`: a handle to it would go stale when the console
            // redraws (its lists are rebuilt on every change).
            let value = self
                .client
                .execute(&format!("const v = ({expression}); return v instanceof Node ? true : (v || null)"), vec![])
                .await?;
            if !value.is_null() && value != json!(false) {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for `{expression}`");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs an async script: the body gets `done` as its last argument.
    pub async fn run_async(&self, body: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client.execute_async(body, args).await?)
    }

    pub async fn testid(&self, id: &str) -> Result<fantoccini::elements::Element> {
        let locator = format!("[data-testid=\"{id}\"]");
        Ok(self.client.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css(&locator)).await?)
    }

    /// The text of an element as the DOM holds it (WebDriver's own text skips ellipsed boxes).
    pub async fn text_content(&self, id: &str) -> Result<String> {
        let value = self
            .client
            .execute("const e = document.querySelector(`[data-testid=\"${arguments[0]}\"]`); return e ? e.textContent : null;", vec![json!(id)])
            .await?;
        value.as_str().map(str::to_owned).with_context(|| format!("no element with data-testid {id}"))
    }

    /// Logs in on the login screen by typing, as an operator does, and waits until it is gone.
    pub async fn login(&self, name: &str, pin: &str) -> Result<()> {
        self.testid("login").await?;
        self.testid("login-name").await?.send_keys(name).await?;
        self.testid("login-pin").await?.send_keys(pin).await?;
        self.testid("login-submit").await?.click().await?;
        self.wait_for("document.querySelector('.login-overlay').hidden", Duration::from_secs(15))
            .await
            .context("the login screen goes away after a good PIN")?;
        Ok(())
    }

    /// Closes every open incident through the window's API (each with a note first, which a
    /// missed round needs) and waits until the alarm list is empty: a desk to start counting from.
    pub async fn close_all(&self) -> Result<u64> {
        let n = self
            .run_async(
                "const done = arguments[arguments.length - 1]; const api = window.__vigil.api;
                 (async () => { const open = await api.incidents();
                   for (const i of open) { await api.act(i.id, { action: 'note', text: 'test: cleared' }); await api.act(i.id, { action: 'close', category: 'test' }); }
                   return open.length; })().then(done, e => done({ error: String(e) }));",
                vec![],
            )
            .await?;
        if let Some(error) = n.get("error").and_then(Value::as_str) {
            bail!("closing the open incidents: {error}");
        }
        self.wait_for("window.__vigil.console.alarms.incidents.length === 0", Duration::from_secs(15)).await?;
        Ok(n.as_u64().unwrap_or(0))
    }

    /// Closes the selected incident `id` with the keyboard — C, then the category's digit — and
    /// waits until its row has left the alarm list.
    pub async fn close_with_keys(&self, id: &str, category: char) -> Result<()> {
        self.press('c').await?;
        self.wait_for("!!document.querySelector('[data-testid=close-categories]')", Duration::from_secs(15)).await?;
        self.press(category).await?;
        self.wait_for(&format!("!document.querySelector('[data-testid=alarm-row-{id}]')"), Duration::from_secs(10))
            .await
            .context("a closed incident leaves the alarm list")?;
        Ok(())
    }

    /// Waits until the element with test id `id` has the focus, without taking a handle to it.
    ///
    /// WebDriver keeps every element it hands out alive for the whole session: a soak that looked
    /// up each form's input would keep every incident panel it ever typed into, and measure that.
    pub async fn wait_focus(&self, id: &str) -> Result<()> {
        self.wait_for(&format!("document.activeElement?.dataset.testid === '{id}'"), Duration::from_secs(15))
            .await
            .with_context(|| format!("{id} has the focus"))?;
        Ok(())
    }

    /// Types `text` on whatever has the focus, key by key (`\u{E007}` is Enter).
    pub async fn type_text(&self, text: &str) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut keys = KeyActions::new("keyboard".into());
        for value in text.chars() {
            keys = keys.then(KeyAction::Down { value }).then(KeyAction::Up { value });
        }
        self.client.perform_actions(keys).await?;
        self.client.release_actions().await?;
        Ok(())
    }

    /// Presses and releases one key on whatever has the focus, as the keyboard does.
    pub async fn press(&self, key: char) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let keys =
            KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        self.client.perform_actions(keys).await?;
        self.client.release_actions().await?;
        Ok(())
    }

    /// The address the window's engine listens on for DC-09 over TCP.
    pub async fn dc09_address(&self) -> Result<std::net::SocketAddr> {
        let status = self
            .wait_for(
                "(() => { const s = document.querySelector('[data-testid=engine-status].listening'); return s && true; })()",
                Duration::from_secs(20),
            )
            .await
            .and(
                self.run_async(
                    "const done = arguments[arguments.length - 1]; window.__vigil.api.engineStatus().then(done, () => done(null));",
                    vec![],
                )
                .await,
            )?;
        let addr = status["dc09_tcp"].as_str().context("the engine listens for DC-09 over TCP")?;
        Ok(addr.replace("0.0.0.0", "127.0.0.1").parse()?)
    }

    /// Saves a screenshot of the window as PNG.
    ///
    /// The window paints without composited layers, and WebKitWebDriver takes a screenshot after
    /// the page's next paint: on a console where nothing changes (it repaints only what changes)
    /// that can be minutes away. So a one-pixel mark in a corner changes colour on every animation
    /// frame for a few seconds first, which gives the screenshot its paint. It is never in the
    /// picture's content: it sits under the window's top-left pixel, in the page's own colour.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        self.client
            .execute(
                "let e = document.getElementById('e2e-paint');
                 if (!e) { e = document.createElement('div'); e.id = 'e2e-paint';
                   e.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none;z-index:2147483647';
                   document.body.append(e); }
                 const until = performance.now() + 3000; let odd = false;
                 const step = () => { odd = !odd; e.style.background = odd ? '#0b1220' : '#0b1221'; if (performance.now() < until) requestAnimationFrame(step); };
                 requestAnimationFrame(step);",
                vec![],
            )
            .await?;
        let png = self.client.screenshot().await?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Closes the window, then checks what it left behind: every hash chain verifies and every
    /// projection is what the event log folds to (`vigil verify`, `vigil rebuild --check`).
    pub async fn quit(self) -> Result<()> {
        let dir = self.data_dir.clone();
        self.quit_unchecked().await?;
        check_log(&dir)
    }

    /// Closes the window without checking its database (for a database the test made unreadable).
    pub async fn quit_unchecked(mut self) -> Result<()> {
        let closed = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        // The window's process ends with its session; give its last commit time to land.
        tokio::time::sleep(Duration::from_millis(300)).await;
        closed.context("close the WebDriver session")
    }
}

/// Posts a JSON body to the window's own HTTP API with a bearer token; returns the status line
/// and the body of the answer.
pub fn http_post(addr: &str, path: &str, token: &str, body: &str) -> Result<(String, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer.lines().next().unwrap_or("").to_owned();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

/// The `vigil` binary the checks run: `VIGIL_BIN` (a benchmark's release build, which a machine
/// that ran only `scripts/bench.sh` has alone), else the workspace's debug build.
pub fn vigil_binary() -> PathBuf {
    std::env::var_os("VIGIL_BIN").map_or_else(|| workspace_root().join("target/debug/vigil"), PathBuf::from)
}

/// `vigil verify` and `vigil rebuild --check` on a data directory: fails naming what differs.
pub fn check_log(data_dir: &Path) -> Result<()> {
    let vigil = vigil_binary();
    for args in [&["verify", "--data-dir"][..], &["rebuild", "--check", "--data-dir"][..]] {
        let out = std::process::Command::new(&vigil).args(args).arg(data_dir).output().context("run vigil")?;
        if !out.status.success() {
            bail!(
                "vigil {} on {}: {}{}",
                args[0],
                data_dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    Ok(())
}
