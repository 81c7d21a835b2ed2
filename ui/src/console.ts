// The console screen: header with search and switches, the campus sidebar, the map with its floor
// buttons, the device details, and the status bar.

import { listen } from "@tauri-apps/api/event";
import { api, EngineError, type EngineStatus, type IncidentNews, type Language, type Startup } from "./lib/api";
import type { DeviceStatus, IncidentAction, IncidentView, Overview, SearchHit, SessionView } from "./lib/bindings";
import { h, replace } from "./lib/dom";
import { count, label, language, languages, onLanguageChange, setLanguage, t, type MessageKey } from "./lib/i18n";
import { DetailsPanel } from "./features/devices/details";
import { EditMode } from "./features/map/editMode";
import { MapView, type MapPlace } from "./features/map/mapView";
import { SearchBox } from "./features/search/search";
import { AlarmList } from "./features/incidents/alarmList";
import { IncidentPanel } from "./features/incidents/incidentPanel";
import { commandFor } from "./features/incidents/keys";
import { LoginScreen } from "./features/session/login";

/** Resolves after the next frame is painted. */
const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/** The list is reloaded this often even without news, so nothing depends on one event arriving. */
const INCIDENT_POLL_MS = 5000;

export class Console {
  readonly map: MapView;
  readonly search: SearchBox;
  readonly details: DetailsPanel;
  readonly edit: EditMode;
  readonly alarms: AlarmList;
  readonly panel: IncidentPanel;
  readonly login: LoginScreen;
  session: SessionView | null = null;
  private lastActivity = Date.now();
  private reloading: Promise<void> | null = null;
  private reloadsWanted = 0;
  private newsSeq = 0;
  private refreshTimer = 0;
  /** Devices with an open incident at the last reload, and the status the map shows for them. */
  private alarmDevices = new Map<string, DeviceStatus>();
  private readonly header: HTMLElement;
  private readonly sidebar: HTMLElement;
  private readonly statusBar: HTMLElement;
  private readonly mapEl: HTMLElement;
  private engine: EngineStatus = { state: "starting", acknowledged: null };

  constructor(
    root: HTMLElement,
    private overview: Overview,
    private readonly startup: Startup,
  ) {
    this.header = h("header", { class: "topbar" });
    this.sidebar = h("nav", { class: "sidebar", "data-testid": "sidebar" });
    this.mapEl = h("div", { class: "map", "data-testid": "map" });
    this.statusBar = h("footer", { class: "status-bar", "data-testid": "status-bar" });
    this.details = new DetailsPanel(() => {
      this.details.hide();
      this.map.layer.select(-1);
    });
    const stage = h("section", { class: "stage" }, this.mapEl, this.details.element);
    const ackMs = startup.acknowledge_within_seconds * 1000;
    this.alarms = new AlarmList(ackMs, (incident) => void this.showIncident(incident));
    this.panel = new IncidentPanel(ackMs, {
      act: (action) => this.act(action),
      shelve: (minutes, reason) => this.shelve(minutes, reason),
      silence: () => this.silence(),
      locate: () => void this.locate(this.panel.incident),
      isAdmin: () => this.session?.role === "administrator",
      saveProcedure: (steps) => this.saveProcedure(steps),
      cameraCandidates: () => {
        const point = this.panel.incident?.point;
        return point ? api.cameraCandidates(point.id) : Promise.resolve([]);
      },
      linkCameras: (ids) => this.linkCameras(ids),
    });
    this.login = new LoginScreen(overview.demo, startup.lock_after_minutes, (session) => this.onSession(session));
    const column = h("aside", { class: "alarm-column" }, this.alarms.element, this.panel.element);
    replace(
      root,
      h("div", { class: "console" }, this.header, h("div", { class: "body" }, this.sidebar, stage, column), this.statusBar),
      this.login.element,
    );

    this.map = new MapView(this.mapEl, overview, {
      onSelectDevice: (id) => void this.showDevice(id),
      onPlaceChange: (place) => this.onPlace(place),
    });
    this.search = new SearchBox((hit) => void this.goTo(hit));
    this.edit = new EditMode(this.map, () => this.refresh());
    stage.append(this.edit.toolbar);
    onLanguageChange(() => this.renderTexts());
    this.renderTexts();
  }

  async start(): Promise<void> {
    await this.map.openCampus();
    this.session = await api.session();
    if (!this.session) this.login.showLogin();
    else if (this.session.locked) this.login.showLocked(this.session.name);
    this.renderHeader();
    this.panel.setGuards(await api.guards().catch(() => []));
    await listen<IncidentNews>("incident-news", (event) => void this.onNews(event.payload));
    await this.reloadIncidents();
    window.setInterval(() => void this.reloadIncidents(), INCIDENT_POLL_MS);
    document.addEventListener("keydown", (e) => this.onKey(e));
    for (const type of ["keydown", "pointerdown", "pointermove", "wheel"]) {
      document.addEventListener(type, () => (this.lastActivity = Date.now()), { passive: true, capture: true });
    }
    window.setInterval(() => void this.lockIfIdle(), 10_000);
    const poll = async () => {
      try {
        this.engine = await api.engineStatus();
      } catch {
        this.engine = { state: "off", acknowledged: null };
      }
      this.renderStatusBar();
    };
    await poll();
    window.setInterval(() => void poll(), 3000);
  }

  /** Reloads the alarm list, the selected incident, the map's alarm rings and colours. */
  reloadIncidents(): Promise<void> {
    // One reload at a time; news during one asks for another, and the promise settles after it.
    this.reloadsWanted++;
    this.reloading ??= (async () => {
      let done = 0;
      while (done < this.reloadsWanted) {
        done = this.reloadsWanted;
        await this.doReload().catch(() => undefined);
      }
    })().finally(() => (this.reloading = null));
    return this.reloading;
  }

  private async doReload(): Promise<void> {
    const seq = this.newsSeq;
    const items = await api.incidents();
    // News that came while this was on its way is newer than what it brings.
    if (seq !== this.newsSeq) return;
    await this.applyItems(items);
  }

  /** Shows `items` as the open list: the rows at once; the map, the panel and the counts after the
   * rows are on screen, so nothing heavier ever delays an alarm's row. */
  private async applyItems(items: IncidentView[]): Promise<void> {
    const before = new Set(this.alarms.incidents.map((i) => i.id));
    this.alarms.setItems(items);
    this.login.setOpenAlarms(items.length);
    await nextFrame();
    this.map.setAlarms(
      items
        .filter((i) => i.point !== null)
        .map((i) => ({ id: i.id, floor_id: i.point!.floor_id, x: i.point!.x, y: i.point!.y, priority: i.priority, flashing: i.state === "new" })),
    );
    // The map's colours are the store's: each alarm point as its incident left it, and a point whose
    // incident closed as the store now has it.
    const open = new Map<string, DeviceStatus>();
    for (const i of items) if (i.point) open.set(i.point.id, i.point.status);
    for (const [id, status] of open) if (this.alarmDevices.get(id) !== status) this.map.setDeviceStatus(id, status);
    for (const id of this.alarmDevices.keys()) {
      if (!open.has(id)) void api.deviceDetail(id).then((d) => this.map.setDeviceStatus(id, d.device.status), () => undefined);
    }
    this.alarmDevices = open;
    const selected = this.alarms.selected;
    if (selected) await this.showIncident(selected);
    if (items.length !== before.size || items.some((i) => !before.has(i.id))) this.refreshSoon();
  }

  /** The floor badges and counts, refreshed a moment later and once for a burst of changes. */
  private refreshSoon(): void {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => void this.refresh().catch(() => undefined), 250);
  }

  private async onNews(news: IncidentNews): Promise<void> {
    this.newsSeq++;
    await this.applyItems(news.open);
    // The most urgent new alarm takes the desk, unless the operator is on one at least as urgent.
    const fresh = news.changes
      .filter((c) => c.opened)
      .map((c) => news.open.find((i) => i.id === c.incident_id))
      .filter((i): i is IncidentView => i !== undefined)
      .sort((a, b) => a.priority - b.priority)[0];
    if (!fresh) return;
    const current = this.alarms.selected;
    if (!current || current.state !== "new" || fresh.priority < current.priority) {
      this.alarms.select(fresh.id);
      await this.locate(fresh);
    }
  }

  private async showIncident(incident: IncidentView | null): Promise<void> {
    if (!incident) {
      this.panel.show(null);
      return;
    }
    try {
      this.panel.show(await api.incidentDetail(incident.id, language()));
    } catch {
      this.panel.show(null);
    }
  }

  /** Flies the map to the incident's floor and point. */
  private async locate(incident: IncidentView | null): Promise<void> {
    const p = incident?.point;
    if (!p) return;
    await this.map.focusDevice({ id: p.id, floor_id: p.floor_id, x: p.x, y: p.y });
  }

  private async act(action: IncidentAction): Promise<void> {
    const incident = this.panel.incident;
    if (!incident) return;
    try {
      await api.act(incident.id, action);
    } catch (e) {
      this.refused(e);
    }
    await this.reloadIncidents();
  }

  private async shelve(minutes: number, reason: string): Promise<void> {
    const incident = this.panel.incident;
    if (!incident) return;
    try {
      await api.shelve(incident.id, minutes, reason);
    } catch (e) {
      this.refused(e);
    }
    await this.reloadIncidents();
  }

  private async saveProcedure(steps: string[]): Promise<void> {
    const incident = this.panel.incident;
    if (!incident) return;
    try {
      await api.setProcedure(incident.alarm_type, language(), steps);
    } catch (e) {
      this.refused(e);
    }
    await this.showIncident(incident);
  }

  private async linkCameras(ids: string[]): Promise<void> {
    const incident = this.panel.incident;
    if (!incident?.point) return;
    try {
      await api.linkCameras(incident.point.id, ids);
    } catch (e) {
      this.refused(e);
    }
    await this.showIncident(incident);
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
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof EngineError && e.code === "locked" && this.session) this.login.showLocked(this.session.name);
    else if (e instanceof EngineError && e.code === "login_required") this.login.showLogin();
    this.panel.refuse(message);
  }

  private say(text: string): void {
    const el = this.statusBar.querySelector('[data-testid="console-message"]');
    if (el) el.textContent = text;
  }

  private onSession(session: SessionView): void {
    this.session = session;
    this.lastActivity = Date.now();
    if (session.role !== "administrator" && this.edit.active) this.edit.setActive(false);
    this.renderHeader();
    void this.reloadIncidents().then(() => this.panel.renderTexts());
  }

  private async lockIfIdle(): Promise<void> {
    const minutes = this.startup.lock_after_minutes;
    if (!this.session || this.login.visible || minutes <= 0) return;
    if (Date.now() - this.lastActivity < minutes * 60_000) return;
    await api.lock().catch(() => undefined);
    this.login.showLocked(this.session.name);
  }

  private onKey(e: KeyboardEvent): void {
    if (this.login.visible) return;
    if (this.panel.formKey(e)) {
      e.preventDefault();
      return;
    }
    const target = e.target as HTMLElement | null;
    const typing = !!target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
    const command = commandFor(e, typing);
    if (!command) return;
    switch (command) {
      case "next":
        this.alarms.move(1);
        break;
      case "previous":
        this.alarms.move(-1);
        break;
      case "lock":
        if (this.session) {
          void api.lock().then(() => this.login.showLocked(this.session!.name));
        }
        break;
      case "silence":
        void this.silence();
        break;
      default:
        if (!this.panel.command(command)) return;
    }
    e.preventDefault();
  }

  private engineText(): string {
    const e = this.engine;
    switch (e.state) {
      case "listening":
        return t("engineListening", { dc09: e.dc09_tcp ?? "—", http: e.http ?? "—", n: count(e.acknowledged ?? 0) });
      case "failed":
        return t("engineFailed", { message: e.message });
      case "off":
        return t("engineOff");
      default:
        return t("engineStarting");
    }
  }

  /** Reloads the overview (counts, floors, alarms) after something changed. */
  async refresh(): Promise<void> {
    this.overview = await api.overview();
    this.map.setOverview(this.overview);
    this.renderSidebar();
    this.renderStatusBar();
  }

  async goTo(hit: SearchHit): Promise<void> {
    await this.map.focusDevice(hit);
    await this.showDevice(hit.id);
  }

  private async showDevice(id: string): Promise<void> {
    try {
      this.details.show(await api.deviceDetail(id));
    } catch {
      this.details.hide();
    }
  }

  private onPlace(place: MapPlace): void {
    if (this.edit?.active && place.kind !== "floor") this.edit.setActive(false);
    this.details?.hide();
    this.renderSidebar();
    this.renderHeader();
  }

  private renderTexts(): void {
    document.title = t("appTitle");
    this.renderHeader();
    this.renderSidebar();
    this.renderStatusBar();
    this.search.renderTexts();
    this.details.renderTexts();
    this.edit.renderTexts();
    this.map.renderTexts();
    this.alarms?.renderTexts();
    this.panel?.renderTexts();
    // The procedure is stored per language: fetch it again in the new one.
    if (this.alarms?.selected) void this.showIncident(this.alarms.selected);
    this.login?.renderTexts();
  }

  private renderHeader(): void {
    const next: Language = languages.find((l) => l !== language()) ?? "en";
    const place = this.map?.current;
    const crumbs =
      place?.kind === "floor"
        ? `${label(place.site.name)} › ${label(place.building.name)} › ${label(place.floor.label)}`
        : place
          ? label(place.site.name)
          : "";
    replace(
      this.header,
      h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "◉"), t("appTitle")),
      this.overview.demo ? h("span", { class: "demo-badge", "data-testid": "demo-badge" }, t("demoBadge")) : null,
      h("div", { class: "crumbs", "data-testid": "breadcrumbs" }, crumbs),
      this.search.element,
      h(
        "button",
        {
          class: `button${this.edit?.active ? " primary" : ""}`,
          "data-testid": "edit-toggle",
          disabled: place?.kind !== "floor" || this.session?.role !== "administrator",
          onclick: () => {
            this.edit.setActive(!this.edit.active);
            this.renderHeader();
          },
        },
        t("edit"),
      ),
      h(
        "button",
        {
          class: "button",
          "data-testid": "language-toggle",
          title: t("languageTitle"),
          onclick: () => {
            setLanguage(next);
            void api.setLanguage(next).catch(() => undefined);
          },
        },
        t("language"),
      ),
      this.session
        ? h(
            "span",
            { class: "session", "data-testid": "session" },
            h("span", { class: "session-name" }, `${this.session.full_name} · ${t(`role_${this.session.role}` as MessageKey)}`),
            h("button", { class: "button", "data-testid": "lock-button", title: "L", onclick: () => void api.lock().then(() => this.login.showLocked(this.session!.name)) }, t("lock")),
            h(
              "button",
              {
                class: "button",
                "data-testid": "logout-button",
                onclick: () =>
                  void api.logout().then(() => {
                    this.session = null;
                    this.renderHeader();
                    this.login.showLogin();
                  }),
              },
              t("logout"),
            ),
          )
        : null,
    );
  }

  private renderSidebar(): void {
    const place = this.map?.current;
    const openBuilding = place?.kind === "floor" ? place.building.id : null;
    const sites = this.overview.sites.map((site) =>
      h(
        "section",
        { class: "site" },
        h(
          "button",
          {
            class: `site-button${place?.kind === "campus" && place.site.id === site.id ? " active" : ""}`,
            "data-testid": `site-${site.id}`,
            onclick: () => void this.map.openCampus(site.id),
          },
          label(site.name),
        ),
        h(
          "ul",
          { class: "building-list" },
          ...site.buildings.map((b) =>
            h(
              "li",
              {},
              h(
                "button",
                {
                  class: `building-button${b.id === openBuilding ? " active" : ""}`,
                  "data-testid": `building-${b.id}`,
                  "data-code": b.code,
                  onclick: () => void this.map.openBuilding(b.id),
                },
                h("span", { class: "building-name" }, label(b.name)),
                h("span", { class: "building-meta" }, `${b.code} · ${b.floors.length} ${t("floors")}`),
                b.active_alarms > 0 ? h("span", { class: "floor-alarms" }, String(b.active_alarms)) : null,
              ),
            ),
          ),
        ),
      ),
    );
    replace(this.sidebar, h("h2", {}, t("buildings")), ...sites);
  }

  private renderStatusBar(): void {
    const totals = this.overview.totals;
    const item = (testid: string, key: Parameters<typeof t>[0], n: number) =>
      h("span", { class: "status-item", "data-testid": testid, "data-count": n }, `${t(key)} `, h("strong", {}, count(n)));
    replace(
      this.statusBar,
      item("count-cameras", "countCameras", totals.cameras),
      item("count-alarm-points", "countAlarmPoints", totals.alarm_points),
      item("count-mobile-alarm-points", "countMobile", totals.mobile_alarm_points),
      item("count-checkpoints", "countCheckpoints", totals.checkpoints),
      h("span", { class: "console-message", "data-testid": "console-message", role: "status" }),
      h("span", { class: "spacer" }),
      h("span", { class: `engine-status ${this.engine.state}`, "data-testid": "engine-status", title: this.engineText() }, this.engineText()),
      h("span", { class: "sync-status offline", "data-testid": "sync-status", title: this.startup.data_dir }, t("syncLocal")),
    );
  }
}
