//! The floor-plan map: overview, a floor's devices, details, search, plan import and placement.

use tauri::ipc::{InvokeBody, Request};
use tauri::State;
use uuid::Uuid;
use vigil_api::{ApiError, DeviceDetail, DeviceMoveInput, ErrorCode, FloorDevices, FloorView, Overview, SearchHit};

use crate::state::AppState;

#[tauri::command]
pub async fn overview(state: State<'_, AppState>) -> Result<Overview, ApiError> {
    state.run(|ws, _| ws.overview()).await
}

#[tauri::command]
pub async fn floor_devices(state: State<'_, AppState>, floor_id: Uuid) -> Result<FloorDevices, ApiError> {
    state.run(move |ws, _| ws.floor_devices(floor_id)).await
}

#[tauri::command]
pub async fn device_detail(state: State<'_, AppState>, id: Uuid) -> Result<DeviceDetail, ApiError> {
    state.run(move |ws, _| ws.device_detail(id)).await
}

#[tauri::command]
pub async fn search_devices(
    state: State<'_, AppState>,
    text: String,
    limit: Option<u32>,
) -> Result<Vec<SearchHit>, ApiError> {
    state.run(move |ws, _| ws.search(&text, limit.unwrap_or(20))).await
}

/// The image arrives as the raw request body; the floor's id in the `floor-id` header.
#[tauri::command]
pub async fn import_floor_plan(state: State<'_, AppState>, request: Request<'_>) -> Result<FloorView, ApiError> {
    let floor_id = request
        .headers()
        .get("floor-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .ok_or_else(|| ApiError::field(ErrorCode::Invalid, "floor_id", "say which floor the plan is for"))?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(ApiError::field(ErrorCode::Invalid, "image", "send the image file's bytes as the body"));
    };
    let bytes = bytes.clone();
    state.run(move |ws, who| ws.import_floor_plan(who, floor_id, bytes)).await
}

#[tauri::command]
pub async fn move_devices(state: State<'_, AppState>, moves: Vec<DeviceMoveInput>) -> Result<usize, ApiError> {
    state.run(move |ws, who| ws.move_devices(who, &moves)).await
}
