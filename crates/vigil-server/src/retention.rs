//! Retention as the server runs it: `vigil server prune` once, or `serve --retain-days` every
//! hour (what goes, and how, is `db/retention.rs`).

use std::path::Path;
use std::time::Duration;

use tokio::sync::watch;

use crate::db::{self, Db};
use crate::{now_ms, AppState, Location, PruneCounts, Retention, ServerError};

/// Removes from the log the finished history older than `retention` (see
/// [`vigil_domain::retention`]), or with `dry_run` only counts it; on PostgreSQL the incidents are
/// read from the fold kept in `dir`, brought up to date first.
pub async fn prune(
    at: &Location,
    dir: &Path,
    retention: Retention,
    dry_run: bool,
    actor: &str,
) -> Result<PruneCounts, ServerError> {
    let db = Db::open(at).await?;
    let fold = match at {
        Location::Postgres(_) => match db::fold::Fold::open(dir) {
            Ok(fold) => Some(fold),
            Err(e) => {
                db.close().await;
                return Err(e);
            }
        },
        Location::Sqlite(_) => None,
    };
    let counts = db.prune(fold.as_ref(), retention.cutoff(now_ms()), dry_run, actor.to_owned()).await;
    if let Some(fold) = fold {
        let _ = tokio::task::spawn_blocking(move || fold.close()).await;
    }
    db.close().await;
    counts
}

/// Runs retention now and then (first a minute after the start, then every hour) until the
/// server stops; a failed run is logged and tried again at the next.
pub(crate) fn keep(shared: AppState, retention: Retention, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut wait = Duration::from_secs(60);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            wait = RETENTION_EVERY;
            let cutoff = retention.cutoff(now_ms());
            match shared.db.prune(shared.fold.as_deref(), cutoff, false, "server:retention".into()).await {
                Ok(c) if c.events > 0 => tracing::info!(
                    days = retention.days,
                    incidents = c.incidents,
                    versions = c.versions,
                    events = c.events,
                    "retention removed finished history"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention did not run; trying again in an hour"),
            }
        }
    });
}

/// How often a serving process runs retention.
const RETENTION_EVERY: Duration = Duration::from_secs(60 * 60);
