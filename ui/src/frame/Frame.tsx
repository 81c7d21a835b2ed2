// The console's frame: the header (screen tabs with their keys, the alarm strip, the language and
// who is logged in), the screens (one in front, the others hidden with their timers paused) and the
// status bar. It owns what every screen shares — the open alarms, the session and the lock, the
// engine's status, the keyboard — and brings the alarm desk forward for every new alarm.
// Written with Solid: fine-grained updates, no virtual DOM; screens may be Solid or imperative.

import { createMemo, createSignal, For, Show } from "solid-js";
import { render } from "solid-js/web";
import { FLASH, startBlink } from "../lib/blink";
import { api, type EngineStatus, type IncidentNews, type Language, type Startup, type SyncView } from "../lib/api";
import type { IncidentView, Overview, SessionView } from "../lib/bindings";
import { label, languages, onLanguageChange, setLanguage, t, type MessageKey } from "../lib/i18n";
import { inLanguage, lang, tr, trCount } from "../lib/reactive";
import { commandFor } from "../features/incidents/keys";
import { placeText, timerText, typeText } from "../features/incidents/present";
import { LoginScreen } from "../features/session/login";
import { AlarmFeed, opensIncident } from "./alarmFeed";
import type { ConsoleContext } from "./context";
import { ALARM_DESK, GLOBAL_COMMANDS, keysText, SCREENS, screenForKey, type ScreenId } from "./screens";
import { ScreenStack, type Screen } from "./stack";
import { engineStateText } from "./engine";
import { syncBanner, syncClass, syncText } from "./sync";
import { stripSummary, type StripSummary } from "./strip";

/** How long a status-bar message stays. */
const MESSAGE_MS = 10_000;
/** How often the engine's status is asked for. */
const ENGINE_POLL_MS = 3000;

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

export class ConsoleFrame implements ConsoleContext {
  readonly feed = new AlarmFeed();
  readonly login: LoginScreen;
  readonly stack: ScreenStack;
  /** Where the screens' elements live. */
  readonly host: HTMLElement;
  readonly session: () => SessionView | null;
  readonly engine: () => EngineStatus;
  readonly sync: () => SyncView | null;
  private readonly setSessionSignal: (s: SessionView | null) => void;
  private readonly setEngine: (s: EngineStatus) => void;
  private readonly setSync: (s: SyncView | null) => void;
  private readonly setOverviewSignal: (o: Overview) => void;
  private readonly overviewSignal: () => Overview;
  private readonly setMessage: (m: string) => void;
  private readonly setOpen: (items: IncidentView[]) => void;
  private readonly setNow: (ms: number) => void;
  private readonly sessionListeners = new Set<(s: SessionView | null) => void>();
  private readonly disposeView: () => void;
  private lastActivity = Date.now();
  private messageTimer = 0;
  /** Listeners and timers the frame started, undone by `dispose`. */
  private readonly cleanups: (() => void)[] = [];

  constructor(
    root: HTMLElement,
    readonly startup: Startup,
    overview: Overview,
  ) {
    const [session, setSession] = createSignal<SessionView | null>(null);
    const [engine, setEngine] = createSignal<EngineStatus>({ state: "starting", acknowledged: null });
    const [sync, setSync] = createSignal<SyncView | null>(null);
    const [currentOverview, setOverview] = createSignal(overview);
    const [message, setMessage] = createSignal("");
    const [open, setOpen] = createSignal<IncidentView[]>([]);
    const [now, setNow] = createSignal(Date.now());
    const [active, setActive] = createSignal<ScreenId | null>(null);
    this.session = session;
    this.engine = engine;
    this.sync = sync;
    this.setSessionSignal = setSession;
    this.setEngine = setEngine;
    this.setSync = setSync;
    this.setOverviewSignal = setOverview;
    this.overviewSignal = currentOverview;
    this.setMessage = setMessage;
    this.setOpen = setOpen;
    this.setNow = setNow;

    this.login = new LoginScreen(overview.demo, startup.lock_after_minutes, (s) => this.loggedIn(s));
    this.stack = new ScreenStack((id) => setActive(id));
    // First in line for every change of the open list: the strip, the login screen's count, and a
    // new alarm bringing the desk forward before the desk draws it.
    this.feed.subscribe((items, news) => this.onFeed(items, news));

    const show = (id: ScreenId) => this.stack.show(id, "operator");
    let host!: HTMLElement;
    root.replaceChildren();
    this.disposeView = render(() => {
      const summary = createMemo(() => stripSummary(open()));
      return (
        <>
          <div class="console">
            <header class="topbar">
              <div class="brand">
                <span class="brand-mark">◉</span>
                {tr("appTitle")}
              </div>
              <Show when={overview.demo}>
                <span class="demo-badge" data-testid="demo-badge">
                  {tr("demoBadge")}
                </span>
              </Show>
              <nav class="screen-tabs" role="tablist">
                <For each={SCREENS}>
                  {(spec) => (
                    <button
                      class="screen-tab"
                      classList={{ active: active() === spec.id }}
                      role="tab"
                      aria-selected={active() === spec.id}
                      data-testid={`screen-tab-${spec.id}`}
                      title={tr("screenTabTitle", { name: tr(spec.title), keys: keysText(spec) })}
                      onClick={() => show(spec.id)}
                    >
                      {tr(spec.title)}
                      <kbd>{spec.fkey}</kbd>
                    </button>
                  )}
                </For>
              </nav>
              <AlarmStrip summary={summary} now={now} away={() => active() !== ALARM_DESK} onClick={() => show(ALARM_DESK)} />
              <span class="spacer" />
              <button
                class="button"
                data-testid="language-toggle"
                title={tr("languageTitle")}
                onClick={() => this.setLanguage(languages.find((l) => l !== lang()) ?? "en")}
              >
                {tr("language")}
              </button>
              <Show when={session()}>
                {(s) => (
                  <span class="session" data-testid="session">
                    <span class="session-name">{`${s().full_name} · ${tr(`role_${s().role}` as MessageKey)}`}</span>
                    <button class="button" data-testid="lock-button" title="L" onClick={() => this.lock()}>
                      {tr("lock")}
                    </button>
                    <button class="button" data-testid="logout-button" onClick={() => this.logout()}>
                      {tr("logout")}
                    </button>
                  </span>
                )}
              </Show>
            </header>
            <main class="screens" ref={host} />
            <StatusBar
              overview={currentOverview}
              engine={engine}
              sync={sync}
              message={message}
              dataDir={startup.data_dir}
            />
          </div>
          {this.login.element}
        </>
      );
    }, root);
    this.host = host;
    const title = () => (document.title = t("appTitle"));
    title();
    this.cleanups.push(onLanguageChange(title));
  }

  /** Adds a screen (hidden until shown). */
  add(screen: Screen): void {
    this.stack.add(screen);
  }

  /** The session, the open alarms, the keyboard, the lock and the engine's status. */
  async start(): Promise<void> {
    const session = await api.session();
    this.setSession(session);
    if (!session) this.login.showLogin();
    else if (session.locked) this.login.showLocked(session.name);
    await this.feed.start();
    const onKey = (e: KeyboardEvent) => this.onKey(e);
    const active = () => (this.lastActivity = Date.now());
    const activity = ["keydown", "pointerdown", "pointermove", "wheel"];
    document.addEventListener("keydown", onKey);
    for (const type of activity) document.addEventListener(type, active, { passive: true, capture: true });
    const every = (ms: number, run: () => void) => {
      const handle = setInterval(run, ms);
      this.cleanups.push(() => clearInterval(handle));
    };
    every(10_000, () => void this.lockIfIdle());
    // The one clock every flashing row, ring, strip and banner flashes on.
    const blink = startBlink();
    this.cleanups.push(() => blink.stop());
    // The strip's timer: only while something is open.
    every(1000, () => {
      if (this.feed.open.length > 0) this.setNow(Date.now());
    });
    this.cleanups.push(() => {
      document.removeEventListener("keydown", onKey);
      for (const type of activity) document.removeEventListener(type, active, { capture: true });
    });
    await this.pollEngine();
    every(ENGINE_POLL_MS, () => void this.pollEngine());
  }

  /** Removes the frame and every screen with its timers and listeners (a running console never
   * does; it is there so nothing outlives it). */
  dispose(): void {
    this.feed.stop();
    for (const undo of this.cleanups.splice(0)) undo();
    window.clearTimeout(this.messageTimer);
    this.stack.disposeAll();
    this.disposeView();
  }

  onSession(listener: (s: SessionView | null) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  say(text: string): void {
    this.setMessage(text);
    window.clearTimeout(this.messageTimer);
    this.messageTimer = window.setTimeout(() => this.setMessage(""), MESSAGE_MS);
  }

  buildings(): { id: string; name: string }[] {
    lang();
    return this.overviewSignal().sites.flatMap((site) => site.buildings.map((b) => ({ id: b.id, name: label(b.name) })));
  }

  setOverview(overview: Overview): void {
    this.setOverviewSignal(overview);
  }

  setLanguage(language: Language): void {
    setLanguage(language);
    void api.setLanguage(language).catch(() => undefined);
  }

  show(screen: ScreenId): void {
    this.stack.show(screen, "operator");
  }

  lock(): void {
    const session = this.session();
    if (!session) return;
    void api.lock().then(() => this.login.showLocked(session.name), (e: unknown) => this.refused(e));
  }

  private logout(): void {
    void api.logout().then(() => {
      this.setSession(null);
      this.login.showLogin();
    });
  }

  private loggedIn(session: SessionView): void {
    this.lastActivity = Date.now();
    this.setSession(session);
  }

  private setSession(session: SessionView | null): void {
    this.setSessionSignal(session);
    for (const listener of this.sessionListeners) listener(session);
  }

  private onFeed(items: IncidentView[], news: IncidentNews | null): void {
    this.setOpen(items);
    this.setNow(Date.now());
    this.login.setOpenAlarms(items.length);
    // A new alarm brings the alarm desk to the front, whatever screen is open. What was typed on
    // that screen stays there: it is hidden, not destroyed.
    if (opensIncident(news)) this.stack.show(ALARM_DESK, "alarm");
  }

  private onKey(e: KeyboardEvent): void {
    if (this.login.visible) return;
    const screen = screenForKey(e);
    if (screen) {
      e.preventDefault();
      this.stack.show(screen, "operator");
      return;
    }
    const typing = isTyping(e.target);
    if (this.stack.active?.onKey?.(e, typing)) {
      e.preventDefault();
      return;
    }
    // The siren and the lock answer on every screen.
    const command = commandFor(e, typing);
    if (!command || !GLOBAL_COMMANDS.has(command)) return;
    e.preventDefault();
    if (command === "lock") this.lock();
    else void this.silence();
  }

  private async silence(): Promise<void> {
    try {
      const siren = await api.silence();
      this.say(t("sirenSilenced", { n: Math.round(siren.silenced_for_ms / 1000) }));
    } catch (e) {
      this.refused(e);
    }
  }

  private refused(e: unknown): void {
    void this.login.followRefusal(e);
    this.say(t("actionRefused", { message: e instanceof Error ? e.message : String(e) }));
  }

  private async lockIfIdle(): Promise<void> {
    const minutes = this.startup.lock_after_minutes;
    const session = this.session();
    if (!session || this.login.visible || minutes <= 0) return;
    if (Date.now() - this.lastActivity < minutes * 60_000) return;
    await api.lock().catch(() => undefined);
    this.login.showLocked(session.name);
  }

  refreshStatus(): void {
    void this.pollEngine();
  }

  private async pollEngine(): Promise<void> {
    try {
      this.setEngine(await api.engineStatus());
    } catch {
      this.setEngine({ state: "off", acknowledged: null });
    }
    this.setSync(await api.syncStatus().catch(() => null));
  }
}

/** The open alarms on every screen: how many, how many new, and the most urgent; a click (or F1)
 * goes to the alarm desk. It flashes while new alarms wait and another screen is in front. */
function AlarmStrip(props: {
  summary: () => StripSummary;
  now: () => number;
  away: () => boolean;
  onClick: () => void;
}) {
  const top = () => props.summary().top;
  return (
    <button
      class="alarm-strip"
      classList={{
        empty: props.summary().open === 0,
        attention: props.summary().unacknowledged > 0 && props.away(),
        [FLASH]: props.summary().unacknowledged > 0 && props.away(),
        [`p${top()?.priority ?? 0}`]: top() !== null,
      }}
      data-testid="alarm-strip"
      data-count={props.summary().open}
      data-new={props.summary().unacknowledged}
      title={tr("stripTitle")}
      onClick={() => props.onClick()}
    >
      <span class="strip-count">
        {tr("openAlarms")} <strong>{trCount(props.summary().open)}</strong>
      </span>
      <Show when={props.summary().unacknowledged > 0}>
        <span class="strip-new">{tr("stripNew", { n: trCount(props.summary().unacknowledged) })}</span>
      </Show>
      <Show when={top()} fallback={<span class="strip-none">{tr("noAlarms")}</span>}>
        {(i) => (
          <span class="strip-top" data-testid="alarm-strip-top" data-id={i().id}>
            <span class={`priority-badge p${i().priority}`}>{tr(`priority${i().priority}` as MessageKey)}</span>
            <span class="strip-type">{inLanguage(() => typeText(i().alarm_type))}</span>
            <span class="strip-code">{i().point?.code ?? ""}</span>
            <span class="strip-timer">{inLanguage(() => timerText(i(), props.now()))}</span>
            <span class="strip-place">{inLanguage(() => placeText(i()))}</span>
          </span>
        )}
      </Show>
      <kbd>F1</kbd>
    </button>
  );
}

function StatusBar(props: {
  overview: () => Overview;
  engine: () => EngineStatus;
  sync: () => SyncView | null;
  message: () => string;
  dataDir: string;
}) {
  const totals = () => props.overview().totals;
  const item = (testid: string, key: MessageKey, n: () => number) => (
    <span class="status-item" data-testid={testid} data-count={n()}>
      {`${tr(key)} `}
      <strong>{trCount(n())}</strong>
    </span>
  );
  const engineText = () =>
    engineStateText(props.engine(), (e) =>
      tr("engineListening", { dc09: e.dc09_tcp ?? "—", http: e.http ?? "—", n: trCount(e.acknowledged ?? 0) }),
    );
  const sync = () => props.sync();
  return (
    <footer class="status-bar" data-testid="status-bar">
      <Show when={syncBanner(sync())}>
        <span
          class="offline-banner"
          data-testid="offline-banner"
          role="status"
          title={tr("offlineBanner", { n: trCount(sync()?.queue ?? 0) })}
        >
          {tr("offlineBanner", { n: trCount(sync()?.queue ?? 0) })}
        </span>
      </Show>
      {item("count-cameras", "countCameras", () => totals().cameras)}
      {item("count-alarm-points", "countAlarmPoints", () => totals().alarm_points)}
      {item("count-mobile-alarm-points", "countMobile", () => totals().mobile_alarm_points)}
      {item("count-checkpoints", "countCheckpoints", () => totals().checkpoints)}
      <span class="console-message" data-testid="console-message" role="status">
        {props.message()}
      </span>
      <span class="spacer" />
      <span class={`engine-status ${props.engine().state}`} data-testid="engine-status" title={engineText()}>
        {engineText()}
      </span>
      <span
        class={`sync-status ${syncClass(sync())}`}
        data-testid="sync-status"
        data-state={syncClass(sync())}
        data-queue={sync()?.queue ?? 0}
        title={sync() ? `${sync()?.name} · ${props.dataDir}` : props.dataDir}
      >
        {syncText(sync(), tr)}
      </span>
    </footer>
  );
}
