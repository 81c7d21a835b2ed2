//! Accounts kept on the server reach every workstation, and a workstation's own change reaches the
//! server: a real server (SQLite, then PostgreSQL) and a real engine with its sync agent.

mod common;

use std::time::Duration;

use vigil_api::{AccountForm, ErrorCode, Workstation};
use vigil_domain::account::{hash_pin, AccountEdit};
use vigil_domain::incident::Role;
use vigil_pgtest::Postgres;
use vigil_server::Location;

use common::{eventually, syncing_workstation};

/// The account as the workstation holds it: (role, disabled). Asked instead of logging in while
/// waiting, since wrong logins in a row make the next wait.
fn held(ws: &Workstation, name: &str) -> Option<(Role, bool)> {
    ws.with_store(|s| s.account(name)).expect("read").map(|a| (a.role, a.disabled))
}

fn logs_in(ws: &Workstation, name: &str, pin: &str) -> Result<Role, ErrorCode> {
    ws.login(name, pin, None).map(|(_, view)| view.role).map_err(|e| e.code)
}

async fn server_role(at: &Location, name: &str) -> Option<(Role, bool)> {
    let list = vigil_server::accounts(at).await.expect("accounts");
    list.into_iter().find(|a| a.name == name).map(|a| (a.role, a.disabled))
}

async fn accounts_travel_both_ways(at: Location) {
    let server = vigil_server::serve(&at, "127.0.0.1:0").await.expect("serve");
    let (dir, engine, ws) = syncing_workstation(&at, &server, "ws-a").await;

    // Made on the server while the workstation syncs: it arrives without a restart.
    let add = AccountEdit {
        full_name: Some("王伟".into()),
        role: Some(Role::Operator),
        pin_hash: Some(hash_pin("8642", rand::random())),
        disabled: None,
    };
    vigil_server::set_account(&at, "server:test", "wang.wei", add).await.expect("added on the server");
    eventually("the server's account reaches the workstation", || held(&ws, "wang.wei").is_some()).await;
    assert_eq!(logs_in(&ws, "wang.wei", "8642"), Ok(Role::Operator));

    // Refused on the server, naming the field, storing nothing.
    let before = vigil_server::accounts(&at).await.expect("accounts");
    let bad = AccountEdit { full_name: Some("X".into()), role: Some(Role::Operator), ..AccountEdit::default() };
    let refused = vigil_server::set_account(&at, "server:test", "no.pin", bad).await.expect_err("refused");
    assert!(refused.to_string().starts_with("pin:"), "{refused}");
    let unchanged = AccountEdit { role: Some(Role::Operator), ..AccountEdit::default() };
    assert!(vigil_server::set_account(&at, "server:test", "wang.wei", unchanged).await.is_err());
    assert_eq!(vigil_server::accounts(&at).await.expect("accounts"), before);

    // Changed in the workstation's settings by its administrator: the server has it next.
    let (admin, _) = ws.login("demo-admin", vigil_demo::DEMO_PIN, None).expect("admin");
    let promote = AccountForm { name: "wang.wei".into(), role: Some(Role::Supervisor), ..AccountForm::default() };
    ws.set_account(admin, &promote).expect("promoted here");
    for _ in 0..300 {
        if server_role(&at, "wang.wei").await == Some((Role::Supervisor, false)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server_role(&at, "wang.wei").await, Some((Role::Supervisor, false)), "the server has the change");

    // Disabled on the server: nobody logs in with it at the workstation any more.
    let disable = AccountEdit { disabled: Some(true), ..AccountEdit::default() };
    vigil_server::set_account(&at, "server:test", "wang.wei", disable).await.expect("disabled");
    eventually("the disabling reaches the workstation", || held(&ws, "wang.wei") == Some((Role::Supervisor, true)))
        .await;
    assert_eq!(logs_in(&ws, "wang.wei", "8642"), Err(ErrorCode::LoginFailed));

    // Cut off from the server, the workstation still logs in with what it has.
    let enable = AccountEdit { disabled: Some(false), ..AccountEdit::default() };
    vigil_server::set_account(&at, "server:test", "wang.wei", enable).await.expect("enabled");
    eventually("the enabling reaches the workstation", || held(&ws, "wang.wei") == Some((Role::Supervisor, false)))
        .await;
    engine.stop().await;
    server.stop().await;
    assert_eq!(logs_in(&ws, "wang.wei", "8642"), Ok(Role::Supervisor), "offline, the account logs in");

    drop(ws);
    let report = vigil_store::Store::open(&dir.path().join("vigil.db")).expect("open").rebuild(false).expect("rebuild");
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_kept_on_a_sqlite_server_reach_the_workstation_and_its_changes_reach_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    accounts_travel_both_ways(Location::Sqlite(dir.path().to_owned())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_kept_on_a_postgresql_server_reach_the_workstation_and_its_changes_reach_the_server() {
    let pg = Postgres::start().expect("PostgreSQL for the tests");
    accounts_travel_both_ways(Location::Postgres(pg.database().expect("a database"))).await;
}
