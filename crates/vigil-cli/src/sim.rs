//! `vigil sim`: a DC-09 sender for demos, tests and benchmarks. Each connection sends one frame,
//! waits for the answer (as a panel does), retransmits the same frame if none comes, and records
//! how long each ACK took.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use vigil_dc09::{find_frame, Frame, Key, Keys, MessageId, Scan, Timestamp};

#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// DC-09 receiver address (host:port).
    #[arg(long, value_name = "ADDR", required_unless_present_any = ["http", "snapshots", "patrol_days"])]
    pub dc09: Option<String>,
    /// Patrol check-ins instead: the guards walk every round of the last N days on its schedule
    /// (mostly on time, some late, now and then a checkpoint missed or a round walked too fast),
    /// stored through the workstation's writer in --data-dir.
    #[arg(long, value_name = "DAYS", requires = "data_dir", conflicts_with_all = ["dc09", "http"])]
    pub patrol_days: Option<u32>,
    /// The workstation's data directory, for --patrol-days.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Serve test camera snapshots (JPEG) at http://ADDR/snapshot/<camera code>.jpg; alone, until
    /// stopped; with --dc09 or --http, while sending.
    #[arg(long, value_name = "ADDR")]
    pub snapshots: Option<String>,
    /// Send JSON events to this engine's HTTP API instead (e.g. http://127.0.0.1:8790).
    #[arg(long, value_name = "URL", conflicts_with = "dc09", requires = "token")]
    pub http: Option<String>,
    /// The intake token of the engine's vigil.toml, for --http.
    #[arg(long)]
    pub token: Option<String>,
    /// The device code events name, for --http.
    #[arg(long, default_value = "OPD-1F-CAM-001")]
    pub point: String,
    /// Send over UDP instead of TCP.
    #[arg(long)]
    pub udp: bool,
    /// Frames per second, all connections together.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Stop after this many frames in all (else at the end of --duration).
    #[arg(long)]
    pub count: Option<u64>,
    /// Parallel connections (TCP) or sockets (UDP).
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// The account to send as (each connection adds its index when --accounts-per-connection).
    #[arg(long, default_value = "1234")]
    pub account: String,
    /// AES key as hex (32/48/64 digits): send encrypted frames.
    #[arg(long, conflicts_with = "key_text")]
    pub key: Option<String>,
    /// AES key as text (16/24/32 characters): send encrypted frames.
    #[arg(long)]
    pub key_text: Option<String>,
    /// Zones to cycle through (1..=N).
    #[arg(long, default_value_t = 8)]
    pub zones: u32,
    /// Send NULL link tests instead of alarms.
    #[arg(long)]
    pub null: bool,
    /// Append a line for every acknowledged frame to this file (flushed at once).
    #[arg(long, value_name = "FILE")]
    pub acked_log: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Default)]
struct Tally {
    sent: u64,
    acked: u64,
    nak: u64,
    duh: u64,
    retransmits: u64,
    gave_up: u64,
    latencies_us: Vec<u64>,
}

const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
const TRIES: u32 = 4;

fn key(args: &SimArgs) -> Result<Option<Key>> {
    Ok(match (&args.key, &args.key_text) {
        (Some(hex), _) => Some(Key::from_hex(hex).context("--key")?),
        (_, Some(text)) => Some(Key::from_text(text).context("--key-text")?),
        _ => None,
    })
}

fn frame_for(args: &SimArgs, sequence: u16, n: u64, encrypted: bool) -> Frame {
    let zone = (n % u64::from(args.zones.max(1))) as u32 + 1;
    let (id, data) = if args.null {
        (MessageId::Null, String::new())
    } else {
        // Alternate a panic (120) and a burglary (130) event, as one-click buttons and door contacts send.
        let code = if n.is_multiple_of(2) { 120 } else { 130 };
        (MessageId::AdmCid, format!("#{}|1{code} 01 {zone:03}", args.account))
    };
    Frame {
        id,
        encrypted,
        sequence,
        receiver: Some("1".into()),
        line: "0".into(),
        account: args.account.to_ascii_uppercase(),
        data,
        extended: vec![],
        timestamp: Some(Timestamp(
            OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(OffsetDateTime::now_utc()),
        )),
    }
}

enum Reply {
    Ack,
    Nak,
    Duh,
}

fn classify(bytes: &[u8], keys: &Keys) -> Option<Reply> {
    match Frame::decode(bytes, keys).ok()?.id {
        MessageId::Ack => Some(Reply::Ack),
        MessageId::Nak => Some(Reply::Nak),
        MessageId::Duh => Some(Reply::Duh),
        _ => None,
    }
}

struct Link {
    tcp: Option<TcpStream>,
    udp: Option<UdpSocket>,
    addr: SocketAddr,
    buf: Vec<u8>,
}

impl Link {
    async fn open(addr: SocketAddr, udp: bool) -> Result<Link> {
        if udp {
            let socket = UdpSocket::bind(if addr.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }).await?;
            socket.connect(addr).await?;
            Ok(Link { tcp: None, udp: Some(socket), addr, buf: Vec::new() })
        } else {
            // TCP connects on first use and again after any loss, as a panel does.
            Ok(Link { tcp: None, udp: None, addr, buf: Vec::new() })
        }
    }

    async fn exchange(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(socket) = &self.udp {
            socket.send(bytes).await?;
            let mut buf = vec![0u8; 8192];
            return match tokio::time::timeout(ANSWER_TIMEOUT, socket.recv(&mut buf)).await {
                Ok(Ok(n)) => Ok(Some(buf[..n].to_vec())),
                Ok(Err(e)) => Err(e.into()),
                Err(_) => Ok(None),
            };
        }
        if self.tcp.is_none() {
            let Ok(Ok(stream)) = tokio::time::timeout(ANSWER_TIMEOUT, TcpStream::connect(self.addr)).await else {
                // Receiver down: wait a little, as a panel would, and count it as no answer.
                tokio::time::sleep(Duration::from_millis(200)).await;
                return Ok(None);
            };
            stream.set_nodelay(true)?;
            self.tcp = Some(stream);
            self.buf.clear();
        }
        let Some(stream) = self.tcp.as_mut() else { bail!("no connection") };
        if stream.write_all(bytes).await.is_err() {
            self.tcp = None;
            return Ok(None);
        }
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let mut chunk = [0u8; 4096];
        loop {
            if let Scan::Frame(n) = find_frame(&self.buf) {
                return Ok(Some(self.buf.drain(..n).collect()));
            }
            if let Scan::Garbage(n) = find_frame(&self.buf) {
                self.buf.drain(..n);
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    self.tcp = None;
                    return Ok(None);
                }
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return Ok(None),
            }
        }
    }
}

pub async fn run(args: SimArgs) -> Result<serde_json::Value> {
    let server = match &args.snapshots {
        Some(addr) => {
            let (bound, task) = vigil_engine::snapshots::serve(addr).await?;
            eprintln!("vigil sim: camera snapshots at http://{bound}/snapshot/<camera code>.jpg");
            Some((bound, task))
        }
        None => None,
    };
    if args.dc09.is_none() && args.http.is_none() {
        if let Some((_, task)) = server {
            task.await.ok();
        }
        return Ok(serde_json::json!({ "snapshots": "stopped" }));
    }
    if let Some(url) = args.http.clone() {
        return http_events(&args, &url).await;
    }
    let target = args.dc09.clone().unwrap_or_default();
    let addr: SocketAddr = tokio::net::lookup_host(&target).await?.next().context("--dc09 names no address")?;
    let key = key(&args)?;
    let mut keys = Keys::none();
    if let Some(k) = &key {
        keys.insert(&args.account, k.clone());
    }
    let tally = Arc::new(Mutex::new(Tally::default()));
    let log = match &args.acked_log {
        Some(path) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("{}", path.display()))?,
        ))),
        None => None,
    };
    let connections = args.connections.max(1);
    let interval = Duration::from_secs_f64(connections as f64 / args.rate.max(0.001));
    let until = Instant::now() + Duration::from_secs_f64(args.duration);
    let started = Instant::now();
    let budget = Arc::new(std::sync::atomic::AtomicU64::new(args.count.unwrap_or(u64::MAX)));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let args = args.clone();
        let key = key.clone();
        let keys = keys.clone();
        let tally = tally.clone();
        let log = log.clone();
        let budget = budget.clone();
        tasks.push(tokio::spawn(async move {
            let mut link = Link::open(addr, args.udp).await?;
            // Spread the connections' sends over the interval.
            let mut next = Instant::now() + interval.mul_f64(c as f64 / connections as f64);
            let mut n: u64 = c as u64;
            let mut sequence: u16 = 1;
            while Instant::now() < until {
                tokio::time::sleep_until(next.into()).await;
                next += interval;
                let take = budget.fetch_update(
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                    |b| b.checked_sub(1),
                );
                if take.is_err() {
                    break;
                }
                let frame = frame_for(&args, sequence, n, key.is_some());
                let pad: [u8; 12] = rand::random();
                let bytes = frame.encode(key.as_ref(), &pad);
                let sent = Instant::now();
                let mut done = false;
                for attempt in 0..TRIES {
                    if attempt > 0 {
                        tally.lock().unwrap_or_else(|p| p.into_inner()).retransmits += 1;
                    } else {
                        tally.lock().unwrap_or_else(|p| p.into_inner()).sent += 1;
                    }
                    let Some(answer) = link.exchange(&bytes).await? else { continue };
                    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                    match classify(&answer, &keys) {
                        Some(Reply::Ack) => {
                            t.acked += 1;
                            t.latencies_us.push(sent.elapsed().as_micros() as u64);
                            if let Some(log) = &log {
                                let mut f = log.lock().unwrap_or_else(|p| p.into_inner());
                                let ts = frame.timestamp.map(|t| t.to_string()).unwrap_or_default();
                                let _ = writeln!(f, "{}\t{}\t{}\t{}", frame.account, frame.sequence, frame.data, ts);
                                let _ = f.flush();
                            }
                            done = true;
                        }
                        Some(Reply::Nak) => t.nak += 1,
                        Some(Reply::Duh) => t.duh += 1,
                        None => {}
                    }
                    break;
                }
                if !done {
                    tally.lock().unwrap_or_else(|p| p.into_inner()).gave_up += 1;
                }
                sequence = if sequence >= 9999 { 1 } else { sequence + 1 };
                n += connections as u64;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut t = std::mem::take(&mut *tally.lock().unwrap_or_else(|p| p.into_inner()));
    t.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if t.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((p / 100.0) * (t.latencies_us.len() - 1) as f64).round() as usize;
        t.latencies_us[i] as f64 / 1000.0
    };
    Ok(serde_json::json!({
        "sent": t.sent, "acked": t.acked, "nak": t.nak, "duh": t.duh, "retransmits": t.retransmits, "gave_up": t.gave_up,
        "seconds": elapsed, "rate": t.sent as f64 / elapsed,
        "ack_ms": { "p50": pct(50.0), "p99": pct(99.0), "max": pct(100.0) },
        "transport": if args.udp { "udp" } else { "tcp" }, "encrypted": key.is_some(), "connections": connections,
    }))
}

/// Posts events to `POST /v1/events` at the rate asked, one request at a time per connection, and
/// measures how long each took to be answered 201 (stored).
async fn http_events(args: &SimArgs, base: &str) -> Result<serde_json::Value> {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let uri: hyper::Uri = format!("{}/v1/events", base.trim_end_matches('/')).parse().context("--http")?;
    let token = args.token.clone().unwrap_or_default();
    let interval = Duration::from_secs_f64(1.0 / args.rate.max(0.001));
    let until = Instant::now() + Duration::from_secs_f64(args.duration);
    let started = Instant::now();
    let (mut sent, mut stored, mut refused) = (0u64, 0u64, 0u64);
    let mut latencies = Vec::new();
    let mut next = Instant::now();
    while Instant::now() < until && args.count.is_none_or(|c| sent < c) {
        tokio::time::sleep_until(next.into()).await;
        next += interval;
        let now = OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
        let event = serde_json::json!({
            "id": uuid::Uuid::now_v7().to_string(), "source": "vigil-sim", "point": args.point,
            "type": "watchlist_hit", "priority": 2, "time": now, "details": {"simulated": true},
        });
        let request = hyper::Request::post(uri.clone())
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::from(event.to_string())))?;
        let t = Instant::now();
        sent += 1;
        match client.request(request).await {
            Ok(response) => {
                let status = response.status();
                let _ = response.into_body().collect().await;
                if status == hyper::StatusCode::CREATED {
                    stored += 1;
                    latencies.push(t.elapsed().as_micros() as u64);
                } else {
                    refused += 1;
                }
            }
            Err(_) => refused += 1,
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        latencies[((p / 100.0) * (latencies.len() - 1) as f64).round() as usize] as f64 / 1000.0
    };
    let seconds = started.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "sent": sent, "acked": stored, "refused": refused, "nak": 0, "duh": 0, "retransmits": 0, "gave_up": refused,
        "seconds": seconds, "rate": sent as f64 / seconds,
        "ack_ms": { "p50": pct(50.0), "p99": pct(99.0), "max": pct(100.0) }, "transport": "http",
    }))
}
