// What the frame gives every screen: the start-up facts, the open alarms, the session, the login
// screen, the engine's status and the status bar's message line.

import type { EngineStatus, Language, Startup, SyncView } from "../lib/api";
import type { Overview, SessionView } from "../lib/bindings";
import type { LoginScreen } from "../features/session/login";
import type { AlarmFeed } from "./alarmFeed";
import type { ScreenId } from "./screens";

export interface ConsoleContext {
  readonly startup: Startup;
  /** The open alarms, kept current whichever screen is in front. */
  readonly feed: AlarmFeed;
  /** The login and lock overlay (over every screen). */
  readonly login: LoginScreen;
  /** Who is logged in, if anyone. */
  session(): SessionView | null;
  /** Calls `listener` after every login, hand-over, unlock and logout. */
  onSession(listener: (session: SessionView | null) => void): () => void;
  /** Where the receivers listen (polled every 3 s). */
  engine(): EngineStatus;
  /** Where sync with the central server stands (`null`: not enrolled), polled with the engine. */
  sync(): SyncView | null;
  /** Asks for the engine's and sync's status now (after enrolling, say). */
  refreshStatus(): void;
  /** A short message in the status bar. */
  say(text: string): void;
  /** The campus's buildings, named in the console's language (for filters). */
  buildings(): { id: string; name: string }[];
  /** New counts for the status bar (after a change to the campus). */
  setOverview(overview: Overview): void;
  /** Locks the console now (key L). */
  lock(): void;
  /** Brings a screen to the front, as its key does. */
  show(screen: ScreenId): void;
  /** Switches and remembers the console's language. */
  setLanguage(language: Language): void;
}
