//! `vigil.toml`: the workstation's settings, written with commented defaults on first start and read
//! at every start. Sections this build does not know are ignored, so a newer Vigil's settings do not
//! stop an older one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const SETTINGS_FILE: &str = "vigil.toml";

#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub ui: UiSettings,
    pub map: MapSettings,
    pub http: HttpSettings,
    pub dc09: Dc09Settings,
    pub incidents: IncidentSettings,
    pub intake: IntakeSettings,
    pub patrol: PatrolSettings,
    pub store: StoreSettings,
}

/// The database file's connections.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// Page cache each connection keeps, in MiB (the console holds three: its reader, the map's
    /// and the writer's).
    pub cache_mib: u32,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings { cache_mib: vigil_store::DEFAULT_CACHE_MIB }
    }
}

/// Patrol rounds: the site's clock, the windows a checkpoint is judged by, and the shifts.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PatrolSettings {
    /// IANA name of the site's time zone: schedules and reports are in its local time.
    pub time_zone: String,
    /// A checkpoint touched within this many seconds of its expected time is on time.
    pub on_time_seconds: u32,
    /// Within this many it is early or late; beyond it, missed.
    pub tolerance_seconds: u32,
    /// When the day and the night shift start, local `HH:MM`.
    pub day_starts: String,
    pub night_starts: String,
    /// How often the console looks for rounds whose window has passed, in seconds.
    pub check_every_seconds: u32,
}

impl Default for PatrolSettings {
    fn default() -> Self {
        PatrolSettings {
            time_zone: "Asia/Shanghai".into(),
            on_time_seconds: 300,
            tolerance_seconds: 600,
            day_starts: "08:00".into(),
            night_starts: "20:00".into(),
            check_every_seconds: 30,
        }
    }
}

impl PatrolSettings {
    pub fn windows(&self) -> vigil_domain::patrol::Windows {
        vigil_domain::patrol::Windows {
            on_time_ms: i64::from(self.on_time_seconds) * 1000,
            tolerance_ms: i64::from(self.tolerance_seconds.max(self.on_time_seconds)) * 1000,
        }
    }

    /// The site's zone; a name the time-zone database does not know falls back to UTC, loudly.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.time_zone).unwrap_or_else(|e| {
            eprintln!("vigil: [patrol] time_zone {:?} is unknown ({e}); using UTC", self.time_zone);
            jiff::tz::TimeZone::UTC
        })
    }

    pub fn shifts(&self) -> vigil_domain::schedule::ShiftPlan {
        use vigil_domain::schedule::parse_minute;
        let default = vigil_domain::schedule::ShiftPlan::default();
        vigil_domain::schedule::ShiftPlan {
            day_starts: parse_minute(&self.day_starts).unwrap_or(default.day_starts),
            night_starts: parse_minute(&self.night_starts).unwrap_or(default.night_starts),
        }
    }
}

/// What a report's own time is trusted for. A report whose time is further than this from when it
/// arrived is still stored, with the sender's time kept, but ordered by its receipt and flagged as
/// a clock fault of its source.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntakeSettings {
    /// A sender's time may be at most this many seconds ahead of the receive time.
    pub clock_ahead_seconds: u64,
    /// A report may be at most this many days older than its receipt (a queue that was offline).
    pub clock_behind_days: u64,
}

impl IntakeSettings {
    pub fn clock_window(&self) -> vigil_domain::ClockWindow {
        let ms = |secs: u64| i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        vigil_domain::ClockWindow {
            ahead_ms: ms(self.clock_ahead_seconds),
            behind_ms: ms(self.clock_behind_days.saturating_mul(86_400)),
        }
    }
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings { clock_ahead_seconds: 300, clock_behind_days: 30 }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiSettings {
    /// "auto" follows the system locale; "zh-CN" or "en" fixes it.
    pub language: String,
    /// Lock the console after this many minutes without a key or a click; 0 = never.
    pub lock_after_minutes: u32,
}

/// How alarms are answered: the three-level response (三级响应) and the siren.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentSettings {
    /// An alarm not acknowledged within this many seconds gets a louder siren and the supervisor is notified.
    pub acknowledge_within_seconds: u32,
    /// How long the silence key quiets the siren.
    pub silence_seconds: u32,
    /// Who to call when a guard is not on scene within 5 minutes, as the console shows it.
    pub police_post: String,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MapSettings {
    /// Largest floor-plan file an administrator may import, in bytes.
    pub max_plan_bytes: usize,
    /// Largest width or height of an imported plan, in pixels.
    pub max_plan_side: u32,
}

/// The engine's HTTP API (docs/interfaces.md → Settings).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Listen address; empty turns the HTTP API off.
    pub listen: String,
    /// Bearer token required by POST /v1/events and /v1/checkins.
    pub intake_token: String,
    /// Bearer token required by read endpoints from addresses other than loopback.
    pub read_token: String,
}

/// SIA DC-09 receivers and the accounts they know.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Dc09Settings {
    /// TCP listen address; empty turns TCP off.
    pub tcp: Option<String>,
    /// UDP listen address; empty turns UDP off.
    pub udp: Option<String>,
    /// A panel that has sent nothing (not even a NULL link test) for this long raises a fault; 0 = off.
    pub supervision_seconds: u64,
    /// Idle TCP connections are closed after this long.
    pub idle_seconds: u64,
    /// At most this many TCP connections at once.
    pub max_connections: usize,
    pub accounts: Vec<Dc09Account>,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dc09Account {
    /// As sent after '#': 3–16 hex digits.
    pub account: String,
    /// AES key; absent for plain messages.
    pub key: Option<String>,
    /// "hex" (32/48/64 hex digits) or "text" (16/24/32 characters).
    #[serde(default = "hex_format")]
    pub key_format: String,
    /// Overrides dc09.supervision_seconds for this panel.
    pub supervision_seconds: Option<u64>,
}

fn hex_format() -> String {
    "hex".into()
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings { language: "auto".into(), lock_after_minutes: 10 }
    }
}

impl Default for IncidentSettings {
    fn default() -> Self {
        IncidentSettings {
            acknowledge_within_seconds: 60,
            silence_seconds: 60,
            police_post: "院内警务室 Police post 8110".into(),
        }
    }
}

impl Default for MapSettings {
    fn default() -> Self {
        MapSettings { max_plan_bytes: 20 * 1024 * 1024, max_plan_side: 16_384 }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings { listen: "127.0.0.1:8790".into(), intake_token: String::new(), read_token: String::new() }
    }
}

impl Default for Dc09Settings {
    fn default() -> Self {
        Dc09Settings {
            tcp: Some("0.0.0.0:12300".into()),
            udp: Some("0.0.0.0:12300".into()),
            supervision_seconds: 0,
            idle_seconds: 300,
            max_connections: 1024,
            accounts: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid settings: {message}")]
    Invalid { path: PathBuf, message: String },
}

const LANGUAGES: [&str; 3] = ["auto", "zh-CN", "en"];

/// A new random token: 32 hex digits from the operating system's generator.
pub fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The settings file as first written: every setting with its default and what it does.
pub fn default_file(intake_token: &str, read_token: &str, accounts: &[Dc09Account]) -> String {
    let mut s = format!(
        r#"# Vigil workstation settings. Read at start. DC-09 accounts and keys, tokens and the [intake]
# window take effect within seconds of a change; listen addresses, [ui] and [incidents] at restart.
# Lines starting with '#' are comments. Sections Vigil does not know are ignored.

[ui]
# Language of the console: "auto" follows the system locale, or "zh-CN" / "en".
language = "auto"
# Lock the console after this many minutes without a key or a click (0 = never). Alarms still
# sound and show while it is locked; the operator's PIN unlocks it, another login hands over.
lock_after_minutes = 10

[incidents]
# Three-level response (三级响应): an alarm nobody acknowledged within this many seconds gets a
# louder siren and a notification to the supervisor; one with no guard on scene within 5 minutes
# is overdue and the console prompts to call the police post.
acknowledge_within_seconds = 60
# How long the silence key (S) quiets the siren. A new, more urgent alarm sounds anyway.
silence_seconds = 60
# Shown in the police prompt.
police_post = "院内警务室 Police post 8110"

[map]
# Largest floor-plan image (PNG, JPEG or SVG) an administrator may import, in bytes.
max_plan_bytes = 20971520
# Largest width or height of an imported floor plan, in pixels.
max_plan_side = 16384

[http]
# The engine's HTTP API (events from cameras and other systems, check-ins, read endpoints).
listen = "127.0.0.1:8790"
# Required by POST /v1/events and /v1/checkins as "Authorization: Bearer <token>".
intake_token = "{intake_token}"
# Required by the read endpoints from addresses other than loopback.
read_token = "{read_token}"

[intake]
# A report (an HTTP event, later a check-in) is never refused for its clock. One whose own time is
# more than this far ahead of its arrival, or older than this, is stored with the sender's time
# kept, ordered by when it arrived, and flagged as a clock fault of its source (GET /v1/stats).
clock_ahead_seconds = 300
clock_behind_days = 30

[patrol]
# The site's time zone (IANA name): schedules, shifts and reports are in its local time.
time_zone = "Asia/Shanghai"
# A checkpoint touched within this many seconds of its expected time is on time; within the
# tolerance it is early or late; beyond it, missed.
on_time_seconds = 300
tolerance_seconds = 600
# When the day and the night shift start (local time); a supervisor signs each shift off.
day_starts = "08:00"
night_starts = "20:00"
# How often the console looks for rounds whose window has passed (each raises a P3 incident).
check_every_seconds = 30

[store]
# Memory each of the console's three database connections may keep as page cache, in MiB. It
# fills as the database grows and then stays; raise it (and the console's memory with it) only
# for a site whose patrol log runs to millions of check-ins and whose reports feel slow.
cache_mib = 16

[dc09]
# SIA DC-09 receivers for alarm panels and one-click buttons; set one to "" to turn it off.
tcp = "0.0.0.0:12300"
udp = "0.0.0.0:12300"
# Raise a fault when a panel sends nothing (not even a link test) for this many seconds; 0 = off.
supervision_seconds = 0
# Close TCP connections idle for this many seconds, and accept at most this many at once.
idle_seconds = 300
max_connections = 1024

# One block per panel account. A frame from an account not listed here is still received and
# stored (plain frames only); an alarm point answers to an account and zone (see the map).
# [[dc09.accounts]]
# account = "1234"                               # as sent after '#'
# key = "000102030405060708090A0B0C0D0E0F"       # omit for plain messages
# key_format = "hex"                             # "hex" (32/48/64 hex digits) or "text" (16/24/32 characters)
"#
    );
    for a in accounts {
        let _ = write!(s, "\n[[dc09.accounts]]\naccount = \"{}\"\n", a.account);
        if let Some(key) = &a.key {
            let _ = write!(s, "key = \"{key}\"\nkey_format = \"{}\"\n", a.key_format);
        }
        if let Some(secs) = a.supervision_seconds {
            let _ = writeln!(s, "supervision_seconds = {secs}");
        }
    }
    s
}

impl Settings {
    /// Reads `vigil.toml` from `dir`, first writing the commented defaults (with new tokens) if there
    /// is none.
    pub fn load_or_create(dir: &Path) -> Result<Settings, SettingsError> {
        Settings::load_or_create_with(dir, &[])
    }

    /// Like [`Settings::load_or_create`], listing `accounts` in a newly written file.
    pub fn load_or_create_with(dir: &Path, accounts: &[Dc09Account]) -> Result<Settings, SettingsError> {
        let path = dir.join(SETTINGS_FILE);
        if !path.exists() {
            std::fs::create_dir_all(dir).map_err(|source| SettingsError::Io { path: dir.to_owned(), source })?;
            let text = default_file(&new_token(), &new_token(), accounts);
            std::fs::write(&path, text).map_err(|source| SettingsError::Io { path: path.clone(), source })?;
        }
        let text = std::fs::read_to_string(&path).map_err(|source| SettingsError::Io { path: path.clone(), source })?;
        Settings::parse(&text).map_err(|message| SettingsError::Invalid { path, message })
    }

    pub fn parse(text: &str) -> Result<Settings, String> {
        let settings: Settings = toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())?;
        if !LANGUAGES.contains(&settings.ui.language.as_str()) {
            return Err(format!("ui.language is {:?}; use one of {}", settings.ui.language, LANGUAGES.join(", ")));
        }
        if settings.incidents.acknowledge_within_seconds == 0 || settings.incidents.silence_seconds == 0 {
            return Err(
                "incidents.acknowledge_within_seconds and incidents.silence_seconds must be greater than 0".into()
            );
        }
        if !(1..=4096).contains(&settings.store.cache_mib) {
            return Err(format!("store.cache_mib is {}; use 1 to 4096 (MiB)", settings.store.cache_mib));
        }
        if settings.map.max_plan_bytes == 0 || settings.map.max_plan_side == 0 {
            return Err("map.max_plan_bytes and map.max_plan_side must be greater than 0".into());
        }
        for a in &settings.dc09.accounts {
            let account_ok = (3..=16).contains(&a.account.len()) && a.account.chars().all(|c| c.is_ascii_hexdigit());
            if !account_ok {
                return Err(format!("dc09.accounts: account {:?} must be 3 to 16 hex digits", a.account));
            }
            if !matches!(a.key_format.as_str(), "hex" | "text") {
                return Err(format!(
                    "dc09.accounts: account {} has key_format {:?}; use \"hex\" or \"text\"",
                    a.account, a.key_format
                ));
            }
            if let Some(key) = &a.key {
                let ok = if a.key_format == "hex" {
                    matches!(key.len(), 32 | 48 | 64) && key.chars().all(|c| c.is_ascii_hexdigit())
                } else {
                    matches!(key.len(), 16 | 24 | 32)
                };
                if !ok {
                    return Err(format!(
                        "dc09.accounts: the key of account {} is not a {} AES key (hex: 32/48/64 hex digits; text: 16/24/32 characters)",
                        a.account, a.key_format
                    ));
                }
            }
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_defaults_are_the_defaults_with_fresh_tokens() {
        let text = default_file("aaaa", "bbbb", &[]);
        let parsed = Settings::parse(&text).expect("parse");
        assert_eq!(parsed.ui, UiSettings::default());
        assert_eq!(parsed.map, MapSettings::default());
        assert_eq!(parsed.dc09, Dc09Settings::default());
        assert_eq!(parsed.incidents, IncidentSettings::default());
        assert_eq!(parsed.intake, IntakeSettings::default());
        assert_eq!(parsed.intake.clock_window(), vigil_domain::ClockWindow::default());
        assert_eq!((parsed.http.intake_token.as_str(), parsed.http.read_token.as_str()), ("aaaa", "bbbb"));
        let dir = tempfile::tempdir().expect("tempdir");
        let created = Settings::load_or_create(dir.path()).expect("create");
        assert_eq!(created.http.intake_token.len(), 32);
        assert_ne!(created.http.intake_token, created.http.read_token);
        assert_eq!(Settings::load_or_create(dir.path()).expect("reread"), created, "tokens are kept");
    }

    #[test]
    fn accounts_are_written_and_checked() {
        let accounts = vec![
            Dc09Account { account: "1001".into(), key: None, key_format: "hex".into(), supervision_seconds: None },
            Dc09Account {
                account: "1002".into(),
                key: Some("000102030405060708090A0B0C0D0E0F".into()),
                key_format: "hex".into(),
                supervision_seconds: Some(90),
            },
            Dc09Account {
                account: "9001".into(),
                key: Some("0123456789abcdef".into()),
                key_format: "text".into(),
                supervision_seconds: None,
            },
        ];
        let parsed = Settings::parse(&default_file("a", "b", &accounts)).expect("parse");
        assert_eq!(parsed.dc09.accounts, accounts);
        let bad = "[[dc09.accounts]]\naccount = \"12\"\n";
        assert!(Settings::parse(bad).expect_err("short account").contains("3 to 16 hex digits"));
        let bad = "[[dc09.accounts]]\naccount = \"1234\"\nkey = \"00\"\n";
        assert!(Settings::parse(bad).expect_err("short key").contains("not a hex AES key"));
    }

    #[test]
    fn other_sections_are_ignored_and_bad_values_named() {
        let text = "[sync]\nserver = \"https://x\"\n[map]\nmax_plan_bytes = 1000\n";
        assert_eq!(Settings::parse(text).expect("parse").map.max_plan_bytes, 1000);
        let error = Settings::parse("[ui]\nlanguage = \"fr\"\n").expect_err("bad language");
        assert!(error.contains("ui.language"), "{error}");
        let error = Settings::parse("[map]\nmax_plan_bytes = \"big\"\n").expect_err("bad type");
        assert!(error.contains("max_plan_bytes"), "{error}");
        assert!(Settings::parse("[map\n").is_err());
        let error = Settings::parse("[store]\ncache_mib = 0\n").expect_err("no cache");
        assert!(error.contains("store.cache_mib"), "{error}");
        assert_eq!(Settings::parse("[store]\ncache_mib = 64\n").expect("parse").store.cache_mib, 64);
    }
}
