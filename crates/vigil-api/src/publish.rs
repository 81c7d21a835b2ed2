//! Publishing the campus from a workstation: an administrator hands this workstation's campus —
//! the site, every floor with its plan and devices, the guards, the accounts not shared yet — to
//! every other workstation through the server, from the window's settings screen or with `vigil
//! publish`. The events and their fold are `vigil_store::write::publish`'s.

use crate::session::Need;
use crate::{ApiError, ErrorCode, SessionToken, Workstation};

/// What one publication sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct PublishReport {
    pub sites: u32,
    pub floors: u32,
    pub guards: u32,
    pub accounts: u32,
    /// Events committed (and queued for the server).
    pub events: u32,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Workstation {
    /// Publishes the campus as the administrator in session `who`.
    pub fn publish_campus(&self, who: SessionToken) -> Result<PublishReport, ApiError> {
        let actor = self.actor(who, Need::Administrator)?;
        self.publish_campus_as(&actor.name)
    }

    /// Publishes the campus, recorded as `actor`'s (the command line names the system user).
    pub fn publish_campus_as(&self, actor: &str) -> Result<PublishReport, ApiError> {
        let publication = self.with_store(|s| s.publication())?;
        if publication.sites.is_empty() {
            return Err(ApiError::new(ErrorCode::NotFound, "this workstation holds no campus to publish"));
        }
        let mut report = PublishReport {
            sites: count(publication.sites.len()),
            floors: count(publication.floors.len()),
            guards: count(publication.guards.guards.len()),
            accounts: count(publication.accounts.len()),
            events: 0,
        };
        let audit = self.audit_as(
            actor,
            "reference.published",
            "campus",
            serde_json::json!({ "sites": report.sites, "floors": report.floors, "guards": report.guards, "accounts": report.accounts }),
        );
        let (actor, now) = (actor.to_owned(), vigil_store::Store::now_ms());
        report.events = self.write(move |tx| {
            let events = vigil_store::write::publish(tx, &actor, &publication, now)?;
            vigil_store::write::append_audit(tx, &audit)?;
            Ok(events)
        })?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workstation::tests::demo;

    #[test]
    fn an_administrator_publishes_the_campus_and_nobody_else_may() {
        let (_dir, ws) = demo();
        let (operator, _) = ws.login("demo-operator", vigil_demo::DEMO_PIN, None).expect("login");
        assert_eq!(ws.publish_campus(operator).expect_err("refused").code, ErrorCode::Forbidden);
        let (admin, _) = ws.login("demo-admin", vigil_demo::DEMO_PIN, None).expect("login");
        let report = ws.publish_campus(admin).expect("published");
        assert_eq!((report.sites, report.accounts), (1, 3));
        assert_eq!(report.events, report.sites + report.floors + 1 + report.accounts);
        assert!(
            ws.with_store(|s| s.accounts()).expect("accounts").iter().all(|a| a.from_log),
            "the demo's accounts are shared now"
        );
        let again = ws.publish_campus(admin).expect("published again");
        assert_eq!(again.accounts, 0, "shared accounts are not published twice");
        let rebuild = ws.store().rebuild(false).expect("rebuild");
        assert!(rebuild.differences.is_empty(), "{:?}", rebuild.differences);
    }
}
