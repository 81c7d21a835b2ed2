// Pure geometry of the floor-plan map: plan pixels ↔ Leaflet coordinates, camera cones, how much
// detail to draw. No Leaflet and no DOM here, so all of it is unit-tested.

import type { DeviceKind, DeviceStatus } from "../../lib/bindings";

/** Same order as `DeviceKind::index` and `DeviceStatus::index` in Rust. */
export const KINDS: DeviceKind[] = ["camera", "alarm_point", "mobile_alarm_point", "checkpoint"];
export const STATUSES: DeviceStatus[] = ["normal", "alarm", "fault", "offline"];

/** Status decides the colour; kind decides the shape. */
export const STATUS_COLOURS: Record<DeviceStatus, string> = {
  normal: "#34d399",
  alarm: "#f43f5e",
  fault: "#f59e0b",
  offline: "#64748b",
};

/** What a marker is drawn as: a device status, or (for a checkpoint with nothing wrong) how the
 * current patrol round has it. The first four are the statuses, in their order. */
export type Look = DeviceStatus | "patrol_pending" | "patrol_done" | "patrol_late" | "patrol_missed";
export const LOOKS: Look[] = [...STATUSES, "patrol_pending", "patrol_done", "patrol_late", "patrol_missed"];
export const LOOK_COLOURS: Record<Look, string> = {
  ...STATUS_COLOURS,
  patrol_pending: "#60a5fa",
  patrol_done: "#22c55e",
  patrol_late: "#facc15",
  patrol_missed: "#b91c1c",
};

export type Shape = "circle" | "square" | "diamond" | "triangle";
export const KIND_SHAPES: Record<DeviceKind, Shape> = {
  camera: "circle",
  alarm_point: "square",
  mobile_alarm_point: "diamond",
  checkpoint: "triangle",
};

/** Plan pixel (x right, y down) to Leaflet CRS.Simple lat/lng: one plan pixel is one unit. */
export function planToLatLng(x: number, y: number): [number, number] {
  return [-y, x];
}

export function latLngToPlan(lat: number, lng: number): { x: number; y: number } {
  return { x: lng, y: -lat };
}

/**
 * Canvas arc angles (radians, 0 = east, clockwise because canvas y points down) of a camera's
 * cone, from its heading in degrees clockwise from plan north and its field of view.
 */
export function coneAngles(headingDeg: number, fovDeg: number): { start: number; end: number; full: boolean } {
  const full = fovDeg >= 360;
  const centre = ((headingDeg - 90) * Math.PI) / 180;
  const half = (Math.min(fovDeg, 360) * Math.PI) / 360;
  return { start: centre - half, end: centre + half, full };
}

export type Detail = "dots" | "shapes" | "cones";

/**
 * How much to draw: at a coarse zoom or with very many devices in view, each device is one small
 * square (fast and still shows density); closer in, shapes by kind; closer still, camera cones.
 */
export function levelOfDetail(scale: number, visible: number): Detail {
  if (visible > 8000 || scale < 0.15) return "dots";
  if (scale >= 0.6 && visible <= 800) return "cones";
  return "shapes";
}

/** Marker radius in screen pixels for a zoom scale (screen px per plan px). */
export function markerRadius(scale: number): number {
  return Math.max(3, Math.min(9, 3 + 5 * scale));
}

/** Fits a plan of `width` × `height` into a viewport, returning the Leaflet zoom (log2 of scale). */
export function fitZoom(width: number, height: number, viewW: number, viewH: number, padding = 24): number {
  const scale = Math.min((viewW - 2 * padding) / width, (viewH - 2 * padding) / height);
  return Math.log2(Math.max(scale, 1e-6));
}
