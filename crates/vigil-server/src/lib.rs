//! `vigil server`: the hospital's central security server.
//!
//! It keeps one log holding every workstation's events in the server's order — in a Vigil
//! SQLite database in its data directory (the same `vigil-store` file a workstation has, folded
//! with the console's own function), or in PostgreSQL, where several server processes share it. A
//! push is stored once per event id, chained behind its origin's previous event, all or nothing,
//! and [`vigil_store::check_push`] decides what it may store on either database. Workstations are
//! enrolled with one-time codes and push and pull with their own token (stored hashed). It keeps
//! no state outside the database: what a process holds in memory is only who to wake.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use serde::Deserialize;
use tokio::sync::watch;
use uuid::Uuid;
pub use vigil_domain::retention::Retention;
pub use vigil_store::ClientKind;
pub use vigil_store::PruneCounts;
use vigil_store::{EnrollRefusal, PushOutcome, Store, StoreError, TokenHolder};
use vigil_sync::{
    EnrollRequest, EnrollResponse, ErrorBody, ErrorDetail, PullResponse, PushRequest, PushResponse, Rejected,
    MAX_PULL_EVENTS, MAX_PUSH_EVENTS, MAX_WAIT_SECONDS, PROTOCOL,
};

/// The largest request body taken (bytes): a full push of large events fits with room to spare.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How long an enrollment code lasts unless told otherwise.
pub const DEFAULT_CODE_MINUTES: u32 = 60;

mod accounts;
mod checkins;
mod db;
mod limits;
mod retention;
mod tls;

pub use accounts::{accounts, set_account};
use db::Db;
pub use db::{Location, FOLD_FILE};
pub use limits::{ENROLL_PER_MINUTE, SYNC_BURST, SYNC_PER_SECOND};
pub use retention::prune;
pub use tls::{certificate_fingerprint, Tls};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the database: {0}")]
    Database(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("{0}")]
    Invalid(String),
}

fn sha256_hex(text: &str) -> String {
    vigil_store::sha256_hex(text.as_bytes())
}

/// The store's clock (ms since 1970), which every timestamp of the log is read from.
pub(crate) fn now_ms() -> i64 {
    Store::now_ms()
}

// ---- Administration (the command line) -------------------------------------------------------

/// Letters and digits nobody misreads from a screen or paper (no 0/O, 1/I/L, U/V).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTWXYZ23456789";

/// Makes a one-time enrollment code for the workstation `name`, valid `minutes`, and returns it
/// as it is shown (`XXXXX-XXXXX-XXXXX`, 70 bits). Only its hash is stored.
pub async fn enroll(at: &Location, name: &str, minutes: u32) -> Result<String, ServerError> {
    enroll_client(at, name, minutes, ClientKind::Workstation).await
}

/// [`enroll`] for a client of `kind`: a guard's handheld is enrolled the same way, and its token
/// then posts check-ins and nothing else.
pub async fn enroll_client(at: &Location, name: &str, minutes: u32, kind: ClientKind) -> Result<String, ServerError> {
    if minutes == 0 || minutes > 7 * 24 * 60 {
        return Err(ServerError::Invalid("--minutes must be 1 to 10080 (a week)".into()));
    }
    let raw: String = {
        let mut rng = rand::thread_rng();
        (0..15).map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())])).collect()
    };
    let shown = format!("{}-{}-{}", &raw[0..5], &raw[5..10], &raw[10..15]);
    let db = Db::open(at).await?;
    let made = db.create_enrollment(name.to_owned(), raw, i64::from(minutes) * 60_000, kind).await;
    db.close().await;
    made.map(|()| shown)
}

/// Revokes the workstation called `name`: its token is refused from now on.
pub async fn revoke(at: &Location, name: &str) -> Result<usize, ServerError> {
    let db = Db::open(at).await?;
    let n = db.revoke(name.to_owned()).await;
    db.close().await;
    match n? {
        0 => Err(ServerError::Invalid(format!("no enrolled workstation is called {name:?}"))),
        n => Ok(n),
    }
}

/// A consistent copy of a SQLite server database in the new file `out`, taken while it runs;
/// returns how many events the copy holds. (PostgreSQL is backed up with its own `pg_dump`.)
pub fn backup(dir: &Path, out: &Path) -> Result<u64, ServerError> {
    let db = dir.join(vigil_store::DATABASE_FILE);
    if !db.exists() {
        return Err(ServerError::Invalid(format!("{} holds no server database", dir.display())));
    }
    Ok(Store::open(&db)?.backup_to(out)?)
}

/// Every workstation the server enrolled.
pub async fn workstations(at: &Location) -> Result<Vec<vigil_store::EnrolledWorkstation>, ServerError> {
    let db = Db::open(at).await?;
    let list = db.workstations().await;
    db.close().await;
    list
}

/// Checks the server's copy of every workstation's log: each origin's chain walked (every event
/// there, linked and matching its hash), and every head the server witnessed found in it.
pub async fn verify(at: &Location) -> Result<(vigil_store::EventChainReport, vigil_store::WitnessReport), ServerError> {
    let db = Db::open(at).await?;
    let report = db.verify().await;
    db.close().await;
    report
}

// ---- The HTTP service ------------------------------------------------------------------------

struct Shared {
    db: Db,
    limits: limits::Limits,
    /// The server log's last position, for pulls waiting on news.
    head: watch::Sender<i64>,
    /// Turns true when the server stops: waiting pulls answer at once.
    stopping: watch::Receiver<bool>,
    /// PostgreSQL: the log folded into a SQLite file of this process's data directory.
    fold: Option<Arc<db::fold::Fold>>,
}

type AppState = Arc<Shared>;

impl From<ServerError> for Failure {
    fn from(e: ServerError) -> Failure {
        match e {
            ServerError::Store(StoreError::Invalid(why)) => Failure::malformed(why),
            other => Failure::storage(other.to_string()),
        }
    }
}

/// The code a response refused with, for the request log.
#[derive(Clone)]
struct Refusal(String);

/// One log line per request, once answered, in the request's span: method, path, the client's
/// address and (once its token was looked up) the workstation; then status, the refusal's code and
/// how long it took (a long-polled pull waits for news). Never a token or a body.
async fn log_request(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use tracing::Instrument;
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
        peer = %peer.ip(),
        workstation = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let _in = span.enter();
    let status = response.status().as_u16();
    let ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    let code = response.extensions().get::<Refusal>().map(|r| r.0.as_str());
    match status {
        500.. => tracing::error!(status, ms, code, "answered"),
        400.. => tracing::warn!(status, ms, code, "answered"),
        _ => tracing::info!(status, ms, "answered"),
    }
    response
}

/// A refusal as every endpoint answers it.
struct Failure {
    status: StatusCode,
    detail: ErrorDetail,
    /// Seconds to wait before asking again (a 429's `Retry-After`).
    retry_after: Option<u64>,
}

impl Failure {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            detail: ErrorDetail { code: code.to_owned(), message: message.into(), field: None, expected: None },
            retry_after: None,
        }
    }

    fn malformed(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    fn storage(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::SERVICE_UNAVAILABLE, "storage", message)
    }

    fn unauthorized() -> Failure {
        Failure::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a workstation's token is needed (Authorization: Bearer …); an unknown or revoked token is refused",
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let code = Refusal(self.detail.code.clone());
        let mut response = (self.status, Json(ErrorBody { error: self.detail })).into_response();
        response.extensions_mut().insert(code);
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    shared: AppState,
}

impl Running {
    /// The log's last position as this process knows it, and (PostgreSQL, when it keeps one) the
    /// position its fold has reached — what `/v1/health` says as `log` and `folded`.
    pub fn positions(&self) -> (i64, Option<i64>) {
        (*self.shared.head.borrow(), self.shared.fold.as_ref().map(|f| f.folded()))
    }

    /// Stops taking connections, answers waiting pulls, lets requests in flight finish, and
    /// closes the database before returning.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        if let Some(fold) = self.shared.fold.clone() {
            let _ = tokio::task::spawn_blocking(move || fold.close()).await;
        }
        self.shared.db.close().await;
    }
}

/// How a server serves, beyond where its database is.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Enrollment attempts taken per client address and minute.
    pub enroll_per_minute: u32,
    /// Serve HTTPS with this certificate (PEM, the server's first, then its chain) and key.
    pub tls: Option<Tls>,
    /// On PostgreSQL: where this process keeps its fold of the log (`vigil-fold.db`, a cache it
    /// can always fold again). None: the log is not folded by this process.
    pub fold_dir: Option<PathBuf>,
    /// Removes finished history older than this from the log, every hour (none: keep it all).
    pub retain: Option<Retention>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions { enroll_per_minute: ENROLL_PER_MINUTE, tls: None, fold_dir: None, retain: None }
    }
}

/// Opens the server's database and serves `/v1/` on `listen`.
pub async fn serve(at: &Location, listen: &str) -> Result<Running, ServerError> {
    serve_with(at, listen, &ServeOptions::default()).await
}

/// [`serve`], as `options` say.
pub async fn serve_with(at: &Location, listen: &str, options: &ServeOptions) -> Result<Running, ServerError> {
    let tls = options.tls.as_ref().map(tls::server_config).transpose()?;
    let enroll_per_minute = options.enroll_per_minute;
    let db = Db::open(at).await?;
    let head = db.last_seq().await?;
    let (stop, mut stopped) = watch::channel(false);
    let head = watch::channel(head).0;
    let fold = match &options.fold_dir {
        Some(dir) => db.start_fold(dir, head.subscribe(), stop.subscribe())?,
        None => None,
    };
    let shared =
        Arc::new(Shared { db, limits: limits::Limits::new(enroll_per_minute), head, stopping: stop.subscribe(), fold });
    shared.db.follow(shared.head.clone(), stop.subscribe());
    if let Some(retention) = options.retain {
        if matches!(at, Location::Postgres(_)) && shared.fold.is_none() {
            tracing::warn!("retention on PostgreSQL needs the process's fold (--data-dir): it does not run");
        } else {
            retention::keep(shared.clone(), retention, stop.subscribe());
        }
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServerError::Listen { addr: listen.to_owned(), source })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Listen { addr: listen.to_owned(), source })?;
    let app = router(shared.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = match tls {
        None => tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.changed().await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::error!(error = %e, "serving stopped");
            }
        }),
        Some(config) => {
            let listener =
                listener.into_std().map_err(|source| ServerError::Listen { addr: listen.to_owned(), source })?;
            let handle = axum_server::Handle::new();
            let server = axum_server::from_tcp_rustls(
                listener,
                axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config)),
            )
            .handle(handle.clone());
            tokio::spawn(async move {
                let stopping = handle.clone();
                tokio::spawn(async move {
                    let _ = stopped.changed().await;
                    stopping.graceful_shutdown(Some(Duration::from_secs(10)));
                });
                if let Err(e) = server.serve(app).await {
                    tracing::error!(error = %e, "serving stopped");
                }
            })
        }
    };
    Ok(Running { addr, stop, task, shared })
}

fn router(shared: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/sync/enroll", post(enroll_workstation))
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
        .route("/v1/sync/heads", get(heads))
        .route("/v1/sync/removals", get(removals))
        .route("/v1/checkins", post(checkins::post_check_ins))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .method_not_allowed_fallback(|| async {
            Failure::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        })
        .fallback(|| async { Failure::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .with_state(shared)
        .layer(axum::middleware::from_fn(log_request))
}

async fn health(State(shared): State<AppState>) -> Response {
    let last = shared.db.last_seq().await.ok();
    let database = last.is_some();
    let status = if database { "ok" } else { "degraded" };
    let code = if database { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    // How far the server's fold has come: SQLite folds each push as it stores it.
    let folded = match &shared.fold {
        Some(fold) => Some(fold.folded()),
        None if matches!(shared.db, Db::Sqlite(_)) => last,
        None => None,
    };
    let body = serde_json::json!({
        "status": status,
        "version": env!("CARGO_PKG_VERSION"),
        "database": database,
        "log": last,
        "folded": folded,
    });
    (code, Json(body)).into_response()
}

/// The OpenAPI 3.0 document of everything this server answers (kept in step by a test).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}

fn body_of<T: serde::de::DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, Failure> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes; send fewer events at once"),
            )
        } else {
            Failure::malformed(e.body_text())
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::malformed(format!("the body is not what this endpoint reads: {e}")))
}

/// The enrolled client a request's bearer token belongs to, within its rate limit.
async fn holder(shared: &AppState, headers: &HeaderMap) -> Result<TokenHolder, Failure> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(Failure::unauthorized)?;
    let hash = sha256_hex(token);
    let holder = shared.db.token_holder(hash).await?.ok_or_else(Failure::unauthorized)?;
    tracing::Span::current().record("workstation", tracing::field::display(holder.origin));
    shared.limits.sync(holder.origin)?;
    Ok(holder)
}

/// The workstation a request's bearer token belongs to: a handheld's token is refused here, since
/// the log (accounts' PIN hashes among it) is for workstations only.
async fn workstation(shared: &AppState, headers: &HeaderMap) -> Result<Uuid, Failure> {
    let holder = holder(shared, headers).await?;
    if holder.kind != ClientKind::Workstation {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{} is a handheld: its token posts check-ins (POST /v1/checkins) and reads nothing", holder.name),
        ));
    }
    Ok(holder.origin)
}

async fn enroll_workstation(
    State(shared): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(f) = shared.limits.enroll(peer.ip()) {
        return f.into_response();
    }
    let request: EnrollRequest = match body_of(body) {
        Ok(r) => r,
        Err(f) => return f.into_response(),
    };
    let token: String = {
        let bytes: [u8; 32] = rand::thread_rng().gen();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    };
    let token_hash = sha256_hex(&token);
    let (code, origin) = (request.code.clone(), request.origin);
    let redeemed = shared.db.redeem(code, origin, token_hash).await;
    match redeemed {
        Ok(Ok(name)) => {
            tracing::Span::current().record("workstation", tracing::field::display(origin));
            tracing::info!(name, "workstation enrolled");
            (StatusCode::CREATED, Json(EnrollResponse { token, name })).into_response()
        }
        Ok(Err(refusal)) => {
            let (status, code, message) = match refusal {
                EnrollRefusal::Unknown => (StatusCode::FORBIDDEN, "code_unknown", "no enrollment code is this one"),
                EnrollRefusal::Expired => {
                    (StatusCode::FORBIDDEN, "code_expired", "this enrollment code has expired; ask for a new one")
                }
                EnrollRefusal::Used => (StatusCode::FORBIDDEN, "code_used", "this enrollment code was used already"),
                EnrollRefusal::AlreadyEnrolled => (
                    StatusCode::CONFLICT,
                    "already_enrolled",
                    "this workstation's id is enrolled already (a copied data directory?); the code is kept",
                ),
            };
            Failure::new(status, code, message).into_response()
        }
        Err(e) => Failure::from(e).into_response(),
    }
}

async fn push(State(shared): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let origin = match workstation(&shared, &headers).await {
        Ok(o) => o,
        Err(f) => return f.into_response(),
    };
    let request: PushRequest = match body_of(body) {
        Ok(r) => r,
        Err(f) => return f.into_response(),
    };
    if request.protocol != PROTOCOL {
        return Failure::new(
            StatusCode::BAD_REQUEST,
            "protocol",
            format!("sync protocol {} is not spoken here (this server speaks {PROTOCOL})", request.protocol),
        )
        .into_response();
    }
    if request.origin != origin {
        return Failure::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a workstation pushes only its own events; this token belongs to another workstation",
        )
        .into_response();
    }
    if request.events.len() > MAX_PUSH_EVENTS {
        return Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("at most {MAX_PUSH_EVENTS} events per push"),
        )
        .into_response();
    }
    let server_time = now_ms();
    let offset = request.sent_at - server_time;
    let events: Vec<_> = request.events.into_iter().map(|e| e.event).collect();
    let outcome = shared.db.push(origin, events, request.heads, offset).await.map(|p| (p.outcome, p.head));
    match outcome {
        Ok((PushOutcome::Stored { stored, duplicates, rejected, next, .. }, head)) => {
            if stored > 0 {
                shared.head.send_replace(head);
            }
            Json(PushResponse {
                stored,
                duplicates,
                rejected: rejected.into_iter().map(|(id, reason)| Rejected { id, reason }).collect(),
                next,
                server_time,
            })
            .into_response()
        }
        Ok((PushOutcome::Gap { expected }, _)) => {
            let mut f = Failure::new(
                StatusCode::CONFLICT,
                "gap",
                format!("the push starts after a gap: the server expects event {expected} of this workstation next"),
            );
            f.detail.expected = Some(expected);
            f.into_response()
        }
        Ok((PushOutcome::Diverged { origin_seq, why }, _)) => Failure::new(
            StatusCode::CONFLICT,
            "diverged",
            format!("event {origin_seq} differs from what the server holds: {why}. Nothing of the push was stored"),
        )
        .into_response(),
        Err(e) => Failure::from(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PullQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
    #[serde(default)]
    wait: u64,
}

/// What every endpoint reading "after a position" starts with: a workstation's token, and its
/// query read with `after` at 0 or more.
async fn read_after<Q>(
    shared: &AppState,
    headers: &HeaderMap,
    query: Result<Query<Q>, QueryRejection>,
    after: impl Fn(&Q) -> i64,
) -> Result<Q, Failure> {
    workstation(shared, headers).await?;
    let Query(q) = query.map_err(|e| Failure::malformed(e.body_text()))?;
    if after(&q) < 0 {
        return Err(Failure::malformed("after must be 0 or more"));
    }
    Ok(q)
}

async fn pull(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Response {
    let q = match read_after(&shared, &headers, query, |q: &PullQuery| q.after).await {
        Ok(q) => q,
        Err(f) => return f.into_response(),
    };
    let limit = q.limit.unwrap_or(MAX_PULL_EVENTS).clamp(1, MAX_PULL_EVENTS);
    let wait = Duration::from_secs(q.wait.min(MAX_WAIT_SECONDS));
    let mut news = shared.head.subscribe();
    let mut stopping = shared.stopping.clone();
    if *news.borrow_and_update() <= q.after && !wait.is_zero() {
        let deadline = tokio::time::sleep(wait);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                _ = stopping.wait_for(|s| *s) => break,
                changed = news.changed() => {
                    if changed.is_err() || *news.borrow_and_update() > q.after {
                        break;
                    }
                }
            }
        }
    }
    let after = q.after;
    let (mut events, last) = match shared.db.pull(after, limit + 1).await {
        Ok(found) => found,
        Err(e) => return Failure::from(e).into_response(),
    };
    let page = vigil_sync::page_length(events.iter().take(limit as usize).map(|e| e.event.payload.len()));
    let more = events.len() > page;
    events.truncate(page);
    if after > last {
        // The server holds less than this workstation has seen: it was restored from an older
        // backup. The workstation starts again from the server's end (what it pushes back fills the rest).
        let mut f = Failure::new(
            StatusCode::CONFLICT,
            "cursor_ahead",
            format!("the server's log ends at {last}, before this cursor: pull again from there"),
        );
        f.detail.expected = Some(last);
        return f.into_response();
    }
    let cursor = events.last().and_then(|e| e.seq).unwrap_or(after);
    let removed = match shared.db.last_removal().await {
        Ok(n) => n,
        Err(e) => return Failure::from(e).into_response(),
    };
    Json(PullResponse { events, cursor, more, server_time: now_ms(), removed }).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemovalsQuery {
    #[serde(default)]
    after: i64,
    limit: Option<u32>,
}

/// `GET /v1/sync/removals`: what retention removed, numbered, for workstations to remove too.
async fn removals(
    State(shared): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<RemovalsQuery>, QueryRejection>,
) -> Response {
    let q = match read_after(&shared, &headers, query, |q: &RemovalsQuery| q.after).await {
        Ok(q) => q,
        Err(f) => return f.into_response(),
    };
    let limit = q.limit.unwrap_or(vigil_sync::MAX_REMOVALS).clamp(1, vigil_sync::MAX_REMOVALS);
    match shared.db.removals(q.after, limit).await {
        Ok((removals, more)) => Json(vigil_sync::RemovalsResponse { removals, more }).into_response(),
        Err(e) => Failure::from(e).into_response(),
    }
}

/// `GET /v1/sync/heads`: every head of the token's workstation the server witnessed.
async fn heads(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    let origin = match workstation(&shared, &headers).await {
        Ok(o) => o,
        Err(f) => return f.into_response(),
    };
    match shared.db.heads(Some(origin)).await {
        Ok(heads) => Json(heads).into_response(),
        Err(e) => Failure::from(e).into_response(),
    }
}
