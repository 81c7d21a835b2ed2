//! The engine's HTTP API (docs/interfaces.md → HTTP API): JSON events in, read endpoints out,
//! health, stats and the OpenAPI document. Errors are `{"error": {"code", "message", "field"}}`
//! with a 4xx/5xx.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::watch;
use vigil_store::NewSignal;

use crate::writer::Op;
use crate::{EngineError, Shared, Stats};

type Shared_ = Arc<Shared>;

/// An error as every endpoint answers it.
struct ApiFailure {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiFailure {
    fn bad(field: impl Into<String>, message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            status: StatusCode::BAD_REQUEST,
            code: "invalid",
            message: message.into(),
            field: Some(field.into()),
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": { "code": self.code, "message": self.message, "field": self.field } })))
            .into_response()
    }
}

pub(crate) async fn serve(
    addr: &str,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), EngineError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| EngineError::Listen { addr: format!("http {addr}"), source })?;
    let bound = listener.local_addr().map_err(|source| EngineError::Listen { addr: addr.to_owned(), source })?;
    let app = Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/events", post(events).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
        .route("/v1/checkins", post(post_check_ins).get(get_check_ins).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
        .route("/v1/points", get(points))
        .route("/v1/guards", get(guards))
        .route("/v1/alarms", get(alarms))
        .route("/v1/incidents", get(incidents))
        .route("/v1/stats", get(stats))
        .method_not_allowed_fallback(|| async {
            ApiFailure {
                status: StatusCode::METHOD_NOT_ALLOWED,
                code: "method_not_allowed",
                message: "this endpoint does not take that method; see /v1/openapi.json".into(),
                field: None,
            }
        })
        .fallback(|| async {
            ApiFailure {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                message: "no such endpoint; see /v1/openapi.json".into(),
                field: None,
            }
        })
        .with_state(shared);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop.changed().await;
            })
            .await;
    });
    Ok((bound, task))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

fn check_intake(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiFailure> {
    let settings = shared.settings();
    let token = &settings.http.intake_token;
    match bearer(headers) {
        Some(given) if !token.is_empty() && given == token => Ok(()),
        _ => Err(ApiFailure {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "send the intake token of vigil.toml as \"Authorization: Bearer <token>\"".into(),
            field: Some("authorization".into()),
        }),
    }
}

/// Read endpoints answer loopback freely and other addresses only with the read token.
fn check_read(shared: &Shared, peer: SocketAddr, headers: &HeaderMap) -> Result<(), ApiFailure> {
    if peer.ip().is_loopback() {
        return Ok(());
    }
    let settings = shared.settings();
    let token = &settings.http.read_token;
    match bearer(headers) {
        Some(given) if !token.is_empty() && given == token => Ok(()),
        _ => Err(ApiFailure {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "read endpoints need the read token of vigil.toml from addresses other than loopback".into(),
            field: Some("authorization".into()),
        }),
    }
}

/// Runs a read on the workstation's connection off the async threads.
async fn read<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    shared: &Shared_,
    query: impl FnOnce(&vigil_store::Store) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiFailure> {
    ask(shared, move |ws| ws.with_store(query)).await
}

/// Runs a question to the workstation off the async threads; a failure is a 500.
async fn ask<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    shared: &Shared_,
    question: impl FnOnce(&vigil_api::Workstation) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiFailure> {
    let reader = shared.clone();
    let internal = |code: &'static str, message: String| ApiFailure {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code,
        message,
        field: None,
    };
    tokio::task::spawn_blocking(move || question(&reader.workstation))
        .await
        .map_err(|e| internal("internal", e.to_string()))?
        .map_err(|e| internal("storage", e.to_string()))
}

async fn health(State(shared): State<Shared_>) -> Json<Value> {
    let reader = shared.clone();
    let database = tokio::task::spawn_blocking(move || reader.workstation.with_store(|s| s.schema_version().is_ok()))
        .await
        .unwrap_or(false);
    Json(
        json!({ "status": if database { "ok" } else { "degraded" }, "version": env!("CARGO_PKG_VERSION"), "database": database }),
    )
}

async fn openapi() -> impl IntoResponse {
    ([("content-type", "application/json")], include_str!("openapi.json"))
}

fn ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Checks one event body and turns it into a signal; `at` names it in errors (`[3].priority`).
fn event_signal(shared: &Shared, at: &str, value: &Value, received: i64) -> Result<NewSignal, ApiFailure> {
    let field = |name: &str| if at.is_empty() { name.to_owned() } else { format!("{at}.{name}") };
    let obj = value.as_object().ok_or_else(|| {
        ApiFailure::bad(if at.is_empty() { "body".into() } else { at.to_owned() }, "an event is a JSON object")
    })?;
    let text = |name: &str, max: usize, required: bool| -> Result<Option<String>, ApiFailure> {
        match obj.get(name) {
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => Err(ApiFailure::bad(field(name), format!("{name} is required"))),
            Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= max => Ok(Some(s.clone())),
            Some(_) => Err(ApiFailure::bad(
                field(name),
                format!("{name} must be a non-empty string of at most {max} characters"),
            )),
        }
    };
    let id = text("id", 64, true)?.unwrap_or_default();
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| ApiFailure::bad(field("id"), "id must be a UUID (the idempotency key)"))?;
    let source = text("source", 100, true)?.unwrap_or_default();
    let point = text("point", 64, true)?.unwrap_or_default();
    let kind = text("type", 64, true)?.unwrap_or_default();
    let priority = match obj.get("priority") {
        Some(Value::Number(n)) if matches!(n.as_u64(), Some(1..=3)) => n.as_u64().unwrap_or(3) as u8,
        _ => return Err(ApiFailure::bad(field("priority"), "priority must be 1, 2 or 3")),
    };
    let time_text = text("time", 64, true)?.unwrap_or_default();
    let sent = OffsetDateTime::parse(&time_text, &Rfc3339)
        .map_err(|_| ApiFailure::bad(field("time"), "time must be RFC 3339, e.g. 2026-11-22T03:00:00+08:00"))?;
    // A wrong clock never refuses an alarm: outside the window it is kept, flagged, and ordered by
    // its receipt instead of its own time.
    let sent = ms(sent);
    let (_, clock_fault) = vigil_domain::clock::judge(sent, received, shared.settings().intake.clock_window());
    let details = match obj.get("details") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(ApiFailure::bad(field("details"), "details must be a JSON object")),
    };
    let snapshot = text("snapshot_url", 2048, false)?;
    if let Some(url) = &snapshot {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ApiFailure::bad(field("snapshot_url"), "snapshot_url must be an http:// or https:// URL"));
        }
    }
    let reader_point = point.clone();
    let device = shared.workstation.with_store(|s| s.device_id_by_code(&reader_point)).ok().flatten();
    let mut all_details = details.unwrap_or_else(|| json!({}));
    if let Some(url) = snapshot {
        all_details["snapshot_url"] = json!(url);
    }
    all_details["point"] = json!(point);
    Ok(NewSignal {
        id: NewSignal::id_for(Some(&format!("http:{id}")), Some(sent), received),
        idempotency_key: Some(format!("http:{id}")),
        source: "http".into(),
        sender: Some(source),
        account: None,
        zone: None,
        code: Some(kind.clone()),
        qualifier: Some("new".into()),
        alarm_type: kind,
        priority,
        sequence: None,
        device_id: device,
        received_at: received,
        sent_at: Some(sent),
        clock_fault,
        details: Some(all_details.to_string()),
        raw: Some(value.to_string()),
    })
}

/// A query string that does not parse (`limit=many`) gets the JSON refusal, not axum's plain text.
fn query_or_refusal<T>(q: Result<Query<T>, QueryRejection>) -> Result<Query<T>, ApiFailure> {
    q.map_err(|rejection| ApiFailure::bad("query", rejection.body_text()))
}

/// The largest request body an intake endpoint reads.
pub(crate) const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The body of an intake request, or the JSON refusal every other error uses (a body over the
/// limit gets 413, not axum's plain-text answer).
/// The request's body read as JSON, or the refusal naming `body`.
fn json_body(body: Result<axum::body::Bytes, BytesRejection>) -> Result<Value, ApiFailure> {
    let body = body_or_refusal(body)?;
    serde_json::from_slice(&body).map_err(|e| ApiFailure::bad("body", format!("not valid JSON: {e}")))
}

fn body_or_refusal(body: Result<axum::body::Bytes, BytesRejection>) -> Result<axum::body::Bytes, ApiFailure> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiFailure {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "too_large",
                message: format!("at most {} MiB per request; send a smaller batch", MAX_BODY_BYTES / (1024 * 1024)),
                field: Some("body".into()),
            }
        } else {
            ApiFailure::bad("body", format!("the body could not be read: {}", rejection.body_text()))
        }
    })
}

async fn events(
    State(shared): State<Shared_>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, ApiFailure> {
    check_intake(&shared, &headers)?;
    let value = json_body(body)?;
    let received = ms(OffsetDateTime::now_utc());
    let (items, batch): (Vec<&Value>, bool) = match &value {
        Value::Array(a) if a.is_empty() => return Err(ApiFailure::bad("body", "an empty batch")),
        Value::Array(a) if a.len() > 1000 => return Err(ApiFailure::bad("body", "at most 1000 events per batch")),
        Value::Array(a) => (a.iter().collect(), true),
        other => (vec![other], false),
    };
    // The whole batch is checked before anything is stored: all of it, or none.
    let reader = shared.clone();
    let owned: Vec<Value> = items.into_iter().cloned().collect();
    let signals = tokio::task::spawn_blocking(move || {
        owned
            .iter()
            .enumerate()
            .map(|(i, v)| event_signal(&reader, &if batch { format!("[{i}]") } else { String::new() }, v, received))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| ApiFailure {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "internal",
        message: e.to_string(),
        field: None,
    })??;
    let flags =
        shared.writer.commit(signals.into_iter().map(|s| Op::Signal(Box::new(s))).collect()).await.map_err(|e| {
            ApiFailure {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "storage",
                message: format!("not stored, send again: {e}"),
                field: None,
            }
        })?;
    let stored = flags.iter().filter(|f| **f).count();
    for _ in 0..stored {
        Stats::bump(&shared.stats.http_events_stored);
    }
    let status = if stored > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!({ "stored": stored, "duplicates": flags.len() - stored }))).into_response())
}

/// `POST /v1/checkins`: one check-in or a batch, all stored or none. The same id with the same body
/// again is a 200 with nothing new; with another body a 409 naming it.
async fn post_check_ins(
    State(shared): State<Shared_>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, ApiFailure> {
    use vigil_api::patrol::{parse_check_ins, CheckInRefusal};
    check_intake(&shared, &headers)?;
    let value = json_body(body)?;
    let received = ms(OffsetDateTime::now_utc());
    let items = parse_check_ins(&value, received).map_err(|r| match r {
        CheckInRefusal::Invalid { field, message } => ApiFailure::bad(field, message),
        CheckInRefusal::Conflict { field, .. } => ApiFailure::bad(field, "conflict"),
    })?;
    let batch = value.is_array();
    // A failed commit stored nothing: the handheld keeps the check-in queued and sends it again.
    let outcome = ask(&shared, move |ws| ws.record_check_ins("handheld", items)).await.map_err(|e| ApiFailure {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "storage",
        message: format!("not stored, send again: {}", e.message),
        field: None,
    })?;
    let results = match outcome {
        Ok(results) => results,
        Err(CheckInRefusal::Conflict { field, id }) => {
            return Err(ApiFailure {
                status: StatusCode::CONFLICT,
                code: "conflict",
                message: format!(
                    "check-in {id} was stored before with another body; nothing of this request was stored"
                ),
                field: Some(field),
            })
        }
        Err(CheckInRefusal::Invalid { field, message }) => return Err(ApiFailure::bad(field, message)),
    };
    let stored = results.iter().filter(|r| r.stored == vigil_store::CheckInStored::New).count();
    let status = if stored > 0 { StatusCode::CREATED } else { StatusCode::OK };
    let body = if batch {
        json!({ "stored": stored, "duplicates": results.len() - stored, "results": results })
    } else {
        json!({ "stored": stored, "duplicates": results.len() - stored, "id": results[0].id, "flags": results[0].flags })
    };
    Ok((status, Json(body)).into_response())
}

/// `GET /v1/checkins?since=N`: check-ins as stored, after the local sequence `since` (each carries
/// its `seq`, so a reader pages by the last one it saw).
async fn get_check_ins(
    State(shared): State<Shared_>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<Since>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    check_read(&shared, peer, &headers)?;
    let Query(q) = query_or_refusal(q)?;
    let since = match q.since.as_deref() {
        None => 0,
        Some(t) => {
            t.parse::<i64>().map_err(|_| ApiFailure::bad("since", "since is the seq of the last check-in read"))?
        }
    };
    let limit = q.limit.unwrap_or(10_000).clamp(1, 100_000);
    let rows = read(&shared, move |s| s.check_ins_since(since, limit)).await?;
    let body: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "seq": r.seq, "id": r.record.check_in, "tag": r.record.tag, "guard": r.record.guard,
                "device": r.record.device, "method": r.record.method, "source": r.record.source,
                "device_time": r.record.device_time, "received": r.record.received, "judged_at": r.judged_at,
                "clock": r.clock, "reason": r.record.reason, "entered_by": r.actor, "import": r.record.import,
                "row": r.record.row, "event": r.event,
            })
        })
        .collect();
    Ok(Json(body).into_response())
}

async fn points(
    State(shared): State<Shared_>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    check_read(&shared, peer, &headers)?;
    let list = read(&shared, |s| s.point_list()).await?;
    Ok(Json(list).into_response())
}

async fn guards(
    State(shared): State<Shared_>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    check_read(&shared, peer, &headers)?;
    let list = read(&shared, |s| s.guards()).await?;
    let body: Vec<Value> = list.into_iter().map(|g| json!({ "id": g.id, "name": g.name, "badge": g.badge })).collect();
    Ok(Json(body).into_response())
}

#[derive(serde::Deserialize)]
struct Since {
    since: Option<String>,
    limit: Option<u32>,
}

fn parse_since(text: Option<&str>) -> Result<i64, ApiFailure> {
    match text {
        None => Ok(0),
        Some(t) => {
            if let Ok(ms) = t.parse::<i64>() {
                return Ok(ms);
            }
            OffsetDateTime::parse(t, &Rfc3339)
                .map(ms)
                .map_err(|_| ApiFailure::bad("since", "since is RFC 3339 or milliseconds since 1970"))
        }
    }
}

async fn alarms(
    State(shared): State<Shared_>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<Since>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    check_read(&shared, peer, &headers)?;
    let Query(q) = query_or_refusal(q)?;
    let since = parse_since(q.since.as_deref())?;
    let limit = q.limit.unwrap_or(10_000).clamp(1, 100_000);
    let list = read(&shared, move |s| s.signals_since(since, limit)).await?;
    Ok(Json(list).into_response())
}

#[derive(serde::Deserialize)]
struct IncidentQuery {
    state: Option<String>,
    since: Option<String>,
    limit: Option<u32>,
}

/// `GET /v1/incidents?state=open|all&since=…`: open incidents in handling order, or every incident
/// changed since a time (closed ones included), newest first.
async fn incidents(
    State(shared): State<Shared_>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    q: Result<Query<IncidentQuery>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    check_read(&shared, peer, &headers)?;
    let Query(q) = query_or_refusal(q)?;
    let since = parse_since(q.since.as_deref())?;
    let since = match q.state.as_deref() {
        None | Some("open") if q.since.is_none() => None,
        None | Some("all") => Some(since),
        Some("open") => None,
        Some(other) => {
            return Err(ApiFailure::bad("state", format!("state is open or all, not {other:?}")));
        }
    };
    let limit = q.limit.unwrap_or(10_000).clamp(1, 100_000);
    // Without `since` the list is the open incidents; with it (state=all) every one changed since.
    let list = ask(&shared, move |ws| ws.incidents(since, limit)).await?;
    Ok(Json(list).into_response())
}

async fn stats(
    State(shared): State<Shared_>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response, ApiFailure> {
    check_read(&shared, peer, &headers)?;
    let reader = shared.clone();
    let (devices, signals, incidents, clock_faults) = tokio::task::spawn_blocking(move || {
        reader.workstation.with_store(|s| {
            let incidents: Option<serde_json::Map<String, Value>> =
                s.incident_counts().ok().map(|c| c.into_iter().map(|(k, v)| (k, json!(v))).collect());
            // Signals kept although their sender's clock was off, by source and sender.
            let clock_faults = s.clock_fault_counts().ok().map(|list| {
                let total: u64 = list.iter().map(|(_, n)| n).sum();
                let by_source: serde_json::Map<String, Value> = list.into_iter().map(|(k, n)| (k, json!(n))).collect();
                json!({ "total": total, "by_source": by_source })
            });
            (s.device_counts().ok(), s.signal_count().ok(), incidents, clock_faults)
        })
    })
    .await
    .unwrap_or((None, None, None, None));
    let st = &shared.stats;
    Ok(Json(json!({
        "devices": devices,
        "alarm_signals": signals,
        "incidents": incidents,
        "dc09": {
            "frames_received": Stats::get(&st.frames_received),
            "frames_acknowledged": Stats::get(&st.frames_acknowledged),
            "frames_refused": st.refused(),
            "link_tests": Stats::get(&st.link_tests),
            "signals_stored": Stats::get(&st.signals_stored),
            "duplicates": Stats::get(&st.duplicates),
            "connections_open": Stats::get(&st.connections_open),
            "connections_refused": Stats::get(&st.connections_refused),
        },
        "http": { "events_stored": Stats::get(&st.http_events_stored) },
        "clock_faults": clock_faults,
    }))
    .into_response())
}
