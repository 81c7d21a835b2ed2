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

fn vigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil")).args(args).env("USER", "it-admin").output().expect("run vigil")
}

/// `vigil server prune`: a dry run counts, the run removes replaced account versions and says so,
/// `verify` then walks the removed events' chain entries; a bad number of days is named.
#[test]
fn prune_removes_replaced_versions_and_verify_still_walks_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8 path");
    for (args, pin) in [
        (&["add", "li.na", "--full-name", "李娜", "--role", "administrator"][..], "13579\n"),
        (&["add", "wang.wei", "--full-name", "王伟", "--role", "operator"][..], "8642\n"),
        (&["set", "wang.wei", "--role", "supervisor"][..], ""),
        (&["disable", "wang.wei"][..], ""),
    ] {
        let out = accounts(dir.path(), args, pin);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let json = |out: Output| -> serde_json::Value {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("json")
    };
    let prune = |extra: &[&str]| {
        let mut args = vec!["server", "prune", "--data-dir", d, "--older-than-days", "0", "--json"];
        args.extend_from_slice(extra);
        vigil(&args)
    };
    let dry = json(prune(&["--dry-run"]));
    assert_eq!(dry["removed"]["versions"], 2, "wang.wei's two versions before the last: {dry}");
    assert_eq!(dry["dry_run"], true);
    let done = json(prune(&[]));
    assert_eq!(done["removed"], dry["removed"], "{done}");
    let verified = json(vigil(&["server", "verify", "--data-dir", d, "--json"]));
    assert_eq!(verified["events"]["intact"], true, "{verified}");
    assert_eq!(verified["events"]["pruned"], 2, "{verified}");
    assert_eq!(listed(dir.path())[1]["disabled"], true, "the account is its latest version");

    let bad = vigil(&["server", "prune", "--data-dir", d, "--older-than-days", "a week"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--older-than-days"), "{bad:?}");
    let zero = vigil(&["server", "--data-dir", d, "--retain-days", "0", "--listen", "127.0.0.1:0"]);
    assert!(!zero.status.success(), "serving with no day kept is refused");
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--retain-days"), "{zero:?}");
}
