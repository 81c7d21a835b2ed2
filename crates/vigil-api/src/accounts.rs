//! Console accounts, kept by administrators: each change is an `account_set` event with its audit
//! entry, so it reaches the server and every other workstation like any event, and an operator
//! logs in anywhere — also at a workstation cut off from the server, which has the account
//! already. The rules are [`vigil_domain::account::change`]'s; this is who may ask and what the
//! window is shown.

use std::collections::BTreeMap;

use vigil_domain::account::{check_pin, hash_pin, AccountEdit, AccountRefusal, AccountSet};
use vigil_domain::event::EventBody;
use vigil_domain::incident::Role;

use crate::session::Need;
use crate::{ApiError, ErrorCode, SessionToken, Workstation};

/// An account as the settings screen lists it; never its PIN or hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct AccountView {
    pub name: String,
    pub full_name: String,
    pub role: Role,
    pub disabled: bool,
    /// Set through the event log, so the same at every workstation; false for one made only here
    /// before (the demo's), until an administrator changes it.
    pub shared: bool,
}

impl AccountView {
    fn of(a: AccountSet, shared: bool) -> AccountView {
        AccountView { name: a.name, full_name: a.full_name, role: a.role, disabled: a.disabled, shared }
    }
}

/// What an administrator asks of an account: a new one needs `full_name`, `role` and `pin`;
/// for an existing one, a missing field stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
pub struct AccountForm {
    pub name: String,
    #[ts(optional)]
    pub full_name: Option<String>,
    #[ts(optional)]
    pub role: Option<Role>,
    /// A new PIN (4 to 12 digits), hashed before it goes anywhere.
    #[ts(optional)]
    pub pin: Option<String>,
    #[ts(optional)]
    pub disabled: Option<bool>,
}

impl AccountForm {
    /// The domain's edit, with the PIN checked and hashed.
    pub fn edit(&self) -> Result<AccountEdit, AccountRefusal> {
        let pin_hash = match &self.pin {
            Some(pin) => {
                check_pin(pin)?;
                Some(hash_pin(pin, rand::random()))
            }
            None => None,
        };
        Ok(AccountEdit { full_name: self.full_name.clone(), role: self.role, pin_hash, disabled: self.disabled })
    }
}

/// A refusal as the API answers it, naming the form's field.
pub fn refusal_error(refusal: &AccountRefusal) -> ApiError {
    let code = match refusal {
        AccountRefusal::Unknown(_) => ErrorCode::NotFound,
        AccountRefusal::OwnAccount | AccountRefusal::LastAdministrator(_) => ErrorCode::Forbidden,
        _ => ErrorCode::Invalid,
    };
    ApiError {
        code,
        message: refusal.to_string(),
        field: refusal.field().map(str::to_owned),
        refusal: Some(crate::Refusal::Account { problem: refusal.problem() }),
    }
}

/// What the audit log keeps of a change: what changed, never the hash.
pub fn audit_details(before: Option<&AccountSet>, after: &AccountSet) -> serde_json::Value {
    serde_json::json!({
        "new": before.is_none(),
        "full_name": after.full_name,
        "role": after.role,
        "disabled": after.disabled,
        "pin_changed": before.is_none_or(|b| b.pin_hash != after.pin_hash),
    })
}

impl Workstation {
    /// Every account of this workstation, for administrators.
    pub fn accounts(&self, who: SessionToken) -> Result<Vec<AccountView>, ApiError> {
        self.actor(who, Need::Administrator)?;
        Ok(self.with_store(|s| s.accounts())?.into_iter().map(|a| AccountView::of(a.as_set(), a.from_log)).collect())
    }

    /// Adds or changes an account, as an administrator; the change travels to every workstation
    /// through the server. Refused (nothing stored) when the domain's rules say no.
    pub fn set_account(&self, who: SessionToken, form: &AccountForm) -> Result<AccountView, ApiError> {
        let actor = self.actor(who, Need::Administrator)?;
        let known: BTreeMap<String, AccountSet> =
            self.with_store(|s| s.accounts())?.into_iter().map(|a| (a.name.clone(), a.as_set())).collect();
        let edit = form.edit().map_err(|r| refusal_error(&r))?;
        let account = vigil_domain::account::change(&known, Some(&actor.name), &form.name, edit)
            .map_err(|r| refusal_error(&r))?;
        let details = audit_details(known.get(&account.name), &account);
        let audit = self.audit_as(&actor.name, "account.set", &account.name, details);
        let now = vigil_store::Store::now_ms();
        self.commit_as(&actor.name, &account.name.clone(), EventBody::AccountSet(account.clone()), audit, now)?;
        Ok(AccountView::of(account, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workstation::tests::demo;

    #[test]
    fn an_administrator_adds_an_account_that_logs_in_and_can_be_disabled() {
        let (_dir, ws) = demo();
        let (admin, _) = ws.login("demo-admin", vigil_demo::DEMO_PIN, None).expect("allowed");
        let form = AccountForm {
            name: "wang.wei".into(),
            full_name: Some("王伟".into()),
            role: Some(Role::Operator),
            pin: Some("8642".into()),
            disabled: None,
        };
        let made = ws.set_account(admin, &form).expect("allowed");
        assert!(made.shared && !made.disabled);
        let (wang, view) = ws.login("wang.wei", "8642", None).expect("allowed");
        assert_eq!((view.full_name.as_str(), view.role), ("王伟", Role::Operator));

        // An operator may not manage accounts; nothing is stored when refused.
        assert_eq!(ws.set_account(wang, &form).expect_err("refused").code, ErrorCode::Forbidden);
        assert_eq!(ws.accounts(wang).expect_err("refused").code, ErrorCode::Forbidden);

        // Promoted: the session that is open follows at its next action.
        ws.set_account(
            admin,
            &AccountForm { name: "wang.wei".into(), role: Some(Role::Supervisor), ..Default::default() },
        )
        .expect("allowed");
        assert_eq!(ws.actor(wang, Need::Supervisor).expect("allowed").role, Role::Supervisor);

        // Disabled: the open session ends, and the login says why.
        ws.set_account(admin, &AccountForm { name: "wang.wei".into(), disabled: Some(true), ..Default::default() })
            .expect("allowed");
        assert_eq!(ws.actor(wang, Need::Operator).expect_err("refused").code, ErrorCode::LoginRequired);
        let refused = ws.login("wang.wei", "8642", None).expect_err("refused");
        assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::LoginFailed, Some("name")));

        // A new PIN replaces the old one.
        ws.set_account(
            admin,
            &AccountForm {
                name: "wang.wei".into(),
                disabled: Some(false),
                pin: Some("13579".into()),
                ..Default::default()
            },
        )
        .expect("allowed");
        assert_eq!(ws.login("wang.wei", "8642", None).expect_err("refused").code, ErrorCode::LoginFailed);
        ws.login("wang.wei", "13579", None).expect("allowed");

        let listed = ws.accounts(admin).expect("allowed");
        let wang = listed.iter().find(|a| a.name == "wang.wei").expect("allowed");
        assert_eq!((wang.role, wang.disabled, wang.shared), (Role::Supervisor, false, true));
        assert!(listed.iter().any(|a| a.name == "demo-operator" && !a.shared));
        // Every change is in the log, and its projection is what the log folds to.
        let rebuild = ws.store().rebuild(false).expect("allowed");
        assert!(rebuild.differences.is_empty(), "{:?}", rebuild.differences);
    }

    #[test]
    fn bad_forms_are_refused_naming_the_field_and_store_nothing() {
        let (_dir, ws) = demo();
        let (admin, _) = ws.login("demo-admin", vigil_demo::DEMO_PIN, None).expect("allowed");
        let events = || ws.with_store(|s| s.last_event_seq()).expect("allowed");
        let before = events();
        let cases = [
            (
                AccountForm {
                    name: "new".into(),
                    full_name: Some("N".into()),
                    role: Some(Role::Operator),
                    pin: Some("12".into()),
                    disabled: None,
                },
                "pin",
            ),
            (
                AccountForm {
                    name: "new".into(),
                    full_name: Some("N".into()),
                    pin: Some("1234".into()),
                    ..Default::default()
                },
                "role",
            ),
            (
                AccountForm {
                    name: "a b".into(),
                    full_name: Some("N".into()),
                    role: Some(Role::Operator),
                    pin: Some("1234".into()),
                    disabled: None,
                },
                "name",
            ),
            (AccountForm { name: "demo-admin".into(), disabled: Some(true), ..Default::default() }, "role"),
            (AccountForm { name: "demo-admin".into(), role: Some(Role::Operator), ..Default::default() }, "role"),
        ];
        for (form, field) in cases {
            let e = ws.set_account(admin, &form).expect_err("refused");
            assert_eq!(e.field.as_deref(), Some(field), "{form:?}: {e:?}");
        }
        let e = ws.set_account(
            admin,
            &AccountForm { name: "demo-operator".into(), role: Some(Role::Operator), ..Default::default() },
        );
        assert_eq!(e.expect_err("refused").code, ErrorCode::Invalid, "nothing to change");
        assert_eq!(events(), before, "no refused change wrote an event");
    }
}
