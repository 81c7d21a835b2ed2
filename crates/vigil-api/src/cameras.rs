//! Video linkage: the cameras an alarm point shows — the ones an administrator linked to it, else
//! the nearest on its floor plan — and the linking itself.

use vigil_domain::{DeviceKind, Id, Label};
use vigil_store::Store;

use crate::incidents::{Places, PointView};
use crate::session::{Need, SessionToken};
use crate::{ApiError, ErrorCode, Workstation};

/// A camera shown beside an incident.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct LinkedCamera {
    pub id: Id,
    pub code: String,
    pub name: Label,
    pub snapshot_url: Option<String>,
    pub stream_url: Option<String>,
    /// Linked by an administrator, rather than found as the nearest on the floor plan.
    pub configured: bool,
    pub distance_px: f64,
}

/// How many linked cameras an incident shows when none are configured.
pub(crate) const NEAREST_CAMERAS: usize = 3;

impl Workstation {
    /// The cameras an administrator may link to an alarm point: the nearest on its floor, with the
    /// ones already linked marked (and listed first).
    pub fn camera_candidates(&self, point: Id, limit: u32) -> Result<Vec<LinkedCamera>, ApiError> {
        let store = self.store();
        let places = Places::new(&store);
        let view = places
            .point(Some(point))
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("device {point} does not exist")))?;
        let linked = store.linked_cameras(point)?;
        let mut list = nearest_cameras(&store, &view, limit.clamp(1, 50) as usize)?;
        for c in &mut list {
            c.configured = linked.contains(&c.id);
        }
        for id in linked.iter().rev() {
            if !list.iter().any(|c| c.id == *id) {
                if let Some(c) = camera_of(&store, *id, &view, true) {
                    list.insert(0, c);
                }
            }
        }
        list.sort_by_key(|c| !c.configured);
        Ok(list)
    }

    /// Links `cameras` (in order) to an alarm point; an empty list goes back to the nearest ones.
    pub fn link_cameras(&self, who: SessionToken, point: Id, cameras: &[Id]) -> Result<(), ApiError> {
        let actor = self.actor(who, Need::Administrator)?;
        if cameras.len() > 16 {
            return Err(ApiError::field(ErrorCode::Invalid, "cameras", "link at most 16 cameras to one point"));
        }
        let store = self.store();
        let device = store.device(point)?;
        if !matches!(device.kind, DeviceKind::AlarmPoint | DeviceKind::MobileAlarmPoint) {
            return Err(ApiError::field(ErrorCode::Invalid, "point", format!("{} is not an alarm point", device.code)));
        }
        for id in cameras {
            let camera = store
                .device(*id)
                .map_err(|_| ApiError::field(ErrorCode::Invalid, "cameras", format!("camera {id} does not exist")))?;
            if camera.kind != DeviceKind::Camera {
                return Err(ApiError::field(ErrorCode::Invalid, "cameras", format!("{} is not a camera", camera.code)));
            }
        }
        let event = vigil_store::AuditEvent {
            actor: actor.name,
            action: "devices.link_cameras".into(),
            subject: device.code.to_string(),
            details: serde_json::json!({ "point": point, "cameras": cameras }).to_string(),
        };
        let body = vigil_domain::event::EventBody::CamerasLinked(vigil_domain::event::CamerasLinked {
            point,
            cameras: cameras.to_vec(),
        });
        let subject = device.code.to_string();
        drop(store);
        self.write(move |tx| {
            let committed = vigil_store::write::commit_event(tx, &event.actor, &subject, body, Store::now_ms())?;
            vigil_store::write::append_audit(tx, &event.for_event(&committed)).map(|_| ())
        })
    }
}

fn linked_camera(d: vigil_domain::Device, point: &PointView, configured: bool) -> LinkedCamera {
    let distance = ((d.x - point.x).powi(2) + (d.y - point.y).powi(2)).sqrt();
    let (snapshot_url, stream_url) = d.camera.map(|c| (c.snapshot_url, c.stream_url)).unwrap_or_default();
    LinkedCamera {
        id: d.id,
        code: d.code.to_string(),
        name: d.name,
        snapshot_url,
        stream_url,
        configured,
        distance_px: distance,
    }
}

fn camera_of(store: &Store, id: Id, point: &PointView, configured: bool) -> Option<LinkedCamera> {
    store.device(id).ok().filter(|d| d.kind == DeviceKind::Camera).map(|d| linked_camera(d, point, configured))
}

/// The `limit` cameras nearest the point on its floor plan.
fn nearest_cameras(store: &Store, point: &PointView, limit: usize) -> Result<Vec<LinkedCamera>, ApiError> {
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    Ok(store
        .nearest_cameras(point.floor_id, point.x, point.y, limit)?
        .into_iter()
        .map(|d| linked_camera(d, point, false))
        .collect())
}

/// The cameras an administrator linked to the point, else the nearest on its floor plan.
pub(crate) fn linked_cameras(store: &Store, point: &PointView) -> Result<Vec<LinkedCamera>, ApiError> {
    let configured: Vec<LinkedCamera> =
        store.linked_cameras(point.id)?.into_iter().filter_map(|id| camera_of(store, id, point, true)).collect();
    if configured.is_empty() {
        nearest_cameras(store, point, NEAREST_CAMERAS)
    } else {
        Ok(configured)
    }
}
