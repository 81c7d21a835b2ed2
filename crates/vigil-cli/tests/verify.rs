//! `vigil verify` as an auditor runs it: an untouched database passes; an entry edited with the
//! sqlite3 shell is named.

use std::process::Command;

fn vigil(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil")).args(args).output().expect("run vigil")
}

/// The demo hospital with a few audited actions taken through the workstation, as the console
/// takes them: an administrator moves a camera three times. Returns the camera moved.
fn demo_with_moves() -> (tempfile::TempDir, vigil_api::SearchHit) {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(vigil(&["demo", "--data-dir", dir.path().to_str().expect("utf-8")]).status.success());
    let ws = vigil_api::Workstation::open(dir.path()).expect("open");
    let (who, _) = ws.login("demo-admin", "2468", None).expect("login");
    let hit = ws.search("OPD-1F-CAM-001", 1).expect("search").remove(0);
    for x in [10.0, 20.0, 30.0] {
        ws.move_devices(who, &[vigil_api::DeviceMoveInput { id: hit.id, x, y: 10.0 }]).expect("move");
    }
    (dir, hit)
}

#[test]
fn verify_passes_untouched_and_names_an_entry_changed_with_sqlite3() {
    let (dir, _) = demo_with_moves();
    let path = dir.path().to_str().expect("utf-8");

    let out = vigil(&["verify", "--data-dir", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The demo's patrol routes and week of rounds are in the logs too, before the three moves.
    let db = dir.path().join("vigil.db");
    let count = |sql: &str| {
        let out = Command::new("sqlite3").arg(&db).arg(sql).output().expect("sqlite3");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let (entries, events) = (count("SELECT count(*) FROM audit_log"), count("SELECT count(*) FROM events"));
    assert!(stdout.contains(&format!("{entries} entries, hash chain intact")), "{stdout}");
    assert!(stdout.contains(&format!("event log: {events} events from 1 origin(s), hash chains intact")), "{stdout}");
    assert!(stdout.contains("check-ins, each as its event recorded it"), "{stdout}");

    // Someone with the sqlite3 shell rewrites who did entry 4 (the trigger is in their way first).
    let shell = Command::new("sqlite3")
        .arg(&db)
        .arg("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'nobody' WHERE seq = 4;")
        .output()
        .expect("the sqlite3 shell is installed (scripts/setup.sh)");
    assert!(shell.status.success(), "{}", String::from_utf8_lossy(&shell.stderr));
    let out = vigil(&["verify", "--data-dir", path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("entry 4 was altered"), "{stderr}");

    let out = vigil(&["verify", "--data-dir", path, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["audit"]["first_altered"]["entry"], 4);
    assert!(!vigil(&["verify", "--data-dir", "/nonexistent/vigil"]).status.success());
}

fn shell(db: &std::path::Path, sql: &str) {
    let out =
        Command::new("sqlite3").arg(db).arg(sql).output().expect("the sqlite3 shell is installed (scripts/setup.sh)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn rebuild_names_a_row_changed_with_sqlite3_repairs_it_and_refuses_an_edited_log() {
    let (dir, hit) = demo_with_moves();
    let path = dir.path().to_str().expect("utf-8");
    let out = vigil(&["rebuild", "--check", "--data-dir", path]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    // A projection row changed by hand: named, then repaired from the log.
    let db = dir.path().join("vigil.db");
    shell(&db, &format!("UPDATE devices SET x = 99 WHERE id = '{}';", hit.id));
    let out = vigil(&["rebuild", "--check", "--data-dir", path]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("device OPD-1F-CAM-001: position differs from the log"), "{stdout}");
    let out = vigil(&["rebuild", "--data-dir", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(vigil(&["rebuild", "--check", "--data-dir", path]).status.success(), "repaired");

    // An event changed by hand (the trigger dropped first): named by verify, and never folded.
    shell(
        &db,
        "DROP TRIGGER events_no_update; UPDATE events SET payload = replace(payload, '30.0', '31.0') WHERE kind = 'devices_moved';",
    );
    let out = vigil(&["verify", "--data-dir", path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("event log: event") && stderr.contains("does not match its hash"), "{stderr}");
    let out = vigil(&["rebuild", "--data-dir", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not rebuilt from a broken log"));
}

#[test]
fn verify_names_a_check_in_changed_with_sqlite3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8");
    assert!(vigil(&["demo", "--data-dir", path]).status.success());
    assert!(vigil(&["verify", "--data-dir", path]).status.success());
    let db = dir.path().join("vigil.db");
    // The triggers refuse it; someone who drops them to move a guard's scan is still named.
    let refused = Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE checkins SET device_time = device_time - 600000 WHERE seq = 10;")
        .output()
        .expect("sqlite3");
    assert!(!refused.status.success(), "a check-in is never edited");
    shell(
        &db,
        "DROP TRIGGER checkins_never_edited; UPDATE checkins SET device_time = device_time - 600000 WHERE seq = 10;",
    );
    let id = {
        let out =
            Command::new("sqlite3").arg(&db).arg("SELECT id FROM checkins WHERE seq = 10").output().expect("sqlite3");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let out = vigil(&["verify", "--data-dir", path]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("patrol log: check-in {id} was altered")), "{stderr}");
    let out = vigil(&["verify", "--data-dir", path, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["patrol"]["first_altered"]["check_in"], id.as_str());
    // And a deleted one (once the edit is put back): the log still holds it, and the table does not.
    let fresh = tempfile::tempdir().expect("tempdir");
    let path = fresh.path().to_str().expect("utf-8");
    assert!(vigil(&["demo", "--data-dir", path]).status.success());
    let db = fresh.path().join("vigil.db");
    shell(&db, "DROP TRIGGER checkins_never_deleted; DELETE FROM checkins WHERE seq = 20;");
    let out = vigil(&["verify", "--data-dir", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("was removed from the patrol log"));
    let out = vigil(&["rebuild", "--check", "--data-dir", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is in the log but not in the table"));
}

/// Starts a `vigil` process that prints one JSON line when ready.
fn ready(args: &[&str]) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start vigil");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
        .expect("its first line");
    assert!(line.starts_with('{'), "vigil said {line:?}");
    child
}

#[test]
fn verify_catches_history_removed_after_the_server_saw_it() {
    let (dir, _) = demo_with_moves();
    let path = dir.path().to_str().expect("utf-8");
    let server_dir = tempfile::tempdir().expect("tempdir");
    let server_path = server_dir.path().to_str().expect("utf-8");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = ready(&["server", "--json", "--listen", &format!("127.0.0.1:{port}"), "--data-dir", server_path]);
    let code = String::from_utf8(vigil(&["server", "enroll", "--data-dir", server_path, "--name", "ws"]).stdout)
        .expect("utf-8");
    assert!(vigil(&["enroll", "--data-dir", path, "--server", &url, code.trim()]).status.success());

    // Before it pushed anything, the witness has nothing to say against the workstation.
    let out = vigil(&["verify", "--data-dir", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut agent = ready(&["agent", "--json", "--dc09", "", "--http", "", "--data-dir", path]);
    let events = |db: &std::path::Path| {
        let out = Command::new("sqlite3").arg(db).arg("SELECT count(*) FROM events").output().expect("sqlite3");
        String::from_utf8_lossy(&out.stdout).trim().parse::<u64>().unwrap_or(0)
    };
    let mine = events(&dir.path().join("vigil.db"));
    for _ in 0..200 {
        if events(&server_dir.path().join("vigil.db")) >= mine {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The last push's heads are recorded with it; give the pusher a moment to have shown them.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let _ = agent.kill();
    let _ = agent.wait();

    let out = vigil(&["verify", "--data-dir", path]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checked against this workstation, all match"), "{stdout}");
    let out = vigil(&["verify", "--data-dir", server_path]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("against the server's copy, all match"));

    // Someone removes the last of this workstation's events: its own chain still verifies (nothing
    // after it links to it), but the server saw it.
    shell(
        &dir.path().join("vigil.db"),
        "DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq = (SELECT max(seq) FROM events);",
    );
    let out = vigil(&["verify", "--data-dir", path]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("missing here"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&vigil(&["verify", "--data-dir", path, "--json"]).stdout).expect("json");
    assert_eq!(report["events"]["intact"], true, "the chain alone does not show it");
    assert_eq!(report["witness"]["intact"], false);

    // With the server gone, verify says it could not ask, and judges the rest.
    let _ = server.kill();
    let _ = server.wait();
    let out = vigil(&["verify", "--data-dir", path]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("not checked, the server cannot be reached"));
}
