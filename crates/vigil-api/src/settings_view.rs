//! What the console's settings screen shows of `vigil.toml`: where the receivers are told to
//! listen, the DC-09 accounts this workstation knows and how alarms are answered. Read-only, and
//! never a key: an account says only whether it has one and how it is written.
//!
//! The listen addresses and the incident settings are those read at start (a change needs a
//! restart); the accounts are the file's as it is now, because the engine re-reads them when the
//! file changes. A file that no longer parses is reported, and the accounts read at start are shown.

use crate::settings::{Dc09Account, Settings};
use crate::Workstation;

/// The settings as the settings screen shows them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct SettingsView {
    /// The file they were read from.
    pub file: String,
    /// Why the file as it is now cannot be read (the accounts are then those read at start).
    pub file_error: Option<String>,
    /// DC-09 over TCP as configured; none when turned off. The engine's status says what it bound.
    pub dc09_tcp: Option<String>,
    /// DC-09 over UDP as configured; none when turned off.
    pub dc09_udp: Option<String>,
    /// The HTTP API as configured; none when turned off.
    pub http_listen: Option<String>,
    /// Supervision for accounts without their own, in seconds; 0 = off.
    #[ts(type = "number")]
    pub supervision_seconds: u64,
    /// In the order of the account numbers, as the file lists them now.
    pub accounts: Vec<Dc09AccountView>,
    pub incidents: IncidentSettingsView,
}

/// One DC-09 account, without its key.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Dc09AccountView {
    pub account: String,
    /// Whether its frames may be encrypted (a key is set). The key itself is never sent.
    pub has_key: bool,
    /// "hex" or "text": how its key is written (means nothing without a key).
    pub key_format: String,
    /// A panel silent this long raises a fault; 0 = off.
    #[ts(type = "number")]
    pub supervision_seconds: u64,
    /// Whether that is the account's own setting rather than `dc09.supervision_seconds`.
    pub supervision_own: bool,
}

/// `[incidents]`: the three-level response and the siren.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct IncidentSettingsView {
    pub acknowledge_within_seconds: u32,
    pub silence_seconds: u32,
    pub police_post: String,
}

/// An address as configured, or none when it is empty (turned off).
fn address(configured: Option<&str>) -> Option<String> {
    configured.map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned)
}

fn account_view(a: &Dc09Account, default_supervision: u64) -> Dc09AccountView {
    Dc09AccountView {
        account: a.account.clone(),
        has_key: a.key.as_deref().is_some_and(|k| !k.is_empty()),
        key_format: a.key_format.clone(),
        supervision_seconds: a.supervision_seconds.unwrap_or(default_supervision),
        supervision_own: a.supervision_seconds.is_some(),
    }
}

impl SettingsView {
    /// `started`: the settings read at start; `now`: the file as it reads now, or why it does not.
    pub fn of(started: &Settings, now: Result<&Settings, String>, file: &std::path::Path) -> SettingsView {
        let (current, file_error) = match now {
            Ok(now) => (now, None),
            Err(e) => (started, Some(e)),
        };
        let dc09 = &current.dc09;
        let mut accounts: Vec<Dc09AccountView> =
            dc09.accounts.iter().map(|a| account_view(a, dc09.supervision_seconds)).collect();
        accounts.sort_by(|a, b| a.account.len().cmp(&b.account.len()).then_with(|| a.account.cmp(&b.account)));
        let settings = started;
        SettingsView {
            file: file.display().to_string(),
            file_error,
            dc09_tcp: address(settings.dc09.tcp.as_deref()),
            dc09_udp: address(settings.dc09.udp.as_deref()),
            http_listen: address(Some(settings.http.listen.as_str())),
            supervision_seconds: dc09.supervision_seconds,
            accounts,
            incidents: IncidentSettingsView {
                acknowledge_within_seconds: settings.incidents.acknowledge_within_seconds,
                silence_seconds: settings.incidents.silence_seconds,
                police_post: settings.incidents.police_post.clone(),
            },
        }
    }
}

impl Workstation {
    /// The settings screen's view of `vigil.toml` (the accounts as the file lists them now).
    /// Nothing secret is in it: no key, no token.
    pub fn settings_view(&self) -> SettingsView {
        let file = self.dir().join(crate::SETTINGS_FILE);
        let now = std::fs::read_to_string(&file).map_err(|e| e.to_string()).and_then(|text| Settings::parse(&text));
        SettingsView::of(self.settings(), now.as_ref().map_err(Clone::clone), &file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[http]
listen = ""
intake_token = "0123456789abcdef0123456789abcdef"
read_token = "fedcba9876543210fedcba9876543210"
[dc09]
tcp = "0.0.0.0:12300"
udp = ""
supervision_seconds = 90
[[dc09.accounts]]
account = "1002"
key = "000102030405060708090A0B0C0D0E0F"
[[dc09.accounts]]
account = "0FF"
key = "Sixteen-char-key"
key_format = "text"
supervision_seconds = 0
[[dc09.accounts]]
account = "1001"
supervision_seconds = 300
"#;

    #[test]
    fn accounts_say_whether_they_have_a_key_and_never_what_it_is() {
        let settings = Settings::parse(FILE).expect("parse");
        let view = SettingsView::of(&Settings::default(), Ok(&settings), std::path::Path::new("/data/vigil.toml"));
        let accounts: Vec<(&str, bool, &str, u64, bool)> = view
            .accounts
            .iter()
            .map(|a| (a.account.as_str(), a.has_key, a.key_format.as_str(), a.supervision_seconds, a.supervision_own))
            .collect();
        assert_eq!(
            accounts,
            [("0FF", true, "text", 0, true), ("1001", false, "hex", 300, true), ("1002", true, "hex", 90, false)]
        );
        let json = serde_json::to_string(&view).expect("json");
        for secret in [
            "000102030405060708090A0B0C0D0E0F",
            "Sixteen-char-key",
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210",
        ] {
            assert!(!json.contains(secret), "{secret} leaked: {json}");
        }
        assert!(!json.contains("\"key\""), "no field is named key: {json}");
    }

    #[test]
    fn an_empty_address_is_a_receiver_turned_off() {
        let settings = Settings::parse(FILE).expect("parse");
        let view = SettingsView::of(&settings, Ok(&settings), std::path::Path::new("vigil.toml"));
        assert_eq!(view.dc09_tcp.as_deref(), Some("0.0.0.0:12300"));
        assert_eq!((view.dc09_udp.as_deref(), view.http_listen.as_deref()), (None, None));
        assert_eq!(view.supervision_seconds, 90);
        assert_eq!(
            view.incidents,
            IncidentSettingsView {
                acknowledge_within_seconds: 60,
                silence_seconds: 60,
                police_post: "院内警务室 Police post 8110".into(),
            }
        );
    }

    #[test]
    fn a_workstation_shows_its_own_file_with_the_accounts_it_lists_now() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = Workstation::open(dir.path()).expect("open");
        let view = ws.settings_view();
        assert_eq!(view.file, dir.path().join("vigil.toml").display().to_string());
        assert_eq!((view.accounts.len(), view.file_error.as_deref()), (0, None));
        assert_eq!(view.http_listen.as_deref(), Some("127.0.0.1:8790"));

        // An account added to the file is listed at once (the engine re-reads it); an address
        // changed there needs a restart, so the one read at start stays.
        let path = dir.path().join("vigil.toml");
        let text =
            std::fs::read_to_string(&path).expect("read").replace("listen = \"127.0.0.1:8790\"", "listen = \"\"");
        std::fs::write(&path, format!("{text}\n[[dc09.accounts]]\naccount = \"4321\"\n")).expect("write");
        let view = ws.settings_view();
        assert_eq!(view.accounts.iter().map(|a| a.account.as_str()).collect::<Vec<_>>(), ["4321"]);
        assert_eq!(view.http_listen.as_deref(), Some("127.0.0.1:8790"));

        // A file that no longer parses: said so, and the accounts read at start are shown.
        std::fs::write(&path, "[dc09\n").expect("write");
        let view = ws.settings_view();
        assert!(view.file_error.is_some(), "{view:?}");
        assert!(view.accounts.is_empty());
    }
}
