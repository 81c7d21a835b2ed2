//! Who is at the console: login with name and PIN, shift hand-over, the inactivity lock, and the
//! role every action is checked against.

use vigil_domain::account::pin_matches;
use vigil_domain::incident::{Actor, Role};

use crate::{ApiError, ErrorCode, Workstation};

/// After this many wrong PINs in a row for one name, logins for it wait [`LOCKOUT_MS`].
const MAX_FAILURES: u32 = 5;
const LOCKOUT_MS: i64 = 30_000;

/// The logged-in operator as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SessionView {
    pub name: String,
    pub full_name: String,
    pub role: Role,
    /// Locked after inactivity: alarms still show and sound, actions wait for the PIN.
    pub locked: bool,
    #[ts(type = "number")]
    pub since: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub name: String,
    pub full_name: String,
    pub role: Role,
    pub pin_hash: String,
    pub since: i64,
    pub locked: bool,
}

impl Session {
    fn view(&self) -> SessionView {
        SessionView {
            name: self.name.clone(),
            full_name: self.full_name.clone(),
            role: self.role,
            locked: self.locked,
            since: self.since,
        }
    }
}

pub(crate) fn role_name(role: Role) -> &'static str {
    role.as_str()
}

/// How much an action asks of the person doing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone logged in: operators handle alarms.
    Operator,
    /// Supervisors and administrators.
    Supervisor,
    /// Administrators only: maps, devices, procedures.
    Administrator,
}

fn wrong_pin() -> ApiError {
    ApiError::field(ErrorCode::LoginFailed, "pin", "the name or the PIN is wrong")
}

/// Who is acting: the handle a login returns. The window holds one for the operator at its seat;
/// an HTTP client holds its own. Opaque and random, never derived from a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionToken(uuid::Uuid);

impl SessionToken {
    /// A token no login ever returns: acting with it asks for a login.
    pub const NONE: SessionToken = SessionToken(uuid::Uuid::nil());

    fn new() -> SessionToken {
        SessionToken(uuid::Uuid::from_bytes(rand::random()))
    }

    pub fn parse(text: &str) -> Option<SessionToken> {
        uuid::Uuid::parse_str(text).ok().filter(|u| !u.is_nil()).map(SessionToken)
    }
}

impl std::fmt::Display for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.simple())
    }
}

impl Workstation {
    /// Logs `name` in with `pin` and returns the new session's token. `over` is the session at
    /// the same seat, if any: it is logged out first — that is the shift hand-over, and the audit
    /// log records both. Other sessions (other seats, HTTP clients) are not touched.
    pub fn login(
        &self,
        name: &str,
        pin: &str,
        over: Option<SessionToken>,
    ) -> Result<(SessionToken, SessionView), ApiError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(ApiError::field(ErrorCode::Invalid, "name", "type your login name (at most 64 characters)"));
        }
        if let Err(e) = vigil_domain::account::check_pin(pin) {
            return Err(crate::accounts::refusal_error(&e));
        }
        let now = vigil_store::Store::now_ms();
        {
            let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((count, last)) = failures.get(name) {
                let wait = last + LOCKOUT_MS - now;
                if *count >= MAX_FAILURES && wait > 0 {
                    return Err(ApiError::field(
                        ErrorCode::LoginThrottled,
                        "pin",
                        format!("too many wrong PINs for {name}; try again in {} s", (wait + 999) / 1000),
                    ));
                }
            }
        }
        let account = self.with_store(|s| s.account(name))?;
        let Some(account) = account.filter(|a| pin_matches(&a.pin_hash, pin)) else {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            let entry = failures.entry(name.to_owned()).or_insert((0, now));
            *entry = (entry.0 + 1, now);
            drop(failures);
            self.record_as(name, "login.failed", name, serde_json::json!({}))?;
            return Err(wrong_pin());
        };
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(name);
        if account.disabled {
            self.record_as(name, "login.disabled", name, serde_json::json!({}))?;
            return Err(ApiError::field(
                ErrorCode::LoginFailed,
                "name",
                format!("the account {name} is disabled; an administrator can enable it"),
            ));
        }
        if let Some(previous) = over.and_then(|t| self.sessions().remove(&t)) {
            self.record_as(&previous.name, "logout", &previous.name, serde_json::json!({ "handed_over_to": name }))?;
        }
        let session = Session {
            name: account.name.clone(),
            full_name: account.full_name.clone(),
            role: account.role,
            pin_hash: account.pin_hash.clone(),
            since: now,
            locked: false,
        };
        self.record_as(&session.name, "login", &session.name, serde_json::json!({ "role": role_name(session.role) }))?;
        let view = session.view();
        let token = SessionToken::new();
        self.sessions().insert(token, session);
        Ok((token, view))
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<SessionToken, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends a session (end of shift); the window shows the login screen again.
    pub fn logout(&self, who: SessionToken) -> Result<(), ApiError> {
        let previous = self.sessions().remove(&who);
        if let Some(previous) = previous {
            self.record_as(&previous.name, "logout", &previous.name, serde_json::json!({}))?;
        }
        Ok(())
    }

    /// Locks a session after inactivity; nothing can be done in it until its PIN is typed again.
    pub fn lock(&self, who: SessionToken) -> Result<(), ApiError> {
        let name = {
            let mut sessions = self.sessions();
            match sessions.get_mut(&who) {
                Some(session) if !session.locked => {
                    session.locked = true;
                    session.name.clone()
                }
                _ => return Ok(()),
            }
        };
        self.record_as(&name, "lock", &name, serde_json::json!({}))
    }

    /// Unlocks with the PIN of whoever the session is. (Another person logs in instead: a hand-over.)
    pub fn unlock(&self, who: SessionToken, pin: &str) -> Result<SessionView, ApiError> {
        let session =
            self.current(who).ok_or_else(|| ApiError::new(ErrorCode::LoginRequired, "nobody is logged in"))?;
        if !pin_matches(&session.pin_hash, pin) {
            self.record_as(&session.name, "unlock.failed", &session.name, serde_json::json!({}))?;
            return Err(wrong_pin());
        }
        let view = {
            let mut sessions = self.sessions();
            let Some(current) = sessions.get_mut(&who) else {
                return Err(ApiError::new(ErrorCode::LoginRequired, "nobody is logged in"));
            };
            current.locked = false;
            current.view()
        };
        self.record_as(&session.name, "unlock", &session.name, serde_json::json!({}))?;
        Ok(view)
    }

    pub fn session(&self, who: SessionToken) -> Option<SessionView> {
        self.current(who).map(|s| s.view())
    }

    fn current(&self, who: SessionToken) -> Option<Session> {
        self.sessions().get(&who).cloned()
    }

    /// The session `who` as its account stands now: an administrator's change (here, or pulled
    /// from the server) takes effect at the session's next action — a new role, a new PIN for
    /// the lock screen, and a disabled account ends the session.
    fn follow_account(&self, who: SessionToken) -> Result<Option<Session>, ApiError> {
        let Some(session) = self.current(who) else { return Ok(None) };
        let account = self.with_store(|s| s.account(&session.name))?;
        match account {
            Some(a) if !a.disabled => {
                if (a.role, &a.pin_hash, &a.full_name) == (session.role, &session.pin_hash, &session.full_name) {
                    return Ok(Some(session));
                }
                let mut sessions = self.sessions();
                let Some(current) = sessions.get_mut(&who) else { return Ok(None) };
                (current.role, current.pin_hash, current.full_name) = (a.role, a.pin_hash, a.full_name);
                Ok(Some(current.clone()))
            }
            _ => {
                let ended = self.sessions().remove(&who);
                if let Some(ended) = ended {
                    self.record_as(&ended.name, "logout", &ended.name, serde_json::json!({ "account": "disabled" }))?;
                }
                Err(ApiError::new(
                    ErrorCode::LoginRequired,
                    format!("the account {} was disabled by an administrator; log in with another", session.name),
                ))
            }
        }
    }

    /// The name the audit log gives what `who` does: the session's person, or nobody.
    pub(crate) fn name_of(&self, who: SessionToken) -> String {
        self.current(who).map_or_else(|| crate::NO_LOGIN.to_owned(), |s| s.name)
    }

    /// Who may do an action that asks `need`, or why nobody in this session may. Every role
    /// check of every action goes through here.
    pub(crate) fn actor(&self, who: SessionToken, need: Need) -> Result<Actor, ApiError> {
        let session = self.follow_account(who)?.ok_or_else(|| {
            ApiError::new(ErrorCode::LoginRequired, "log in first: every action is recorded with its operator")
        })?;
        if session.locked {
            return Err(ApiError::new(ErrorCode::Locked, "the console is locked; type your PIN to go on"));
        }
        let allowed = match need {
            Need::Operator => true,
            Need::Supervisor => session.role != Role::Operator,
            Need::Administrator => session.role == Role::Administrator,
        };
        if !allowed {
            let who = match need {
                Need::Supervisor => "a supervisor or administrator",
                _ => "an administrator",
            };
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!("only {who} may do this; {} is {}", session.name, role_name(session.role)),
            ));
        }
        Ok(Actor { name: session.name, role: session.role })
    }
}

impl Workstation {
    /// Who, in session `who`, may change how this workstation connects to the rest of the
    /// hospital (enroll it with the central server): an administrator. Refused otherwise.
    pub fn administrator(&self, who: SessionToken) -> Result<Actor, ApiError> {
        self.actor(who, Need::Administrator)
    }

    /// Records in the audit log that `actor` enrolled this workstation with `server` as `name`.
    pub fn record_enrollment(&self, actor: &Actor, server: &str, name: &str, pinned: bool) -> Result<(), ApiError> {
        self.record_as(
            &actor.name,
            "sync.enrolled",
            server,
            serde_json::json!({ "name": name, "certificate_pinned": pinned }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workstation::tests::demo;

    #[test]
    fn login_hand_over_lock_and_roles() {
        let (_dir, ws) = demo();
        let none = SessionToken::NONE;
        assert_eq!(ws.actor(none, Need::Operator).expect_err("nobody").code, "login_required");
        assert_eq!(ws.login("demo-operator", "1111", None).expect_err("wrong").code, "login_failed");
        assert_eq!(ws.login("nobody", "2468", None).expect_err("unknown").code, "login_failed");
        assert_eq!(ws.login("demo-operator", "24x8", None).expect_err("letters").field.as_deref(), Some("pin"));
        let (op, s) = ws.login("demo-operator", "2468", None).expect("login");
        assert_eq!((s.name.as_str(), s.role, s.locked), ("demo-operator", Role::Operator, false));
        assert!(ws.actor(op, Need::Operator).is_ok());
        assert_eq!(ws.actor(op, Need::Supervisor).expect_err("operator").code, "forbidden");
        ws.lock(op).expect("lock");
        assert_eq!(ws.actor(op, Need::Operator).expect_err("locked").code, "locked");
        assert!(ws.unlock(op, "1357").is_err());
        assert!(!ws.unlock(op, "2468").expect("unlock").locked);
        // An HTTP client's own login is a session of its own: the seat's hand-over leaves it be.
        let (admin, _) = ws.login("demo-admin", "2468", None).expect("another session");
        let (sup, _) = ws.login("demo-supervisor", "2468", Some(op)).expect("hand-over");
        assert_eq!(ws.actor(op, Need::Operator).expect_err("handed over").code, "login_required");
        assert_eq!(ws.actor(sup, Need::Supervisor).expect("supervisor").name, "demo-supervisor");
        assert_eq!(ws.actor(sup, Need::Administrator).expect_err("not admin").code, "forbidden");
        assert_eq!(ws.actor(admin, Need::Administrator).expect("admin").name, "demo-admin");
        ws.logout(sup).expect("logout");
        assert!(ws.session(sup).is_none());
        assert!(ws.session(admin).is_some());
        let actions: Vec<(String, String)> = ws
            .with_store(|s| s.audit_tail(20))
            .expect("tail")
            .into_iter()
            .rev()
            .filter(|e| e.action != "demo.create")
            .map(|e| (e.actor, e.action))
            .collect();
        let expected = [
            ("demo-operator", "login.failed"),
            ("nobody", "login.failed"),
            ("demo-operator", "login"),
            ("demo-operator", "lock"),
            ("demo-operator", "unlock.failed"),
            ("demo-operator", "unlock"),
            ("demo-admin", "login"),
            ("demo-operator", "logout"),
            ("demo-supervisor", "login"),
            ("demo-supervisor", "logout"),
        ];
        let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(actions, expected);
    }

    #[test]
    fn repeated_wrong_pins_wait_before_the_next_try() {
        let (_dir, ws) = demo();
        for _ in 0..MAX_FAILURES {
            assert_eq!(ws.login("demo-admin", "0000", None).expect_err("wrong").code, "login_failed");
        }
        let error = ws.login("demo-admin", "2468", None).expect_err("throttled even with the right PIN");
        assert_eq!(error.code, "login_throttled");
        assert!(ws.login("demo-operator", "2468", None).is_ok(), "other names are not held up");
    }
}
