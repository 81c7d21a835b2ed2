//! The server's HTTP API as a workstation and an attacker meet it: enrollment, tokens, and
//! every malformed, replayed or foreign push answered as documented with nothing stored.

use std::path::Path;

use serde_json::{json, Value};
use uuid::Uuid;
use vigil_store::Store;
use vigil_sync::{Client, ClientError, Heads, PushRequest, WireEvent, PROTOCOL};

struct Server {
    dir: tempfile::TempDir,
    running: Option<vigil_server::Running>,
    url: String,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let running = vigil_server::serve(dir.path(), "127.0.0.1:0").await.expect("serve");
        let url = format!("http://{}", running.addr);
        Server { dir, running: Some(running), url }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn events(&self) -> u64 {
        Store::open(&self.path().join("vigil.db")).expect("open").event_count().expect("count")
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// A workstation with `n` events of its own, enrolled as `name`: its id, token and outbox.
async fn enrolled(server: &Server, name: &str, n: usize) -> (tempfile::TempDir, Uuid, Client, Vec<WireEvent>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("vigil.db")).expect("open");
    let origin = store
        .transaction(|tx| {
            for i in 0..n {
                let body = vigil_domain::event::EventBody::ProcedureSet(vigil_domain::event::ProcedureSet {
                    alarm_type: "panic".into(),
                    language: "en".into(),
                    steps: vec![format!("{name} step {i}")],
                });
                vigil_store::write::commit_event(tx, "admin", "sop:panic:en", body, 1_700_000_000_000)?;
            }
            vigil_store::write::workstation_id(tx)
        })
        .expect("commit");
    let events = store
        .origin_events_after(origin, 0, 1000)
        .expect("outbox")
        .iter()
        .map(|r| WireEvent::from_row(r, false).expect("wire"))
        .collect();
    let code = vigil_server::enroll(server.path(), name, 5).expect("code");
    let answer = Client::new(&server.url, None).expect("client").enroll(&code, origin).await.expect("enroll");
    assert_eq!(answer.name, name);
    (dir, origin, Client::new(&server.url, Some(answer.token)).expect("client"), events)
}

fn push_of(origin: Uuid, events: &[WireEvent]) -> PushRequest {
    PushRequest {
        protocol: PROTOCOL,
        origin,
        sent_at: 1_700_000_000_000,
        events: events.to_vec(),
        heads: Heads::default(),
    }
}

fn refusal(e: ClientError) -> (u16, String) {
    match e {
        ClientError::Refused { status, body } => (status, body.error.code),
        other => panic!("not a refusal: {other}"),
    }
}

async fn raw(url: &str, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(format!("{url}/v1/sync/push")).body(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workstation_pushes_once_and_everyone_pulls_it_in_the_servers_order() {
    let server = Server::start().await;
    let (_a_dir, a, a_client, a_events) = enrolled(&server, "ws-a", 3).await;
    let (_b_dir, b, b_client, b_events) = enrolled(&server, "ws-b", 2).await;

    let first = a_client.push(&push_of(a, &a_events[..2])).await.expect("push");
    assert_eq!((first.stored, first.duplicates, first.next), (2, 0, 3));
    // The answer was lost and the push sent again, with one more.
    let again = a_client.push(&push_of(a, &a_events)).await.expect("push");
    assert_eq!((again.stored, again.duplicates, again.next), (1, 2, 4));
    b_client.push(&push_of(b, &b_events)).await.expect("push");
    assert_eq!(server.events(), 5);

    let page = b_client.pull(0, 3, 0).await.expect("pull");
    assert_eq!(page.events.len(), 3);
    assert!(page.more);
    let rest = b_client.pull(page.cursor, 1000, 0).await.expect("pull");
    assert!(!rest.more);
    let order: Vec<(Uuid, i64)> =
        page.events.iter().chain(&rest.events).map(|e| (e.event.origin, e.event.origin_seq)).collect();
    assert_eq!(order, vec![(a, 1), (a, 2), (a, 3), (b, 1), (b, 2)]);
    assert!(page.events.iter().chain(&rest.events).all(|e| e.seq.is_some()));

    // A pull that is caught up waits for news, and wakes when it comes.
    let waiting = {
        let client = b_client.clone();
        let cursor = rest.cursor;
        tokio::spawn(async move { client.pull(cursor, 1000, 20).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "nothing new yet");
    let (_c_dir, c, c_client, c_events) = enrolled(&server, "ws-c", 1).await;
    c_client.push(&push_of(c, &c_events)).await.expect("push");
    let woken = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
        .await
        .expect("woken before its wait ran out")
        .expect("task")
        .expect("pull");
    assert_eq!(woken.events.iter().map(|e| e.event.origin).collect::<Vec<_>>(), vec![c]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_what_it_must_and_stores_nothing_of_it() {
    let server = Server::start().await;
    let (_a_dir, a, a_client, a_events) = enrolled(&server, "ws-a", 2).await;
    let (_b_dir, b, b_client, _) = enrolled(&server, "ws-b", 0).await;

    // No token, an unknown token: 401.
    let (status, body) = raw(&server.url, None, serde_json::to_vec(&push_of(a, &a_events)).expect("json")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    let (status, _) = raw(&server.url, Some("0123"), serde_json::to_vec(&push_of(a, &a_events)).expect("json")).await;
    assert_eq!(status, 401);
    // Pushing as another workstation: 403.
    assert_eq!(refusal(b_client.push(&push_of(a, &a_events)).await.expect_err("as a")), (403, "forbidden".into()));
    // A batch that starts after a gap: 409 with what is expected.
    match b_client.push(&push_of(b, &[])).await {
        Ok(answer) => assert_eq!(answer.next, 1, "an empty push only asks where it stands"),
        Err(e) => panic!("{e}"),
    }
    match a_client.push(&push_of(a, &a_events[1..])).await.expect_err("gap") {
        ClientError::Refused { status: 409, body } => {
            assert_eq!((body.error.code.as_str(), body.error.expected), ("gap", Some(1)));
        }
        other => panic!("{other}"),
    }
    // A newer protocol, a body that is not a push, a field nobody knows: 400.
    let mut newer = push_of(a, &a_events);
    newer.protocol = PROTOCOL + 1;
    assert_eq!(refusal(a_client.push(&newer).await.expect_err("newer")), (400, "protocol".into()));
    let token = {
        // A token of its own for the raw requests below.
        let code = vigil_server::enroll(server.path(), "raw", 5).expect("code");
        Client::new(&server.url, None).expect("client").enroll(&code, Uuid::now_v7()).await.expect("enroll").token
    };
    for body in [b"not json".to_vec(), br#"{"protocol":1}"#.to_vec()] {
        let (status, answer) = raw(&server.url, Some(&token), body).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (400, Some("malformed")), "{answer}");
    }
    let mut extra = serde_json::to_value(push_of(a, &a_events)).expect("json");
    extra["surprise"] = json!(1);
    let (status, _) = raw(&server.url, Some(&token), serde_json::to_vec(&extra).expect("json")).await;
    assert_eq!(status, 400);
    // More than the body limit: 413.
    let (status, answer) = raw(&server.url, Some(&token), vec![b' '; vigil_server::MAX_BODY_BYTES + 1]).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (413, Some("too_large")));
    // Events whose hash does not match their content: 409 diverged.
    let mut forged = a_events.clone();
    forged[0].event.actor = "someone else".into();
    assert_eq!(refusal(a_client.push(&push_of(a, &forged)).await.expect_err("forged")), (409, "diverged".into()));
    assert_eq!(server.events(), 0, "nothing of any refused push was stored");

    // A revoked workstation's token: 401, for push and pull alike.
    vigil_server::revoke(server.path(), "ws-a").expect("revoke");
    assert_eq!(refusal(a_client.push(&push_of(a, &a_events)).await.expect_err("revoked")).0, 401);
    assert_eq!(refusal(a_client.pull(0, 10, 0).await.expect_err("revoked")).0, 401);
    assert_eq!(server.events(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollment_code_is_refused_when_reused_expired_unknown_or_for_an_enrolled_workstation() {
    let server = Server::start().await;
    let client = Client::new(&server.url, None).expect("client");
    let code = vigil_server::enroll(server.path(), "ws-a", 5).expect("code");
    let origin = Uuid::now_v7();
    client.enroll(&code.to_lowercase(), origin).await.expect("a code typed in lower case");
    assert_eq!(refusal(client.enroll(&code, Uuid::now_v7()).await.expect_err("reused")), (403, "code_used".into()));
    assert_eq!(refusal(client.enroll("AAAAA-BBBBB-CCCCC", origin).await.expect_err("unknown")).1, "code_unknown");
    let second = vigil_server::enroll(server.path(), "ws-b", 5).expect("code");
    assert_eq!(refusal(client.enroll(&second, origin).await.expect_err("copied")), (409, "already_enrolled".into()));
    // The code refused for a copied directory is still good for the right workstation.
    client.enroll(&second, Uuid::now_v7()).await.expect("the real ws-b");
    // Expired: made valid for a minute, then its clock run out in the database.
    let third = vigil_server::enroll(server.path(), "ws-c", 1).expect("code");
    assert_eq!(expire_open_codes(server.path()), 1);
    assert_eq!(refusal(client.enroll(&third, Uuid::now_v7()).await.expect_err("expired")).1, "code_expired");
    assert!(vigil_server::enroll(server.path(), "ws-a", 5).is_err(), "ws-a is enrolled: revoke it first");
    assert!(vigil_server::enroll(server.path(), "ws-d", 0).is_err(), "a code must last a minute at least");
    server.stop().await;
}

/// Moves every open enrollment's expiry into the past, through the store's own transaction.
fn expire_open_codes(dir: &Path) -> usize {
    let mut store = Store::open(&dir.join("vigil.db")).expect("open");
    store
        .transaction(|tx| Ok(tx.execute("UPDATE sync_enrollments SET expires_at = 0 WHERE used_at IS NULL", [])?))
        .expect("expire")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_and_the_workstation_refills_what_it_lacks() {
    let mut server = Server::start().await;
    let (_a_dir, a, a_client, a_events) = enrolled(&server, "ws-a", 4).await;
    a_client.push(&push_of(a, &a_events[..2])).await.expect("push");
    let copy = server.path().join("backup.db");
    assert_eq!(vigil_server::backup(server.path(), &copy).expect("backup"), 2);
    assert!(vigil_server::backup(server.path(), &copy).is_err(), "an existing file is never replaced");
    a_client.push(&push_of(a, &a_events[2..])).await.expect("push");
    assert_eq!(server.events(), 4);

    // Restored from the copy: the server has lost two events, and says so to the next push.
    if let Some(r) = server.running.take() {
        r.stop().await;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(server.path().join(format!("vigil.db{suffix}")));
    }
    std::fs::rename(&copy, server.path().join("vigil.db")).expect("restore");
    let running = vigil_server::serve(server.path(), &server.url.replace("http://", "")).await.expect("serve");
    server.running = Some(running);
    assert_eq!(server.events(), 2);
    match a_client.push(&push_of(a, &a_events[3..])).await.expect_err("a gap") {
        ClientError::Refused { status: 409, body } => assert_eq!(body.error.expected, Some(3)),
        other => panic!("{other}"),
    }
    let answer = a_client.push(&push_of(a, &a_events[2..])).await.expect("refilled");
    assert_eq!((answer.stored, answer.next), (2, 5));
    assert_eq!(server.events(), 4);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_endpoint_and_every_error_code() {
    let server = Server::start().await;
    let response = reqwest::get(format!("{}/v1/openapi.json", server.url)).await.expect("get");
    assert_eq!(response.status().as_u16(), 200);
    let doc: Value = response.json().await.expect("json");
    let paths: Vec<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    for path in
        ["/v1/health", "/v1/openapi.json", "/v1/sync/enroll", "/v1/sync/push", "/v1/sync/pull", "/v1/sync/heads"]
    {
        assert!(paths.contains(&path), "{path} is not described");
        let (status, _) = raw_get(&server.url, path).await;
        assert_ne!(status, 404, "{path} is described but not served");
    }
    // Every refusal code the server's source can answer is in the document's list.
    let codes: Vec<&str> = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
        .as_array()
        .expect("codes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let source = include_str!("../src/lib.rs");
    for quoted in source.split("Failure::new(").skip(1) {
        let Some(code) = quoted.split('"').nth(1) else { continue };
        assert!(codes.contains(&code), "error code {code} is not in the OpenAPI document");
    }
    server.stop().await;
}

async fn raw_get(url: &str, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{url}{path}")).await.expect("get");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
