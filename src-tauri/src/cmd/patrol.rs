//! The patrol and review screens: live rounds, radio entries, the log, a shift's review.

use tauri::State;
use uuid::Uuid;
use vigil_api::patrol::{LogFilter, LogPage, PatrolBoard, RadioCheckIn, RouteView, ShiftReview};
use vigil_api::ApiError;
use vigil_domain::schedule::Shift;

use crate::state::AppState;

fn now() -> i64 {
    vigil_store::Store::now_ms()
}

#[tauri::command]
pub async fn patrol_board(state: State<'_, AppState>) -> Result<PatrolBoard, ApiError> {
    state.run(move |ws, who| ws.patrol_board(who, now())).await
}

/// How each checkpoint stands in its current round, for the map.
#[tauri::command]
pub async fn patrol_marks(state: State<'_, AppState>) -> Result<vigil_api::patrol_live::PatrolMarks, ApiError> {
    state.run(move |ws, who| ws.patrol_marks(who, now())).await
}

#[tauri::command]
pub async fn patrol_routes(state: State<'_, AppState>) -> Result<Vec<RouteView>, ApiError> {
    state.run(|ws, _| ws.routes()).await
}

#[tauri::command]
pub async fn save_route(state: State<'_, AppState>, input: vigil_api::patrol::RouteInput) -> Result<Uuid, ApiError> {
    state.run(move |ws, who| ws.save_route(who, input)).await
}

#[tauri::command]
pub async fn radio_check_in(state: State<'_, AppState>, input: RadioCheckIn) -> Result<Uuid, ApiError> {
    state.run(move |ws, who| ws.record_radio_check_in(who, input)).await
}

#[tauri::command]
pub async fn annotate_check_in(state: State<'_, AppState>, id: Uuid, text: String) -> Result<(), ApiError> {
    state.run(move |ws, who| ws.annotate_check_in(who, id, &text)).await
}

#[tauri::command]
pub async fn patrol_log(state: State<'_, AppState>, filter: LogFilter, limit: u32) -> Result<LogPage, ApiError> {
    state.run(move |ws, who| ws.patrol_log(who, filter, limit)).await
}

#[tauri::command]
pub async fn recent_shifts(state: State<'_, AppState>) -> Result<Vec<Shift>, ApiError> {
    state.run(|ws, _| Ok(ws.recent_shifts(now()))).await
}

#[tauri::command]
pub async fn shift_review(state: State<'_, AppState>, shift: String) -> Result<ShiftReview, ApiError> {
    state.run(move |ws, who| ws.shift_review(who, &shift)).await
}

/// The last `days` days: compliance by day, guard and route, and response times.
#[tauri::command]
pub async fn patrol_summary(state: State<'_, AppState>, days: u32) -> Result<ShiftReview, ApiError> {
    state.run(move |ws, who| ws.patrol_summary(who, days)).await
}

#[tauri::command]
pub async fn explain_exception(
    state: State<'_, AppState>,
    shift: String,
    key: String,
    text: String,
) -> Result<ShiftReview, ApiError> {
    state.run(move |ws, who| ws.explain_exception(who, &shift, &key, &text)).await
}

#[tauri::command]
pub async fn sign_off_shift(state: State<'_, AppState>, shift: String) -> Result<ShiftReview, ApiError> {
    state.run(move |ws, who| ws.sign_off_shift(who, &shift)).await
}

/// Imports a wand export sent as the body; `file-name` (URI-encoded), `dry-run` and `mapping` as
/// headers. Reading progress goes out as `wand-progress` events `{ done, total }`.
#[tauri::command]
pub async fn import_wand(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Result<vigil_api::wand::WandReport, ApiError> {
    use tauri::Emitter;
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let file = header("file-name")
        .map(|n| percent_decode(&n))
        .ok_or_else(|| ApiError::field(vigil_api::ErrorCode::Invalid, "file", "name the file"))?;
    let dry_run = header("dry-run").as_deref() != Some("0");
    let mapping = header("mapping").filter(|m| !m.is_empty()).map(|m| percent_decode(&m));
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(ApiError::field(vigil_api::ErrorCode::Invalid, "file", "send the file's bytes as the body"));
    };
    let bytes = bytes.clone();
    state
        .run(move |ws, who| {
            let mut progress = |done: usize, total: usize| {
                let _ = app.emit("wand-progress", serde_json::json!({ "done": done, "total": total }));
            };
            ws.import_wand(who, &bytes, &file, mapping.as_deref(), dry_run, &mut progress)
        })
        .await
}

#[tauri::command]
pub async fn wand_mappings(state: State<'_, AppState>) -> Result<Vec<vigil_api::wand::WandMappingView>, ApiError> {
    state.run(|ws, _| ws.wand_mapping_views()).await
}

#[tauri::command]
pub async fn save_wand_mapping(
    state: State<'_, AppState>,
    input: vigil_api::wand::WandMappingInput,
) -> Result<(), ApiError> {
    state.run(move |ws, who| ws.save_wand_mapping_input(who, input)).await
}

/// The header carries the file name URI-encoded (headers are ASCII; names are often Chinese).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

/// Writes a shift's report into the data directory's `exports/` folder and says where.
#[tauri::command]
pub async fn export_shift(
    state: State<'_, AppState>,
    shift: String,
    what: vigil_api::report::ExportKind,
    language: String,
) -> Result<vigil_api::report::Exported, ApiError> {
    state.run(move |ws, who| ws.export_shift_to_exports(who, &shift, what, language.starts_with("zh"))).await
}
