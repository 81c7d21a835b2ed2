// Generated from the Rust types by crates/vigil-api/src/bindings.rs. Do not edit.

export type Code = string;

export type Label = { zh: string, en: string, };

export type Rect = { x: number, y: number, w: number, h: number, };

export type PlanSize = { width: number, height: number, };

export type RowMeta = { version: number, deleted: boolean, };

export type BuildingKind = "outpatient" | "emergency" | "inpatient" | "medical_technology" | "administration" | "logistics";

export type DeviceKind = "camera" | "alarm_point" | "mobile_alarm_point" | "checkpoint";

export type DeviceStatus = "normal" | "alarm" | "fault" | "offline";

export type CameraView = { 
/**
 * Direction the lens points, degrees clockwise from plan north (up).
 */
heading_deg: number, 
/**
 * Horizontal field of view in degrees; 360 for a fisheye / dome.
 */
fov_deg: number, 
/**
 * How far the cone reaches, in plan pixels.
 */
range_px: number, snapshot_url: string | null, stream_url: string | null, };

export type Dc09Address = { account: string, zone: number, };

export type Device = { id: string, floor_id: string, kind: DeviceKind, code: Code, name: Label, 
/**
 * Position on the floor plan, in its pixels.
 */
x: number, y: number, status: DeviceStatus, 
/**
 * Set for cameras only.
 */
camera: CameraView | null, 
/**
 * Set for alarm points wired to a DC-09 panel.
 */
dc09: Dc09Address | null, 
/**
 * Set for patrol checkpoints: the NFC/RFID tag or QR text a guard's handheld reads.
 */
tag: string | null, meta: RowMeta, };

export type DeviceCounts = { cameras: number, alarm_points: number, mobile_alarm_points: number, checkpoints: number, };

export type Overview = { sites: Array<SiteView>, 
/**
 * Devices of each kind in the whole database: what the status bar shows.
 */
totals: DeviceCounts, 
/**
 * Whether this is the generated demo hospital (the login screen and the title say so).
 */
demo: boolean, };

export type SiteView = { id: string, code: string, name: Label, plan: PlanSize, buildings: Array<BuildingView>, };

export type BuildingView = { id: string, code: string, name: Label, kind: BuildingKind, footprint: Rect, counts: DeviceCounts, active_alarms: number, 
/**
 * From the lowest basement up.
 */
floors: Array<FloorView>, };

export type FloorView = { id: string, building_id: string, level: number, 
/**
 * `3F`, `B1`: the button text.
 */
short: string, label: Label, plan: PlanSize, counts: DeviceCounts, 
/**
 * Devices on this floor in the alarm state; the floor button shows it.
 */
active_alarms: number, };

export type FloorDevices = { floor_id: string, plan: PlanSize, ids: Array<string>, codes: Array<string>, kinds: Array<number>, statuses: Array<number>, xs: Array<number>, ys: Array<number>, headings: Array<number>, fovs: Array<number>, ranges: Array<number>, };

export type DeviceDetail = { device: Device, floor: FloorView, building_code: string, building_name: Label, site_name: Label, };

export type SearchHit = { id: string, code: string, name: Label, kind: DeviceKind, status: DeviceStatus, site_id: string, building_id: string, floor_id: string, floor_short: string, x: number, y: number, };

export type PlacedDevice = { id: string, x: number, y: number, };

export type DeviceMoveInput = { id: string, x: number, y: number, };

export type ApiError = { code: string, message: string, field: string | null, };

export type SessionView = { name: string, full_name: string, 
/**
 * "operator", "supervisor" or "administrator".
 */
role: string, 
/**
 * Locked after inactivity: alarms still show and sound, actions wait for the PIN.
 */
locked: boolean, since: number, };

export type PointView = { id: string, code: string, name: Label, kind: DeviceKind, building_id: string, building_code: string, building_name: Label, floor_id: string, floor_short: string, x: number, y: number, 
/**
 * The device's status as the store keeps it (alarm or fault while an incident is open on it).
 */
status: DeviceStatus, };

export type ClockFault = "ahead" | "behind";

export type Mark = "second_close" | "late" | "not_applicable";

export type TimelineLine = { at: number, 
/**
 * Who did it; none for what a sender reported.
 */
by: string | null, 
/**
 * opened, repeat, restore, acknowledge, dispatch, on_scene, resolve, close, note, call_police, reopen.
 */
kind: string, 
/**
 * The guard dispatched, the close category, the note.
 */
text: string | null, 
/**
 * For a signal whose sender's clock was off: which way. `at` is then its receive time.
 */
clock_fault: ClockFault | null, 
/**
 * What that sender's clock said.
 */
sent_at: number | null, 
/**
 * Kept but not acted on (a second close, a late or inapplicable action from another
 * workstation): a supervisor reviews it.
 */
mark: Mark | null, };

export type IncidentView = { id: string, 
/**
 * 1, 2 or 3.
 */
priority: number, 
/**
 * new, acknowledged, dispatched, on_scene, resolved, closed.
 */
state: string, alarm_type: string, 
/**
 * The point's device, or none for a sender with no point on the map ("unmapped").
 */
point: PointView | null, 
/**
 * The point's key when there is no device: source, account and zone.
 */
point_key: string, opened_at: number, acknowledged_at: number | null, on_scene_at: number | null, 
/**
 * The 5-minute on-scene target, as a time.
 */
target_at: number, 
/**
 * none, unacknowledged (louder siren, supervisor told) or overdue (call the police post).
 */
escalation: string, police_called: boolean, category: string | null, repeats: number, 
/**
 * Signals of this incident whose sender's clock was off (kept, ordered by receipt).
 */
clock_faults: number, 
/**
 * A line of its timeline is marked for a supervisor's review.
 */
needs_review: boolean, timeline: Array<TimelineLine>, version: number, };

export type LinkedCamera = { id: string, code: string, name: Label, snapshot_url: string | null, stream_url: string | null, 
/**
 * Linked by an administrator, rather than found as the nearest on the floor plan.
 */
configured: boolean, distance_px: number, };

export type IncidentDetail = { incident: IncidentView, 
/**
 * The procedure for this alarm type in the console's language.
 */
steps: Array<string>, cameras: Array<LinkedCamera>, police_post: string, };

export type GuardView = { badge: string, name: string, };

export type IncidentAction = { "action": "acknowledge" } | { "action": "dispatch", guard: string, } | { "action": "on_scene" } | { "action": "resolve" } | { "action": "close", category: string, } | { "action": "note", text: string, } | { "action": "call_police" } | { "action": "reopen" };

export type Dc09AccountView = { account: string, 
/**
 * Whether its frames may be encrypted (a key is set). The key itself is never sent.
 */
has_key: boolean, 
/**
 * "hex" or "text": how its key is written (means nothing without a key).
 */
key_format: string, 
/**
 * A panel silent this long raises a fault; 0 = off.
 */
supervision_seconds: number, 
/**
 * Whether that is the account's own setting rather than `dc09.supervision_seconds`.
 */
supervision_own: boolean, };

export type IncidentSettingsView = { acknowledge_within_seconds: number, silence_seconds: number, police_post: string, };

export type SettingsView = { 
/**
 * The file they were read from.
 */
file: string, 
/**
 * DC-09 over TCP as configured; none when turned off. The engine's status says what it bound.
 */
dc09_tcp: string | null, 
/**
 * DC-09 over UDP as configured; none when turned off.
 */
dc09_udp: string | null, 
/**
 * The HTTP API as configured; none when turned off.
 */
http_listen: string | null, 
/**
 * Supervision for accounts without their own, in seconds; 0 = off.
 */
supervision_seconds: number, 
/**
 * In the order of the account numbers.
 */
accounts: Array<Dc09AccountView>, incidents: IncidentSettingsView, };
