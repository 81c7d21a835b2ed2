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

export type ErrorCode = "invalid" | "refused" | "not_found" | "login_required" | "login_failed" | "login_throttled" | "locked" | "forbidden" | "not_empty" | "read_only" | "not_started" | "settings" | "storage" | "newer_database" | "corrupt_database" | "not_a_vigil_database" | "plan_empty" | "plan_too_large" | "plan_not_an_image" | "plan_damaged" | "plan_too_many_pixels" | "plan_svg_without_size" | "plan_svg_active_content";

export type Refusal = { "reason": "not_now", state: IncidentState, action: string, } | { "reason": "needs_supervisor", what: string, } | { "reason": "real_needs_on_scene" } | { "reason": "empty_note" } | { "reason": "no_guard" };

export type ApiError = { code: ErrorCode, message: string, field: string | null, 
/**
 * For `refused`: the reason, typed.
 */
refusal: Refusal | null, };

export type SessionView = { name: string, full_name: string, role: Role, 
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

export type Role = "operator" | "supervisor" | "administrator";

export type IncidentState = "new" | "acknowledged" | "dispatched" | "on_scene" | "resolved" | "closed";

export type CloseCategory = "real" | "false" | "test" | "device_fault" | "duplicate" | "other";

export type Escalation = "none" | "unacknowledged" | "overdue";

export type ActionKind = "acknowledge" | "dispatch" | "on_scene" | "resolve" | "close" | "note" | "call_police" | "reopen" | "shelve";

export type TimelineKind = "opened" | "repeat" | "restore" | "merged" | "acknowledge" | "dispatch" | "on_scene" | "resolve" | "close" | "note" | "call_police" | "reopen";

export type TimelineLine = { at: number, 
/**
 * Who did it; none for what a sender reported.
 */
by: string | null, kind: TimelineKind, 
/**
 * The guard dispatched, the close category, the note, the incident merged with.
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

export type IncidentView = { id: string, priority: 1 | 2 | 3, state: IncidentState, 
/**
 * Open-ended: DC-09 codes map to the known ones (panic, fire, burglary …), and HTTP senders
 * name their own (watchlist_hit); procedures exist per type.
 */
alarm_type: string, 
/**
 * The point's device, or none for a sender with no point on the map ("unmapped").
 */
point: PointView | null, 
/**
 * The point's key when there is no device: source, account and zone.
 */
point_key: string, opened_at: number, acknowledged_at: number | null, on_scene_at: number | null, 
/**
 * The 5-minute on-scene target, as a time: past it, the incident is overdue.
 */
target_at: number, 
/**
 * When it escalates for not being acknowledged (louder siren, supervisor told), if it still can.
 */
unacknowledged_at: number | null, 
/**
 * When it becomes overdue (no guard on scene by the target), if it still can.
 */
overdue_at: number | null, 
/**
 * Where it is in the three-level response at `version` time; the window moves it on by
 * comparing its clock with `unacknowledged_at` and `overdue_at`.
 */
escalation: Escalation, 
/**
 * What an operator can do to it now (the panel's buttons).
 */
allowed: Array<ActionKind>, police_called: boolean, category: CloseCategory | null, repeats: number, 
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

export type IncidentAction = { "action": "acknowledge" } | { "action": "dispatch", guard: string, } | { "action": "on_scene" } | { "action": "resolve" } | { "action": "close", category: CloseCategory, } | { "action": "note", text: string, } | { "action": "call_police" } | { "action": "reopen" };

export type Language = "zh-CN" | "en";

export type Startup = { data_dir: string, 
/**
 * Why the console cannot run, shown instead of it.
 */
error: ApiError | null, 
/**
 * No hospital yet: the window offers the demo.
 */
empty: boolean, 
/**
 * The operator's last choice, else vigil.toml, else the system locale.
 */
language: Language, 
/**
 * Lock after this many minutes without a key or a click; 0 = never.
 */
lock_after_minutes: number, 
/**
 * Unacknowledged longer than this: louder siren, supervisor notified.
 */
acknowledge_within_seconds: number, };

export type EngineState = { "state": "starting" } | { "state": "off" } | { "state": "listening", dc09_tcp: string | null, dc09_udp: string | null, http: string | null, } | { "state": "failed", message: string, };

export type EngineStatus = { acknowledged: number | null, } & ({ "state": "starting" } | { "state": "off" } | { "state": "listening", dc09_tcp: string | null, dc09_udp: string | null, http: string | null, } | { "state": "failed", message: string, });

export type SirenStatus = { 
/**
 * The priority sounding, if any.
 */
playing: 1 | 2 | 3 | null, loud: boolean, 
/**
 * How much longer the siren stays silenced, in ms (0 when not).
 */
silenced_for_ms: number, };

export type IncidentChange = { incident_id: string, device_id: string | null, priority: 1 | 2 | 3, 
/**
 * A new incident, rather than a repeat or restore folded into one.
 */
opened: boolean, 
/**
 * When the signal was received (ms since the epoch): where an alarm's latency starts.
 */
received_at: number, };

export type IncidentNews = { changes: Array<IncidentChange>, open: Array<IncidentView>, };

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
 * Why the file as it is now cannot be read (the accounts are then those read at start).
 */
file_error: string | null, 
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
 * In the order of the account numbers, as the file lists them now.
 */
accounts: Array<Dc09AccountView>, incidents: IncidentSettingsView, };
