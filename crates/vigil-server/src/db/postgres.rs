//! The server on PostgreSQL, for a hospital group: several `vigil server` processes (behind a
//! load balancer) on one database, with PostgreSQL's own replication for failover.
//!
//! Nothing is kept in a process that another would need: a push takes the log's lock for its
//! transaction (`pg_advisory_xact_lock`), so positions are handed out in commit order and a pull
//! never sees a position before the ones below it are visible; the commit notifies `vigil_log`,
//! and every process listening wakes its waiting pulls. Payloads are kept as the exact text their
//! origin hashed (`text`, not `jsonb`, which would reformat it).

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, NoTls};
use uuid::Uuid;
use vigil_domain::event::{CheckInRecorded, Event, EventBody, EventKind, Hlc, HlcClock, EVENT_SCHEMA};
use vigil_store::{
    check_in_subject, check_push, judge_check_ins, sha256_hex, unreadable, ChainWalk, CheckInStored, ClientKind,
    EnrollRefusal, EnrolledWorkstation, EventChainReport, EventRow, HeldEvent, PushOutcome, StoreError, SyncEvent,
    TokenHolder, WitnessReport, WitnessedHead,
};
use vigil_sync::{Heads, WireEvent};

use super::{store_heads, Pushed};
use crate::{now_ms, ServerError};

/// The channel a committed push notifies, with the log's new last position.
const CHANNEL: &str = "vigil_log";

/// The advisory lock that makes pushes one at a time across every server process: the log's
/// order is the order pushes commit in. (An arbitrary number, the same in every process.)
pub(super) const LOG_LOCK: i64 = 0x7669_6769_6c00;

/// The advisory lock held while the schema is created or brought up to date.
const SCHEMA_LOCK: i64 = 0x7669_6769_6c01;

const SCHEMA_VERSION: i64 = 3;

/// Version 2 of the server's tables, the same as SQLite's `sync_*` tables and event log.
const SCHEMA: &str = include_str!("postgres_schema.sql");
/// Brings version 1's tables to version 2.
const UPGRADE_2: &str = include_str!("postgres_upgrade_2.sql");
/// Brings version 2's tables to version 3 (retention); run after [`SCHEMA`] on a new database.
const UPGRADE_3: &str = include_str!("postgres_retention.sql");

/// The columns [`event_row`] reads, in its order.
const EVENT_COLUMNS: &str =
    "seq, id, origin, origin_seq, actor, kind, subject, hlc, wall, schema, payload, prev_hash, hash";

/// [`EVENT_COLUMNS`] as `events_pruned` has them: the content left empty.
const PRUNED_COLUMNS: &str = "seq, id, origin, origin_seq, '', kind, subject, 0::bigint, wall, 0, '', prev_hash, hash";

/// An event of the log as the store's chain functions read it.
fn event_row(r: &tokio_postgres::Row) -> EventRow {
    EventRow {
        seq: r.get(0),
        id: r.get::<_, Uuid>(1).to_string(),
        origin: r.get::<_, Uuid>(2).to_string(),
        origin_seq: r.get(3),
        actor: r.get(4),
        kind: r.get(5),
        subject: r.get(6),
        hlc: r.get(7),
        wall: r.get(8),
        schema: u32::try_from(r.get::<_, i32>(9)).unwrap_or(0),
        payload: r.get(10),
        prev_hash: r.get(11),
        hash: r.get(12),
    }
}

#[derive(Clone)]
pub(crate) struct PgDb {
    pub(super) pool: Pool,
    config: tokio_postgres::Config,
    /// The server's own origin, read (or made) once.
    origin: std::sync::Arc<tokio::sync::OnceCell<Uuid>>,
}

impl From<tokio_postgres::Error> for ServerError {
    fn from(e: tokio_postgres::Error) -> ServerError {
        // The server's own message says what is wrong (a missing role, a refused password).
        let text = e.as_db_error().map_or_else(|| e.to_string(), |d| format!("{}: {}", d.code().code(), d.message()));
        ServerError::Database(text)
    }
}

impl From<deadpool_postgres::PoolError> for ServerError {
    fn from(e: deadpool_postgres::PoolError) -> ServerError {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => ServerError::Database(other.to_string()),
        }
    }
}

fn code_hash(code: &str) -> String {
    sha256_hex(vigil_store::write::normalize_code(code).as_bytes())
}

impl PgDb {
    pub async fn open(url: &str) -> Result<PgDb, ServerError> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| ServerError::Invalid(format!("--database: not a PostgreSQL URL ({e})")))?;
        let manager =
            Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| ServerError::Database(format!("cannot set up the connection pool: {e}")))?;
        let db = PgDb { pool, config, origin: Default::default() };
        db.migrate().await?;
        Ok(db)
    }

    /// Creates the tables, or checks that they are a version this build reads. Two processes
    /// starting together take turns.
    async fn migrate(&self) -> Result<(), ServerError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]).await?;
        // DDL only on a database without the tables: creating a trigger locks its table, which
        // would wait on (and deadlock with) the pushes of servers already running on it.
        let present: bool = tx.query_one("SELECT to_regclass('vigil_meta') IS NOT NULL", &[]).await?.get(0);
        if !present {
            tx.batch_execute(SCHEMA).await?;
            tx.batch_execute(UPGRADE_3).await?;
        }
        let version: Option<String> =
            tx.query_opt("SELECT value FROM vigil_meta WHERE key = 'schema_version'", &[]).await?.map(|r| r.get(0));
        match version.as_deref().map(str::parse::<i64>) {
            None => {
                tx.execute(
                    "INSERT INTO vigil_meta (key, value) VALUES ('schema_version', $1)",
                    &[&SCHEMA_VERSION.to_string()],
                )
                .await?;
            }
            Some(Ok(v)) if v == SCHEMA_VERSION => {}
            Some(Ok(old @ 1..=2)) => {
                if old == 1 {
                    tx.batch_execute(UPGRADE_2).await?;
                }
                tx.batch_execute(UPGRADE_3).await?;
                tx.execute("UPDATE vigil_meta SET value = $1 WHERE key = 'schema_version'", &[&SCHEMA_VERSION.to_string()])
                    .await?;
            }
            Some(Ok(v)) if v > SCHEMA_VERSION => {
                return Err(ServerError::Invalid(format!(
                    "the database's tables are of a newer Vigil (schema {v}; this build reads {SCHEMA_VERSION}): upgrade this server"
                )))
            }
            Some(other) => {
                return Err(ServerError::Invalid(format!("the database's schema version is unreadable: {other:?}")))
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn last_seq(&self) -> Result<i64, ServerError> {
        let client = self.pool.get().await?;
        Ok(client.query_one("SELECT coalesce(max(seq), 0) FROM events", &[]).await?.get(0))
    }

    pub async fn token_holder(&self, token_hash: String) -> Result<Option<TokenHolder>, ServerError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(
                "SELECT origin, name, client FROM workstations WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .await?;
        Ok(client.query_opt(&stmt, &[&token_hash]).await?.map(|r| TokenHolder {
            origin: r.get(0),
            name: r.get(1),
            kind: ClientKind::parse(r.get(2)),
        }))
    }

    pub async fn create_enrollment(
        &self,
        name: String,
        code: String,
        ttl_ms: i64,
        kind: ClientKind,
    ) -> Result<(), ServerError> {
        let name = name.trim().to_owned();
        if name.is_empty() {
            return Err(StoreError::Invalid("a workstation needs a name".into()).into());
        }
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let active: Option<Uuid> = tx
            .query_opt("SELECT origin FROM workstations WHERE name = $1 AND revoked_at IS NULL", &[&name])
            .await?
            .map(|r| r.get(0));
        if let Some(origin) = active {
            return Err(StoreError::Invalid(format!(
                "a workstation called {name:?} is enrolled already (id {origin}); revoke it first to enroll its replacement"
            ))
            .into());
        }
        let now = now_ms();
        tx.execute(
            "INSERT INTO enrollments (code_hash, name, created_at, expires_at, client) VALUES ($1, $2, $3, $4, $5)",
            &[&code_hash(&code), &name, &now, &(now + ttl_ms), &kind.as_str()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn redeem(
        &self,
        code: String,
        origin: Uuid,
        token_hash: String,
    ) -> Result<Result<String, EnrollRefusal>, ServerError> {
        let now = now_ms();
        let hash = code_hash(&code);
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // FOR UPDATE: two workstations racing with one code at two server processes — one wins.
        let found = tx
            .query_opt(
                "SELECT name, expires_at, used_at, client FROM enrollments WHERE code_hash = $1 FOR UPDATE",
                &[&hash],
            )
            .await?;
        let Some(row) = found else { return Ok(Err(EnrollRefusal::Unknown)) };
        let (name, expires_at, used_at, kind): (String, i64, Option<i64>, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if used_at.is_some() {
            return Ok(Err(EnrollRefusal::Used));
        }
        if expires_at <= now {
            return Ok(Err(EnrollRefusal::Expired));
        }
        let taken = tx.query_opt("SELECT 1 FROM workstations WHERE origin = $1", &[&origin]).await?.is_some();
        if taken {
            return Ok(Err(EnrollRefusal::AlreadyEnrolled));
        }
        tx.execute("UPDATE enrollments SET used_at = $2, used_by = $3 WHERE code_hash = $1", &[&hash, &now, &origin])
            .await?;
        tx.execute(
            "INSERT INTO workstations (origin, name, token_hash, enrolled_at, client) VALUES ($1, $2, $3, $4, $5)",
            &[&origin, &name, &token_hash, &now, &kind],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(name))
    }

    pub async fn revoke(&self, name: String) -> Result<usize, ServerError> {
        let client = self.pool.get().await?;
        let n = client
            .execute(
                "UPDATE workstations SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                &[&name.trim(), &now_ms()],
            )
            .await?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub async fn workstations(&self) -> Result<Vec<EnrolledWorkstation>, ServerError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT w.origin, w.name, w.enrolled_at, w.revoked_at, w.last_seen, w.clock_offset,
                        (SELECT coalesce(max(origin_seq), 0) FROM events e WHERE e.origin = w.origin), w.client
                 FROM workstations w ORDER BY w.name, w.enrolled_at",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| EnrolledWorkstation {
                origin: r.get::<_, Uuid>(0).to_string(),
                name: r.get(1),
                enrolled_at: r.get(2),
                revoked_at: r.get(3),
                last_seen: r.get(4),
                clock_offset: r.get(5),
                events: r.get(6),
                kind: ClientKind::parse(r.get(7)),
            })
            .collect())
    }

    pub async fn push(
        &self,
        origin: Uuid,
        events: Vec<SyncEvent>,
        heads: Heads,
        clock_offset: i64,
    ) -> Result<Pushed, ServerError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK]).await?;
        let head: Option<(i64, String)> = tx
            .query_opt(
                "SELECT origin_seq, hash FROM events WHERE origin = $1 ORDER BY origin_seq DESC LIMIT 1",
                &[&origin],
            )
            .await?
            .map(|r| (r.get(0), r.get(1)));
        let last = head.as_ref().map_or(0, |(seq, _)| *seq);
        // What the batch repeats of what is held, read at once.
        let mut held = std::collections::HashMap::new();
        if let (Some(first), true) = (events.first().map(|e| e.origin_seq), last > 0) {
            if first <= last {
                let rows = tx
                    .query(
                        "SELECT origin_seq, id, prev_hash, hash FROM events
                         WHERE origin = $1 AND origin_seq BETWEEN $2 AND $3
                         UNION ALL SELECT origin_seq, id, prev_hash, hash FROM events_pruned
                         WHERE origin = $1 AND origin_seq BETWEEN $2 AND $3",
                        &[&origin, &first, &last],
                    )
                    .await?;
                for r in rows {
                    let id: Uuid = r.get(1);
                    held.insert(
                        r.get::<_, i64>(0),
                        HeldEvent { id: id.to_string(), prev_hash: r.get(2), hash: r.get(3) },
                    );
                }
            }
        }
        if let Some(answer) = check_push(origin, &events, head.clone(), |seq| Ok(held.remove(&seq)))? {
            return Ok(Pushed { outcome: answer, head: 0 });
        }
        let now = now_ms();
        let fresh: Vec<&SyncEvent> = events.iter().filter(|e| e.origin_seq > last).collect();
        let duplicates = u32::try_from(events.len() - fresh.len()).unwrap_or(u32::MAX);
        let mut rejected = Vec::new();
        if !fresh.is_empty() {
            let mut prev = head.map_or_else(|| vigil_store::GENESIS.to_owned(), |(_, hash)| hash);
            let mut prevs = Vec::with_capacity(fresh.len());
            for e in &fresh {
                prevs.push(std::mem::replace(&mut prev, e.hash.clone()));
            }
            let column = |f: fn(&SyncEvent) -> String| fresh.iter().map(|e| f(e)).collect::<Vec<String>>();
            let ids: Vec<Uuid> = fresh.iter().map(|e| e.id).collect();
            let origins: Vec<Uuid> = fresh.iter().map(|e| e.origin).collect();
            let origin_seqs: Vec<i64> = fresh.iter().map(|e| e.origin_seq).collect();
            let hlcs: Vec<i64> = fresh.iter().map(|e| e.hlc).collect();
            let walls: Vec<i64> = fresh.iter().map(|e| e.wall).collect();
            let schemas: Vec<i32> = fresh.iter().map(|e| i32::try_from(e.schema).unwrap_or(i32::MAX)).collect();
            // One statement for the batch; WITH ORDINALITY keeps the batch's order in the log's.
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO events (id, origin, origin_seq, actor, kind, subject, hlc, wall, schema, payload, prev_hash, hash, stored_at)
                     SELECT b.id, b.origin, b.origin_seq, b.actor, b.kind, b.subject, b.hlc, b.wall, b.schema, b.payload, b.prev_hash, b.hash, $13
                     FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                                 $8::bigint[], $9::integer[], $10::text[], $11::text[], $12::text[])
                          WITH ORDINALITY AS b (id, origin, origin_seq, actor, kind, subject, hlc, wall, schema, payload, prev_hash, hash, n)
                     ORDER BY b.n",
                )
                .await?;
            let inserted = tx
                .execute(
                    &stmt,
                    &[
                        &ids,
                        &origins,
                        &origin_seqs,
                        &column(|e| e.actor.clone()),
                        &column(|e| e.kind.clone()),
                        &column(|e| e.subject.clone()),
                        &hlcs,
                        &walls,
                        &schemas,
                        &column(|e| e.payload.clone()),
                        &prevs,
                        &column(|e| e.hash.clone()),
                        &now,
                    ],
                )
                .await;
            if let Err(e) = inserted {
                // An event id already held under another place (or origin): nothing is stored.
                if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
                    return Ok(Pushed {
                        outcome: PushOutcome::Diverged {
                            origin_seq: fresh[0].origin_seq,
                            why: "an event of the push is held already at another place of the log".into(),
                        },
                        head: 0,
                    });
                }
                return Err(e.into());
            }
            for e in &fresh {
                if let Some(reason) = unreadable(e) {
                    tx.execute(
                        "INSERT INTO rejected (event_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        &[&e.id, &reason],
                    )
                    .await?;
                    rejected.push((e.id, reason));
                }
            }
        }
        let (events_head, audit_head) = store_heads(&heads);
        for (chain, h) in [("events", events_head), ("audit", audit_head)] {
            if let Some(h) = h {
                tx.execute(
                    "INSERT INTO heads (origin, chain, seq, hash, seen_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    &[&origin, &chain, &h.seq, &h.hash, &now],
                )
                .await?;
            }
        }
        tx.execute(
            "UPDATE workstations SET last_seen = $2, clock_offset = $3 WHERE origin = $1",
            &[&origin, &now, &clock_offset],
        )
        .await?;
        let log_head: i64 = tx.query_one("SELECT coalesce(max(seq), 0) FROM events", &[]).await?.get(0);
        if !fresh.is_empty() {
            // Delivered to every listening process when (and only if) the push commits.
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &log_head.to_string()]).await?;
        }
        tx.commit().await?;
        let next = last + i64::try_from(fresh.len()).unwrap_or(0) + 1;
        let stored = u32::try_from(fresh.len()).unwrap_or(u32::MAX);
        Ok(Pushed { outcome: PushOutcome::Stored { stored, duplicates, rejected, next }, head: log_head })
    }

    pub async fn pull(&self, after: i64, limit: u32) -> Result<(Vec<WireEvent>, i64), ServerError> {
        let client = self.pool.get().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS}, false FROM events WHERE seq > $1
                 UNION ALL SELECT {PRUNED_COLUMNS}, true FROM events_pruned WHERE seq > $1
                 ORDER BY seq LIMIT $2"
            ))
            .await?;
        let rows = client.query(&stmt, &[&after, &i64::from(limit)]).await?;
        let last: i64 = client.query_one("SELECT coalesce(max(seq), 0) FROM events", &[]).await?.get(0);
        let events = rows.iter().map(|r| WireEvent::pulled(&event_row(r), r.get(13))).collect::<Result<Vec<_>, _>>()?;
        Ok((events, last))
    }

    pub async fn heads(&self, origin: Option<Uuid>) -> Result<Vec<WitnessedHead>, ServerError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "SELECT origin, chain, seq, hash, seen_at FROM heads
                 WHERE $1::uuid IS NULL OR origin = $1 ORDER BY origin, chain, seq",
                &[&origin],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| WitnessedHead {
                origin: r.get(0),
                chain: r.get(1),
                seq: r.get(2),
                hash: r.get(3),
                seen_at: r.get(4),
            })
            .collect())
    }

    /// Walks every origin's chain in the log and compares it with every head the server witnessed.
    pub async fn verify(&self) -> Result<(EventChainReport, WitnessReport), ServerError> {
        use futures_util::TryStreamExt;
        let client = self.pool.get().await?;
        let rows = client
            .query_raw(
                &format!(
                    "SELECT {EVENT_COLUMNS}, false FROM events
                     UNION ALL SELECT {PRUNED_COLUMNS}, true FROM events_pruned
                     ORDER BY origin, origin_seq"
                ),
                std::iter::empty::<i64>(),
            )
            .await?;
        futures_util::pin_mut!(rows);
        let mut walk = ChainWalk::default();
        let mut chain = None;
        while let Some(r) = rows.try_next().await? {
            let row = event_row(&r);
            let altered = if r.get::<_, bool>(13) { walk.step_pruned(&row) } else { walk.step(&row) };
            if let Some(altered) = altered {
                chain = Some(altered);
                break;
            }
        }
        let chain = chain.unwrap_or_else(|| walk.report());
        let mut witness = WitnessReport::default();
        let heads = client
            .query(
                "SELECT h.origin, h.chain, h.seq, h.hash, h.seen_at, coalesce(e.hash, p.hash) FROM heads h
                 LEFT JOIN events e ON e.origin = h.origin AND e.origin_seq = h.seq
                 LEFT JOIN events_pruned p ON p.origin = h.origin AND p.origin_seq = h.seq
                 WHERE h.chain = 'events' ORDER BY h.origin, h.seq",
                &[],
            )
            .await?;
        for r in heads {
            let head =
                WitnessedHead { origin: r.get(0), chain: r.get(1), seq: r.get(2), hash: r.get(3), seen_at: r.get(4) };
            witness.judge(&head, r.get::<_, Option<String>>(5).as_deref());
        }
        Ok((chain, witness))
    }

    /// The server's own origin: made once per database, the same for every server process on it.
    async fn own_origin(&self) -> Result<Uuid, ServerError> {
        let origin = self
            .origin
            .get_or_try_init(|| async {
                let client = self.pool.get().await?;
                client
                    .execute(
                        "INSERT INTO vigil_meta (key, value) VALUES ('origin', $1) ON CONFLICT (key) DO NOTHING",
                        &[&Uuid::now_v7().to_string()],
                    )
                    .await?;
                let text: String =
                    client.query_one("SELECT value FROM vigil_meta WHERE key = 'origin'", &[]).await?.get(0);
                Uuid::parse_str(&text)
                    .map_err(|_| ServerError::Database(format!("vigil_meta's origin is not an id: {text:?}")))
            })
            .await?;
        Ok(*origin)
    }

    pub async fn commit_own(&self, actor: String, subject: String, body: EventBody) -> Result<Uuid, ServerError> {
        let ids = self.commit_own_batch(&actor, vec![(subject, body)]).await?;
        ids.into_iter().next().ok_or_else(|| ServerError::Database("no event was made".into()))
    }

    /// Commits `events` as the server's own, in this order, all or none.
    async fn commit_own_batch(&self, actor: &str, events: Vec<(String, EventBody)>) -> Result<Vec<Uuid>, ServerError> {
        let origin = self.own_origin().await?;
        // Numbered behind the origin's last event and stored as one push, which checks that under
        // the log's lock: another server process committing at the same moment makes it a gap,
        // and the batch is numbered again.
        for _ in 0..8 {
            let last: Option<(i64, String, i64)> = self
                .pool
                .get()
                .await?
                .query_opt(
                    "SELECT origin_seq, hash, hlc FROM events WHERE origin = $1 ORDER BY origin_seq DESC LIMIT 1",
                    &[&origin],
                )
                .await?
                .map(|r| (r.get(0), r.get(1), r.get(2)));
            let (mut seq, mut prev, hlc) = last.unwrap_or((0, vigil_store::GENESIS.to_owned(), 0));
            let mut clock = HlcClock::resume(Hlc(hlc));
            let mut batch = Vec::with_capacity(events.len());
            for (subject, body) in &events {
                let wall = now_ms();
                seq += 1;
                let event = Event {
                    id: Uuid::now_v7(),
                    origin,
                    origin_seq: seq,
                    actor: actor.to_owned(),
                    subject: subject.clone(),
                    hlc: clock.tick(wall),
                    wall,
                    schema: EVENT_SCHEMA,
                    body: body.clone(),
                };
                let made = SyncEvent::made(&event, &prev)?;
                prev = made.hash.clone();
                batch.push(made);
            }
            let ids: Vec<Uuid> = batch.iter().map(|e| e.id).collect();
            let pushed = self.push(origin, batch, Heads::default(), 0).await?;
            if let PushOutcome::Stored { stored, .. } = pushed.outcome {
                if stored as usize == ids.len() {
                    return Ok(ids);
                }
            }
        }
        Err(ServerError::Database("the server's own events could not be placed in the log; try again".into()))
    }

    /// Stores check-ins posted to the server as its own events, all or none, by the same rule as
    /// a workstation (`vigil_store::judge_check_ins`): the same id with the same body is `Same`,
    /// with another body the index of the first such one.
    pub async fn record_check_ins(
        &self,
        actor: String,
        items: Vec<CheckInRecorded>,
    ) -> Result<Result<Vec<CheckInStored>, usize>, ServerError> {
        let subjects: Vec<String> = items.iter().map(|c| check_in_subject(c.check_in)).collect();
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT payload FROM events WHERE subject = ANY($1) AND kind = 'check_in_recorded' ORDER BY seq",
                &[&subjects],
            )
            .await?;
        let mut held = std::collections::HashMap::new();
        for row in rows {
            if let Ok(c) = serde_json::from_str::<CheckInRecorded>(row.get(0)) {
                held.entry(c.check_in).or_insert(c.body_hash);
            }
        }
        let outcome = match judge_check_ins(&items, |id| Ok(held.get(&id).cloned()))? {
            Ok(outcome) => outcome,
            Err(i) => return Ok(Err(i)),
        };
        let new: Vec<(String, EventBody)> = items
            .into_iter()
            .zip(&outcome)
            .filter(|(_, o)| **o == CheckInStored::New)
            .map(|(c, _)| (check_in_subject(c.check_in), EventBody::CheckInRecorded(c)))
            .collect();
        if !new.is_empty() {
            self.commit_own_batch(&actor, new).await?;
        }
        Ok(Ok(outcome))
    }

    pub async fn events_of_kind(&self, kind: EventKind) -> Result<Vec<EventRow>, ServerError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE kind = $1 ORDER BY seq"), &[&kind.as_str()])
            .await?;
        Ok(rows.iter().map(event_row).collect())
    }

    /// Listens on `vigil_log` on a connection of its own, reconnecting when it drops; after each
    /// (re)connection it reads the log's end, so a notification missed meanwhile costs nothing.
    pub fn follow(&self, head: watch::Sender<i64>, mut stop: watch::Receiver<bool>) {
        let config = self.config.clone();
        tokio::spawn(async move {
            let mut wait = Duration::from_millis(250);
            loop {
                tokio::select! {
                    lost = listen(&config, &head) => {
                        tracing::warn!(reason = %lost, retry_in = ?wait, "listening for other processes' pushes stopped");
                    }
                    _ = stop.wait_for(|s| *s) => return,
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        });
    }

    pub fn close(&self) {
        self.pool.close();
    }
}

/// One listening connection, until it fails; returns why.
async fn listen(config: &tokio_postgres::Config, head: &watch::Sender<i64>) -> String {
    let (client, mut connection) = match config.connect(NoTls).await {
        Ok(c) => c,
        Err(e) => return ServerError::from(e).to_string(),
    };
    let (news, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if news.send(n.payload().parse::<i64>().ok()).is_err() {
                        return "stopped".to_owned();
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return ServerError::from(e).to_string(),
                None => return "the connection closed".to_owned(),
            }
        }
    });
    let advance = |to: i64| {
        head.send_if_modified(|h| {
            let moved = to > *h;
            *h = (*h).max(to);
            moved
        })
    };
    let ready = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        client.query_one("SELECT coalesce(max(seq), 0) FROM events", &[]).await.map(|r| r.get::<_, i64>(0))
    };
    match ready.await {
        Ok(end) => {
            advance(end);
        }
        Err(e) => {
            driver.abort();
            return ServerError::from(e).to_string();
        }
    }
    while let Some(told) = heard.recv().await {
        if let Some(to) = told {
            advance(to);
        }
    }
    driver.await.unwrap_or_else(|e| e.to_string())
}
