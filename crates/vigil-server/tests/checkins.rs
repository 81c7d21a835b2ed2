//! A guard's handheld posts check-ins to the server's `/v1/checkins`: stored once as the server's
//! own events, pulled by every workstation, with every bad request answered as documented and
//! nothing stored. On a SQLite server and on a PostgreSQL one, with a real syncing engine.

mod common;

use serde_json::{json, Value};
use uuid::Uuid;
use vigil_pgtest::Postgres;
use vigil_server::{ClientKind, Location};

use common::{eventually, syncing_workstation};

async fn post(url: &str, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(format!("{url}{path}")).json(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn server_events(at: &Location) -> i64 {
    let (chain, _) = vigil_server::verify(at).await.expect("verify");
    i64::try_from(chain.events).expect("count")
}

async fn handhelds_post_check_ins(at: Location) {
    let server = vigil_server::serve(&at, "127.0.0.1:0").await.expect("serve");
    let url = format!("http://{}", server.addr);

    // A demo workstation, syncing.
    let (dir, engine, ws) = syncing_workstation(&at, &server, "control-room-1").await;
    let (tag, badge) = ws.with_store(|s| {
        (s.checkpoints().expect("checkpoints")[0].tag.clone(), s.guards().expect("guards")[0].badge.clone())
    });

    // The handheld enrolls with its own code.
    let code = vigil_server::enroll_client(&at, "handheld-07", 5, ClientKind::Handheld).await.expect("code");
    let token = vigil_sync::Client::new(&url, None)
        .expect("client")
        .enroll(&code, Uuid::now_v7())
        .await
        .expect("the handheld enrolls")
        .token;
    let listed = vigil_server::workstations(&at).await.expect("workstations");
    assert!(listed.iter().any(|w| w.name == "handheld-07" && w.kind == ClientKind::Handheld));

    let id = Uuid::now_v7();
    let now = jiff::Timestamp::now();
    let check_in = json!({ "id": id, "tag": tag, "guard": badge, "device": "handheld-07", "time": now.to_string() });
    let before = server_events(&at).await;

    // Refused, nothing stored: no token, a bad field, a bad field in a batch.
    assert_eq!(post(&url, "/v1/checkins", None, &check_in).await.0, 401);
    let (status, body) = post(
        &url,
        "/v1/checkins",
        Some(&token),
        &json!({ "id": id, "tag": tag, "guard": badge, "device": "h", "time": "yesterday" }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str(), body["error"]["field"].as_str()),
        (400, Some("invalid"), Some("time"))
    );
    let second = json!({ "id": Uuid::now_v7(), "tag": "", "guard": badge, "device": "h", "time": now.to_string() });
    let (status, body) = post(&url, "/v1/checkins", Some(&token), &json!([check_in, second])).await;
    assert_eq!((status, body["error"]["field"].as_str()), (400, Some("[1].tag")));
    assert_eq!(server_events(&at).await, before, "nothing of a refused request is stored");

    // Stored once, answered as a workstation answers.
    let (status, body) = post(&url, "/v1/checkins", Some(&token), &check_in).await;
    assert_eq!((status, body["stored"].as_i64(), body["flags"].clone()), (201, Some(1), json!([])), "{body}");
    let (status, body) = post(&url, "/v1/checkins", Some(&token), &check_in).await;
    assert_eq!((status, body["stored"].as_i64(), body["duplicates"].as_i64()), (200, Some(0), Some(1)));
    let mut changed = check_in.clone();
    changed["tag"] = json!("FFFF0000");
    let (status, body) = post(&url, "/v1/checkins", Some(&token), &changed).await;
    assert_eq!(
        (status, body["error"]["code"].as_str(), body["error"]["field"].as_str()),
        (409, Some("conflict"), Some("id"))
    );
    assert_eq!(server_events(&at).await, before + 1);

    // A clock an hour ahead: stored and flagged, never refused.
    let ahead = now + jiff::SignedDuration::from_hours(1);
    let late =
        json!({ "id": Uuid::now_v7(), "tag": tag, "guard": badge, "device": "handheld-07", "time": ahead.to_string() });
    let (status, body) = post(&url, "/v1/checkins", Some(&token), &late).await;
    assert_eq!((status, body["flags"].clone()), (201, json!(["clock_ahead"])));

    // The handheld reads nothing of the log.
    let pull = reqwest::Client::new()
        .get(format!("{url}/v1/sync/pull?after=0"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("pull");
    assert_eq!(pull.status().as_u16(), 403);

    // The workstation has the check-in, as the handheld sent it.
    eventually("the check-in reaches the workstation", || ws.with_store(|s| s.check_in(id)).expect("read").is_some())
        .await;
    let row = ws.with_store(|s| s.check_in(id)).expect("read").expect("held");
    assert_eq!((row.record.tag.as_str(), row.record.guard.as_str()), (tag.as_str(), badge.as_str()));
    assert_eq!(row.actor, "handheld-07", "the handheld that posted it is named");

    // The server's own chain verifies, beside the workstation's.
    let (chain, witness) = vigil_server::verify(&at).await.expect("verify");
    assert!(chain.first_altered.is_none() && witness.first_mismatch.is_none(), "{chain:?} {witness:?}");
    engine.stop().await;
    server.stop().await;
    drop(ws);
    let report = vigil_store::Store::open(&dir.path().join("vigil.db")).expect("open").rebuild(false).expect("rebuild");
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handheld_posts_check_ins_to_a_sqlite_server_and_the_workstations_get_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    handhelds_post_check_ins(Location::Sqlite(dir.path().to_owned())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handheld_posts_check_ins_to_a_postgresql_server_and_the_workstations_get_them() {
    let pg = Postgres::start().expect("PostgreSQL for the tests");
    handhelds_post_check_ins(Location::Postgres(pg.database().expect("a database"))).await;
}

/// A PostgreSQL database made by an earlier version (schema 1: no handhelds, no retention) is
/// brought up to date when a new server starts on it, its workstations kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_database_of_schema_1_is_upgraded_in_place() {
    let pg = Postgres::start().expect("PostgreSQL for the tests");
    let url = pg.database().expect("a database");
    let at = Location::Postgres(url.clone());
    vigil_server::enroll(&at, "control-room-1", 5).await.expect("code");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
        .batch_execute(
            "ALTER TABLE workstations DROP COLUMN client; ALTER TABLE enrollments DROP COLUMN client;
             DROP INDEX events_subject; DROP TABLE events_pruned;
             CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
                 FOR EACH ROW EXECUTE FUNCTION vigil_append_only();
             DROP FUNCTION vigil_events_guard();
             UPDATE vigil_meta SET value = '1' WHERE key = 'schema_version'",
        )
        .await
        .expect("back to schema 1");
    vigil_server::enroll_client(&at, "handheld-01", 5, ClientKind::Handheld)
        .await
        .expect("upgraded, a handheld enrolls");
    let version: String = client
        .query_one("SELECT value FROM vigil_meta WHERE key = 'schema_version'", &[])
        .await
        .expect("version")
        .get(0);
    assert_eq!(version, "3");
    let retention: bool =
        client.query_one("SELECT to_regclass('events_pruned') IS NOT NULL", &[]).await.expect("table").get(0);
    assert!(retention, "the retention table is made by the upgrade");
    let kinds: Vec<String> = client
        .query("SELECT client FROM enrollments ORDER BY created_at", &[])
        .await
        .expect("enrollments")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kinds, ["workstation", "handheld"], "the code made before the upgrade stays a workstation's");
}
