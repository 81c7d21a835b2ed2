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

export type ErrorCode = "invalid" | "refused" | "not_found" | "conflict" | "login_required" | "login_failed" | "login_throttled" | "locked" | "forbidden" | "not_empty" | "read_only" | "not_started" | "settings" | "storage" | "newer_database" | "corrupt_database" | "not_a_vigil_database" | "plan_empty" | "plan_too_large" | "plan_not_an_image" | "plan_damaged" | "plan_too_many_pixels" | "plan_svg_without_size" | "plan_svg_active_content";

export type SyncState = "connecting" | "online" | "syncing" | "offline" | "refused";

export type SyncView = { state: SyncState, server: string, name: string, 
/**
 * This workstation's events the server has not confirmed yet.
 */
queue: number, 
/**
 * When the server last answered (ms since 1970).
 */
last_sync: number | null, 
/**
 * This workstation's clock minus the server's (ms), from the last answer.
 */
clock_offset_ms: number | null, 
/**
 * Why the last attempt failed, for the one who must act.
 */
problem: string | null, };

export type EnrollmentView = { server: string, 
/**
 * The name the server knows this workstation by.
 */
name: string, origin: string, 
/**
 * The pinned certificate's SHA-256, when enrolled with a code that carried it.
 */
fingerprint: string | null, 
/**
 * How the link is protected.
 */
transport: Transport, };

export type Transport = "pinned" | "authorities" | "plain";

export type AccountProblem = "name" | "full_name" | "pin" | "missing" | "unknown" | "unchanged" | "own_account" | "last_administrator";

export type Refusal = { "reason": "not_now", state: IncidentState, action: string, } | { "reason": "needs_supervisor", what: string, } | { "reason": "real_needs_on_scene" } | { "reason": "empty_note" } | { "reason": "no_guard" } | { "reason": "needs_explanation" } | { "reason": "account", problem: AccountProblem, };

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

export type AccountView = { name: string, full_name: string, role: Role, disabled: boolean, 
/**
 * Set through the event log, so the same at every workstation; false for one made only here
 * before (the demo's), until an administrator changes it.
 */
shared: boolean, };

export type AccountForm = { name: string, full_name?: string, role?: Role, 
/**
 * A new PIN (4 to 12 digits), hashed before it goes anywhere.
 */
pin?: string, disabled?: boolean, };

export type PublishReport = { sites: number, floors: number, guards: number, accounts: number, 
/**
 * Events committed (and queued for the server).
 */
events: number, };

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

export type ActionKind = "acknowledge" | "dispatch" | "on_scene" | "resolve" | "close" | "note" | "call_police" | "reopen" | "shelve" | "reviewed";

export type TimelineKind = "opened" | "repeat" | "restore" | "merged" | "checked_late" | "acknowledge" | "dispatch" | "on_scene" | "resolve" | "close" | "note" | "call_police" | "reopen" | "reviewed";

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

export type IncidentAction = { "action": "acknowledge" } | { "action": "dispatch", guard: string, } | { "action": "on_scene" } | { "action": "resolve" } | { "action": "close", category: CloseCategory, } | { "action": "note", text: string, } | { "action": "call_police" } | { "action": "reopen" } | { "action": "reviewed" };

export type Source = "handheld" | "wand" | "manual";

export type Method = "nfc" | "qr" | "rfid" | "wand" | "radio";

export type Flag = "too_fast" | "burst" | "clock_ahead" | "clock_behind" | "manual";

export type ShiftKind = "day" | "night";

export type Shift = { 
/**
 * `2026-11-30/night`: what sign-offs and filters name.
 */
key: string, 
/**
 * Local date the shift starts on, `2026-11-30`.
 */
date: string, kind: ShiftKind, start: number, end: number, };

export type Schedule = { 
/**
 * The schedule; versions of one schedule share it.
 */
id: string, route: string, 
/**
 * Local time of the first round.
 */
start: number, 
/**
 * Local time no round starts at or after (equal to `start`: around the clock). Earlier than
 * `start` means the next day: 22:00 → 06:00.
 */
end: number, 
/**
 * Minutes from one round's start to the next.
 */
every: number, 
/**
 * Bit 0 Monday … bit 6 Sunday.
 */
weekdays: number, 
/**
 * This version holds for rounds starting in `[valid_from, valid_to)` (ms since the epoch).
 */
valid_from: number, valid_to: number | null, };

export type LegDef = { checkpoint: string, 
/**
 * Expected walking time from the checkpoint before (0 for the first), in seconds.
 */
walk_s: number, };

export type RoundState = "upcoming" | "in_progress" | "done" | "missed";

export type CheckpointMark = "pending" | "on_time" | "early" | "late" | "out_of_order" | "missed";

export type RoundCheckpoint = { checkpoint: string, code: string, name_zh: string, name_en: string, floor: string | null, expected: number, mark: CheckpointMark, touched: number | null, guard: string | null, source: Source | null, flags: Array<Flag>, };

export type RoundView = { round: string, route: string, route_name: string, start: number, deadline: number, state: RoundState, done: number, on_time: number, total: number, 
/**
 * The incident its miss opened, if it was raised.
 */
incident: string | null, checkpoints: Array<RoundCheckpoint>, };

export type GuardLast = { badge: string, name: string | null, checkpoint: string | null, code: string | null, floor: string | null, at: number, };

export type PatrolBoard = { now: number, shift: Shift, time_zone: string, rounds: Array<RoundView>, 
/**
 * Each checkpoint of a round in progress or just ended: its mark now.
 */
marks: Array<[string, CheckpointMark]>, guards: Array<GuardLast>, routes: number, };

export type PatrolMarks = { marks: Array<[string, CheckpointMark]>, guards: Array<GuardLast>, };

export type RadioCheckIn = { checkpoint: string, 
/**
 * The guard's badge.
 */
guard: string, 
/**
 * When the guard says he was there (ms since the epoch); now when absent.
 */
at: number | null, reason: string, };

export type RouteView = { id: string, name: string, ordered: boolean, retired: boolean, legs: Array<LegDef>, schedule: Schedule | null, };

export type RouteInput = { 
/**
 * None for a new route.
 */
id: string | null, name: string, ordered: boolean, legs: Array<LegDef>, 
/**
 * Local `HH:MM`.
 */
start: string, end: string, every_minutes: number, 
/**
 * Bit 0 Monday … bit 6 Sunday.
 */
weekdays: number, retired: boolean, };

export type ExceptionKind = "missed" | "late" | "early" | "out_of_order" | "suspicious" | "manual" | "unknown_tag" | "unknown_guard";

export type PatrolException = { 
/**
 * What an explanation names: `missed:<round>:<checkpoint>`, `check_in:<id>` ….
 */
key: string, kind: ExceptionKind, at: number, route: string | null, checkpoint: string | null, guard: string | null, detail: string, flags: Array<Flag>, explanation: string | null, explained_by: string | null, 
/**
 * The incident a missed round opened (its explanation is its closing note).
 */
incident: string | null, };

export type Compliance = { label: string, sub: string, expected: number, on_time: number, early: number, late: number, missed: number, };

export type SignOffView = { by: string, at: number, digest: string, };

export type IncidentResponse = { incident: string, point: string, alarm_type: string, priority: number, opened_at: number, acknowledged_by: string | null, ack_seconds: number | null, on_scene_seconds: number | null, closed_by: string | null, category: string | null, note: string | null, };

export type ShiftReview = { shift: Shift, 
/**
 * The site's zone, in which every time of the review is shown.
 */
time_zone: string, totals: Compliance, check_ins: number, by_guard: Array<Compliance>, by_route: Array<Compliance>, by_day: Array<Compliance>, exceptions: Array<PatrolException>, unexplained: number, sign_offs: Array<SignOffView>, 
/**
 * Signed, and something arrived or was explained since.
 */
changed_since_sign_off: boolean, 
/**
 * The digest of what the shift holds now (what a sign-off signs).
 */
digest: string, incidents: Array<IncidentResponse>, target_seconds: number, 
/**
 * Every incident needing review, of any shift, the latest first (at most 200).
 */
needing_review: Array<ReviewItem>, };

export type ReviewItem = { incident: string, 
/**
 * The point's code (or the sender's key for an unmapped one).
 */
point: string, alarm_type: string, priority: number, state: IncidentState, opened_at: number, 
/**
 * Each marked line: why it is kept without acting, who did it and when.
 */
marks: Array<MarkedLine>, };

export type MarkedLine = { mark: Mark, by: string | null, at: number, };

export type LogLine = { id: string, seq: number, judged_at: number, device_time: number, received: number, guard: string, guard_name: string | null, tag: string, checkpoint: string | null, source: Source, method: Method, clock: string | null, reason: string | null, actor: string, };

export type LogFilter = { from: number | null, to: number | null, guard: string | null, route: string | null, building: string | null, 
/**
 * `[judged_at, seq]` of the last line of the page before.
 */
before: [number, number] | null, };

export type LogPage = { lines: Array<LogLine>, next: [number, number] | null, };

export type ExportKind = "patrol_pdf" | "patrol_csv" | "incidents_pdf" | "incidents_csv";

export type Exported = { path: string, bytes: number, };

export type WandPreviewRow = { row: number, written_time: string, time: number, chip: string | null, checkpoint: string | null, 
/**
 * The checkpoint it answers to (code and name), if any.
 */
matched: string | null, person: string | null, 
/**
 * The guard's badge, if the person is a known guard.
 */
badge: string | null, };

export type WandRejectedRow = { row: number, field: string, reason: string, raw: string, };

export type WandReport = { file: string, format: string, encoding: string, mapping: string, header_rows: number, rows: number, stored: number, 
/**
 * Rows already stored (the same scan in an earlier import).
 */
duplicates: number, unknown_tags: number, unknown_guards: number, dry_run: boolean, 
/**
 * Why nothing was stored: rows that cannot be read, or a file that cannot.
 */
refused: string | null, rejected: Array<WandRejectedRow>, preview: Array<WandPreviewRow>, 
/**
 * When no column mapping fits: the headers found, for the user to map to fields.
 */
headers: Array<string>, };

export type WandMappingInput = { 
/**
 * Named after the wand software it is for.
 */
name: string, 
/**
 * `time`, `date`, `time_of_day`, `reader`, `person`, `checkpoint`, `event`, `chip` → header.
 */
columns: Array<[string, string]>, };

export type WandMappingView = { name: string, builtin: boolean, columns: Array<[string, Array<string>]>, };

export type Language = "zh-CN" | "en";

export type Startup = { data_dir: string, 
/**
 * Why the console cannot run, shown instead of it.
 */
error: ApiError | null, 
/**
 * No hospital yet: the window offers the demo — or, when enrolled, waits for the campus.
 */
empty: boolean, 
/**
 * The central server this workstation is enrolled with, if any: an empty workstation fills
 * itself from it (the campus an administrator published there).
 */
enrolled_with: string | null, 
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
