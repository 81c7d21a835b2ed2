//! The server's HTTP API as a workstation and an attacker meet it: enrollment, tokens, and
//! every malformed, replayed or foreign push answered as documented with nothing stored.

use std::path::Path;

use serde_json::{json, Value};
use uuid::Uuid;
use vigil_pgtest::Postgres;
use vigil_server::Location;
use vigil_store::Store;
use vigil_sync::{Client, ClientError, Heads, PushRequest, WireEvent, PROTOCOL};

/// The database a test's server keeps its log in.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

struct Server {
    dir: tempfile::TempDir,
    at: Location,
    running: Option<vigil_server::Running>,
    url: String,
    /// The PostgreSQL server the test started (stopped last), if any.
    _pg: Option<Postgres>,
}

impl Server {
    async fn start(backend: Backend) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let (at, pg) = match backend {
            Backend::Sqlite => (Location::Sqlite(dir.path().to_owned()), None),
            Backend::Postgres => {
                let pg = Postgres::start().expect("PostgreSQL for the tests");
                (Location::Postgres(pg.database().expect("a database")), Some(pg))
            }
        };
        let running = vigil_server::serve(&at, "127.0.0.1:0").await.expect("serve");
        let url = format!("http://{}", running.addr);
        Server { dir, at, running: Some(running), url, _pg: pg }
    }

    /// Another server process's worth on the same database (PostgreSQL): its own pool, its own
    /// listener, nothing shared but the database.
    async fn second(&self) -> vigil_server::Running {
        vigil_server::serve(&self.at, "127.0.0.1:0").await.expect("a second server")
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    async fn enroll(&self, name: &str, minutes: u32) -> Result<String, vigil_server::ServerError> {
        vigil_server::enroll(&self.at, name, minutes).await
    }

    /// How many events the server holds, whatever its database: every origin's log is gapless.
    async fn events(&self) -> i64 {
        vigil_server::workstations(&self.at).await.expect("workstations").iter().map(|w| w.events).sum()
    }

    /// Moves every open enrollment's expiry into the past, in the database itself.
    async fn expire_open_codes(&self) -> u64 {
        match &self.at {
            Location::Sqlite(dir) => {
                let mut store = Store::open(&dir.join("vigil.db")).expect("open");
                store
                    .transaction(|tx| {
                        Ok(tx.execute("UPDATE sync_enrollments SET expires_at = 0 WHERE used_at IS NULL", [])?)
                    })
                    .expect("expire") as u64
            }
            Location::Postgres(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
                tokio::spawn(connection);
                client
                    .execute("UPDATE enrollments SET expires_at = 0 WHERE used_at IS NULL", &[])
                    .await
                    .expect("expire")
            }
        }
    }

    /// Runs `sql` in the server's database as someone with its files or its superuser would,
    /// the append-only triggers out of the way.
    async fn tamper(&self, sql: &str) {
        match &self.at {
            Location::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.join("vigil.db")).expect("open");
                conn.execute_batch(&format!("DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; {sql}"))
                    .expect("tamper");
            }
            Location::Postgres(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
                tokio::spawn(connection);
                client
                    .batch_execute(&format!(
                        "ALTER TABLE events DISABLE TRIGGER USER; {sql}; ALTER TABLE events ENABLE TRIGGER USER"
                    ))
                    .await
                    .expect("tamper");
            }
        }
    }

    async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// Runs one test body against a SQLite server and against a PostgreSQL one.
macro_rules! on_both {
    ($body:ident: $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $body(Backend::Sqlite).await
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $body(Backend::Postgres).await
        }
    };
}

/// A workstation with `n` events of its own, enrolled as `name`: its id, token and outbox.
async fn enrolled(server: &Server, name: &str, n: usize) -> (tempfile::TempDir, Uuid, Client, Vec<WireEvent>) {
    let (dir, origin, client, events, _) = enrolled_with_token(server, name, n).await;
    (dir, origin, client, events)
}

/// [`enrolled`], and the workstation's token.
async fn enrolled_with_token(
    server: &Server,
    name: &str,
    n: usize,
) -> (tempfile::TempDir, Uuid, Client, Vec<WireEvent>, String) {
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
    let code = server.enroll(name, 5).await.expect("code");
    let answer = Client::new(&server.url, None).expect("client").enroll(&code, origin).await.expect("enroll");
    assert_eq!(answer.name, name);
    let token = answer.token;
    (dir, origin, Client::new(&server.url, Some(token.clone())).expect("client"), events, token)
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

on_both!(pushes_once_pulled_in_order: pushed_once_and_pulled_in_the_servers_order_sqlite, pushed_once_and_pulled_in_the_servers_order_postgres);

async fn pushes_once_pulled_in_order(backend: Backend) {
    let server = Server::start(backend).await;
    let (_a_dir, a, a_client, a_events) = enrolled(&server, "ws-a", 3).await;
    let (_b_dir, b, b_client, b_events) = enrolled(&server, "ws-b", 2).await;

    let first = a_client.push(&push_of(a, &a_events[..2])).await.expect("push");
    assert_eq!((first.stored, first.duplicates, first.next), (2, 0, 3));
    // The answer was lost and the push sent again, with one more.
    let again = a_client.push(&push_of(a, &a_events)).await.expect("push");
    assert_eq!((again.stored, again.duplicates, again.next), (1, 2, 4));
    b_client.push(&push_of(b, &b_events)).await.expect("push");
    assert_eq!(server.events().await, 5);

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

on_both!(refuses_and_stores_nothing: the_server_refuses_what_it_must_and_stores_nothing_sqlite, the_server_refuses_what_it_must_and_stores_nothing_postgres);

async fn refuses_and_stores_nothing(backend: Backend) {
    let server = Server::start(backend).await;
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
        let code = server.enroll("raw", 5).await.expect("code");
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
    // A removed event's chain entry, which only a pull carries: 400.
    let mut entry = a_events.clone();
    entry[0].event.pruned_prev_hash = Some(vigil_store::GENESIS.to_owned());
    assert_eq!(refusal(a_client.push(&push_of(a, &entry)).await.expect_err("entry")), (400, "malformed".into()));
    assert_eq!(server.events().await, 0, "nothing of any refused push was stored");

    // A revoked workstation's token: 401, for push and pull alike.
    vigil_server::revoke(&server.at, "ws-a").await.expect("revoke");
    assert_eq!(refusal(a_client.push(&push_of(a, &a_events)).await.expect_err("revoked")).0, 401);
    assert_eq!(refusal(a_client.pull(0, 10, 0).await.expect_err("revoked")).0, 401);
    assert_eq!(server.events().await, 0);
    server.stop().await;
}

on_both!(codes_refused: an_enrollment_code_is_refused_when_reused_expired_or_unknown_sqlite, an_enrollment_code_is_refused_when_reused_expired_or_unknown_postgres);

async fn codes_refused(backend: Backend) {
    let server = Server::start(backend).await;
    let client = Client::new(&server.url, None).expect("client");
    let code = server.enroll("ws-a", 5).await.expect("code");
    let origin = Uuid::now_v7();
    client.enroll(&code.to_lowercase(), origin).await.expect("a code typed in lower case");
    assert_eq!(refusal(client.enroll(&code, Uuid::now_v7()).await.expect_err("reused")), (403, "code_used".into()));
    assert_eq!(refusal(client.enroll("AAAAA-BBBBB-CCCCC", origin).await.expect_err("unknown")).1, "code_unknown");
    let second = server.enroll("ws-b", 5).await.expect("code");
    assert_eq!(refusal(client.enroll(&second, origin).await.expect_err("copied")), (409, "already_enrolled".into()));
    // The code refused for a copied directory is still good for the right workstation.
    client.enroll(&second, Uuid::now_v7()).await.expect("the real ws-b");
    // Expired: made valid for a minute, then its clock run out in the database.
    let third = server.enroll("ws-c", 1).await.expect("code");
    assert_eq!(server.expire_open_codes().await, 1);
    assert_eq!(refusal(client.enroll(&third, Uuid::now_v7()).await.expect_err("expired")).1, "code_expired");
    assert!(server.enroll("ws-a", 5).await.is_err(), "ws-a is enrolled: revoke it first");
    assert!(server.enroll("ws-d", 0).await.is_err(), "a code must last a minute at least");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgresql_serve_workstations_together() {
    let server = Server::start(Backend::Postgres).await;
    let other = server.second().await;
    let other_url = format!("http://{}", other.addr);
    let (_a_dir, a, a_here, a_events, a_token) = enrolled_with_token(&server, "ws-a", 4).await;
    let a_there = Client::new(&other_url, Some(a_token)).expect("client");
    // Enrolled through the second process with a code the first process's database made.
    let b = Uuid::now_v7();
    let code = server.enroll("ws-b", 5).await.expect("code");
    let b_token = Client::new(&other_url, None).expect("client").enroll(&code, b).await.expect("enroll").token;
    let b_there = Client::new(&other_url, Some(b_token)).expect("client");

    // A pull waiting at the second process wakes when the first commits (PostgreSQL's NOTIFY).
    let waiting = {
        let client = b_there.clone();
        tokio::spawn(async move { client.pull(0, 1000, 20).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "nothing new yet");
    a_here.push(&push_of(a, &a_events[..2])).await.expect("push at the first");
    let woken = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
        .await
        .expect("woken by the other process's push")
        .expect("task")
        .expect("pull");
    assert_eq!(woken.events.iter().map(|e| e.event.origin_seq).collect::<Vec<_>>(), vec![1, 2]);

    // The same push sent to both processes at once (a retry through the load balancer): stored
    // once, the other answer counts it as duplicates.
    let whole = push_of(a, &a_events);
    let (one, two) = tokio::join!(a_here.push(&whole), a_there.push(&whole));
    let (one, two) = (one.expect("push"), two.expect("push"));
    assert_eq!((one.stored + two.stored, one.duplicates + two.duplicates), (2, 6), "{one:?} {two:?}");
    assert_eq!((one.next, two.next), (5, 5));
    assert_eq!(server.events().await, 4);

    // Both processes hand out one order, without gaps in any origin's sequence.
    let here = a_here.pull(0, 1000, 0).await.expect("pull");
    let there = b_there.pull(0, 1000, 0).await.expect("pull");
    assert_eq!(here.events, there.events);
    let seqs: Vec<i64> = here.events.iter().filter_map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(here.events.iter().map(|e| e.event.origin_seq).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    // A token revoked through one is refused by the other.
    vigil_server::revoke(&server.at, "ws-a").await.expect("revoke");
    assert_eq!(refusal(a_there.pull(0, 10, 0).await.expect_err("revoked")).0, 401);
    other.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runaway_client_is_slowed_with_429_and_retry_after_and_nobody_else_is() {
    let server = Server::start(Backend::Sqlite).await;
    let (_a_dir, _, a_client, _) = enrolled(&server, "ws-a", 0).await;
    let (_b_dir, _, b_client, _) = enrolled(&server, "ws-b", 0).await;
    // One workstation asking far more often than any real one would: its burst, then 429 (asked
    // until it comes, so a slow machine, on which the allowance refills meanwhile, gets there too).
    let mut limited = false;
    for _ in 0..vigil_server::SYNC_BURST * 10 {
        match a_client.pull(0, 1, 0).await {
            Ok(_) => {}
            Err(ClientError::Refused { status: 429, body }) => {
                assert_eq!(body.error.code, "rate_limited");
                limited = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(limited, "a runaway workstation is slowed");
    b_client.pull(0, 1, 0).await.expect("another workstation is not slowed");
    // Enrollment attempts from one address: a few per minute, then 429 with Retry-After.
    let client = Client::new(&server.url, None).expect("client");
    for _ in 0..vigil_server::ENROLL_PER_MINUTE - 2 {
        assert_eq!(
            refusal(client.enroll("AAAAA-BBBBB-CCCCC", Uuid::now_v7()).await.expect_err("unknown")).1,
            "code_unknown"
        );
    }
    let response = reqwest::Client::new()
        .post(format!("{}/v1/sync/enroll", server.url))
        .json(&json!({"code": "AAAAA-BBBBB-CCCCC", "origin": Uuid::now_v7()}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 429);
    let wait: u64 = response.headers()["retry-after"].to_str().expect("text").parse().expect("seconds");
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    server.stop().await;
}

on_both!(verify_finds_tampering: the_servers_copy_verifies_and_an_edit_behind_its_back_is_named_sqlite, the_servers_copy_verifies_and_an_edit_behind_its_back_is_named_postgres);

async fn verify_finds_tampering(backend: Backend) {
    let server = Server::start(backend).await;
    let (_a_dir, a, a_client, a_events) = enrolled(&server, "ws-a", 3).await;
    let (_b_dir, b, b_client, b_events) = enrolled(&server, "ws-b", 2).await;
    let mut with_heads = push_of(a, &a_events);
    with_heads.heads.events =
        a_events.last().map(|e| vigil_sync::WireHead { seq: e.event.origin_seq, hash: e.event.hash.clone() });
    a_client.push(&with_heads).await.expect("push");
    b_client.push(&push_of(b, &b_events)).await.expect("push");
    let (chain, witness) = vigil_server::verify(&server.at).await.expect("verify");
    assert_eq!((chain.events, chain.origins, chain.first_altered), (5, 2, None));
    assert_eq!((witness.checked, witness.not_held, witness.first_mismatch), (1, 0, None));

    // The log refuses an edit as it stands.
    let refused = match &server.at {
        Location::Sqlite(dir) => rusqlite::Connection::open(dir.join("vigil.db"))
            .expect("open")
            .execute("UPDATE events SET actor = 'someone else' WHERE origin_seq = 2", [])
            .is_err(),
        Location::Postgres(url) => {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("connect");
            tokio::spawn(connection);
            client.execute("UPDATE events SET actor = 'someone else' WHERE origin_seq = 2", &[]).await.is_err()
        }
    };
    assert!(refused, "the event log is append-only");
    // Edited behind its back: named.
    server.tamper(&format!("UPDATE events SET actor = 'someone else' WHERE origin = '{a}' AND origin_seq = 2")).await;
    let (chain, _) = vigil_server::verify(&server.at).await.expect("verify");
    let (_, _, why) = chain.first_altered.expect("the edit is found");
    assert!(why.contains("does not match its hash"), "{why}");
    server.stop().await;
}

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM into `dir`.
fn certificate(dir: &Path, name: &str) -> (vigil_server::Tls, String) {
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).expect("certificate");
    let tls = vigil_server::Tls { cert: dir.join(format!("{name}.pem")), key: dir.join(format!("{name}.key")) };
    std::fs::write(&tls.cert, cert.pem()).expect("write");
    std::fs::write(&tls.key, key_pair.serialize_pem()).expect("write");
    (tls, vigil_sync::tls::fingerprint(cert.der()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_a_workstation_trusts_exactly_the_certificate_its_code_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = Location::Sqlite(dir.path().to_owned());
    let (tls, fingerprint) = certificate(dir.path(), "server");
    assert_eq!(vigil_server::certificate_fingerprint(&tls.cert).expect("fingerprint"), fingerprint);
    let options = vigil_server::ServeOptions { tls: Some(tls), ..Default::default() };
    let server = vigil_server::serve_with(&at, "127.0.0.1:0", &options).await.expect("serve");
    let url = format!("https://127.0.0.1:{}", server.addr.port());

    // Enrolled with the code as printed (code@fingerprint): it keeps the fingerprint, and syncs.
    let code = vigil_server::enroll(&at, "ws-a", 5).await.expect("code");
    let printed = vigil_sync::tls::EnrollmentCode { code, fingerprint: Some(fingerprint.clone()) }.shown();
    let ws = tempfile::tempdir().expect("tempdir");
    let origin = Uuid::now_v7();
    let enrolled = vigil_sync::enroll(ws.path(), origin, &url, &printed).await.expect("enroll over TLS");
    assert_eq!(enrolled.fingerprint.as_deref(), Some(fingerprint.as_str()));
    assert_eq!(vigil_sync::TokenFile::read(ws.path()).expect("read"), Some(enrolled.clone()));
    let client = Client::of(&enrolled).expect("client");
    assert_eq!(client.pull(0, 10, 0).await.expect("pull over TLS").cursor, 0);

    // Another server with another certificate (an impostor on the network): refused in the
    // handshake, before the token is sent.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let (other_tls, other_fingerprint) = certificate(other_dir.path(), "impostor");
    assert_ne!(other_fingerprint, fingerprint);
    let impostor = vigil_server::serve_with(
        &Location::Sqlite(other_dir.path().to_owned()),
        "127.0.0.1:0",
        &vigil_server::ServeOptions { tls: Some(other_tls), ..Default::default() },
    )
    .await
    .expect("serve");
    let fooled = Client::pinned(
        &format!("https://127.0.0.1:{}", impostor.addr.port()),
        Some(enrolled.token.clone()),
        Some(&fingerprint),
    )
    .expect("client");
    match fooled.pull(0, 10, 0).await {
        Err(ClientError::Unreachable(why)) => assert!(why.contains("certif") || why.contains("error"), "{why}"),
        other => panic!("an impostor is not trusted: {other:?}"),
    }
    // A code whose fingerprint is not this server's is refused, and stays good for the right one.
    let code = vigil_server::enroll(&at, "ws-b", 5).await.expect("code");
    let wrong = vigil_sync::tls::EnrollmentCode { code: code.clone(), fingerprint: Some(other_fingerprint) }.shown();
    let ws_b = tempfile::tempdir().expect("tempdir");
    assert!(vigil_sync::enroll(ws_b.path(), Uuid::now_v7(), &url, &wrong).await.is_err());
    assert!(vigil_sync::TokenFile::read(ws_b.path()).expect("read").is_none(), "nothing kept");
    let right = vigil_sync::tls::EnrollmentCode { code, fingerprint: Some(fingerprint.clone()) }.shown();
    vigil_sync::enroll(ws_b.path(), Uuid::now_v7(), &url, &right).await.expect("the code is still good");
    // Without the fingerprint, the system's authorities do not vouch for a self-signed server;
    // a pinned code with an http:// address is refused before anything is sent.
    assert!(Client::new(&url, None).expect("client").pull(0, 1, 0).await.is_err());
    assert!(Client::pinned(&url.replace("https", "http"), None, Some(&fingerprint)).is_err());
    impostor.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_and_the_workstation_refills_what_it_lacks() {
    let mut server = Server::start(Backend::Sqlite).await;
    let (_a_dir, a, a_client, a_events) = enrolled(&server, "ws-a", 4).await;
    a_client.push(&push_of(a, &a_events[..2])).await.expect("push");
    let copy = server.path().join("backup.db");
    assert_eq!(vigil_server::backup(server.path(), &copy).expect("backup"), 2);
    assert!(vigil_server::backup(server.path(), &copy).is_err(), "an existing file is never replaced");
    a_client.push(&push_of(a, &a_events[2..])).await.expect("push");
    assert_eq!(server.events().await, 4);

    // Restored from the copy: the server has lost two events, and says so to the next push.
    if let Some(r) = server.running.take() {
        r.stop().await;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(server.path().join(format!("vigil.db{suffix}")));
    }
    std::fs::rename(&copy, server.path().join("vigil.db")).expect("restore");
    let running = vigil_server::serve(&server.at, &server.url.replace("http://", "")).await.expect("serve");
    server.running = Some(running);
    assert_eq!(server.events().await, 2);
    match a_client.push(&push_of(a, &a_events[3..])).await.expect_err("a gap") {
        ClientError::Refused { status: 409, body } => assert_eq!(body.error.expected, Some(3)),
        other => panic!("{other}"),
    }
    let answer = a_client.push(&push_of(a, &a_events[2..])).await.expect("refilled");
    assert_eq!((answer.stored, answer.next), (2, 5));
    assert_eq!(server.events().await, 4);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_endpoint_and_every_error_code() {
    let server = Server::start(Backend::Sqlite).await;
    let response = reqwest::get(format!("{}/v1/openapi.json", server.url)).await.expect("get");
    assert_eq!(response.status().as_u16(), 200);
    let doc: Value = response.json().await.expect("json");
    let paths: Vec<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    for path in [
        "/v1/health",
        "/v1/openapi.json",
        "/v1/sync/enroll",
        "/v1/sync/push",
        "/v1/sync/pull",
        "/v1/sync/heads",
        "/v1/checkins",
    ] {
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
    let source =
        [include_str!("../src/lib.rs"), include_str!("../src/limits.rs"), include_str!("../src/checkins.rs")].concat();
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
