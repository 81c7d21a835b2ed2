//! The PostgreSQL log folded on the server: two server processes on one database, each folding
//! the log into its own `vigil-fold.db` with the workstations' own code, end with the incident
//! the workstations have; the fold is a cache, folded again from nothing when deleted.

mod common;

use std::path::Path;

use vigil_api::IncidentAction;
use vigil_domain::Id;
use vigil_pgtest::Postgres;
use vigil_server::{Location, ServeOptions, FOLD_FILE};
use vigil_store::Store;

use common::{eventually, panic_alarm, syncing_workstation};

async fn serve(at: &Location, fold: &Path) -> vigil_server::Running {
    let options = ServeOptions { fold_dir: Some(fold.to_owned()), ..ServeOptions::default() };
    vigil_server::serve_with(at, "127.0.0.1:0", &options).await.expect("serve")
}

fn incident_in(file: &Path, id: Id) -> Option<vigil_domain::incident::Incident> {
    if !file.exists() {
        return None;
    }
    Store::open(file).ok()?.incident(id).ok()?.map(|i| i.incident)
}

async fn health(server: &vigil_server::Running) -> serde_json::Value {
    reqwest::get(format!("http://{}/v1/health", server.addr)).await.expect("get").json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgresql_servers_each_fold_the_log_to_the_workstations_incident() {
    let pg = Postgres::start().expect("PostgreSQL for the tests");
    let at = Location::Postgres(pg.database().expect("a database"));
    let (fold_1, fold_2) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    let one = serve(&at, fold_1.path()).await;
    let two = serve(&at, fold_2.path()).await;
    let (a_dir, a_engine, a) = syncing_workstation(&at, &one, "ws-a").await;
    let (_b_dir, b_engine, b) = syncing_workstation(&at, &two, "ws-b").await;

    // An alarm at A, acknowledged at B.
    let id = panic_alarm(&a, "OPD-1F-ALM-001");
    eventually("the alarm reaches B", || b.with_store(|s| s.incident(id)).ok().flatten().is_some()).await;
    let who = b.login("demo-operator", "2468", None).expect("login").0;
    b.act_on_incident(who, id, &IncidentAction::Acknowledge).expect("acknowledged at B");
    let at_a = |()| a.with_store(|s| s.incident(id)).ok().flatten().map(|i| i.incident);
    eventually("the acknowledgement reaches A", || at_a(()).is_some_and(|i| i.state.as_str() == "acknowledged")).await;

    // Each server process folded the log to A's incident.
    for fold in [fold_1.path(), fold_2.path()] {
        let file = fold.join(FOLD_FILE);
        eventually("the server's fold has the incident as A has it", || incident_in(&file, id) == at_a(())).await;
    }
    let said = health(&one).await;
    assert_eq!(said["folded"], said["log"], "{said}");

    // The fold is a cache: deleted, it is folded again from nothing at the next start.
    a_engine.stop().await;
    b_engine.stop().await;
    one.stop().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(fold_1.path().join(format!("{FOLD_FILE}{suffix}")));
    }
    let again = serve(&at, fold_1.path()).await;
    let file = fold_1.path().join(FOLD_FILE);
    eventually("folded again from nothing", || incident_in(&file, id) == at_a(())).await;
    again.stop().await;
    let report = Store::open(&file).expect("open").rebuild(false).expect("rebuild");
    assert!(report.differences.is_empty(), "the fold is what its log folds to: {:?}", report.differences);
    two.stop().await;
    drop(a_dir);
}
