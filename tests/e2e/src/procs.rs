//! What the window costs the machine: CPU time and proportional memory (PSS) of `vigil-desktop` and
//! the WebKit processes it starts, read from `/proc`. The WebDriver harness (tauri-driver,
//! WebKitWebDriver) is not counted: it is not there on a control-room PC.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{json, Value};

/// One reading of every process of a window.
#[derive(Clone, Debug)]
pub struct Reading {
    pub at: Instant,
    /// CPU time used so far (user + system), in clock ticks, by pid.
    pub ticks: HashMap<u32, u64>,
    /// Proportional set size by pid, in kB.
    pub pss_kb: HashMap<u32, u64>,
    /// The name of each pid (`vigil-desktop`, `WebKitWebProces`, …).
    pub names: HashMap<u32, String>,
}

impl Reading {
    pub fn pss_mb(&self) -> f64 {
        self.pss_kb.values().sum::<u64>() as f64 / 1024.0
    }

    /// PSS by process name, in MB.
    pub fn pss_by_name(&self) -> Value {
        let mut by: HashMap<&str, f64> = HashMap::new();
        for (pid, kb) in &self.pss_kb {
            *by.entry(self.names.get(pid).map_or("?", String::as_str)).or_default() += *kb as f64 / 1024.0;
        }
        json!(by
            .into_iter()
            .map(|(k, v)| (k.to_owned(), json!((v * 10.0).round() / 10.0)))
            .collect::<serde_json::Map<_, _>>())
    }
}

/// CPU used between two readings as a share of one core (1.0 = one core busy), counting only the
/// processes alive in both.
pub fn cpu_share(a: &Reading, b: &Reading) -> f64 {
    let seconds = b.at.duration_since(a.at).as_secs_f64();
    if seconds <= 0.0 {
        return 0.0;
    }
    cpu_seconds(a, b) / seconds
}

/// CPU seconds used between two readings, by the processes alive in both.
pub fn cpu_seconds(a: &Reading, b: &Reading) -> f64 {
    let ticks: u64 = b.ticks.iter().filter_map(|(pid, t)| a.ticks.get(pid).map(|t0| t.saturating_sub(*t0))).sum();
    ticks as f64 / clock_ticks_per_second()
}

/// CPU share between two readings by process name.
pub fn cpu_by_name(a: &Reading, b: &Reading) -> Value {
    let seconds = b.at.duration_since(a.at).as_secs_f64().max(1e-9);
    let mut by: HashMap<&str, f64> = HashMap::new();
    for (pid, t) in &b.ticks {
        if let Some(t0) = a.ticks.get(pid) {
            *by.entry(b.names.get(pid).map_or("?", String::as_str)).or_default() +=
                t.saturating_sub(*t0) as f64 / clock_ticks_per_second() / seconds;
        }
    }
    json!(by
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!((v * 1000.0).round() / 10.0)))
        .collect::<serde_json::Map<_, _>>())
}

/// CPU seconds (user + system) a process has used so far; 0 once it is gone.
pub fn cpu_seconds_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some(close) = stat.rfind(')') else { return 0.0 };
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (tick(11) + tick(12)) as f64 / clock_ticks_per_second()
}

/// CPU seconds used so far by every process called `name` (`postgres`: the server and each of
/// its connections), including what their finished children used.
pub fn cpu_seconds_named(name: &str) -> f64 {
    let mut total = 0.0;
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        if &stat[open + 1..close] != name {
            continue;
        }
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        // utime(11) stime(12) cutime(13) cstime(14): connections that ended count through the server.
        let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        total += (tick(11) + tick(12) + tick(13) + tick(14)) as f64 / clock_ticks_per_second();
    }
    total
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Whether a process of this name is part of the window (the WebDriver harness is not).
fn counted(name: &str) -> bool {
    name == "vigil-desktop" || (name.starts_with("WebKit") && name != "WebKitWebDriver") || name == "empty_window"
}

/// Every process under `root` (its descendants, and itself) that belongs to the window.
pub fn window_pids(root: u32) -> Vec<(u32, String)> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut names: HashMap<u32, String> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = stat[open + 1..close].to_owned();
        let ppid = stat[close + 2..].split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
        parent.insert(pid, ppid);
        names.insert(pid, name);
    }
    let descends = |mut pid: u32| {
        for _ in 0..64 {
            if pid == root {
                return true;
            }
            match parent.get(&pid) {
                Some(&p) if p != 0 => pid = p,
                _ => return false,
            }
        }
        false
    };
    names.into_iter().filter(|(pid, name)| counted(name) && descends(*pid)).collect()
}

/// Reads the CPU time and PSS of every window process under `root`.
pub fn read(root: u32) -> Result<Reading> {
    let mut reading =
        Reading { at: Instant::now(), ticks: HashMap::new(), pss_kb: HashMap::new(), names: HashMap::new() };
    for (pid, name) in window_pids(root) {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        let Some(close) = stat.rfind(')') else { continue };
        let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        // After the comm: state(0) ppid(1) … utime(11) stime(12).
        let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
        let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        let pss = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
            })
            .unwrap_or(0);
        reading.ticks.insert(pid, utime + stime);
        reading.pss_kb.insert(pid, pss);
        reading.names.insert(pid, name);
    }
    if reading.names.is_empty() {
        anyhow::bail!("no window process found under pid {root}");
    }
    Ok(reading)
}

/// Waits `settle`, then measures CPU over `span` and PSS at its end; returns the figures as JSON.
pub async fn measure(root: u32, settle: Duration, span: Duration) -> Result<Value> {
    tokio::time::sleep(settle).await;
    let a = read(root).context("read the window's processes")?;
    tokio::time::sleep(span).await;
    let b = read(root).context("read the window's processes")?;
    Ok(json!({
        "cpu_percent": (cpu_share(&a, &b) * 1000.0).round() / 10.0,
        "pss_mb": (b.pss_mb() * 10.0).round() / 10.0,
        "cpu_percent_by_process": cpu_by_name(&a, &b),
        "pss_mb_by_process": b.pss_by_name(),
        "seconds": span.as_secs_f64(),
    }))
}
