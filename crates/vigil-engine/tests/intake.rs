//! The engine's receivers as panels, integrators and bad senders meet them: every ACK only for what
//! is stored, each kind of bad input with its documented answer, while others keep being served.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use vigil_dc09::{find_frame, Frame, Key, Keys, MessageId, Scan, Timestamp};
use vigil_engine::{Engine, Overrides};
use vigil_store::Store;

const KEY: &str = "000102030405060708090A0B0C0D0E0F";

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    engine: Engine,
    token: String,
}

/// The demo hospital with account 1003 given a key, and an engine on free loopback ports.
async fn start() -> Fixture {
    start_with(vec![vigil_api::Dc09Account {
        account: "1003".into(),
        key: Some(KEY.into()),
        key_format: "hex".into(),
        supervision_seconds: None,
    }])
    .await
}

async fn start_with(accounts: Vec<vigil_api::Dc09Account>) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_owned();
    vigil_demo::create_demo(&path, vigil_demo::DemoOptions::default(), false).expect("demo");
    let settings = vigil_api::Settings::load_or_create_with(&path, &accounts).expect("settings");
    let engine = Engine::start(
        &path,
        Overrides { dc09: Some("127.0.0.1:0".into()), http: Some("127.0.0.1:0".into()), server: None },
    )
    .await
    .expect("engine");
    Fixture { _dir: dir, path, engine, token: settings.http.intake_token }
}

fn frame(account: &str, seq: u16, data: &str, encrypted: bool, ts: OffsetDateTime) -> Frame {
    Frame {
        id: if data.is_empty() { MessageId::Null } else { MessageId::AdmCid },
        encrypted,
        sequence: seq,
        receiver: Some("1".into()),
        line: "0".into(),
        account: account.into(),
        data: data.into(),
        extended: vec![],
        timestamp: Some(Timestamp(ts.replace_nanosecond(0).expect("ns"))),
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn read_answer(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if let Scan::Frame(n) = find_frame(&buf) {
            return Some(buf[..n].to_vec());
        }
        match tokio::time::timeout(Duration::from_secs(3), stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn answer_id(bytes: &[u8], keys: &Keys) -> (MessageId, u16) {
    let f = Frame::decode(bytes, keys).expect("the answer is a valid frame");
    (f.id, f.sequence)
}

fn stored(path: &std::path::Path) -> Vec<vigil_store::StoredSignal> {
    Store::open(&path.join("vigil.db")).expect("open").signals_since(0, 100_000).expect("signals")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_are_acknowledged_after_they_are_stored_however_they_arrive() {
    let fx = start().await;
    let addr = fx.engine.dc09_tcp.expect("tcp");
    let mut stream = TcpStream::connect(addr).await.expect("connect");

    // Two frames in one write: two ACKs, in order, each echoing its sequence.
    let mut both = frame("1001", 11, "#1001|1120 01 001", false, now()).encode(None, b"");
    both.extend(frame("1001", 12, "#1001|1130 01 002", false, now()).encode(None, b""));
    stream.write_all(&both).await.expect("write");
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack 11"), &Keys::none()), (MessageId::Ack, 11));
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack 12"), &Keys::none()), (MessageId::Ack, 12));
    // Acknowledged means stored: another connection to the database sees both at once.
    let rows = stored(&fx.path);
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.device_id.is_some() && r.account.as_deref() == Some("1001")));
    assert_eq!(rows[0].alarm_type, "panic");
    assert_eq!(rows[0].priority, 1);

    // One frame over many writes.
    let bytes = frame("1001", 13, "#1001|1110 01 003", false, now()).encode(None, b"");
    for piece in bytes.chunks(7) {
        stream.write_all(piece).await.expect("write piece");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack 13"), &Keys::none()), (MessageId::Ack, 13));

    // Encrypted: the ACK comes back encrypted with the same key.
    let key = Key::from_hex(KEY).expect("key");
    let mut keys = Keys::none();
    keys.insert("1003", key.clone());
    stream
        .write_all(&frame("1003", 14, "#1003|1120 01 001", true, now()).encode(Some(&key), b"pad"))
        .await
        .expect("write");
    let answer = read_answer(&mut stream).await.expect("encrypted ack");
    assert!(Frame::decode(&answer, &keys).expect("decrypts").encrypted);

    // A retransmission of the same frame is acknowledged again and stored once.
    let again = frame("1001", 21, "#1001|1120 01 004", false, now());
    for _ in 0..2 {
        stream.write_all(&again.encode(None, b"")).await.expect("write");
        assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack"), &Keys::none()).0, MessageId::Ack);
    }
    assert_eq!(stored(&fx.path).iter().filter(|r| r.sequence == Some(21)).count(), 1);

    // An account with no alarm point is still stored, on an unmapped point.
    stream.write_all(&frame("ABCDEF", 22, "#ABCDEF|1120 01 001", false, now()).encode(None, b"")).await.expect("write");
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack"), &Keys::none()).0, MessageId::Ack);
    let unmapped = stored(&fx.path).into_iter().find(|r| r.account.as_deref() == Some("ABCDEF")).expect("stored");
    assert_eq!(unmapped.device_id, None);

    // UDP: one frame, one ACK.
    let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    udp.send_to(
        &frame("1001", 31, "#1001|1120 01 005", false, now()).encode(None, b""),
        fx.engine.dc09_udp.expect("udp"),
    )
    .await
    .expect("send");
    let mut buf = [0u8; 2048];
    let (n, _) =
        tokio::time::timeout(Duration::from_secs(3), udp.recv_from(&mut buf)).await.expect("in time").expect("recv");
    assert_eq!(answer_id(&buf[..n], &Keys::none()), (MessageId::Ack, 31));
    fx.engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_their_answer_and_the_receiver_keeps_serving() {
    let fx = start().await;
    let addr: SocketAddr = fx.engine.dc09_tcp.expect("tcp");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let good = frame("1001", 1, "#1001|1120 01 001", false, now()).encode(None, b"");

    let expect = |bytes: Vec<u8>, kind: MessageId| (bytes, kind);
    let mut bad_crc = good.clone();
    bad_crc[1] = if bad_crc[1] == b'0' { b'1' } else { b'0' };
    // One byte shorter than it is: cut before its CR (the rest is skipped as noise).
    let mut bad_len = good.clone();
    let declared = usize::from_str_radix(std::str::from_utf8(&good[5..9]).expect("ascii"), 16).expect("hex");
    bad_len.splice(5..9, format!("0{:03X}", declared - 1).into_bytes());
    let key = Key::from_hex(KEY).expect("key");
    let wrong = Key::from_hex("FFEEDDCCBBAA99887766554433221100").expect("key");
    let cases = [
        expect(bad_crc, MessageId::Nak),
        expect(bad_len, MessageId::Nak),
        expect(
            frame("1001", 2, "#1001|1120 01 001", false, now() - time::Duration::seconds(120)).encode(None, b""),
            MessageId::Nak,
        ),
        expect(
            frame("1001", 3, "#1001|1120 01 001", false, now() + time::Duration::seconds(120)).encode(None, b""),
            MessageId::Nak,
        ),
        expect(frame("7777", 4, "#7777|1120 01 001", true, now()).encode(Some(&key), b"p"), MessageId::Duh),
        expect(frame("1003", 5, "#1003|1120 01 001", true, now()).encode(Some(&wrong), b"p"), MessageId::Duh),
        expect(frame("1001", 6, "#1001|9999", false, now()).encode(None, b""), MessageId::Duh),
    ];
    for (bytes, kind) in cases {
        stream.write_all(&bytes).await.expect("write");
        let answer = read_answer(&mut stream).await.expect("an answer");
        let (id, sequence) = answer_id(&answer, &Keys::none());
        assert_eq!(id, kind, "{}", String::from_utf8_lossy(&bytes));
        // A DUH names the frame whose header was read (here every one's), so the sender can match
        // it; a NAK keeps the 0000 sequence every peer reads.
        let sent = Frame::read_header(&bytes).map(|h| h.sequence);
        let expected = if kind == MessageId::Duh { sent.expect("a readable header") } else { 0 };
        assert_eq!(sequence, expected, "{}", String::from_utf8_lossy(&answer));
    }
    // Garbage gets silence, and the connection still serves the next good frame.
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    stream.write_all(&good).await.expect("write");
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack"), &Keys::none()), (MessageId::Ack, 1));
    // Nothing refused was stored.
    assert_eq!(stored(&fx.path).len(), 1);

    // An oversized frame (more bytes than the largest length field can say): cut at its declared
    // length it does not end with CR, so it gets a NAK; the surplus is skipped and the connection
    // goes on serving.
    let mut huge = b"\n00000FFF\"ADM-CID\"0001L0#1001[".to_vec();
    huge.extend(std::iter::repeat_n(b'9', 5000));
    huge.extend(b"]\r");
    stream.write_all(&huge).await.expect("write");
    let answer = read_answer(&mut stream).await.expect("answer to an oversized frame");
    assert_eq!(answer_id(&answer, &Keys::none()).0, MessageId::Nak);
    stream.write_all(&frame("1001", 7, "#1001|1120 01 002", false, now()).encode(None, b"")).await.expect("write");
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack"), &Keys::none()), (MessageId::Ack, 7));

    let stats: Value = reqwest_get(fx.engine.http.expect("http"), "/v1/stats", None).await.1;
    let refused = &stats["dc09"]["frames_refused"];
    for reason in [
        "bad_crc",
        "bad_length",
        "stale_timestamp",
        "future_timestamp",
        "unknown_account",
        "wrong_key",
        "unreadable_payload",
        "garbage",
    ] {
        assert!(refused[reason].as_u64().unwrap_or(0) >= 1, "{reason} counted: {refused}");
    }
    fx.engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_sender_and_a_flood_of_connections_do_not_block_others() {
    let fx = start().await;
    let addr = fx.engine.dc09_tcp.expect("tcp");
    // A client dribbling a frame one byte at a time while 200 idle connections are open.
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let mut slow = TcpStream::connect(addr).await.expect("slow");
    let dribble = frame("1001", 1, "#1001|1120 01 001", false, now()).encode(None, b"");
    slow.write_all(&dribble[..10]).await.expect("write");
    let mut normal = TcpStream::connect(addr).await.expect("normal");
    normal.write_all(&frame("1001", 2, "#1001|1120 01 002", false, now()).encode(None, b"")).await.expect("write");
    assert_eq!(answer_id(&read_answer(&mut normal).await.expect("ack"), &Keys::none()), (MessageId::Ack, 2));
    drop(idle);
    fx.engine.stop().await;
}

/// A minimal HTTP/1.1 request over a TCP stream; returns status and JSON body.
async fn reqwest_get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, Value) {
    request(addr, "GET", path, token, None).await
}

async fn request(addr: SocketAddr, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).await.expect("connect http");
    let body = body.unwrap_or("");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await.expect("send");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status: u16 = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let (head, rest) = text.split_once("\r\n\r\n").expect("head and body");
    // Chunked bodies: take the JSON between the first '{' or '[' and its end.
    let json_text = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let start = rest.find(['{', '[']).unwrap_or(0);
        let end = rest.rfind(['}', ']']).map_or(rest.len(), |e| e + 1);
        rest[start..end].to_owned()
    } else {
        rest.to_owned()
    };
    (status, serde_json::from_str(&json_text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_events_need_the_token_name_the_bad_field_and_are_stored_once() {
    let fx = start().await;
    let http = fx.engine.http.expect("http");
    let event = json!({"id": "0191f3a4-0000-7000-8000-000000000001", "source": "face-recognition", "point": "OPD-1F-CAM-001",
                       "type": "watchlist_hit", "priority": 2, "time": "2026-11-22T03:00:00+08:00", "details": {"person": "X"}}).to_string();
    assert_eq!(request(http, "POST", "/v1/events", None, Some(&event)).await.0, 401);
    assert_eq!(request(http, "POST", "/v1/events", Some("wrong"), Some(&event)).await.0, 401);
    let (status, body) = request(http, "POST", "/v1/events", Some(&fx.token), Some(&event)).await;
    assert_eq!((status, body["stored"].as_u64()), (201, Some(1)));
    let (status, body) = request(http, "POST", "/v1/events", Some(&fx.token), Some(&event)).await;
    assert_eq!((status, body["duplicates"].as_u64()), (200, Some(1)), "same id, stored once");

    let (status, body) =
        request(http, "POST", "/v1/events", Some(&fx.token), Some(&event.replace("\"priority\":2", "\"priority\":7")))
            .await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("priority")));
    let batch = format!(
        "[{}, {}]",
        event.replace("000000000001", "000000000002"),
        event.replace("000000000001", "000000000003").replace("2026-11-22T03:00:00+08:00", "yesterday")
    );
    let (status, body) = request(http, "POST", "/v1/events", Some(&fx.token), Some(&batch)).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("[1].time")));
    let (status, body) = request(http, "POST", "/v1/events", Some(&fx.token), Some("{not json")).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("body")));
    let rows = stored(&fx.path);
    assert_eq!(rows.len(), 1, "a refused batch stores nothing");
    assert!(rows[0].device_id.is_some(), "the event's point was found by its code");

    let (status, points) = reqwest_get(http, "/v1/points", None).await;
    assert_eq!(status, 200);
    let total = Store::open(&fx.path.join("vigil.db")).expect("open").device_counts().expect("counts").total();
    assert_eq!(points.as_array().map(Vec::len), Some(total as usize), "every device is listed");
    assert!(points
        .as_array()
        .expect("list")
        .iter()
        .any(|p| p["code"] == "OPD-1F-CAM-001" && p["building"] == "OPD" && p["floor"] == "1F"));
    let (status, guards) = reqwest_get(http, "/v1/guards", None).await;
    assert_eq!((status, guards.as_array().map(Vec::len)), (200, Some(125)));
    assert!(guards[0]["badge"].as_str().is_some_and(|b| b.starts_with('G')));
    let (status, alarms) = reqwest_get(http, "/v1/alarms?since=2020-01-01T00:00:00Z", None).await;
    assert_eq!((status, alarms.as_array().map(Vec::len)), (200, Some(1)));
    assert_eq!(reqwest_get(http, "/v1/alarms?since=soon", None).await.0, 400);
    let (status, health) = reqwest_get(http, "/v1/health", None).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let (status, spec) = reqwest_get(http, "/v1/openapi.json", None).await;
    assert_eq!((status, spec["openapi"].as_str()), (200, Some("3.0.3")));
    assert_eq!(reqwest_get(http, "/v1/nothing", None).await.0, 404);
    // Every refusal is the JSON error, a wrong method and an unreadable query string included.
    let (status, body) = reqwest_get(http, "/v1/events", None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (405, Some("method_not_allowed")));
    let (status, body) = reqwest_get(http, "/v1/alarms?limit=many", None).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("query")));
    fx.engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_that_falls_silent_raises_a_fault() {
    let fx = start_with(vec![vigil_api::Dc09Account {
        account: "1001".into(),
        key: None,
        key_format: "hex".into(),
        supervision_seconds: Some(1),
    }])
    .await;
    let mut stream = TcpStream::connect(fx.engine.dc09_tcp.expect("tcp")).await.expect("connect");
    stream.write_all(&frame("1001", 1, "", false, now()).encode(None, b"")).await.expect("link test");
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack"), &Keys::none()), (MessageId::Ack, 1));
    assert!(stored(&fx.path).is_empty(), "a link test is not an alarm");
    let mut fault = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        fault = stored(&fx.path).into_iter().find(|s| s.code.as_deref() == Some("LINK-LOST"));
        if fault.is_some() {
            break;
        }
    }
    let fault = fault.expect("a fault after one silent second");
    assert_eq!(
        (fault.source.as_str(), fault.account.as_deref(), fault.alarm_type.as_str()),
        ("supervision", Some("1001"), "trouble")
    );
    // One fault per silence, not one per check.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(stored(&fx.path).iter().filter(|s| s.code.as_deref() == Some("LINK-LOST")).count(), 1);
    fx.engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_opens_an_incident_before_its_ack_and_repeats_fold_into_it() {
    let fx = start().await;
    let mut news = fx.engine.incident_news();
    let addr = fx.engine.dc09_tcp.expect("tcp");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let send = |seq: u16, data: &str| frame("1001", seq, data, false, now()).encode(None, b"");

    stream.write_all(&send(41, "#1001|1120 01 001")).await.expect("write");
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack"), &Keys::none()).0, MessageId::Ack);
    // Acknowledged means the incident exists too: another connection sees it, and the window is told.
    let open = Store::open(&fx.path.join(vigil_store::DATABASE_FILE))
        .expect("open")
        .incidents(vigil_store::IncidentFilter::Open, 10)
        .expect("incidents");
    assert_eq!(open.len(), 1);
    let change = tokio::time::timeout(Duration::from_secs(3), news.recv()).await.expect("in time").expect("news");
    assert!(change.opened);
    assert_eq!(change.incident_id, open[0].incident.id);
    let device = open[0].device_id.expect("a mapped point");
    assert_eq!(
        Store::open(&fx.path.join("vigil.db")).expect("open").device(device).expect("device").status.as_str(),
        "alarm"
    );

    // A repeat and a restore from the same point fold into it; an arming report opens nothing.
    stream.write_all(&send(42, "#1001|1120 01 001")).await.expect("write");
    read_answer(&mut stream).await.expect("ack");
    stream.write_all(&send(43, "#1001|3120 01 001")).await.expect("write");
    read_answer(&mut stream).await.expect("ack");
    stream.write_all(&send(44, "#1001|1401 01 007")).await.expect("write");
    read_answer(&mut stream).await.expect("ack");

    let http = fx.engine.http.expect("http");
    let (status, list) = reqwest_get(http, "/v1/incidents", None).await;
    assert_eq!(status, 200);
    let list = list.as_array().expect("array").clone();
    assert_eq!(list.len(), 1, "{list:?}");
    let kinds: Vec<&str> =
        list[0]["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["opened", "repeat", "restore"]);
    assert_eq!(list[0]["priority"], 1);
    assert_eq!(list[0]["state"], "new");
    assert!(list[0]["point"]["code"].as_str().is_some_and(|c| c.contains("-")));
    let (status, all) = reqwest_get(http, "/v1/incidents?state=all&since=0", None).await;
    assert_eq!((status, all.as_array().map(Vec::len)), (200, Some(1)));
    let (status, error) = reqwest_get(http, "/v1/incidents?state=closedish", None).await;
    assert_eq!((status, error["error"]["field"].as_str()), (400, Some("state")));
    let (_, stats) = reqwest_get(http, "/v1/stats", None).await;
    assert_eq!(stats["incidents"]["new"], 1);
    fx.engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_with_a_wrong_clock_is_kept_flagged_and_ordered_by_its_receipt() {
    let fx = start().await;
    let http = fx.engine.http.expect("http");
    let at = |offset: time::Duration| {
        (now() + offset).format(&time::format_description::well_known::Rfc3339).expect("format")
    };
    let event = |n: u32, point: &str, time: &str| {
        json!({"id": format!("0191f3a4-0000-7000-8000-{n:012}"), "source": "face-recognition", "point": point,
               "type": "watchlist_hit", "priority": 2, "time": time})
        .to_string()
    };
    let minutes = time::Duration::minutes;
    let cases = [
        // (point, sender's time, flagged as)
        ("OPD-1F-CAM-001", "2036-12-01T08:00:00Z".to_owned(), Some("ahead")),
        ("OPD-1F-CAM-002", "1999-12-01T08:00:00Z".to_owned(), Some("behind")),
        ("OPD-1F-CAM-003", at(minutes(5) - time::Duration::seconds(20)), None),
        ("OPD-1F-CAM-004", at(time::Duration::days(-30) + minutes(5)), None),
        ("OPD-1F-CAM-005", at(minutes(5) + time::Duration::seconds(30)), Some("ahead")),
        ("OPD-1F-CAM-006", at(time::Duration::days(-30) - minutes(5)), Some("behind")),
    ];
    let before = Store::now_ms();
    for (n, (point, time, _)) in cases.iter().enumerate() {
        let (status, body) =
            request(http, "POST", "/v1/events", Some(&fx.token), Some(&event(n as u32 + 1, point, time))).await;
        assert_eq!((status, body["stored"].as_u64()), (201, Some(1)), "never refused for its clock: {time} {body}");
    }
    let after = Store::now_ms();
    let rows = stored(&fx.path);
    let store = Store::open(&fx.path.join("vigil.db")).expect("open");
    for (point, time, fault) in &cases {
        let device = store.device_id_by_code(point).expect("lookup").expect("device");
        let row = rows.iter().find(|r| r.device_id == Some(device)).expect("stored");
        let sent = time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).expect("time");
        let sent_ms = (sent.unix_timestamp_nanos() / 1_000_000) as i64;
        assert_eq!(row.sent_at, Some(sent_ms), "the sender's time is kept as sent");
        assert_eq!(row.clock_fault.map(|f| f.as_str()), *fault, "{point} {time}");
        if fault.is_some() {
            assert_eq!(row.occurred_at, row.received_at, "a wrong clock is ordered by its receipt");
            assert!((before..=after).contains(&row.occurred_at));
        } else {
            assert_eq!(row.occurred_at, sent_ms, "a clock inside the window orders its own event");
        }
        // The incident shows it: counted, and its opening line carries the sender's time.
        let incident = store
            .incident(uuid::Uuid::parse_str(row.incident_id.as_deref().expect("incident")).expect("id"))
            .expect("read")
            .expect("incident")
            .incident;
        assert_eq!(incident.clock_faults, u32::from(fault.is_some()));
        assert_eq!(incident.opened_at, row.occurred_at);
    }
    // The alarm list never puts the 2036 event first: it sorts by the receipt.
    let (_, open) = reqwest_get(http, "/v1/incidents", None).await;
    let future = open.as_array().expect("list").iter().find(|i| {
        i["clock_faults"] == 1
            && i["timeline"][0]["clock_fault"] == "ahead"
            && i["timeline"][0]["sent_at"].as_i64() > Some(2_000_000_000_000)
    });
    let future = future.expect("the 2036 event's incident, flagged on its timeline");
    assert!(future["opened_at"].as_i64() <= Some(after));
    let (_, stats) = reqwest_get(http, "/v1/stats", None).await;
    assert_eq!(stats["clock_faults"]["total"].as_u64(), Some(4), "{stats}");
    assert_eq!(stats["clock_faults"]["by_source"]["http:face-recognition"].as_u64(), Some(4), "{stats}");
    fx.engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_gets_the_json_error() {
    let fx = start().await;
    let http = fx.engine.http.expect("http");
    let big = format!("[{}]", vec!["\"x\""; 1_500_000].join(","));
    assert!(big.len() > 4 * 1024 * 1024);
    // The server may answer before it has read the whole body: write what it takes, then read.
    let mut stream = TcpStream::connect(http).await.expect("connect");
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        fx.token,
        big.len()
    );
    let (mut reader, mut writer) = stream.split();
    let send = async {
        let _ = writer.write_all(head.as_bytes()).await;
        let _ = writer.write_all(big.as_bytes()).await;
    };
    let mut out = Vec::new();
    let receive = reader.read_to_end(&mut out);
    let (_, read) = tokio::join!(send, receive);
    let _ = read;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status: u16 = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status");
    let json_text = &text[text.find('{').expect("a JSON body")..=text.rfind('}').expect("end")];
    let body: Value = serde_json::from_str(json_text).expect("JSON");
    assert_eq!(status, 413, "{text}");
    assert_eq!(body["error"]["code"].as_str(), Some("too_large"), "{body}");
    assert_eq!(body["error"]["field"].as_str(), Some("body"));
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("4 MiB")));
    assert!(stored(&fx.path).is_empty(), "nothing stored");
    fx.engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_added_to_the_settings_and_points_mapped_later_count_without_a_restart() {
    let fx = start().await;
    let addr = fx.engine.dc09_tcp.expect("tcp");
    // A new panel with a text key, added to vigil.toml while the engine runs.
    let text_key = "0123456789abcdef";
    let mut settings = std::fs::read_to_string(fx.path.join("vigil.toml")).expect("settings");
    settings
        .push_str(&format!("\n[[dc09.accounts]]\naccount = \"4444\"\nkey = \"{text_key}\"\nkey_format = \"text\"\n"));
    std::fs::write(fx.path.join("vigil.toml"), settings).expect("write");
    let key = Key::from_text(text_key).expect("key");
    let mut keys = Keys::none();
    keys.insert("4444", key.clone());
    let mut acked = false;
    for attempt in 0..40u16 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(&frame("4444", 100 + attempt, "#4444|1120 01 009", true, now()).encode(Some(&key), b"pad"))
            .await
            .expect("write");
        let answer = read_answer(&mut stream).await.expect("answer");
        if answer_id(&answer, &keys).0 == MessageId::Ack {
            acked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(acked, "the new account's key took effect without a restart");
    // A button mapped to account 5555 zone 3 after the engine started is found for its next frame.
    let conn = rusqlite::Connection::open(fx.path.join("vigil.db")).expect("open");
    let button: String = conn
        .query_row("SELECT id FROM devices WHERE kind = 'alarm_point' AND dc09_account IS NOT NULL LIMIT 1", [], |r| {
            r.get(0)
        })
        .expect("a button");
    conn.execute("UPDATE devices SET dc09_account = '5555', dc09_zone = 3 WHERE id = ?1", [&button]).expect("map");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(&frame("5555", 7, "#5555|1120 01 003", false, now()).encode(None, b"")).await.expect("write");
    assert_eq!(answer_id(&read_answer(&mut stream).await.expect("ack"), &Keys::none()).0, MessageId::Ack);
    let mapped: Option<String> =
        conn.query_row("SELECT device_id FROM alarm_signals WHERE account = '5555'", [], |r| r.get(0)).expect("stored");
    assert_eq!(mapped.as_deref(), Some(button.as_str()), "the frame is on the point mapped after start");
    fx.engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ins_need_the_token_are_stored_once_conflicts_are_named_and_nothing_a_guard_did_is_refused() {
    let fx = start().await;
    let http = fx.engine.http.expect("http");
    let store = vigil_store::Store::open(&fx.path.join(vigil_store::DATABASE_FILE)).expect("store");
    let tag = store.checkpoints().expect("checkpoints")[0].tag.clone();
    drop(store);
    let one = json!({"id": "0191f3a4-0000-7000-8000-00000000c001", "tag": tag.to_lowercase(), "guard": "G0001",
                     "time": "2026-11-30T22:05:00+08:00", "device": "HH-7", "method": "nfc"})
    .to_string();
    assert_eq!(request(http, "POST", "/v1/checkins", None, Some(&one)).await.0, 401);
    let (status, body) = request(http, "POST", "/v1/checkins", Some(&fx.token), Some(&one)).await;
    assert_eq!((status, body["stored"].as_u64()), (201, Some(1)), "{body}");
    assert_eq!(body["flags"], json!([]));
    let (status, body) = request(http, "POST", "/v1/checkins", Some(&fx.token), Some(&one)).await;
    assert_eq!((status, body["duplicates"].as_u64()), (200, Some(1)), "a retried upload stores nothing new");
    let (status, body) =
        request(http, "POST", "/v1/checkins", Some(&fx.token), Some(&one.replace("HH-7", "HH-8"))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str(), body["error"]["field"].as_str()),
        (409, Some("conflict"), Some("id"))
    );

    // A batch with an unreadable item stores nothing, naming the item's field.
    let stray = json!({"id": "0191f3a4-0000-7000-8000-00000000c002", "tag": "NO-SUCH-TAG", "guard": "X-999",
                       "time": "2040-01-01T00:00:00Z", "device": "HH-9"});
    let no_guard = json!({"id": "0191f3a4-0000-7000-8000-00000000c003", "tag": tag, "time": "2026-11-30T22:06:00+08:00", "device": "HH-7"});
    let (status, body) =
        request(http, "POST", "/v1/checkins", Some(&fx.token), Some(&json!([stray, no_guard]).to_string())).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("[1].guard")));
    assert_eq!(request(http, "POST", "/v1/checkins", Some(&fx.token), Some("{not json")).await.0, 400);
    // An unknown tag, an unknown guard and a clock years ahead: stored, and flagged.
    let (status, body) =
        request(http, "POST", "/v1/checkins", Some(&fx.token), Some(&json!([stray]).to_string())).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["results"][0]["flags"], json!(["unknown_tag", "unknown_guard", "clock_ahead"]));

    let (status, rows) = reqwest_get(http, "/v1/checkins", None).await;
    assert_eq!((status, rows.as_array().map(Vec::len)), (200, Some(2)));
    assert_eq!(rows[1]["clock"].as_str(), Some("ahead"));
    assert_eq!(rows[1]["judged_at"], rows[1]["received"], "a clock that cannot be true is judged at the receipt");
    let since = rows[0]["seq"].as_i64().expect("seq");
    let (_, after) = reqwest_get(http, &format!("/v1/checkins?since={since}"), None).await;
    assert_eq!(after.as_array().map(Vec::len), Some(1));
    assert_eq!(reqwest_get(http, "/v1/checkins?since=yesterday", None).await.0, 400);
}
