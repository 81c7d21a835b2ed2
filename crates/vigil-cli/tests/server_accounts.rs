//! `vigil server accounts` as the hospital's administrator uses it: a PIN read from standard
//! input and never from the command line, every refusal naming its field and changing nothing.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn accounts(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["server", "accounts", "--data-dir"])
        .arg(dir)
        .args(args)
        .env("USER", "it-admin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vigil server accounts");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write the PIN");
    child.wait_with_output().expect("wait")
}

fn listed(dir: &Path) -> serde_json::Value {
    let out = accounts(dir, &["list", "--json"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn accounts_are_added_changed_and_disabled_and_bad_input_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let added = accounts(dir.path(), &["add", "li.na", "--full-name", "李娜", "--role", "administrator"], "13579\n");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let added = accounts(dir.path(), &["add", "wang.wei", "--full-name", "王伟", "--role", "operator"], "8642\n");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

    let short = accounts(dir.path(), &["add", "zhao", "--full-name", "赵", "--role", "operator"], "12\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("PIN is 4 to 12 digits"), "{short:?}");
    let unknown_role = accounts(dir.path(), &["set", "wang.wei", "--role", "guard"], "");
    assert!(!unknown_role.status.success());
    let last_admin = accounts(dir.path(), &["disable", "li.na"], "");
    assert!(!last_admin.status.success());
    assert!(String::from_utf8_lossy(&last_admin.stderr).contains("last administrator"), "{last_admin:?}");
    let missing = accounts(dir.path(), &["disable", "nobody"], "");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("there is no account \"nobody\""), "{missing:?}");

    let set = accounts(dir.path(), &["set", "wang.wei", "--role", "supervisor"], "");
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let disabled = accounts(dir.path(), &["disable", "wang.wei"], "");
    assert!(disabled.status.success(), "{}", String::from_utf8_lossy(&disabled.stderr));
    assert_eq!(
        listed(dir.path()),
        serde_json::json!([
            { "name": "li.na", "full_name": "李娜", "role": "administrator", "disabled": false },
            { "name": "wang.wei", "full_name": "王伟", "role": "supervisor", "disabled": true },
        ])
    );
    // Who did it is in the log, and the hash only: the PIN is nowhere in the database.
    let db = std::fs::read(dir.path().join("vigil.db")).expect("read the database");
    let text = String::from_utf8_lossy(&db);
    assert!(text.contains("server:it-admin") && text.contains("$argon2id$"));
}
