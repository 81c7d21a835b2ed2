//! `POST /v1/checkins` on the server: a guard's handheld (enrolled with `vigil server enroll
//! --handheld`) posts its check-ins here, the same body and answers as a workstation's own
//! `/v1/checkins`, and every workstation pulls them. They are the server's own events, a chain of
//! its own beside every workstation's, and judged as everywhere: a check-in at a tag or by a badge
//! the site does not know is stored like any other (each workstation flags it against its own
//! checkpoints and guards); a clock far off is flagged here, never a reason to refuse.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use vigil_api::patrol::{parse_check_ins, CheckInRefusal};
use vigil_domain::patrol::{judged_at, Flag, Suspicion};
use vigil_store::CheckInStored;

use crate::{holder, AppState, Failure, MAX_BODY_BYTES};

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Failure {
    let mut f = Failure::new(StatusCode::BAD_REQUEST, "invalid", message);
    f.detail.field = Some(field.into());
    f
}

/// What the server can say of a check-in without the site's reference data: its clock.
fn clock_flags(c: &vigil_domain::event::CheckInRecorded) -> Vec<&'static str> {
    match judged_at(&vigil_store::as_check_in(c), &Suspicion::default()).1 {
        Some(Flag::ClockAhead) => vec!["clock_ahead"],
        Some(Flag::ClockBehind) => vec!["clock_behind"],
        _ => Vec::new(),
    }
}

pub(crate) async fn post_check_ins(
    State(shared): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match post(&shared, &headers, body).await {
        Ok(answer) => answer,
        Err(f) => f.into_response(),
    }
}

async fn post(
    shared: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    // Any enrolled client may post check-ins: a handheld, or a workstation passing them on.
    let who = holder(shared, headers).await?;
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let mut f = Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes; send fewer check-ins at once"),
            );
            f.detail.field = Some("body".into());
            f
        } else {
            invalid("body", e.body_text())
        }
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| invalid("body", format!("not JSON: {e}")))?;
    let items = parse_check_ins(&value, crate::now_ms()).map_err(|r| match r {
        CheckInRefusal::Invalid { field, message } => invalid(field, message),
        CheckInRefusal::Conflict { field, .. } => invalid(field, "conflict"),
    })?;
    let flags: Vec<Vec<&'static str>> = items.iter().map(clock_flags).collect();
    let ids: Vec<vigil_domain::Id> = items.iter().map(|c| c.check_in).collect();
    let batch = value.is_array();
    let outcome = shared.db.record_check_ins(who.name.clone(), items).await.map_err(|e| {
        Failure::new(StatusCode::SERVICE_UNAVAILABLE, "storage", format!("not stored, send again: {e}"))
    })?;
    let stored = match outcome {
        Ok(stored) => stored,
        Err(i) => {
            let mut f = Failure::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("check-in {} was stored before with another body; nothing of this request was stored", ids[i]),
            );
            f.detail.field = Some(if batch { format!("[{i}].id") } else { "id".into() });
            return Err(f);
        }
    };
    let new = stored.iter().filter(|s| **s == CheckInStored::New).count();
    let status = if new > 0 { StatusCode::CREATED } else { StatusCode::OK };
    let results: Vec<serde_json::Value> = ids
        .iter()
        .zip(&stored)
        .zip(&flags)
        .map(|((id, s), flags)| json!({ "id": id, "stored": s, "flags": flags }))
        .collect();
    let answer = if batch {
        json!({ "stored": new, "duplicates": stored.len() - new, "results": results })
    } else {
        json!({ "stored": new, "duplicates": stored.len() - new, "id": ids[0], "flags": flags[0] })
    };
    Ok((status, Json(answer)).into_response())
}
