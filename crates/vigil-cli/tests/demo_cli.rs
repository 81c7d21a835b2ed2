//! `vigil demo` as an administrator runs it: counts, determinism, and refusal of a full directory.

use std::process::Command;

fn vigil(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil")).args(args).output().expect("run vigil")
}

fn summary(dir: &std::path::Path, seed: &str) -> serde_json::Value {
    let out = vigil(&["demo", "--data-dir", dir.to_str().expect("utf-8 path"), "--seed", seed, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json summary")
}

#[test]
fn demo_creates_the_reference_hospital_and_its_settings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("ws");
    let s = summary(&data, "2620478104");
    assert_eq!(
        (s["cameras"].as_u64(), s["alarm_points"].as_u64(), s["mobile_alarm_points"].as_u64()),
        (Some(2620), Some(478), Some(104))
    );
    assert_eq!(s["guards"], 125);
    assert!(data.join("vigil.db").exists() && data.join("vigil.toml").exists());
}

#[test]
fn the_same_seed_gives_the_same_database_contents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    summary(&a, "7");
    summary(&b, "7");
    let dump = |p: &std::path::Path| {
        let store = vigil_store::Store::open(&p.join("vigil.db")).expect("open");
        let floors = store.floors().expect("floors");
        let devices: Vec<_> = floors.iter().flat_map(|f| store.floor_devices(f.id).expect("devices")).collect();
        (floors, devices)
    };
    assert_eq!(dump(&a), dump(&b));
}

#[test]
fn a_directory_that_is_not_empty_needs_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("vigil.db"), b"an operator's real database").expect("write");
    let path = dir.path().to_str().expect("utf-8 path");
    let out = vigil(&["demo", "--data-dir", path]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--force") && stderr.lines().count() == 1, "{stderr}");
    assert_eq!(std::fs::read(dir.path().join("vigil.db")).expect("kept"), b"an operator's real database");

    let out = vigil(&["demo", "--data-dir", path, "--force"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_bad_scale_is_refused_by_the_parser() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = vigil(&["demo", "--data-dir", dir.path().to_str().expect("utf-8"), "--scale", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--scale"));
}
