//! The demo hospital: the reference site of the product brief, generated from a seed.
//!
//! At scale 1 it is one campus with exactly 2,620 cameras, 478 fixed one-click alarm buttons and
//! 104 mobile alarm points, spread the way a real hospital has them; at scale N it is a hospital
//! group of N such campuses. The same seed and scale always give the same hospital, ids included.

mod layout;
mod people;
mod placement;
mod plans;
mod rooms;

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vigil_domain::{Building, Code, Device, DeviceCounts, Floor, Id, Label, Rect, RowMeta, Site};
use vigil_store::{write, Account, Guard, PlanImage, Store, StoreError, BULK_CACHE_MIB};

pub use layout::{BuildingTemplate, BUILDINGS, CAMPUS};

/// Device totals of the reference hospital (product brief), per campus.
pub const CAMERAS: u32 = 2_620;
pub const ALARM_POINTS: u32 = 478;
pub const MOBILE_ALARM_POINTS: u32 = 104;
pub const GUARDS: u32 = 125;

/// The PIN of every demo account; the login screen says so.
pub const DEMO_PIN: &str = "2468";
/// Where the demo's cameras fetch snapshots: the built-in simulator (`vigil sim snapshots`) serves
/// a generated picture for every camera code there, so the demo shows real images.
pub const DEMO_SNAPSHOTS: &str = "http://127.0.0.1:8791/snapshot";

pub use vigil_store::DATABASE_FILE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Number of campuses: 1 is the reference hospital, 20 a hospital group of ≈ 64,000 devices.
    pub scale: u32,
    pub seed: u64,
}

impl DemoOptions {
    pub const DEFAULT_SEED: u64 = 2_620_478_104;
    pub const MAX_SCALE: u32 = 200;
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { scale: 1, seed: Self::DEFAULT_SEED }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0} is not empty; add --force to replace the Vigil database in it with a new demo hospital")]
    NotEmpty(PathBuf),
    #[error("scale must be between 1 and {max}, not {scale}", max = DemoOptions::MAX_SCALE)]
    BadScale { scale: u32 },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not hash a demo PIN: {0}")]
    Pin(String),
}

/// Everything the demo puts in a database, held in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Hospital {
    pub sites: Vec<Site>,
    pub buildings: Vec<Building>,
    pub floors: Vec<Floor>,
    /// Plan images keyed by the floor's or site's id.
    pub plans: Vec<(Id, PlanImage)>,
    pub devices: Vec<Device>,
    pub guards: Vec<Guard>,
    pub accounts: Vec<Account>,
}

impl Hospital {
    pub fn counts(&self) -> DeviceCounts {
        let mut counts = DeviceCounts::default();
        for device in &self.devices {
            counts.add(device.kind, 1);
        }
        counts
    }
}

/// What `vigil demo` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub sites: usize,
    pub buildings: usize,
    pub floors: usize,
    pub devices: DeviceCounts,
    pub guards: usize,
    pub accounts: usize,
}

/// Ids are UUIDv7 whose time part is fixed and whose random part comes from the seeded generator,
/// so they are valid, sortable ids and still the same on every run.
pub(crate) fn next_id(rng: &mut ChaCha8Rng) -> Id {
    const EPOCH_MS: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    uuid::Builder::from_unix_timestamp_millis(EPOCH_MS, &rng.gen::<[u8; 10]>()).into_uuid()
}

pub(crate) fn code(text: &str) -> Code {
    // Every code the demo makes is built from the fixed templates above; a failure is a bug here.
    Code::parse(text).unwrap_or_else(|e| panic!("demo code {text:?} is invalid: {e}"))
}

/// Builds the hospital in memory.
pub fn generate(options: DemoOptions) -> Result<Hospital, DemoError> {
    if options.scale == 0 || options.scale > DemoOptions::MAX_SCALE {
        return Err(DemoError::BadScale { scale: options.scale });
    }
    let mut hospital = Hospital {
        sites: Vec::new(),
        buildings: Vec::new(),
        floors: Vec::new(),
        plans: Vec::new(),
        devices: Vec::new(),
        guards: Vec::new(),
        accounts: Vec::new(),
    };
    for campus in 0..options.scale {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed ^ (u64::from(campus) << 40));
        add_campus(&mut hospital, options.scale, campus, &mut rng);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0xACC0_0000);
    hospital.accounts = people::accounts(&mut rng)?;
    Ok(hospital)
}

/// What goes before every code of a campus: nothing for a single hospital, `H03-` in a group.
fn prefix(scale: u32, campus: u32) -> String {
    if scale == 1 {
        String::new()
    } else {
        format!("H{:02}-", campus + 1)
    }
}

fn add_campus(hospital: &mut Hospital, scale: u32, campus: u32, rng: &mut ChaCha8Rng) {
    let prefix = prefix(scale, campus);
    let (name_zh, name_en) = if scale == 1 {
        ("示范医院".to_owned(), "Demo Hospital".to_owned())
    } else {
        (format!("示范医院集团 第{}院区", campus + 1), format!("Demo Hospital Group, campus {}", campus + 1))
    };
    let site = Site {
        id: next_id(rng),
        code: code(if scale == 1 { "HQ" } else { prefix.trim_end_matches('-') }),
        name: Label::new(&name_zh, &name_en),
        plan: CAMPUS,
        meta: RowMeta::NEW,
    };
    hospital.plans.push((
        site.id,
        PlanImage {
            mime: "image/svg+xml".into(),
            bytes: plans::campus_svg(&name_zh, &name_en, &BUILDINGS).into_bytes(),
            size: CAMPUS,
        },
    ));

    let mut floors_here = Vec::new();
    for template in &BUILDINGS {
        let building = Building {
            id: next_id(rng),
            site_id: site.id,
            code: code(&format!("{prefix}{}", template.code)),
            name: Label::new(template.zh, template.en),
            kind: template.kind,
            footprint: Rect { ..template.footprint },
            meta: RowMeta::NEW,
        };
        for level in template.levels() {
            let layout = layout::layout_floor(template, level, rng);
            let label = vigil_domain::floor_label(level);
            let floor = Floor {
                id: next_id(rng),
                building_id: building.id,
                level,
                label: Label::new(
                    if level < 0 { format!("地下{}层", -level) } else { format!("{level}层") },
                    label.clone(),
                ),
                plan: layout.size,
                meta: RowMeta::NEW,
            };
            hospital.plans.push((
                floor.id,
                PlanImage {
                    mime: "image/svg+xml".into(),
                    bytes: plans::floor_svg(template, level, &layout).into_bytes(),
                    size: layout.size,
                },
            ));
            floors_here.push(placement::FloorPlace {
                floor_id: floor.id,
                code_prefix: format!("{prefix}{}-{label}", template.code),
                name_zh: format!("{}{label}", template.zh),
                name_en: format!("{} {label}", template.code),
                layout,
            });
            hospital.floors.push(floor);
        }
        hospital.buildings.push(building);
    }
    let mut devices = placement::place_devices(&floors_here, scale, campus, rng);
    for device in &mut devices {
        if let Some(camera) = device.camera.as_mut() {
            camera.snapshot_url = Some(format!("{DEMO_SNAPSHOTS}/{}.jpg", device.code));
        }
    }
    hospital.devices.extend(devices);
    hospital.guards.extend(people::guards(scale, campus, rng));
    hospital.sites.push(site);
}

/// Stores a generated hospital in one transaction.
pub fn store_hospital(store: &mut Store, hospital: &Hospital, options: DemoOptions) -> Result<DemoSummary, DemoError> {
    store.transaction(|tx| {
        for site in &hospital.sites {
            write::insert_site(tx, site)?;
        }
        for building in &hospital.buildings {
            write::insert_building(tx, building)?;
        }
        for floor in &hospital.floors {
            write::insert_floor(tx, floor)?;
        }
        for (owner, image) in &hospital.plans {
            write::put_plan_image(tx, *owner, image)?;
        }
        write::insert_devices(tx, &hospital.devices)?;
        write::insert_guards(tx, &hospital.guards)?;
        for account in &hospital.accounts {
            write::insert_account(tx, account)?;
        }
        Ok(())
    })?;
    store.set_setting("demo.seed", &options.seed.to_string())?;
    store.set_setting("demo.scale", &options.scale.to_string())?;
    Ok(DemoSummary {
        sites: hospital.sites.len(),
        buildings: hospital.buildings.len(),
        floors: hospital.floors.len(),
        devices: hospital.counts(),
        guards: hospital.guards.len(),
        accounts: hospital.accounts.len(),
    })
}

/// Whether a data directory holds anything at all (a missing one is empty).
pub fn is_empty_dir(dir: &Path) -> Result<bool, DemoError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(source) => Err(DemoError::Io { path: dir.to_owned(), source }),
    }
}

/// Creates the demo hospital's database in `dir`.
///
/// A directory with anything in it is refused unless `force` is set; then only Vigil's own database
/// files are replaced and anything else in the directory is left alone.
pub fn create_demo(dir: &Path, options: DemoOptions, force: bool) -> Result<DemoSummary, DemoError> {
    if options.scale == 0 || options.scale > DemoOptions::MAX_SCALE {
        return Err(DemoError::BadScale { scale: options.scale });
    }
    if !is_empty_dir(dir)? && !force {
        return Err(DemoError::NotEmpty(dir.to_owned()));
    }
    std::fs::create_dir_all(dir).map_err(|source| DemoError::Io { path: dir.to_owned(), source })?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = dir.join(format!("{DATABASE_FILE}{suffix}"));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(DemoError::Io { path, source }),
        }
    }
    let hospital = generate(options)?;
    let mut store = Store::open(&dir.join(DATABASE_FILE))?;
    // A bulk write of a week of patrol: a large cache for this one short-lived connection.
    store.set_cache_mib(BULK_CACHE_MIB)?;
    store_hospital(&mut store, &hospital, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_domain::DeviceKind;

    #[test]
    fn the_reference_hospital_has_the_brief_s_exact_counts() {
        let hospital = generate(DemoOptions::default()).expect("generate");
        let counts = hospital.counts();
        assert_eq!(counts.cameras, CAMERAS);
        assert_eq!(counts.alarm_points, ALARM_POINTS);
        assert_eq!(counts.mobile_alarm_points, MOBILE_ALARM_POINTS);
        assert!(counts.checkpoints > 150, "checkpoints: {}", counts.checkpoints);
        assert_eq!(hospital.guards.len(), GUARDS as usize);
        assert!(hospital.buildings.len() >= 6);
        assert!(hospital.floors.iter().any(|f| f.level < 0), "there are basements");
        let names: Vec<&str> = hospital.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["demo-operator", "demo-supervisor", "demo-admin"]);
    }

    #[test]
    fn every_device_stands_on_its_own_floor_plan_with_a_unique_code() {
        let hospital = generate(DemoOptions::default()).expect("generate");
        let floors: std::collections::HashMap<Id, &Floor> = hospital.floors.iter().map(|f| (f.id, f)).collect();
        let mut codes = std::collections::HashSet::new();
        for device in &hospital.devices {
            let floor = floors.get(&device.floor_id).expect("device on a known floor");
            assert!(device.fits(floor.plan), "{} at ({}, {})", device.code, device.x, device.y);
            assert!(codes.insert(device.code.clone()), "duplicate code {}", device.code);
            assert_eq!(device.camera.is_some(), device.kind == DeviceKind::Camera, "{}", device.code);
            if let Some(view) = &device.camera {
                assert!(view.is_valid(), "{}", device.code);
            }
            assert_eq!(device.tag.is_some(), device.kind == DeviceKind::Checkpoint, "{}", device.code);
            let wired = matches!(device.kind, DeviceKind::AlarmPoint | DeviceKind::MobileAlarmPoint);
            assert_eq!(device.dc09.is_some(), wired, "{}", device.code);
            assert_eq!(device.id.get_version_num(), 7);
        }
        let dc09: std::collections::HashSet<_> =
            hospital.devices.iter().filter_map(|d| d.dc09.clone()).map(|a| (a.account, a.zone)).collect();
        assert_eq!(
            dc09.len(),
            (ALARM_POINTS + MOBILE_ALARM_POINTS) as usize,
            "each alarm point has its own account and zone"
        );
    }

    #[test]
    fn cameras_crowd_where_hospitals_have_them() {
        let hospital = generate(DemoOptions::default()).expect("generate");
        let per_floor = |code_part: &str| {
            let on: Vec<&Device> = hospital
                .devices
                .iter()
                .filter(|d| d.kind == DeviceKind::Camera && d.code.as_str().starts_with(code_part))
                .collect();
            on.len()
        };
        // The outpatient ground floor (entrance, cashier hall, pharmacy) beats an administration floor.
        assert!(
            per_floor("OPD-1F-") > 3 * per_floor("ADM-3F-"),
            "{} vs {}",
            per_floor("OPD-1F-"),
            per_floor("ADM-3F-")
        );
        assert!(per_floor("EMG-1F-") > per_floor("EMG-3F-"));
    }

    #[test]
    fn the_same_seed_gives_the_same_hospital_and_another_seed_another() {
        let a = generate(DemoOptions::default()).expect("a");
        let b = generate(DemoOptions::default()).expect("b");
        assert_eq!(a, b);
        let c = generate(DemoOptions { seed: 1, ..DemoOptions::default() }).expect("c");
        assert_ne!(a.devices, c.devices);
        let brief = |h: &Hospital| {
            let n = h.counts();
            (n.cameras, n.alarm_points, n.mobile_alarm_points)
        };
        assert_eq!(brief(&a), brief(&c), "the brief's counts do not depend on the seed");
    }

    #[test]
    fn a_group_is_scale_times_the_hospital() {
        let group = generate(DemoOptions { scale: 3, ..DemoOptions::default() }).expect("group");
        let counts = group.counts();
        assert_eq!(
            (counts.cameras, counts.alarm_points, counts.mobile_alarm_points),
            (3 * CAMERAS, 3 * ALARM_POINTS, 3 * MOBILE_ALARM_POINTS)
        );
        assert_eq!(group.sites.len(), 3);
        assert!(group.devices.iter().all(|d| d.code.as_str().starts_with('H')));
        assert!(matches!(
            generate(DemoOptions { scale: 0, ..DemoOptions::default() }),
            Err(DemoError::BadScale { .. })
        ));
    }

    #[test]
    fn a_demo_lands_in_the_database_and_a_full_directory_needs_force() {
        let dir = tempfile::tempdir().expect("tempdir");
        let summary = create_demo(dir.path(), DemoOptions::default(), false).expect("demo");
        let store = Store::open(&dir.path().join(DATABASE_FILE)).expect("open");
        assert_eq!(store.device_counts().expect("counts"), summary.devices);
        assert_eq!(summary.devices.cameras, CAMERAS);
        assert_eq!(store.floors().expect("floors").len(), summary.floors);
        assert_eq!(store.guards().expect("guards").len(), GUARDS as usize);
        drop(store);

        let error = create_demo(dir.path(), DemoOptions::default(), false).expect_err("not empty");
        assert!(error.to_string().contains("--force"), "{error}");
        std::fs::write(dir.path().join("notes.txt"), "keep me").expect("write");
        create_demo(dir.path(), DemoOptions { seed: 9, ..DemoOptions::default() }, true).expect("forced");
        assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).expect("kept"), "keep me");
        let store = Store::open(&dir.path().join(DATABASE_FILE)).expect("reopen");
        assert_eq!(store.setting("demo.seed").expect("seed").as_deref(), Some("9"));
        assert_eq!(store.device_counts().expect("counts").cameras, CAMERAS, "replaced, not added to");
    }
}

/// A DC-09 account of the demo hospital as `vigil.toml` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoDc09Account {
    pub account: String,
    pub key: Option<String>,
    pub key_format: &'static str,
}

/// The demo's panel accounts with their keys: every third floor panel encrypted with a hex key,
/// the buildings' wireless receivers with text keys (both key formats exist in the field), the
/// rest plain. Keys come from the seed, so the same demo has the same keys.
pub fn dc09_accounts(store: &Store, seed: u64) -> Result<Vec<DemoDc09Account>, DemoError> {
    let mut accounts: Vec<String> = store.dc09_addresses()?.into_iter().map(|(account, _, _)| account).collect();
    accounts.sort();
    accounts.dedup();
    Ok(accounts
        .into_iter()
        .map(|account| {
            let number: u64 = account.parse().unwrap_or(0);
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ number.rotate_left(17));
            let receiver = number % 10_000 >= 9_000;
            let (key, key_format) = if receiver {
                const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
                let text: String = (0..16).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
                (Some(text), "text")
            } else if number.is_multiple_of(3) {
                let bytes: [u8; 16] = rng.gen();
                (Some(bytes.iter().map(|b| format!("{b:02X}")).collect()), "hex")
            } else {
                (None, "hex")
            };
            DemoDc09Account { account, key, key_format }
        })
        .collect())
}
