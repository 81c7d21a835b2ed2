// The alarm desk, the console's first screen: the campus sidebar, the map with its floor buttons and
// the device details under a toolbar (where we are, search, edit mode), and the alarm column — the
// open alarms above, the selected incident below. Its parts stay imperative (the map draws on a
// canvas); the frame hosts it, hides it behind other screens and brings it back for every new alarm.

import { api, type IncidentNews } from "../lib/api";
import type { DeviceStatus, IncidentAction, IncidentView, Overview, SearchHit, SessionView } from "../lib/bindings";
import { h, replace } from "../lib/dom";
import { label, language, onLanguageChange, t } from "../lib/i18n";
import { DetailsPanel } from "../features/devices/details";
import { EditMode } from "../features/map/editMode";
import { MapView, type MapPlace } from "../features/map/mapView";
import { SearchBox } from "../features/search/search";
import { AlarmList } from "../features/incidents/alarmList";
import { IncidentPanel } from "../features/incidents/incidentPanel";
import { commandFor } from "../features/incidents/keys";
import type { ConsoleContext } from "../frame/context";
import type { Screen } from "../frame/stack";
import { ScreenTimers } from "../frame/timers";
import { routePicker } from "../features/patrol/picker";

/** Resolves after the next frame is painted. */
const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

/** How often the map's checkpoint colours follow the rounds. */
const PATROL_MARKS_MS = 10_000;

export class AlarmDesk implements Screen {
  readonly id = "alarms" as const;
  readonly element: HTMLElement;
  readonly timers = new ScreenTimers();
  readonly map: MapView;
  readonly search: SearchBox;
  readonly details: DetailsPanel;
  readonly edit: EditMode;
  readonly alarms: AlarmList;
  readonly panel: IncidentPanel;
  private refreshTimer = 0;
  /** Devices with an open incident at the last reload, and the status the map shows for them. */
  private alarmDevices = new Map<string, DeviceStatus>();
  private readonly sidebar: HTMLElement;
  private readonly crumbs: HTMLElement;
  private readonly editToggle: HTMLButtonElement;
  private readonly unsubscribe: (() => void)[] = [];
  /** Over the map while an administrator picks a route's checkpoints on it. */
  private readonly pickBanner = h("div", { class: "pick-banner", "data-testid": "route-pick-banner", hidden: true });

  constructor(
    host: HTMLElement,
    private readonly ctx: ConsoleContext,
    private overview: Overview,
  ) {
    this.sidebar = h("nav", { class: "sidebar", "data-testid": "sidebar" });
    const mapEl = h("div", { class: "map", "data-testid": "map" });
    this.details = new DetailsPanel(() => {
      this.details.hide();
      this.map.layer.select(-1);
    });
    const stage = h("section", { class: "stage" }, mapEl, this.details.element);
    const ackMs = ctx.startup.acknowledge_within_seconds * 1000;
    this.alarms = new AlarmList(ackMs, (incident) => void this.showIncident(incident), this.timers);
    this.panel = new IncidentPanel(
      ackMs,
      {
        act: (action) => this.act(action),
        shelve: (minutes, reason) => this.shelve(minutes, reason),
        silence: () => this.silence(),
        locate: () => void this.locate(this.panel.incident),
        isAdmin: () => this.ctx.session()?.role === "administrator",
        saveProcedure: (steps) => this.saveProcedure(steps),
        cameraCandidates: () => {
          const point = this.panel.incident?.point;
          return point ? api.cameraCandidates(point.id) : Promise.resolve([]);
        },
        linkCameras: (ids) => this.linkCameras(ids),
      },
      this.timers,
    );
    this.search = new SearchBox((hit) => void this.goTo(hit));
    this.crumbs = h("div", { class: "crumbs", "data-testid": "breadcrumbs" });
    this.editToggle = h("button", {
      class: "button",
      "data-testid": "edit-toggle",
      onclick: () => {
        this.edit.setActive(!this.edit.active);
        this.renderToolbar();
      },
    });
    const toolbar = h("div", { class: "desk-toolbar" }, this.crumbs, this.search.element, this.editToggle);
    const column = h("aside", { class: "alarm-column" }, this.alarms.element, this.panel.element);
    this.element = h(
      "section",
      { class: "screen screen-alarms", "data-testid": "screen-alarms" },
      h("div", { class: "body" }, this.sidebar, h("div", { class: "desk-main" }, toolbar, stage), column),
    );
    // The map measures its container: it is in the window before Leaflet starts.
    host.append(this.element);
    this.map = new MapView(mapEl, overview, {
      onSelectDevice: (id) => void (routePicker.active ? this.pickCheckpoint(id) : this.showDevice(id)),
      onPlaceChange: (place) => this.onPlace(place),
    });
    this.edit = new EditMode(this.map, () => this.refresh());
    stage.append(this.edit.toolbar);
    stage.append(this.pickBanner);
    this.unsubscribe.push(routePicker.observe(() => this.renderPickBanner()));
    this.unsubscribe.push(
      onLanguageChange(() => this.renderTexts()),
      ctx.onSession((session) => this.onSession(session)),
      ctx.feed.subscribe((items, news) => this.onFeed(items, news)),
    );
    this.renderTexts();
  }

  /** Opens the campus and loads what the incident panel offers. */
  async start(): Promise<void> {
    await this.map.openCampus();
    this.panel.setGuards(await api.guards().catch(() => []));
    // The map's checkpoints as the rounds in progress have them (paused with the desk's timers).
    this.timers.every(PATROL_MARKS_MS, () => void this.refreshPatrolMarks());
  }

  /** Asks Rust how the current rounds stand and colours the checkpoints; quiet while logged out. */
  async refreshPatrolMarks(): Promise<void> {
    if (!this.ctx.session()) return;
    const patrol = await api.patrolMarks().catch(() => null);
    if (patrol) {
      this.map.setPatrolMarks(patrol.marks);
      this.map.setGuards(patrol.guards);
    }
  }

  /** What the desk holds in memory, counted: every figure is bounded by what is open now, never by
   * what has been handled since the window started (read by the endurance test and the soak). */
  memoryModel(): Record<string, number> {
    const map = this.map.held;
    const snapshots = this.panel.snapshots.held;
    return {
      openIncidents: this.alarms.incidents.length,
      rowsRemembered: this.alarms.firstShown.size,
      alarmRows: this.alarms.rowsHeld,
      alarmPoints: this.alarmDevices.size,
      panelIncident: this.panel.incident ? 1 : 0,
      cameras: snapshots.cameras,
      snapshotsLoading: snapshots.loading,
      timers: this.timers.size,
      feedListeners: this.ctx.feed.listenerCount,
      rings: map.rings,
      guardMarks: map.guardMarks,
      patrolMarks: map.patrolMarks,
      domNodes: document.getElementsByTagName("*").length,
      // Tauri's pending IPC callbacks: each command's answer removes its own.
      ipcCallbacks: (window as unknown as { __TAURI_INTERNALS__?: { callbacks?: Map<number, unknown> } }).__TAURI_INTERNALS__?.callbacks?.size ?? 0,
    };
  }

  /** Back in front: the map takes its size again (it had none while hidden). */
  shown(): void {
    this.map.map.invalidateSize({ pan: false });
  }

  dispose(): void {
    for (const stop of this.unsubscribe) stop();
    window.clearTimeout(this.refreshTimer);
    this.map.map.remove();
  }

  /** Reloads the open alarms (the feed's reload; kept for the tests and benchmarks). */
  reloadIncidents(): Promise<void> {
    return this.ctx.feed.reload();
  }

  private async onFeed(items: IncidentView[], news: IncidentNews | null): Promise<void> {
    await this.applyItems(items);
    if (news) await this.takeFresh(news);
  }

  /** Shows `items` as the open list: the rows at once; the map, the panel and the counts after the
   * rows are on screen, so nothing heavier ever delays an alarm's row. */
  private async applyItems(items: IncidentView[]): Promise<void> {
    const before = new Set(this.alarms.incidents.map((i) => i.id));
    this.alarms.setItems(items);
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
    // The selected incident as the list now has it: the panel takes it in place (its procedure
    // and cameras belong to the point, which an incident never changes), with no round trip.
    const selected = this.alarms.selected;
    if (selected && !this.panel.update(selected)) await this.showIncident(selected);
    if (items.length !== before.size || items.some((i) => !before.has(i.id))) this.refreshSoon();
  }

  /** The most urgent new alarm takes the desk, unless the operator is on one at least as urgent. */
  private async takeFresh(news: IncidentNews): Promise<void> {
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

  /** The floor badges and counts, refreshed a moment later and once for a burst of changes. */
  private refreshSoon(): void {
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => void this.refresh().catch(() => undefined), 250);
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
      this.ctx.say(t("sirenSilenced", { n: Math.round(siren.silenced_for_ms / 1000) }));
    } catch (e) {
      this.refused(e);
    }
  }

  private refused(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    void this.ctx.login.followRefusal(e);
    this.panel.refuse(message);
  }

  private onSession(session: SessionView | null): void {
    if (session?.role !== "administrator" && this.edit.active) this.edit.setActive(false);
    this.renderToolbar();
    if (session) void this.reloadIncidents().then(() => this.panel.renderTexts());
    else this.panel.renderTexts();
  }

  /** The desk's keys: the incident actions, ↑ ↓, `/` for the search box. */
  onKey(e: KeyboardEvent, typing: boolean): boolean {
    if (this.panel.formKey(e)) return true;
    if (e.key === "/" && !typing && !e.ctrlKey && !e.altKey && !e.metaKey) {
      this.search.focus();
      return true;
    }
    const command = commandFor(e, typing);
    if (!command) return false;
    switch (command) {
      case "next":
        this.alarms.move(1);
        return true;
      case "previous":
        this.alarms.move(-1);
        return true;
      case "lock":
        this.ctx.lock();
        return true;
      case "silence":
        void this.silence();
        return true;
      default:
        return this.panel.command(command);
    }
  }

  /** Reloads the overview (counts, floors, alarms) after something changed. */
  async refresh(): Promise<void> {
    this.overview = await api.overview();
    this.map.setOverview(this.overview);
    this.ctx.setOverview(this.overview);
    this.renderSidebar();
  }

  async goTo(hit: SearchHit): Promise<void> {
    await this.map.focusDevice(hit);
    await this.showDevice(hit.id);
  }

  /** While a route is being picked: a checkpoint clicked on the map goes on (or off) the route. */
  private async pickCheckpoint(id: string): Promise<void> {
    const d = await api.deviceDetail(id).catch(() => null);
    if (d && d.device.kind === "checkpoint") {
      routePicker.toggle({ id, code: d.device.code, name: label(d.device.name) });
    }
  }

  private renderPickBanner(): void {
    this.pickBanner.hidden = !routePicker.active;
    if (!routePicker.active) return;
    const list = routePicker.list.map((c, i) => `${i + 1}. ${c.code}`).join("  ");
    replace(
      this.pickBanner,
      h("strong", {}, t("routePicking", { n: routePicker.list.length })),
      h("span", { class: "muted" }, list || t("routePickHint")),
      h("button", { class: "button primary", "data-testid": "route-pick-done", onclick: () => routePicker.done() }, t("routePickDone")),
    );
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
    this.renderToolbar();
  }

  private renderTexts(): void {
    this.renderToolbar();
    this.renderSidebar();
    this.search.renderTexts();
    this.details.renderTexts();
    this.edit?.renderTexts();
    this.map?.renderTexts();
    this.alarms.renderTexts();
    this.panel.renderTexts();
    // The procedure is stored per language: fetch it again in the new one.
    if (this.alarms.selected) void this.showIncident(this.alarms.selected);
  }

  /** Where the map is, and whether edit mode is on offer (administrators, on a floor). */
  private renderToolbar(): void {
    const place = this.map?.current;
    this.crumbs.textContent =
      place?.kind === "floor"
        ? `${label(place.site.name)} › ${label(place.building.name)} › ${label(place.floor.label)}`
        : place
          ? label(place.site.name)
          : "";
    this.editToggle.textContent = t("edit");
    this.editToggle.className = `button${this.edit?.active ? " primary" : ""}`;
    this.editToggle.disabled = place?.kind !== "floor" || this.ctx.session()?.role !== "administrator";
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
}
