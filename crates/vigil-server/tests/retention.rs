//! Retention on a real server, SQLite and PostgreSQL: the finished history older than the cutoff
//! leaves the log whole, what stays folds as before, every chain still verifies, a workstation
//! pushing a removed event again is answered as a duplicate, and a workstation enrolled afterwards
//! reads a complete state from what is kept.

mod common;

use std::path::{Path, PathBuf};

use vigil_api::IncidentAction;
use vigil_domain::account::{hash_pin, AccountEdit};
use vigil_domain::incident::Role;
use vigil_domain::Id;
use vigil_pgtest::Postgres;
use vigil_server::{Location, Retention, ServeOptions, FOLD_FILE};
use vigil_store::Store;

use common::{eventually, panic_alarm, syncing_workstation};

/// Everything finished before now.
const NOW: Retention = Retention { days: 0 };

/// Where the server's incidents are: its own database on SQLite, its fold on PostgreSQL.
fn incidents_file(at: &Location, dir: &Path) -> PathBuf {
    match at {
        Location::Sqlite(_) => dir.join(vigil_store::DATABASE_FILE),
        Location::Postgres(_) => dir.join(FOLD_FILE),
    }
}

fn has_incident(file: &Path, id: Id) -> bool {
    file.exists() && Store::open(file).ok().and_then(|s| s.incident(id).ok()).flatten().is_some()
}

fn queue_empty(engine: &vigil_engine::Engine) -> bool {
    engine.sync_status().is_some_and(|s| s.queue == 0)
}

async fn finished_history_leaves_the_log(at: Location, dir: &Path, second_dir: Option<&Path>) {
    let options = ServeOptions { fold_dir: Some(dir.to_owned()), ..ServeOptions::default() };
    let server = vigil_server::serve_with(&at, "127.0.0.1:0", &options).await.expect("serve");
    let second = match second_dir {
        Some(d) => Some(
            vigil_server::serve_with(
                &at,
                "127.0.0.1:0",
                &ServeOptions { fold_dir: Some(d.to_owned()), ..options.clone() },
            )
            .await
            .expect("second server process"),
        ),
        None => None,
    };
    let (_a_dir, a_engine, a) = syncing_workstation(&at, &server, "ws-a").await;

    // One alarm handled to its close, one left open after it; an account changed twice.
    let closed = panic_alarm(&a, "OPD-1F-ALM-001");
    let who = a.login("demo-operator", "2468", None).expect("login").0;
    for action in [
        IncidentAction::Acknowledge,
        IncidentAction::Dispatch { guard: "G0001".into() },
        IncidentAction::OnScene,
        IncidentAction::Close { category: "false".into() },
    ] {
        a.act_on_incident(who, closed, &action).expect("handled");
    }
    let open = panic_alarm(&a, "OPD-1F-ALM-002");
    let add = AccountEdit {
        full_name: Some("Wang Wei".into()),
        role: Some(Role::Operator),
        pin_hash: Some(hash_pin("8642", rand::random())),
        ..AccountEdit::default()
    };
    vigil_server::set_account(&at, "server:test", "wang.wei", add).await.expect("added");
    let promote = AccountEdit { role: Some(Role::Supervisor), ..AccountEdit::default() };
    vigil_server::set_account(&at, "server:test", "wang.wei", promote).await.expect("promoted");
    let file = incidents_file(&at, dir);
    eventually("the server holds both incidents", || {
        queue_empty(&a_engine) && has_incident(&file, closed) && has_incident(&file, open)
    })
    .await;
    let (before, _) = vigil_server::verify(&at).await.expect("verify");

    // A dry run counts and removes nothing.
    let planned = vigil_server::prune(&at, dir, NOW, true, "server:test").await.expect("dry run");
    assert_eq!((planned.incidents, planned.versions), (1, 1), "{planned:?}");
    assert!(planned.events >= 5, "the signal and four actions at least: {planned:?}");
    assert_eq!(vigil_server::verify(&at).await.expect("verify").0.events, before.events);

    // The run removes the closed incident whole and the replaced account version.
    let removed = vigil_server::prune(&at, dir, NOW, false, "server:test").await.expect("pruned");
    assert_eq!(removed, planned, "the run removes what the dry run counted");
    let (chain, witness) = vigil_server::verify(&at).await.expect("verify");
    assert!(chain.first_altered.is_none(), "{chain:?}");
    assert_eq!((chain.events, chain.pruned), (before.events, removed.events), "every chain entry is still walked");
    assert!(witness.first_mismatch.is_none() && witness.not_held == 0, "{witness:?}");
    assert!(!has_incident(&file, closed), "the closed incident left the server");
    assert!(has_incident(&file, open), "the open one stays");
    let accounts = vigil_server::accounts(&at).await.expect("accounts");
    let wang = accounts.iter().find(|a| a.name == "wang.wei").expect("the account stays");
    assert_eq!(wang.role, Role::Supervisor, "its latest version");
    let report = Store::open(&file).expect("open").rebuild(false).expect("rebuild");
    assert!(report.differences.is_empty(), "what stays folds as it is: {:?}", report.differences);
    let again = vigil_server::prune(&at, dir, NOW, false, "server:test").await.expect("again");
    assert_eq!(again.events, 0, "nothing more to remove: {again:?}");

    // A forgets what the server confirmed and pushes everything again: the removed events are
    // answered as held, nothing is stored twice and its queue empties.
    a.writer().expect("writer").run(|tx| vigil_store::write::set_pushed(tx, 0)).expect("forgot");
    let acted = panic_alarm(&a, "OPD-1F-ALM-003");
    eventually("A's push goes through", || queue_empty(&a_engine) && has_incident(&file, acted)).await;
    let (after, _) = vigil_server::verify(&at).await.expect("verify");
    assert!(after.first_altered.is_none(), "{after:?}");
    assert_eq!(after.pruned, removed.events);
    assert!(!has_incident(&file, closed), "the re-push brought nothing back");
    assert!(engine_is_well(&a_engine));

    // A applies the server's removals to its own database: the closed incident leaves it too,
    // its chains still verify and the run is in its audit log.
    eventually("A drops the closed incident too", || a.with_store(|s| s.incident(closed)).ok().flatten().is_none())
        .await;
    assert!(a.with_store(|s| s.incident(open)).expect("read").is_some());
    let a_log = a.with_store(|s| s.verify_events()).expect("A's log");
    assert!(a_log.first_altered.is_none() && a_log.pruned == removed.events, "{a_log:?}");
    let applied = a.with_store(|s| s.audit_tail(50)).expect("audit");
    assert!(applied.iter().any(|e| e.action == "retention.applied"), "A's audit log names it");

    // A workstation enrolled now reads what is kept: the open incident, not the removed one.
    let through = second.as_ref().unwrap_or(&server);
    let (b_dir, b_engine, b) = syncing_workstation(&at, through, "ws-b").await;
    eventually("B has the open incident", || b.with_store(|s| s.incident(open)).ok().flatten().is_some()).await;
    assert!(b.with_store(|s| s.incident(closed)).expect("read").is_none());
    let b_log = || b.with_store(|s| s.verify_events()).expect("B's log");
    eventually("B holds the removed events' chain entries in their places", || b_log().pruned == removed.events).await;
    let chain = b_log();
    assert!(chain.first_altered.is_none(), "B's log, removed events' entries included, verifies: {chain:?}");
    let mut store = Store::open(&b_dir.path().join(vigil_store::DATABASE_FILE)).expect("open");
    let report = store.rebuild(false).expect("rebuild");
    assert!(report.differences.is_empty(), "B's state is what its log folds to: {:?}", report.differences);

    // Every server process's fold applies the removals, whichever process made them.
    if let (Some(d), Some(_)) = (second_dir, &second) {
        let other = d.join(FOLD_FILE);
        eventually("the second process's fold drops the closed incident", || {
            has_incident(&other, open) && !has_incident(&other, closed)
        })
        .await;
    }
    b_engine.stop().await;
    a_engine.stop().await;
    if let Some(s) = second {
        s.stop().await;
    }
    server.stop().await;
}

fn engine_is_well(engine: &vigil_engine::Engine) -> bool {
    engine.sync_status().is_some_and(|v| v.state != vigil_sync::SyncState::Refused && v.problem.is_none())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_history_leaves_a_sqlite_server_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    finished_history_leaves_the_log(Location::Sqlite(dir.path().to_owned()), dir.path(), None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_history_leaves_a_postgresql_log_and_every_process_fold() {
    let pg = Postgres::start().expect("PostgreSQL for the tests");
    let at = Location::Postgres(pg.database().expect("a database"));
    let (one, two) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    finished_history_leaves_the_log(at, one.path(), Some(two.path())).await;
}

/// The SQLite server's audit log records each run that removed something, with its counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_removes_something_is_in_the_servers_audit_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = Location::Sqlite(dir.path().to_owned());
    let add = AccountEdit {
        full_name: Some("Li Na".into()),
        role: Some(Role::Operator),
        pin_hash: Some(hash_pin("1357", rand::random())),
        ..AccountEdit::default()
    };
    vigil_server::set_account(&at, "server:test", "li.na", add).await.expect("added");
    for name in ["Li Na (night)", "Li Na"] {
        let rename = AccountEdit { full_name: Some(name.into()), ..AccountEdit::default() };
        vigil_server::set_account(&at, "server:test", "li.na", rename).await.expect("renamed");
    }
    let removed = vigil_server::prune(&at, dir.path(), NOW, false, "server:admin").await.expect("pruned");
    assert_eq!((removed.versions, removed.events), (2, 2), "the two versions before the last: {removed:?}");
    let store = Store::open(&dir.path().join(vigil_store::DATABASE_FILE)).expect("open");
    let entry = store.audit_tail(50).expect("audit").into_iter().find(|e| e.action == "retention.pruned");
    let entry = entry.expect("the run is audited");
    assert_eq!(entry.actor, "server:admin");
    let details: serde_json::Value = serde_json::from_str(&entry.details).expect("json");
    assert_eq!(details["events"], 2, "{details}");
    assert!(store.verify_audit().expect("verify").first_altered.is_none());
}
