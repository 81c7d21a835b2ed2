//! Two workstations and the server, each a real engine with its sync agent: an alarm received by
//! one and the acknowledgement given at the other reach everyone, folded to the same incident.

mod common;

use std::sync::Arc;
use std::time::Duration;

use vigil_api::{IncidentAction, Workstation};
use vigil_domain::Id;
use vigil_engine::{Engine, Overrides};
use vigil_store::Store;

use common::{eventually, panic_alarm, syncing_workstation};

fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    Workstation::open(dir.path()).expect("open").create_demo_with(Default::default(), 0).expect("demo");
    dir
}

async fn workstation(
    server: &vigil_server::Running,
    server_dir: &std::path::Path,
    name: &str,
) -> (tempfile::TempDir, Engine, Arc<Workstation>) {
    syncing_workstation(&vigil_server::Location::Sqlite(server_dir.to_owned()), server, name).await
}

fn incident_at(dir: &std::path::Path, id: Id) -> Option<vigil_domain::incident::Incident> {
    let store = Store::open(&dir.join("vigil.db")).expect("open");
    store.incident(id).expect("read").map(|i| i.incident)
}

fn state_at(dir: &std::path::Path, id: Id) -> Option<String> {
    let store = Store::open(&dir.join("vigil.db")).expect("open");
    store.incident(id).expect("read").map(|i| i.incident.state.as_str().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_at_one_workstation_and_its_acknowledgement_at_another_reach_everyone() {
    let server_dir = demo_dir();
    let server = vigil_server::serve(&vigil_server::Location::Sqlite(server_dir.path().to_owned()), "127.0.0.1:0")
        .await
        .expect("serve");
    let (a_dir, a_engine, a) = workstation(&server, server_dir.path(), "ws-a").await;
    let (b_dir, b_engine, b) = workstation(&server, server_dir.path(), "ws-b").await;

    let mut b_news = b_engine.incident_news();
    let id = panic_alarm(&a, "OPD-1F-ALM-001");
    eventually("the alarm reaches B", || state_at(b_dir.path(), id).is_some()).await;
    let news = tokio::time::timeout(Duration::from_secs(5), b_news.recv()).await.expect("announced").expect("news");
    assert_eq!((news.incident_id, news.opened), (id, true), "B's window is told, as for its own alarms");

    let who = b.login("demo-operator", "2468", None).expect("login").0;
    b.act_on_incident(who, id, &IncidentAction::Acknowledge).expect("acknowledged at B");
    eventually("the acknowledgement reaches A", || state_at(a_dir.path(), id).as_deref() == Some("acknowledged")).await;
    eventually("the server folds it too", || state_at(server_dir.path(), id).as_deref() == Some("acknowledged")).await;
    eventually("both queues drain", || {
        a_engine.sync_status().is_some_and(|s| s.queue == 0) && b_engine.sync_status().is_some_and(|s| s.queue == 0)
    })
    .await;
    let status = a_engine.sync_status().expect("enrolled");
    assert_eq!(status.name, "ws-a");
    assert!(status.last_sync.is_some());
    assert!(status.clock_offset_ms.is_some_and(|o| o.abs() < 5_000), "{status:?}");

    // Every event exists once everywhere, every chain verifies, and the incident is the same.
    let ids = |dir: &std::path::Path| {
        let store = Store::open(&dir.join("vigil.db")).expect("open");
        assert!(store.verify_events().expect("verify").first_altered.is_none());
        let mut ids: Vec<String> = store.event_rows(0, 100_000).expect("rows").into_iter().map(|r| r.id).collect();
        ids.sort();
        ids
    };
    eventually("B has pulled A's events back", || ids(a_dir.path()).len() == ids(server_dir.path()).len()).await;
    let on_server = ids(server_dir.path());
    assert_eq!(ids(a_dir.path()), on_server);
    assert_eq!(ids(b_dir.path()), on_server);
    assert_eq!(incident_at(a_dir.path(), id), incident_at(server_dir.path(), id));
    assert_eq!(incident_at(b_dir.path(), id), incident_at(server_dir.path(), id));

    a_engine.stop().await;
    b_engine.stop().await;
    server.stop().await;
}

/// Two workstations and the server after an alarm at `code` reached all three; then the network
/// goes (the workstations' engines are stopped: each goes on alone).
struct CutOff {
    server_dir: tempfile::TempDir,
    server: vigil_server::Running,
    a_dir: tempfile::TempDir,
    a: Arc<Workstation>,
    b_dir: tempfile::TempDir,
    b: Arc<Workstation>,
    id: Id,
}

async fn cut_off_after(code: &str) -> CutOff {
    let server_dir = demo_dir();
    let server = vigil_server::serve(&vigil_server::Location::Sqlite(server_dir.path().to_owned()), "127.0.0.1:0")
        .await
        .expect("serve");
    let (a_dir, a_engine, a) = workstation(&server, server_dir.path(), "ws-a").await;
    let (b_dir, b_engine, b) = workstation(&server, server_dir.path(), "ws-b").await;
    let id = panic_alarm(&a, code);
    eventually("the alarm reaches B", || state_at(b_dir.path(), id).is_some()).await;
    eventually("A's queue drains", || a_engine.sync_status().is_some_and(|s| s.queue == 0)).await;
    a_engine.stop().await;
    b_engine.stop().await;
    CutOff { server_dir, server, a_dir, a, b_dir, b, id }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workstations_cut_off_both_acknowledge_and_end_as_the_servers_order_decides() {
    // The network goes: each workstation goes on alone, and each operator acknowledges.
    let CutOff { server_dir, server, a_dir, a, b_dir, b, id } = cut_off_after("OPD-1F-ALM-002").await;
    let at_a = a.login("demo-operator", "2468", None).expect("login").0;
    a.act_on_incident(at_a, id, &IncidentAction::Acknowledge).expect("acknowledged at A");
    let at_b = b.login("demo-supervisor", "2468", None).expect("login").0;
    b.act_on_incident(at_b, id, &IncidentAction::Acknowledge).expect("acknowledged at B");
    let who_acknowledged = |dir: &std::path::Path| {
        let incident = incident_at(dir, id).expect("there");
        incident.timeline.iter().find(|l| format!("{:?}", l.what).contains("Acknowledge")).and_then(|l| l.by.clone())
    };
    assert_eq!(who_acknowledged(a_dir.path()).as_deref(), Some("demo-operator"), "A alone: its own operator");

    // B's reaches the server first, so B's acknowledgement is the one that stands, everywhere.
    let b_engine = restart(&b).await;
    eventually("B's acknowledgement reaches the server", || {
        state_at(server_dir.path(), id).as_deref() == Some("acknowledged")
    })
    .await;
    let a_engine = restart(&a).await;
    eventually("A catches up and agrees with the server", || {
        a_engine.sync_status().is_some_and(|s| s.queue == 0)
            && incident_at(a_dir.path(), id) == incident_at(server_dir.path(), id)
    })
    .await;
    eventually("B agrees with the server", || incident_at(b_dir.path(), id) == incident_at(server_dir.path(), id))
        .await;
    assert_eq!(
        who_acknowledged(server_dir.path()).as_deref(),
        Some("demo-supervisor"),
        "the first to reach the server"
    );
    assert_eq!(who_acknowledged(a_dir.path()).as_deref(), Some("demo-supervisor"), "A re-folded in the server's order");
    a_engine.stop().await;
    b_engine.stop().await;
    server.stop().await;
}

async fn restart(ws: &Arc<Workstation>) -> Engine {
    Engine::start_with(ws.clone(), Overrides { dc09: Some(String::new()), http: Some(String::new()), server: None })
        .await
        .expect("engine")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restored_from_an_older_backup_is_fed_again_by_the_workstation() {
    let server_dir = demo_dir();
    let server = vigil_server::serve(&vigil_server::Location::Sqlite(server_dir.path().to_owned()), "127.0.0.1:0")
        .await
        .expect("serve");
    let addr = server.addr;
    let (a_dir, a_engine, a) = workstation(&server, server_dir.path(), "ws-a").await;
    let first = panic_alarm(&a, "OPD-1F-ALM-003");
    eventually("the first alarm reaches the server", || state_at(server_dir.path(), first).is_some()).await;
    let copy = server_dir.path().join("before.db");
    vigil_server::backup(server_dir.path(), &copy).expect("backup");
    let second = panic_alarm(&a, "OPD-1F-ALM-004");
    eventually("the second alarm reaches the server", || state_at(server_dir.path(), second).is_some()).await;

    // The server's disk is lost; it comes back from the copy, without the second alarm.
    server.stop().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(server_dir.path().join(format!("vigil.db{suffix}")));
    }
    std::fs::rename(&copy, server_dir.path().join("vigil.db")).expect("restore");
    assert!(state_at(server_dir.path(), second).is_none());
    let server = vigil_server::serve(&vigil_server::Location::Sqlite(server_dir.path().to_owned()), &addr.to_string())
        .await
        .expect("serve again");
    eventually("the workstation feeds the server what it lost", || state_at(server_dir.path(), second).is_some()).await;
    let count = |dir: &std::path::Path| Store::open(&dir.join("vigil.db")).expect("open").event_count().expect("count");
    eventually("the server holds every event again", || count(server_dir.path()) == count(a_dir.path())).await;
    a_engine.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_administrator_enrolls_a_workstation_and_a_refused_enrollment_keeps_nothing() {
    let server_dir = demo_dir();
    let at = vigil_server::Location::Sqlite(server_dir.path().to_owned());
    let server = vigil_server::serve(&at, "127.0.0.1:0").await.expect("serve");
    let url = format!("http://{}", server.addr);
    let code = vigil_server::enroll(&at, "control-room-9", 5).await.expect("code");
    let dir = demo_dir();
    let ws = Workstation::open(dir.path()).expect("open");
    let (operator, _) = ws.login("demo-operator", "2468", None).expect("login");
    let refused = vigil_engine::enroll(&ws, operator, &url, &code).await.expect_err("an operator may not enroll");
    assert!(
        matches!(&refused, vigil_engine::EngineError::Api(e) if e.code == vigil_api::ErrorCode::Forbidden),
        "{refused}"
    );
    assert!(vigil_sync::TokenFile::read(dir.path()).expect("read").is_none(), "nothing kept");
    let (admin, _) = ws.login("demo-admin", "2468", None).expect("login");
    // A wrong address is named as such; the code is still good afterwards.
    let unreachable = vigil_engine::enroll(&ws, admin, "http://127.0.0.1:9", &code).await.expect_err("no server there");
    assert!(
        matches!(&unreachable, vigil_engine::EngineError::Api(e) if e.field.as_deref() == Some("server")),
        "{unreachable}"
    );
    let view = vigil_engine::enroll(&ws, admin, &url, &code).await.expect("an administrator enrolls");
    assert_eq!((view.name.as_str(), view.transport), ("control-room-9", vigil_sync::Transport::Plain));
    assert_eq!(vigil_engine::enrollment(dir.path()).expect("read"), Some(view));
    let again = vigil_engine::enroll(&ws, admin, &url, &code).await.expect_err("enrolled already");
    assert!(matches!(&again, vigil_engine::EngineError::Api(e) if e.code == vigil_api::ErrorCode::Conflict), "{again}");
    let audit = Store::open(&dir.path().join("vigil.db")).expect("open").audit_tail(20).expect("audit");
    assert!(audit.iter().any(|e| e.action == "sync.enrolled" && e.actor == "demo-admin" && e.subject == url));
    server.stop().await;
}

/// A workstation whose data directory was put back from a copy taken before its second alarm,
/// which the server holds; its engine not started yet.
struct Restored {
    server_dir: tempfile::TempDir,
    server: vigil_server::Running,
    a_dir: tempfile::TempDir,
    second: Id,
}

async fn restored_from_an_older_copy() -> Restored {
    let server_dir = demo_dir();
    let server = vigil_server::serve(&vigil_server::Location::Sqlite(server_dir.path().to_owned()), "127.0.0.1:0")
        .await
        .expect("serve");
    let (a_dir, a_engine, a) = workstation(&server, server_dir.path(), "ws-a").await;
    let first = panic_alarm(&a, "OPD-1F-ALM-003");
    eventually("the first alarm reaches the server", || state_at(server_dir.path(), first).is_some()).await;
    let copy = tempfile::tempdir().expect("tempdir");
    Store::open(&a_dir.path().join("vigil.db"))
        .expect("open")
        .backup_to(&copy.path().join("vigil.db"))
        .expect("backup");
    let second = panic_alarm(&a, "OPD-1F-ALM-004");
    eventually("the second alarm reaches the server", || state_at(server_dir.path(), second).is_some()).await;
    a_engine.stop().await;
    // As the process would on exit: the writer finishes and closes its files before they are replaced.
    a.writer().expect("writer").close();
    drop(a);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(a_dir.path().join(format!("vigil.db{suffix}")));
    }
    std::fs::rename(copy.path().join("vigil.db"), a_dir.path().join("vigil.db")).expect("restore");
    Restored { server_dir, server, a_dir, second }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workstation_restored_from_an_older_backup_holds_its_new_events_back_and_says_why() {
    // The workstation's disk is lost; it comes back from the older copy and receives an alarm.
    let Restored { server_dir, server, a_dir, second: _ } = restored_from_an_older_copy().await;
    // The alarm arrives before it could reach the server (the network still out when it came back):
    // its place in this workstation's log is one the server holds another event at.
    let restored = Arc::new(Workstation::open(a_dir.path()).expect("open"));
    let third = panic_alarm(&restored, "OPD-1F-ALM-005");
    let engine = restart(&restored).await;
    eventually("the status says why nothing is sent", || {
        engine.sync_status().is_some_and(|v| {
            v.state == vigil_sync::SyncState::Refused
                && v.problem.as_deref().is_some_and(|p| p.contains("older backup"))
                && v.queue > 0
        })
    })
    .await;
    // Nothing is marked sent that the server does not hold: the new alarm waits, counted.
    let marks = Store::open(&a_dir.path().join("vigil.db")).expect("open").sync_marks().expect("marks");
    let own_last = Store::open(&a_dir.path().join("vigil.db"))
        .expect("open")
        .chain_heads(restored.writer().expect("writer").run(vigil_store::write::workstation_id).expect("id"))
        .expect("heads")
        .0
        .map_or(0, |h| h.seq);
    assert!(marks.pushed <= own_last, "pushed {} beyond what this copy holds ({own_last})", marks.pushed);
    assert!(engine.sync_status().is_some_and(|v| v.queue > 0), "the new alarm waits to be sent");
    assert!(state_at(server_dir.path(), third).is_none(), "and the server does not have it under a taken place");
    engine.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workstation_restored_from_an_older_backup_takes_its_own_events_back_from_the_server() {
    let Restored { server_dir, server, a_dir, second } = restored_from_an_older_copy().await;
    assert!(state_at(a_dir.path(), second).is_none(), "the copy predates the second alarm");

    // Restored, with nothing new of its own: it takes the second alarm back from the server and
    // goes on syncing; what it does next is sent as usual.
    let restored = Arc::new(Workstation::open(a_dir.path()).expect("open"));
    let engine = restart(&restored).await;
    eventually("its own lost alarm comes back", || state_at(a_dir.path(), second).is_some()).await;
    let third = panic_alarm(&restored, "OPD-1F-ALM-005");
    eventually("what it does next reaches the server", || state_at(server_dir.path(), third).is_some()).await;
    assert!(engine.sync_status().is_some_and(|v| v.state != vigil_sync::SyncState::Refused && v.problem.is_none()));
    engine.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_closes_given_while_cut_off_end_as_one_with_the_second_listed_for_the_supervisor() {
    let CutOff { server_dir, server, a_dir, a, b_dir, b, id } = cut_off_after("OPD-1F-ALM-006").await;
    // Cut off, each workstation handles the alarm to its end and closes it.
    for (ws, who, category) in [(&a, "demo-operator", "false"), (&b, "demo-supervisor", "test")] {
        let token = ws.login(who, "2468", None).expect("login").0;
        for action in [
            IncidentAction::Acknowledge,
            IncidentAction::Dispatch { guard: "G0001".into() },
            IncidentAction::OnScene,
            IncidentAction::Close { category: category.into() },
        ] {
            ws.act_on_incident(token, id, &action).expect("handled alone");
        }
    }
    let b_engine = restart(&b).await;
    eventually("B's close reaches the server", || state_at(server_dir.path(), id).as_deref() == Some("closed")).await;
    let a_engine = restart(&a).await;
    eventually("A agrees with the server", || {
        a_engine.sync_status().is_some_and(|s| s.queue == 0)
            && incident_at(a_dir.path(), id) == incident_at(server_dir.path(), id)
    })
    .await;
    eventually("B agrees with the server", || incident_at(b_dir.path(), id) == incident_at(server_dir.path(), id))
        .await;
    let incident = incident_at(a_dir.path(), id).expect("there");
    assert_eq!(incident.category.map(|c| c.as_str()), Some("test"), "the first close to reach the server stands");
    assert!(incident.needs_review);
    // Each workstation's supervisor finds it in the review, with the close that was kept aside.
    for ws in [&a, &b] {
        let supervisor = ws.login("demo-supervisor", "2468", None).expect("login").0;
        let shift = ws.shift_of(Store::now_ms()).key;
        let review = ws.shift_review(supervisor, &shift).expect("review");
        let item = review.needing_review.iter().find(|i| i.incident == id).expect("listed for review");
        assert!(
            item.marks.iter().any(
                |m| m.mark == vigil_domain::incident::Mark::SecondClose && m.by.as_deref() == Some("demo-operator")
            ),
            "{item:?}"
        );
    }
    // Marked reviewed at A, it leaves B's list too.
    let supervisor = a.login("demo-supervisor", "2468", None).expect("login").0;
    a.act_on_incident(supervisor, id, &IncidentAction::Reviewed).expect("reviewed");
    eventually("B folds the review", || incident_at(b_dir.path(), id).is_some_and(|i| !i.needs_review)).await;
    let at_b = b.login("demo-supervisor", "2468", None).expect("login").0;
    let review = b.shift_review(at_b, &b.shift_of(Store::now_ms()).key).expect("review");
    assert!(review.needing_review.iter().all(|i| i.incident != id), "off the list everywhere");
    a_engine.stop().await;
    b_engine.stop().await;
    server.stop().await;
}

/// The campus published at one workstation fills a workstation enrolled with an empty data
/// directory (a replaced machine): the map, the plans and the guards, and then its alarms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workstation_enrolled_with_an_empty_directory_fills_itself_from_the_server() {
    let server_dir = tempfile::tempdir().expect("tempdir");
    let server = vigil_server::serve(&vigil_server::Location::Sqlite(server_dir.path().to_owned()), "127.0.0.1:0")
        .await
        .expect("serve");
    let (a_dir, a_engine, a) = workstation(&server, server_dir.path(), "ws-a").await;
    // An alarm older than the publication: it reaches C before its device does.
    let early = panic_alarm(&a, "OPD-1F-ALM-002");
    let publication = a.with_store(|s| s.publication()).expect("publication");
    let floors = publication.floors.len();
    assert!(floors > 50 && !publication.guards.guards.is_empty());
    let published = a
        .writer()
        .expect("writer")
        .run(move |tx| vigil_store::write::publish(tx, "publish:test", &publication, Store::now_ms()))
        .expect("published");
    assert_eq!(published as usize, floors + 2 + 3, "the campus, each floor, the guards, the three demo accounts");

    // C: nothing but an enrollment.
    let c_dir = tempfile::tempdir().expect("tempdir");
    let c = Arc::new(Workstation::open(c_dir.path()).expect("open an empty directory"));
    assert!(c.is_empty().expect("empty"));
    let origin = c.writer().expect("writer").run(vigil_store::write::workstation_id).expect("id");
    let url = format!("http://{}", server.addr);
    let code = vigil_server::enroll(&vigil_server::Location::Sqlite(server_dir.path().to_owned()), "ws-c", 5)
        .await
        .expect("code");
    vigil_sync::enroll(c_dir.path(), origin, &url, &code).await.expect("enroll");
    let c_engine =
        Engine::start_with(c.clone(), Overrides { dc09: Some(String::new()), http: Some(String::new()), server: None })
            .await
            .expect("engine");
    let counts = |ws: &Workstation| ws.with_store(|s| s.device_counts()).expect("counts");
    eventually("the campus reaches C", || !c.is_empty().unwrap_or(true) && counts(&c) == counts(&a)).await;
    let (at_a, at_c) = (a.with_store(|s| s.floors()).expect("floors"), c.with_store(|s| s.floors()).expect("floors"));
    assert_eq!(at_c.len(), at_a.len());
    let floor = at_a[0].id;
    assert_eq!(
        c.with_store(|s| s.plan_image(floor)).expect("plan"),
        a.with_store(|s| s.plan_image(floor)).expect("plan"),
        "the plan's bytes travel"
    );
    let guards = |ws: &Workstation| -> Vec<(Id, String, String)> {
        ws.with_store(|s| s.guards()).expect("guards").into_iter().map(|g| (g.id, g.badge, g.name)).collect()
    };
    assert!(guards(&c) == guards(&a), "the guards travel");
    c.login("demo-operator", "2468", None).expect("the demo's accounts travel: the operator logs in at C");

    // An alarm at A shows at C on its device.
    let id = panic_alarm(&a, "OPD-1F-ALM-001");
    eventually("the alarm reaches C", || state_at(c_dir.path(), id).is_some()).await;
    let device = a.search("OPD-1F-ALM-001", 1).expect("search").remove(0).id;
    let at_c = c.with_store(|s| s.incident(id)).expect("read").expect("held");
    assert_eq!(at_c.device_id, Some(device), "C places the alarm on the map");
    let early_device = a.search("OPD-1F-ALM-002", 1).expect("search").remove(0).id;
    let early_at_c = c.with_store(|s| s.incident(early)).expect("read").expect("the earlier alarm is held too");
    assert_eq!(early_at_c.device_id, Some(early_device), "placed on the map once its floor arrived");

    // A new plan imported at A is C's plan too.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="900"><rect width="1600" height="900" fill="white"/></svg>"#.to_vec();
    let admin = a.login("demo-admin", "2468", None).expect("admin").0;
    a.import_floor_plan(admin, floor, svg.clone()).expect("imported at A");
    eventually("the new plan reaches C", || {
        c.with_store(|s| s.plan_image(floor)).expect("plan").is_some_and(|p| p.bytes == svg)
    })
    .await;

    a_engine.stop().await;
    c_engine.stop().await;
    server.stop().await;
    drop((a, c));
    for dir in [a_dir.path(), c_dir.path(), server_dir.path()] {
        let report = Store::open(&dir.join("vigil.db")).expect("open").rebuild(false).expect("rebuild");
        assert!(report.differences.is_empty(), "{}: {:?}", dir.display(), report.differences);
    }
}
