//! `vigil server --log-format json` as a hospital's log collector reads it: one JSON object per
//! request on stderr, with the method, path, status, refusal code and client address — and never
//! the token a request carried.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn request(addr: &str, head: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.write_all(head.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

#[test]
fn the_json_log_has_a_line_per_request_and_no_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["server", "--json", "--log-format", "json", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("VIGIL_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vigil server");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
    let started: serde_json::Value = serde_json::from_str(&line).expect("json");
    let addr = started["http"].as_str().expect("address").to_owned();

    let health = request(&addr, "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let secret = "0123456789abcdef-not-a-real-token";
    let refused = request(
        &addr,
        &format!("GET /v1/sync/pull?after=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\nConnection: close\r\n\r\n"),
    );
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    let _ = server.kill();
    let mut log = String::new();
    server.stderr.take().expect("stderr").read_to_string(&mut log).expect("log");
    let _ = server.wait();

    assert!(!log.contains(secret), "the token is never logged: {log}");
    let lines: Vec<serde_json::Value> =
        log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}"))).collect();
    let of = |path: &str| lines.iter().find(|l| l["span"]["path"] == path).unwrap_or_else(|| panic!("{path}: {log}"));
    let ok = of("/v1/health");
    assert_eq!((ok["level"].as_str(), ok["fields"]["status"].as_u64()), (Some("INFO"), Some(200)));
    assert_eq!(ok["span"]["method"], "GET");
    assert_eq!(ok["span"]["peer"], "127.0.0.1");
    assert!(ok["fields"]["ms"].as_f64().is_some());
    let no = of("/v1/sync/pull");
    assert_eq!((no["level"].as_str(), no["fields"]["status"].as_u64()), (Some("WARN"), Some(401)));
    assert_eq!(no["fields"]["code"], "unauthorized");
}
