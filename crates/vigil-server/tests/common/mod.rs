//! What the server's integration tests share: waiting for something to hold, and a demo
//! workstation enrolled with a running server and syncing through its real engine.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use vigil_api::Workstation;
use vigil_domain::Id;
use vigil_engine::{Engine, Overrides};
use vigil_server::Location;
use vigil_store::{NewSignal, Store};

/// Waits (up to 15 s) until `check` holds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..300 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 15 s");
}

/// A demo workstation enrolled as `name` with the server at `at`, serving on `server`, its
/// engine started with sync (and no receivers).
pub async fn syncing_workstation(
    at: &Location,
    server: &vigil_server::Running,
    name: &str,
) -> (tempfile::TempDir, Engine, Arc<Workstation>) {
    let dir = tempfile::tempdir().expect("tempdir");
    Workstation::open(dir.path()).expect("open").create_demo_with(Default::default(), 0).expect("demo");
    let code = vigil_server::enroll(at, name, 5).await.expect("code");
    let ws = Arc::new(Workstation::open(dir.path()).expect("open"));
    let origin = ws.writer().expect("writer").run(vigil_store::write::workstation_id).expect("id");
    vigil_sync::enroll(dir.path(), origin, &format!("http://{}", server.addr), &code).await.expect("enroll");
    let engine = Engine::start_with(
        ws.clone(),
        Overrides { dc09: Some(String::new()), http: Some(String::new()), server: None },
    )
    .await
    .expect("engine");
    (dir, engine, ws)
}

/// A panic button's alarm at the demo device `code`, received at `ws`: its incident.
pub fn panic_alarm(ws: &Workstation, code: &str) -> Id {
    let device = ws.search(code, 1).expect("search").remove(0).id;
    let signal = NewSignal::from_device(device, "panic", 1, Store::now_ms());
    ws.writer()
        .expect("writer")
        .run(move |tx| {
            vigil_store::write::insert_signal(tx, &signal)?;
            vigil_store::write::apply_signal(tx, &signal)
        })
        .expect("stored")
        .expect("an incident")
        .incident_id
}
