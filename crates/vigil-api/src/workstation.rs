//! A workstation's data directory, opened: its settings and its database, and every question the
//! console asks of them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use vigil_demo::{DemoOptions, DemoSummary, DATABASE_FILE};
use vigil_domain::{floor_label, Building, DeviceCounts, Floor, Id, Site};
use vigil_store::{DeviceMove, PlanImage, Store, Writer};

use crate::map::{BuildingView, DeviceDetail, FloorDevices, FloorView, Overview, SearchHit, SiteView};
use crate::plan_import::inspect_plan;
use crate::session::{Need, SessionToken};
use crate::{ApiError, ErrorCode, Settings};

/// A new position for a device, as the map's edit mode sends it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, ts_rs::TS)]
pub struct DeviceMoveInput {
    pub id: Id,
    pub x: f64,
    pub y: f64,
}

pub struct Workstation {
    dir: PathBuf,
    settings: Settings,
    /// The connection questions are read through.
    store: Mutex<Store>,
    /// The one writer of this workstation, started on the first write.
    writer: OnceLock<Writer>,
    /// Opened to read only (a second handle in the same process): writes are refused.
    read_only: bool,
    /// Everyone logged in: the window's operator is one session; HTTP clients have their own.
    pub(crate) sessions: Mutex<HashMap<SessionToken, crate::session::Session>>,
    /// Wrong PINs in a row per login name, and when the last one was typed.
    pub(crate) failures: Mutex<HashMap<String, (u32, i64)>>,
    /// The rounds in progress as last judged, kept up to date check-in by check-in.
    pub(crate) live_rounds: Mutex<Option<crate::patrol_live::LiveRounds>>,
}

/// The audit log's actor while nobody is logged in.
pub const NO_LOGIN: &str = "(not logged in)";

impl std::fmt::Debug for Workstation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workstation").field("dir", &self.dir).finish()
    }
}

const SEARCH_LIMIT_MAX: u32 = 200;

impl Workstation {
    /// Opens the data directory, writing default settings and creating the database on first start.
    pub fn open(dir: &Path) -> Result<Workstation, ApiError> {
        Workstation::open_with(dir, false)
    }

    /// Opens a second handle on a data directory that another one in this process writes: it
    /// reads through a connection of its own (so its questions never wait behind the other's) and
    /// refuses to write, so the workstation keeps one writer.
    pub fn open_for_reading(dir: &Path) -> Result<Workstation, ApiError> {
        Workstation::open_with(dir, true)
    }

    fn open_with(dir: &Path, read_only: bool) -> Result<Workstation, ApiError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            ApiError::new(ErrorCode::Storage, format!("cannot create the data directory {}: {e}", dir.display()))
        })?;
        let settings = Settings::load_or_create(dir)?;
        let store = Store::open(&dir.join(DATABASE_FILE))?;
        store.set_cache_mib(settings.store.cache_mib)?;
        Ok(Workstation {
            dir: dir.to_owned(),
            settings,
            store: Mutex::new(store),
            writer: OnceLock::new(),
            read_only,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            live_rounds: Mutex::new(None),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The workstation's one writer (the engine commits through it too).
    pub fn writer(&self) -> Result<&Writer, ApiError> {
        if self.read_only {
            return Err(ApiError::new(
                ErrorCode::ReadOnly,
                "this handle only reads; the workstation writes through its own",
            ));
        }
        if let Some(w) = self.writer.get() {
            return Ok(w);
        }
        let started = Writer::start_with_cache(&self.dir.join(DATABASE_FILE), self.settings.store.cache_mib)?;
        Ok(self.writer.get_or_init(|| started))
    }

    /// Runs `work` in the writer's next transaction; returns once it is committed.
    pub(crate) fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&vigil_store::Transaction<'_>) -> vigil_store::Result<T> + Send + 'static,
    {
        Ok(self.writer()?.run(work)?)
    }

    pub(crate) fn audit_as(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> vigil_store::AuditEvent {
        vigil_store::AuditEvent {
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            details: details.to_string(),
        }
    }

    /// Appends one audit entry naming `actor`, on its own (for actions that change nothing else).
    pub(crate) fn record_as(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        details: serde_json::Value,
    ) -> Result<(), ApiError> {
        let event = self.audit_as(actor, action, subject, details);
        self.write(move |tx| vigil_store::write::append_audit(tx, &event).map(|_| ()))
    }

    /// Commits one event on `subject` with its audit entry (which names the event), in one
    /// transaction: what a person's change to shared data is.
    pub(crate) fn commit_as(
        &self,
        actor: &str,
        subject: &str,
        body: vigil_domain::event::EventBody,
        audit: vigil_store::AuditEvent,
        now: i64,
    ) -> Result<(), ApiError> {
        let (actor, subject) = (actor.to_owned(), subject.to_owned());
        self.write(move |tx| {
            let c = vigil_store::write::commit_event(tx, &actor, &subject, body, now)?;
            vigil_store::write::append_audit(tx, &audit.for_event(&c)).map(|_| ())
        })
    }

    /// Checks the audit log's hash chain.
    pub fn verify_audit(&self) -> Result<vigil_store::ChainReport, ApiError> {
        Ok(self.store().verify_audit()?)
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back), so the
        // poisoned guard is safe to keep using.
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `read` with the workstation's own connection (for the engine's read endpoints).
    pub fn with_store<T>(&self, read: impl FnOnce(&Store) -> T) -> T {
        read(&self.store())
    }

    /// Whether the database holds no campus yet (a first start).
    pub fn is_empty(&self) -> Result<bool, ApiError> {
        Ok(self.store().sites()?.is_empty())
    }

    /// Fills an empty database with the demo hospital, its patrol routes and a week of rounds.
    pub fn create_demo(&self, options: DemoOptions) -> Result<DemoSummary, ApiError> {
        self.create_demo_with(options, 7)
    }

    /// The demo hospital with its patrol routes and `patrol_days` of rounds walked (0: no routes).
    pub fn create_demo_with(&self, options: DemoOptions, patrol_days: u32) -> Result<DemoSummary, ApiError> {
        if !self.is_empty()? {
            return Err(ApiError::new(
                ErrorCode::NotEmpty,
                "this workstation already has a hospital; the demo is only offered on an empty one",
            ));
        }
        let hospital =
            vigil_demo::generate(options).map_err(|e| ApiError::field(ErrorCode::Invalid, "scale", e.to_string()))?;
        let mut store = self.store();
        let summary = vigil_demo::store_hospital(&mut store, &hospital, options)
            .map_err(|e| ApiError::new(ErrorCode::Storage, e.to_string()))?;
        drop(store);
        if patrol_days > 0 {
            self.create_demo_patrol(Store::now_ms(), patrol_days)?;
        }
        self.record_as(
            NO_LOGIN,
            "demo.create",
            "hospital",
            serde_json::json!({ "scale": options.scale, "seed": options.seed }),
        )?;
        Ok(summary)
    }

    pub fn is_demo(&self) -> Result<bool, ApiError> {
        Ok(self.store().setting("demo.seed")?.is_some())
    }

    pub fn overview(&self) -> Result<Overview, ApiError> {
        let store = self.store();
        let counts: HashMap<Id, DeviceCounts> =
            store.floor_device_counts()?.into_iter().map(|c| (c.floor_id, c.counts)).collect();
        let alarms: HashMap<Id, u32> = store.floor_alarm_counts()?.into_iter().collect();
        let mut floors_of: HashMap<Id, Vec<FloorView>> = HashMap::new();
        for floor in store.floors()? {
            let view = floor_view(
                &floor,
                counts.get(&floor.id).copied().unwrap_or_default(),
                alarms.get(&floor.id).copied().unwrap_or(0),
            );
            floors_of.entry(floor.building_id).or_default().push(view);
        }
        let mut buildings_of: HashMap<Id, Vec<BuildingView>> = HashMap::new();
        for b in store.buildings()? {
            let floors = floors_of.remove(&b.id).unwrap_or_default();
            let mut total = DeviceCounts::default();
            for f in &floors {
                for kind in vigil_domain::DeviceKind::ALL {
                    total.add(kind, f.counts.get(kind));
                }
            }
            let active_alarms = floors.iter().map(|f| f.active_alarms).sum();
            buildings_of.entry(b.site_id).or_default().push(BuildingView {
                id: b.id,
                code: b.code.to_string(),
                name: b.name,
                kind: b.kind,
                footprint: b.footprint,
                counts: total,
                active_alarms,
                floors,
            });
        }
        let sites = store
            .sites()?
            .into_iter()
            .map(|s: Site| SiteView {
                id: s.id,
                code: s.code.to_string(),
                name: s.name,
                plan: s.plan,
                buildings: buildings_of.remove(&s.id).unwrap_or_default(),
            })
            .collect();
        let demo = store.setting("demo.seed")?.is_some();
        Ok(Overview { sites, totals: store.device_counts()?, demo })
    }

    pub fn floor_devices(&self, floor_id: Id) -> Result<FloorDevices, ApiError> {
        let store = self.store();
        let floor = store.floor(floor_id)?;
        let devices = store.floor_devices(floor_id)?;
        Ok(FloorDevices::pack(floor.id, floor.plan, &devices))
    }

    pub fn device_detail(&self, id: Id) -> Result<DeviceDetail, ApiError> {
        let store = self.store();
        let device = store.device(id)?;
        let floor = store.floor(device.floor_id)?;
        let building = find_building(&store.buildings()?, floor.building_id)?;
        let site =
            store.sites()?.into_iter().find(|s| s.id == building.site_id).ok_or_else(|| {
                ApiError::new(ErrorCode::NotFound, format!("the site of {} is missing", building.code))
            })?;
        let counts = store
            .floor_device_counts()?
            .into_iter()
            .find(|c| c.floor_id == floor.id)
            .map(|c| c.counts)
            .unwrap_or_default();
        Ok(DeviceDetail {
            floor: floor_view(&floor, counts, 0),
            building_code: building.code.to_string(),
            building_name: building.name,
            site_name: site.name,
            device,
        })
    }

    /// Devices whose code or name contains `text`, exact code first.
    pub fn search(&self, text: &str, limit: u32) -> Result<Vec<SearchHit>, ApiError> {
        if text.chars().count() > 100 {
            return Err(ApiError::field(ErrorCode::Invalid, "text", "search text is at most 100 characters"));
        }
        let store = self.store();
        let devices = store.search_devices(text, limit.clamp(1, SEARCH_LIMIT_MAX))?;
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        let floors: HashMap<Id, Floor> = store.floors()?.into_iter().map(|f| (f.id, f)).collect();
        let buildings: HashMap<Id, Building> = store.buildings()?.into_iter().map(|b| (b.id, b)).collect();
        let hits = devices
            .into_iter()
            .filter_map(|d| {
                let floor = floors.get(&d.floor_id)?;
                let building = buildings.get(&floor.building_id)?;
                Some(SearchHit {
                    id: d.id,
                    code: d.code.to_string(),
                    name: d.name,
                    kind: d.kind,
                    status: d.status,
                    site_id: building.site_id,
                    building_id: building.id,
                    floor_id: floor.id,
                    floor_short: floor_label(floor.level),
                    x: d.x,
                    y: d.y,
                })
            })
            .collect();
        Ok(hits)
    }

    /// The plan image under a floor or a site's campus view.
    pub fn plan_image(&self, owner: Id) -> Result<PlanImage, ApiError> {
        self.store()
            .plan_image(owner)?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("no plan image for {owner}")))
    }

    /// Replaces a floor's plan with an uploaded image after checking it; a refused file changes nothing.
    pub fn import_floor_plan(&self, who: SessionToken, floor_id: Id, bytes: Vec<u8>) -> Result<FloorView, ApiError> {
        let actor = self.actor(who, Need::Administrator)?;
        let limits = &self.settings.map;
        let info = inspect_plan(&bytes, limits.max_plan_bytes, limits.max_plan_side)?;
        let audit = self.audit_as(
            &actor.name,
            "map.import_plan",
            &floor_id.to_string(),
            serde_json::json!({ "mime": info.mime, "bytes": bytes.len(), "width": info.size.width, "height": info.size.height }),
        );
        let image = PlanImage { mime: info.mime.to_owned(), bytes, size: info.size };
        self.write(move |tx| vigil_store::write::replace_floor_plan(tx, floor_id, &image, &audit))?;
        let store = self.store();
        let floor = store.floor(floor_id)?;
        let counts = store
            .floor_device_counts()?
            .into_iter()
            .find(|c| c.floor_id == floor_id)
            .map(|c| c.counts)
            .unwrap_or_default();
        Ok(floor_view(&floor, counts, 0))
    }

    /// Saves positions from the map's edit mode, all or none.
    pub fn move_devices(&self, who: SessionToken, moves: &[DeviceMoveInput]) -> Result<usize, ApiError> {
        let actor = self.actor(who, Need::Administrator)?;
        if moves.len() > 100_000 {
            return Err(ApiError::field(ErrorCode::Invalid, "moves", "at most 100,000 devices can be moved at once"));
        }
        let moves: Vec<DeviceMove> = moves.iter().map(|m| DeviceMove { id: m.id, x: m.x, y: m.y }).collect();
        let audit = self.audit_as(
            &actor.name,
            "map.move_devices",
            &format!("{} devices", moves.len()),
            serde_json::json!(moves
                .iter()
                .map(|m| serde_json::json!({ "id": m.id, "x": m.x, "y": m.y }))
                .collect::<Vec<_>>()),
        );
        self.write(move |tx| vigil_store::write::move_devices(tx, &moves, &audit))
    }

    /// The language chosen in the console ("zh-CN" or "en"), if one was; else the settings decide.
    pub fn language(&self) -> Result<Option<String>, ApiError> {
        Ok(self.store().setting("ui.language")?)
    }

    /// Chooses the console's language (also from the login screen, before anyone is logged in).
    pub fn set_language(&self, who: SessionToken, language: &str) -> Result<(), ApiError> {
        if !matches!(language, "zh-CN" | "en") {
            return Err(ApiError::field(
                ErrorCode::Invalid,
                "language",
                format!("{language:?} is not a console language; use zh-CN or en"),
            ));
        }
        let audit = self.audit_as(
            &self.name_of(who),
            "settings.language",
            "ui.language",
            serde_json::json!({ "language": language }),
        );
        let language = language.to_owned();
        self.write(move |tx| {
            vigil_store::write::append_audit(tx, &audit)?;
            vigil_store::write::set_setting(tx, "ui.language", &language)
        })
    }
}

fn find_building(buildings: &[Building], id: Id) -> Result<Building, ApiError> {
    buildings
        .iter()
        .find(|b| b.id == id)
        .cloned()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("building {id} does not exist")))
}

fn floor_view(floor: &Floor, counts: DeviceCounts, active_alarms: u32) -> FloorView {
    FloorView {
        id: floor.id,
        building_id: floor.building_id,
        level: floor.level,
        short: floor_label(floor.level),
        label: floor.label.clone(),
        plan: floor.plan,
        counts,
        active_alarms,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A workstation on a fresh directory holding the demo hospital (no patrol rounds walked, so
    /// the event log starts empty), for the crate's tests.
    pub(crate) fn demo() -> (tempfile::TempDir, Workstation) {
        demo_with(0)
    }

    /// The demo hospital with its routes and a week of rounds walked.
    pub(crate) fn demo_walking() -> (tempfile::TempDir, Workstation) {
        demo_with(7)
    }

    fn demo_with(days: u32) -> (tempfile::TempDir, Workstation) {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = Workstation::open(dir.path()).expect("open");
        assert!(ws.is_empty().expect("empty"));
        ws.create_demo_with(DemoOptions::default(), days).expect("demo");
        (dir, ws)
    }

    #[test]
    fn the_overview_counts_match_the_database() {
        let (_dir, ws) = demo();
        let overview = ws.overview().expect("overview");
        assert!(overview.demo);
        assert_eq!(overview.totals.cameras, vigil_demo::CAMERAS);
        let mut summed = DeviceCounts::default();
        for site in &overview.sites {
            for b in &site.buildings {
                for f in &b.floors {
                    for kind in vigil_domain::DeviceKind::ALL {
                        summed.add(kind, f.counts.get(kind));
                    }
                }
            }
        }
        assert_eq!(summed, overview.totals);
        let opd = &overview.sites[0].buildings.iter().find(|b| b.code == "OPD").expect("OPD");
        let shorts: Vec<&str> = opd.floors.iter().map(|f| f.short.as_str()).collect();
        assert_eq!(shorts, ["B2", "B1", "1F", "2F", "3F", "4F", "5F", "6F"]);
        assert!(ws.create_demo(DemoOptions::default()).is_err(), "the demo is only for an empty workstation");
    }

    #[test]
    fn a_floor_a_search_and_a_detail_agree() {
        let (_dir, ws) = demo();
        let hits = ws.search("OPD-1F-CAM-001", 10).expect("search");
        assert_eq!(hits[0].code, "OPD-1F-CAM-001");
        let floor = ws.floor_devices(hits[0].floor_id).expect("floor");
        assert!(floor.codes.contains(&"OPD-1F-CAM-001".to_owned()));
        let detail = ws.device_detail(hits[0].id).expect("detail");
        assert_eq!(detail.building_code, "OPD");
        assert_eq!(detail.floor.short, "1F");
        assert!(detail.device.camera.is_some());
        assert!(ws.search(&"x".repeat(101), 10).is_err());
        assert!(ws.device_detail(Id::nil()).is_err());
    }

    #[test]
    fn a_refused_plan_changes_nothing_and_a_good_one_is_stored() {
        let (_dir, ws) = demo();
        let floor_id = ws.search("OPD-1F-CAM-001", 1).expect("search")[0].floor_id;
        let before = ws.plan_image(floor_id).expect("plan");
        let who = ws.login("demo-operator", "2468", None).expect("login").0;
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="30" height="15"></svg>"#.to_vec();
        assert_eq!(ws.import_floor_plan(who, floor_id, svg).expect_err("operator").code, "forbidden");
        let who = ws.login("demo-admin", "2468", None).expect("login").0;
        let error = ws.import_floor_plan(who, floor_id, b"not an image".to_vec()).expect_err("refused");
        assert_eq!((error.code, error.field.as_deref()), (ErrorCode::PlanNotAnImage, Some("image")));
        assert_eq!(ws.plan_image(floor_id).expect("plan"), before);

        let svg =
            br#"<svg xmlns="http://www.w3.org/2000/svg" width="3000" height="1500"><rect width="5" height="5"/></svg>"#;
        let floor = ws.import_floor_plan(who, floor_id, svg.to_vec()).expect("accepted");
        assert_eq!((floor.plan.width, floor.plan.height), (3000, 1500));
        assert_eq!(ws.plan_image(floor_id).expect("plan").bytes, svg.to_vec());
    }

    #[test]
    fn map_edits_and_settings_land_in_the_audit_chain() {
        let (_dir, ws) = demo();
        let hit = ws.search("OPD-1F-CAM-001", 1).expect("search").remove(0);
        let moved = [DeviceMoveInput { id: hit.id, x: 10.0, y: 10.0 }];
        assert_eq!(ws.move_devices(SessionToken::NONE, &moved).expect_err("nobody logged in").code, "login_required");
        let who = ws.login("demo-admin", "2468", None).expect("login").0;
        let hit = ws.search("OPD-1F-CAM-001", 1).expect("search").remove(0);
        ws.move_devices(who, &[DeviceMoveInput { id: hit.id, x: 10.0, y: 10.0 }]).expect("move");
        assert!(ws.move_devices(who, &[DeviceMoveInput { id: hit.id, x: -5.0, y: 10.0 }]).is_err());
        ws.set_language(who, "en").expect("language");
        let tail = ws.with_store(|s| s.audit_tail(10)).expect("tail");
        let actions: Vec<&str> = tail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["settings.language", "map.move_devices", "login", "demo.create"],
            "a refused move is not recorded"
        );
        assert_eq!(tail[1].actor, "demo-admin");
        assert_eq!(ws.verify_audit().expect("verify").first_altered, None);
    }

    #[test]
    fn language_choice_is_remembered_and_checked() {
        let (dir, ws) = demo();
        assert_eq!(ws.language().expect("language"), None);
        ws.set_language(SessionToken::NONE, "en").expect("set on the login screen");
        assert!(ws.set_language(SessionToken::NONE, "fr").is_err());
        drop(ws);
        let ws = Workstation::open(dir.path()).expect("reopen");
        assert_eq!(ws.language().expect("language").as_deref(), Some("en"));
    }
}
