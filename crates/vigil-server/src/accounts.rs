//! The hospital's console accounts, kept on the server by an administrator (`vigil server
//! accounts`): each change is an `account_set` event of the server's own origin, so every
//! workstation pulls it like any other event and an operator logs in at any of them — also while
//! it is cut off, since it has the account already. A change made in a workstation's settings
//! screen arrives here as a push; the log's order decides between two.

use std::collections::BTreeMap;

use vigil_domain::account::{AccountEdit, AccountSet};
use vigil_domain::event::{EventBody, EventKind};

use crate::db::Db;
use crate::{Location, ServerError};

/// Every account the log sets, as the workstations fold it.
pub async fn accounts(at: &Location) -> Result<Vec<AccountSet>, ServerError> {
    let db = Db::open(at).await?;
    let known = known(&db).await;
    db.close().await;
    Ok(known?.into_values().collect())
}

/// Adds or changes the account `name` as the server's administrator `by` (the person at the
/// server's console, named in the event); refused, with nothing stored, by the domain's rules.
pub async fn set_account(at: &Location, by: &str, name: &str, edit: AccountEdit) -> Result<AccountSet, ServerError> {
    let db = Db::open(at).await?;
    let done = async {
        let known = known(&db).await?;
        let account = vigil_domain::account::change(&known, None, name, edit)
            .map_err(|refusal| ServerError::Invalid(refusal.to_string()))?;
        db.commit_own(by.to_owned(), account.name.clone(), EventBody::AccountSet(account.clone())).await?;
        Ok(account)
    }
    .await;
    db.close().await;
    done
}

async fn known(db: &Db) -> Result<BTreeMap<String, AccountSet>, ServerError> {
    let mut state = vigil_domain::fold::Projection::new();
    for row in db.events_of_kind(EventKind::AccountSet).await? {
        // What this build cannot read is skipped here as the fold everywhere skips it.
        if let Ok(event) = row.decode() {
            vigil_domain::fold::apply(&mut state, &event);
        }
    }
    Ok(state.accounts)
}
