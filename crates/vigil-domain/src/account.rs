//! Console accounts as the event log defines them.
//!
//! An account is known by its login name, the same at every workstation of the hospital. Every
//! change an administrator makes — adding it, its full name, its role, a new PIN, disabling or
//! enabling it — is one [`AccountSet`] carrying the whole account as it is after the change, so the
//! last one in the log's order is the account everywhere: two administrators changing the same
//! account while cut off end with the one the server ordered last, on every workstation. The PIN
//! travels only as its argon2id hash, which is what lets an operator log in at any workstation,
//! also while it is offline.
//!
//! [`change`] decides what an edit makes of an account, or why it is refused; it is the one rule
//! for the window, `vigil server accounts` and any later client.

use std::collections::BTreeMap;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::incident::Role;

/// An account as one event sets it: the whole account after an administrator's change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountSet {
    /// The login name (the event's subject).
    pub name: String,
    pub full_name: String,
    pub role: Role,
    /// argon2id PHC string; the PIN itself is never written anywhere.
    pub pin_hash: String,
    /// A disabled account cannot log in and its sessions end; it is kept, so its name stays taken
    /// and its history readable.
    pub disabled: bool,
}

/// What an administrator changes. `None` keeps what the account has; a new account needs its
/// full name, role and PIN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountEdit {
    pub full_name: Option<String>,
    pub role: Option<Role>,
    /// The new PIN's hash ([`hash_pin`]), checked with [`check_pin`] before hashing.
    pub pin_hash: Option<String>,
    pub disabled: Option<bool>,
}

/// Why an account change is refused, naming the field where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountRefusal {
    #[error("name: {0}")]
    Name(String),
    #[error("full_name: {0}")]
    FullName(String),
    #[error("pin: {0}")]
    Pin(String),
    #[error("{0}: a new account needs it")]
    Missing(&'static str),
    #[error("there is no account {0:?}")]
    Unknown(String),
    #[error("nothing to change: the account is like that already")]
    Unchanged,
    #[error("you cannot disable your own account or take away your own administrator role; another administrator can")]
    OwnAccount,
    #[error("{0:?} is the last administrator that can log in: make another one first")]
    LastAdministrator(String),
}

/// What kind of refusal, for a window that words it in its own language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AccountProblem {
    Name,
    FullName,
    Pin,
    Missing,
    Unknown,
    Unchanged,
    OwnAccount,
    LastAdministrator,
}

impl AccountRefusal {
    pub fn problem(&self) -> AccountProblem {
        match self {
            AccountRefusal::Name(_) => AccountProblem::Name,
            AccountRefusal::FullName(_) => AccountProblem::FullName,
            AccountRefusal::Pin(_) => AccountProblem::Pin,
            AccountRefusal::Missing(_) => AccountProblem::Missing,
            AccountRefusal::Unknown(_) => AccountProblem::Unknown,
            AccountRefusal::Unchanged => AccountProblem::Unchanged,
            AccountRefusal::OwnAccount => AccountProblem::OwnAccount,
            AccountRefusal::LastAdministrator(_) => AccountProblem::LastAdministrator,
        }
    }

    /// The field of the form the refusal is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AccountRefusal::Name(_) | AccountRefusal::Unknown(_) => Some("name"),
            AccountRefusal::FullName(_) => Some("full_name"),
            AccountRefusal::Pin(_) => Some("pin"),
            AccountRefusal::Missing(field) => Some(field),
            AccountRefusal::OwnAccount | AccountRefusal::LastAdministrator(_) => Some("role"),
            AccountRefusal::Unchanged => None,
        }
    }
}

const NAME_MAX: usize = 64;

/// A login name as it is kept: trimmed, 1 to 64 characters, no spaces or control characters
/// (it is typed at a login screen, often by someone in a hurry).
pub fn check_name(name: &str) -> Result<String, AccountRefusal> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountRefusal::Name("type a login name".into()));
    }
    if name.chars().count() > NAME_MAX {
        return Err(AccountRefusal::Name(format!("at most {NAME_MAX} characters")));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AccountRefusal::Name("no spaces or control characters".into()));
    }
    Ok(name.to_owned())
}

fn check_full_name(full_name: &str) -> Result<String, AccountRefusal> {
    let full_name = full_name.trim();
    if full_name.is_empty() {
        return Err(AccountRefusal::FullName("type the person's name".into()));
    }
    if full_name.chars().count() > NAME_MAX {
        return Err(AccountRefusal::FullName(format!("at most {NAME_MAX} characters")));
    }
    if full_name.chars().any(char::is_control) {
        return Err(AccountRefusal::FullName("no control characters".into()));
    }
    Ok(full_name.to_owned())
}

/// A PIN is 4 to 12 digits (what the login screen's keypad takes).
pub fn check_pin(pin: &str) -> Result<(), AccountRefusal> {
    if (4..=12).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AccountRefusal::Pin("a PIN is 4 to 12 digits".into()))
    }
}

/// The argon2id hash (PHC string) of `pin` with `salt`; the caller brings the random salt, so
/// this stays a pure function.
pub fn hash_pin(pin: &str, salt: [u8; 16]) -> String {
    // A 16-byte salt always encodes, and argon2's defaults always hash a short PIN.
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    argon2::Argon2::default().hash_password(pin.as_bytes(), &salt).expect("argon2 hashes a PIN").to_string()
}

/// Whether `pin` is the one `hash` was made from.
pub fn pin_matches(hash: &str, pin: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| argon2::Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok())
}

/// The account `edit` makes of `name` among `accounts` (every account known, by name), asked by
/// the account `by` (None: the server's own administration, which has no account). Refused when
/// a field is unreadable, a new account lacks a field, nothing would change, someone would lock
/// themselves out, or no enabled administrator would be left.
pub fn change(
    accounts: &BTreeMap<String, AccountSet>,
    by: Option<&str>,
    name: &str,
    edit: AccountEdit,
) -> Result<AccountSet, AccountRefusal> {
    let name = check_name(name)?;
    let full_name = edit.full_name.as_deref().map(check_full_name).transpose()?;
    let next = match accounts.get(&name) {
        Some(current) => AccountSet {
            name: name.clone(),
            full_name: full_name.unwrap_or_else(|| current.full_name.clone()),
            role: edit.role.unwrap_or(current.role),
            pin_hash: edit.pin_hash.unwrap_or_else(|| current.pin_hash.clone()),
            disabled: edit.disabled.unwrap_or(current.disabled),
        },
        None if full_name.is_none() && edit.role.is_none() && edit.pin_hash.is_none() => {
            return Err(AccountRefusal::Unknown(name));
        }
        None => AccountSet {
            name: name.clone(),
            full_name: full_name.ok_or(AccountRefusal::Missing("full_name"))?,
            role: edit.role.ok_or(AccountRefusal::Missing("role"))?,
            pin_hash: edit.pin_hash.ok_or(AccountRefusal::Missing("pin"))?,
            disabled: edit.disabled.unwrap_or(false),
        },
    };
    if accounts.get(&name) == Some(&next) {
        return Err(AccountRefusal::Unchanged);
    }
    let can_administer = |a: &AccountSet| a.role == Role::Administrator && !a.disabled;
    if by == Some(name.as_str()) && !can_administer(&next) {
        return Err(AccountRefusal::OwnAccount);
    }
    let was_admin = accounts.get(&name).is_some_and(can_administer);
    let others = accounts.values().filter(|a| a.name != name && can_administer(a)).count();
    if was_admin && !can_administer(&next) && others == 0 {
        return Err(AccountRefusal::LastAdministrator(name));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, role: Role) -> AccountSet {
        AccountSet {
            name: name.into(),
            full_name: format!("{name} full"),
            role,
            pin_hash: hash_pin("1234", [7; 16]),
            disabled: false,
        }
    }

    fn known(list: &[AccountSet]) -> BTreeMap<String, AccountSet> {
        list.iter().map(|a| (a.name.clone(), a.clone())).collect()
    }

    #[test]
    fn a_pin_hash_matches_its_pin_only() {
        let hash = hash_pin("2468", [1; 16]);
        assert!(hash.starts_with("$argon2id$"));
        assert!(pin_matches(&hash, "2468"));
        assert!(!pin_matches(&hash, "2469"));
        assert!(!pin_matches("not a hash", "2468"));
        assert_ne!(hash, hash_pin("2468", [2; 16]), "the salt makes two hashes of one PIN differ");
    }

    #[test]
    fn a_new_account_needs_every_field_and_readable_ones() {
        let none = BTreeMap::new();
        let edit = AccountEdit {
            full_name: Some(" 王伟 ".into()),
            role: Some(Role::Operator),
            pin_hash: Some(hash_pin("2468", [3; 16])),
            disabled: None,
        };
        let made = change(&none, Some("admin"), " wang.wei ", edit.clone()).expect("allowed");
        assert_eq!((made.name.as_str(), made.full_name.as_str(), made.disabled), ("wang.wei", "王伟", false));
        assert_eq!(
            change(&none, None, "x", AccountEdit { role: None, ..edit.clone() }),
            Err(AccountRefusal::Missing("role"))
        );
        assert_eq!(
            change(&none, None, "x", AccountEdit { pin_hash: None, ..edit.clone() }).expect_err("refused").field(),
            Some("pin")
        );
        assert!(matches!(change(&none, None, "two words", edit.clone()), Err(AccountRefusal::Name(_))));
        let disable = AccountEdit { disabled: Some(true), ..AccountEdit::default() };
        assert_eq!(change(&none, None, "nobody", disable), Err(AccountRefusal::Unknown("nobody".into())));
        assert!(matches!(change(&none, None, "", edit.clone()), Err(AccountRefusal::Name(_))));
        assert!(matches!(
            change(&none, None, "x", AccountEdit { full_name: Some("\u{7}".into()), ..edit }),
            Err(AccountRefusal::FullName(_))
        ));
        assert!(check_pin("123").is_err() && check_pin("12a4").is_err() && check_pin("0000").is_ok());
    }

    #[test]
    fn an_edit_keeps_what_it_does_not_name() {
        let before = account("li", Role::Operator);
        let all = known(&[before.clone(), account("chen", Role::Administrator)]);
        let after =
            change(&all, Some("chen"), "li", AccountEdit { role: Some(Role::Supervisor), ..Default::default() })
                .expect("allowed");
        assert_eq!(after, AccountSet { role: Role::Supervisor, ..before.clone() });
        assert_eq!(
            change(&all, Some("chen"), "li", AccountEdit { role: Some(Role::Operator), ..Default::default() }),
            Err(AccountRefusal::Unchanged)
        );
    }

    #[test]
    fn nobody_locks_themselves_or_the_hospital_out() {
        let all = known(&[account("chen", Role::Administrator), account("li", Role::Operator)]);
        let disable = AccountEdit { disabled: Some(true), ..Default::default() };
        assert_eq!(change(&all, Some("chen"), "chen", disable.clone()), Err(AccountRefusal::OwnAccount));
        assert_eq!(
            change(&all, None, "chen", disable.clone()),
            Err(AccountRefusal::LastAdministrator("chen".into())),
            "the server's administration may not leave the hospital without an administrator either"
        );
        let demote = AccountEdit { role: Some(Role::Supervisor), ..Default::default() };
        assert_eq!(change(&all, Some("chen"), "chen", demote), Err(AccountRefusal::OwnAccount));
        let two = known(&[account("chen", Role::Administrator), account("zhao", Role::Administrator)]);
        assert!(change(&two, Some("zhao"), "chen", disable.clone()).expect("allowed").disabled);
        assert!(change(&all, Some("chen"), "li", disable).expect("allowed").disabled, "an operator may be disabled");
    }
}
