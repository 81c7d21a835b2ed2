// Every call from the web UI into Rust goes through this module, typed with the generated bindings.

import { invoke } from "@tauri-apps/api/core";
import type {
  AccountForm,
  AccountView,
  PublishReport,
  ApiError,
  EngineStatus,
  ErrorCode,
  Language,
  Refusal,
  SirenStatus,
  Startup,
  SyncView,
  EnrollmentView,
  DeviceDetail,
  DeviceMoveInput,
  FloorDevices,
  FloorView,
  GuardView,
  IncidentAction,
  IncidentDetail,
  IncidentView,
  LinkedCamera,
  Overview,
  SearchHit,
  SessionView,
  SettingsView,
  LogFilter,
  LogPage,
  PatrolBoard,
  RadioCheckIn,
  RouteView,
  Shift,
  ShiftReview,
  ExportKind,
  Exported,
  WandReport,
  RouteInput,
  PatrolMarks,
  WandMappingInput,
  WandMappingView,
} from "./bindings";

// The shell's own messages are generated from `vigil_api::shell` like everything else.
export type { EngineStatus, EnrollmentView, IncidentChange, IncidentNews, Language, SirenStatus, Startup, SyncView, Transport } from "./bindings";

/** An error from the engine: its code (or "error" when the shell itself failed), the field it is
 * about, and for a refused action the reason. */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode | "error",
    message: string,
    readonly field: string | null,
    readonly refusal: Refusal | null = null,
  ) {
    super(message);
  }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    const e = raw as Partial<ApiError> | string;
    if (typeof e === "object" && e && typeof e.message === "string") {
      throw new EngineError(e.code ?? "error", e.message, e.field ?? null, e.refusal ?? null);
    }
    throw new EngineError("error", String(raw), null);
  }
}

export const api = {
  engineStatus: () => call<EngineStatus>("engine_status"),
  /** Sync with the central server; `null` when this workstation is not enrolled. */
  syncStatus: () => call<SyncView | null>("sync_status"),
  /** The central server this workstation is enrolled with (never its token); `null` when not. */
  syncEnrollment: () => call<EnrollmentView | null>("sync_enrollment"),
  /** Enrolls this workstation (an administrator) with a code from `vigil server enroll`. */
  enrollWorkstation: (server: string, code: string) => call<EnrollmentView>("enroll_workstation", { server, code }),
  /** Publishes this workstation's campus (an administrator) for the server to hand down. */
  publishCampus: () => call<PublishReport>("publish_campus"),
  startup: () => call<Startup>("startup"),
  setLanguage: (language: Language) => call<void>("set_language", { language }),
  createDemo: () => call<void>("create_demo"),
  /** What vigil.toml says, for the settings screen: no key, no token. */
  settingsView: () => call<SettingsView>("settings_view"),
  overview: () => call<Overview>("overview"),
  floorDevices: (floorId: string) => call<FloorDevices>("floor_devices", { floorId }),
  deviceDetail: (id: string) => call<DeviceDetail>("device_detail", { id }),
  searchDevices: (text: string, limit = 20) => call<SearchHit[]>("search_devices", { text, limit }),
  login: (name: string, pin: string) => call<SessionView>("login", { name, pin }),
  logout: () => call<void>("logout"),
  lock: () => call<void>("lock"),
  unlock: (pin: string) => call<SessionView>("unlock", { pin }),
  session: () => call<SessionView | null>("session"),
  /** The console accounts (administrators only: Rust refuses anyone else). */
  consoleAccounts: () => call<AccountView[]>("console_accounts"),
  /** Adds or changes a console account; it reaches every workstation through the server. */
  setConsoleAccount: (form: AccountForm) => call<AccountView>("set_console_account", { form }),
  incidents: () => call<IncidentView[]>("incidents"),
  incidentDetail: (id: string, language: Language) => call<IncidentDetail>("incident_detail", { id, language }),
  act: (id: string, action: IncidentAction) => call<IncidentView>("act_on_incident", { id, action }),
  shelve: (id: string, minutes: number, reason: string) => call<void>("shelve_point", { id, minutes, reason }),
  guards: () => call<GuardView[]>("guards"),
  setProcedure: (alarmType: string, language: Language, steps: string[]) =>
    call<void>("set_procedure", { alarmType, language, steps }),
  cameraCandidates: (point: string) => call<LinkedCamera[]>("camera_candidates", { point }),
  linkCameras: (point: string, cameras: string[]) => call<void>("link_cameras", { point, cameras }),
  silence: () => call<SirenStatus>("silence_siren"),
  siren: () => call<SirenStatus>("siren_status"),
  /** What the siren played and which notifications went out (tests and the alarm benchmark). */
  attentionLog: () => call<unknown>("attention_log"),
  patrolBoard: () => call<PatrolBoard>("patrol_board"),
  patrolRoutes: () => call<RouteView[]>("patrol_routes"),
  /** How each checkpoint stands in its current round (kept judged in Rust, cheap to ask). */
  patrolMarks: () => call<PatrolMarks>("patrol_marks"),
  saveRoute: (input: RouteInput) => call<string>("save_route", { input }),
  radioCheckIn: (input: RadioCheckIn) => call<string>("radio_check_in", { input }),
  annotateCheckIn: (id: string, text: string) => call<void>("annotate_check_in", { id, text }),
  patrolLog: (filter: LogFilter, limit = 100) => call<LogPage>("patrol_log", { filter, limit }),
  recentShifts: () => call<Shift[]>("recent_shifts"),
  shiftReview: (shift: string) => call<ShiftReview>("shift_review", { shift }),
  /** The last `days` days: compliance by day, guard and route, and response times. */
  patrolSummary: (days: number) => call<ShiftReview>("patrol_summary", { days }),
  explainException: (shift: string, key: string, text: string) =>
    call<ShiftReview>("explain_exception", { shift, key, text }),
  signOffShift: (shift: string) => call<ShiftReview>("sign_off_shift", { shift }),
  wandMappings: () => call<WandMappingView[]>("wand_mappings"),
  saveWandMapping: (input: WandMappingInput) => call<void>("save_wand_mapping", { input }),
  exportShift: (shift: string, what: ExportKind, language: Language) =>
    call<Exported>("export_shift", { shift, what, language }),
  /** Reads (and, unless a dry run, stores) a wand export; progress comes as `wand-progress` events. */
  async importWand(fileName: string, bytes: Uint8Array, dryRun: boolean, mapping = ""): Promise<WandReport> {
    try {
      return await invoke<WandReport>("import_wand", bytes, {
        headers: { "file-name": encodeURIComponent(fileName), "dry-run": dryRun ? "1" : "0", mapping: encodeURIComponent(mapping) },
      });
    } catch (raw) {
      const e = raw as Partial<ApiError>;
      throw new EngineError(e.code ?? "error", e.message ?? String(raw), e.field ?? null);
    }
  },
  moveDevices: (moves: DeviceMoveInput[]) => call<number>("move_devices", { moves }),
  async importFloorPlan(floorId: string, bytes: Uint8Array): Promise<FloorView> {
    try {
      return await invoke<FloorView>("import_floor_plan", bytes, { headers: { "floor-id": floorId } });
    } catch (raw) {
      const e = raw as Partial<ApiError>;
      throw new EngineError(e.code ?? "error", e.message ?? String(raw), e.field ?? null);
    }
  },
  /** URL of a floor's or site's plan image, served by the shell with its media type. */
  planUrl: (ownerId: string, version = 0) => `vigil-plan://localhost/${ownerId}?v=${version}`,
};
