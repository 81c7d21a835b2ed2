// The floor-plan map: campus overview → building → floor, the plan image under the device layer,
// the floor buttons of the open building, the legend and the hover label.

import L from "leaflet";
import { FLASH } from "../../lib/blink";
import { api } from "../../lib/api";
import type { BuildingView, DeviceStatus, FloorDevices, FloorView, Overview, SiteView } from "../../lib/bindings";
import { h, replace } from "../../lib/dom";
import { count, label, t } from "../../lib/i18n";
import { DeviceLayer, type DrawReport } from "./deviceLayer";
import { fitZoom, KINDS, KIND_SHAPES, LOOKS, LOOK_COLOURS, planToLatLng, STATUSES, STATUS_COLOURS, type Look } from "./geometry";
import type { CheckpointMark, GuardLast } from "../../lib/bindings";

export type MapPlace = { kind: "campus"; site: SiteView } | { kind: "floor"; site: SiteView; building: BuildingView; floor: FloorView };

/** An alarm point that flashes on its floor until its incident is acknowledged. */
export interface AlarmMark {
  id: string;
  floor_id: string;
  x: number;
  y: number;
  priority: number;
  flashing: boolean;
}

export interface OpenReport {
  floorId: string;
  devices: number;
  ms: number;
  draw: DrawReport;
}

interface Callbacks {
  onSelectDevice: (id: string) => void;
  onPlaceChange: (place: MapPlace) => void;
}

export class MapView {
  readonly map: L.Map;
  readonly layer: DeviceLayer;
  private overlay: L.ImageOverlay | null = null;
  private campusShapes: L.LayerGroup = L.layerGroup();
  private place: MapPlace | null = null;
  private readonly floorPanel: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly hoverLabel: HTMLElement;
  private planVersions = new Map<string, number>();
  /** Checkpoint → how its current patrol round draws it. */
  private patrol = new Map<string, Look>();
  /** Open alarms to flash, wherever they are; those on the open floor are drawn. */
  private alarms: AlarmMark[] = [];
  private alarmMarks: L.LayerGroup = L.layerGroup();
  /** Each guard's last check-in, as a label at that checkpoint (this floor's only). */
  private guards: GuardLast[] = [];
  private guardMarks: L.LayerGroup = L.layerGroup();
  private openSeq = 0;
  lastOpen: OpenReport | null = null;

  constructor(
    container: HTMLElement,
    private overview: Overview,
    private readonly callbacks: Callbacks,
  ) {
    this.map = L.map(container, {
      crs: L.CRS.Simple,
      minZoom: -5,
      maxZoom: 2,
      zoomSnap: 0.25,
      zoomDelta: 0.5,
      wheelPxPerZoomLevel: 90,
      zoomAnimation: false,
      fadeAnimation: false,
      markerZoomAnimation: false,
      attributionControl: false,
      zoomControl: false,
      keyboard: true,
    });
    L.control.zoom({ position: "bottomright" }).addTo(this.map);
    this.layer = new DeviceLayer({
      onSelect: (i) => {
        const id = this.layer.devices?.ids[i];
        if (id) this.callbacks.onSelectDevice(id);
      },
      onHover: (i, point) => this.hover(i, point),
    });
    this.floorPanel = h("div", { class: "floor-panel", "data-testid": "floor-panel" });
    this.legend = h("div", { class: "legend", "data-testid": "legend" });
    this.hoverLabel = h("div", { class: "hover-label", hidden: true });
    container.append(this.floorPanel, this.legend, this.hoverLabel);
    for (const el of [this.floorPanel, this.legend]) {
      L.DomEvent.disableClickPropagation(el);
      L.DomEvent.disableScrollPropagation(el);
    }
    this.renderLegend();
    this.alarmMarks.addTo(this.map);
  }

  get current(): MapPlace | null {
    return this.place;
  }

  setOverview(overview: Overview): void {
    this.overview = overview;
    if (this.place?.kind === "floor") {
      const found = this.findFloor(this.place.floor.id);
      if (found) this.place = { kind: "floor", ...found };
    }
    this.renderFloorPanel();
  }

  findFloor(floorId: string): { site: SiteView; building: BuildingView; floor: FloorView } | null {
    for (const site of this.overview.sites) {
      for (const building of site.buildings) {
        const floor = building.floors.find((f) => f.id === floorId);
        if (floor) return { site, building, floor };
      }
    }
    return null;
  }

  findBuilding(buildingId: string): { site: SiteView; building: BuildingView } | null {
    for (const site of this.overview.sites) {
      const building = site.buildings.find((b) => b.id === buildingId);
      if (building) return { site, building };
    }
    return null;
  }

  private clearPlan(): void {
    this.overlay?.remove();
    this.overlay = null;
    this.campusShapes.clearLayers();
    this.campusShapes.remove();
    this.layer.remove();
    this.alarmMarks.clearLayers();
    this.guardMarks.clearLayers();
  }

  private setPlan(ownerId: string, width: number, height: number): Promise<void> {
    const bounds = L.latLngBounds(planToLatLng(0, height), planToLatLng(width, 0));
    const overlay = L.imageOverlay(api.planUrl(ownerId, this.planVersions.get(ownerId) ?? 0), bounds, { className: "plan-image" });
    this.overlay = overlay;
    const loaded = new Promise<void>((resolve) => {
      overlay.once("load error", () => resolve());
    });
    overlay.addTo(this.map);
    const size = this.map.getSize();
    const zoom = fitZoom(width, height, size.x - 120, size.y);
    // Bounds first would pan (animated) from the previous plan towards this one: view first.
    this.map.setMaxBounds(null as unknown as L.LatLngBounds);
    this.map.setView(bounds.getCenter(), zoom, { animate: false });
    this.map.setMaxBounds(bounds.pad(0.5));
    return loaded;
  }

  /** Shows a campus: its plan with clickable building footprints. */
  async openCampus(siteId?: string): Promise<void> {
    const site = this.overview.sites.find((s) => s.id === siteId) ?? this.overview.sites[0];
    if (!site) return;
    this.openSeq++;
    this.clearPlan();
    const loaded = this.setPlan(site.id, site.plan.width, site.plan.height);
    for (const b of site.buildings) {
      const f = b.footprint;
      const rect = L.rectangle(L.latLngBounds(planToLatLng(f.x, f.y + f.h), planToLatLng(f.x + f.w, f.y)), {
        className: `campus-building${b.active_alarms > 0 ? " has-alarm" : ""}`,
        weight: 3,
        color: b.active_alarms > 0 ? STATUS_COLOURS.alarm : "#38bdf8",
        fillOpacity: 0.08,
      });
      rect.bindTooltip(`${label(b.name)} · ${count(b.counts.cameras)} ${t("countCameras")}`, { sticky: true, className: "map-tooltip" });
      rect.on("click", () => void this.openBuilding(b.id));
      this.campusShapes.addLayer(rect);
    }
    this.campusShapes.addTo(this.map);
    this.place = { kind: "campus", site };
    this.renderFloorPanel();
    this.callbacks.onPlaceChange(this.place);
    await loaded;
  }

  /** Opens a building on its ground floor (or its lowest floor if it has no 1F). */
  async openBuilding(buildingId: string): Promise<OpenReport | null> {
    const found = this.findBuilding(buildingId);
    if (!found) return null;
    const floors = found.building.floors;
    const floor = floors.find((f) => f.level === 1) ?? floors[0];
    return floor ? this.openFloor(floor.id) : null;
  }

  /** Opens a floor: its plan image and devices; resolves once both are on screen. */
  async openFloor(floorId: string): Promise<OpenReport | null> {
    const found = this.findFloor(floorId);
    if (!found) return null;
    const started = performance.now();
    const seq = ++this.openSeq;
    const devicesPromise = api.floorDevices(floorId);
    this.clearPlan();
    const loaded = this.setPlan(floorId, found.floor.plan.width, found.floor.plan.height);
    this.place = { kind: "floor", ...found };
    this.renderFloorPanel();
    this.callbacks.onPlaceChange(this.place);
    const devices: FloorDevices = await devicesPromise;
    if (seq !== this.openSeq) return null; // another floor was opened meanwhile
    for (let i = 0; i < devices.ids.length; i++) {
      const look = devices.statuses[i] === 0 ? this.patrol.get(devices.ids[i]) : undefined;
      if (look) devices.statuses[i] = LOOKS.indexOf(look);
    }
    this.layer.setData(devices);
    this.layer.addTo(this.map);
    this.drawAlarms();
    this.drawGuards();
    await loaded;
    if (seq !== this.openSeq) return null;
    const draw = this.layer.draw();
    this.lastOpen = { floorId, devices: devices.ids.length, ms: performance.now() - started, draw };
    return this.lastOpen;
  }

  /** Sets a device's status colour where it is drawn, without reloading the floor. A checkpoint
   * with nothing wrong shows how its current round has it. */
  setDeviceStatus(id: string, status: DeviceStatus): void {
    this.layer.setStatus(id, LOOKS.indexOf(this.lookOf(id, status)));
  }

  /** Checkpoint marks of the rounds in progress (from Rust's patrol board): drawn where the device
   * has no alarm, fault or offline status, and kept for floors opened later. */
  setPatrolMarks(marks: [string, CheckpointMark][]): void {
    const before = this.patrol;
    this.patrol = new Map(marks.map(([id, m]) => [id, patrolLook(m)]));
    const devices = this.layer.devices;
    if (!devices) return;
    for (const id of new Set([...before.keys(), ...this.patrol.keys()])) {
      const i = this.layer.indexOf(id);
      if (i < 0) continue;
      const current = LOOKS[devices.statuses[i]];
      const base: DeviceStatus = (STATUSES as string[]).includes(current) ? (current as DeviceStatus) : "normal";
      this.layer.setStatus(id, LOOKS.indexOf(this.lookOf(id, base)));
    }
  }

  private lookOf(id: string, status: DeviceStatus): Look {
    return status === "normal" ? (this.patrol.get(id) ?? status) : status;
  }

  /** Opens the device's floor, centres on it and marks it. */
  async focusDevice(device: { id: string; floor_id: string; x: number; y: number }): Promise<void> {
    if (!(this.place?.kind === "floor" && this.place.floor.id === device.floor_id)) {
      await this.openFloor(device.floor_id);
    }
    this.map.setView(planToLatLng(device.x, device.y), Math.max(this.map.getZoom(), 0.5), { animate: false });
    const i = this.layer.indexOf(device.id);
    if (i >= 0) this.layer.select(i);
  }

  /** A new plan image was imported for the open floor: reload it with its new size. */
  async reloadPlan(floor: FloorView): Promise<void> {
    this.planVersions.set(floor.id, (this.planVersions.get(floor.id) ?? 0) + 1);
    const found = this.findFloor(floor.id);
    if (found) found.floor.plan = floor.plan;
    await this.openFloor(floor.id);
  }

  /** Sets the open alarms; each on the open floor gets a ring, pulsing while unacknowledged. */
  setAlarms(alarms: AlarmMark[]): void {
    if (JSON.stringify(alarms) === JSON.stringify(this.alarms)) return;
    this.alarms = alarms;
    this.drawAlarms();
  }

  /** Where each guard last checked in (from Rust's live window); drawn on the open floor. */
  setGuards(guards: GuardLast[]): void {
    if (JSON.stringify(guards) === JSON.stringify(this.guards)) return;
    this.guards = guards;
    this.drawGuards();
  }

  /** What the map holds now, for the window's memory model: rings, guard labels, plan versions. */
  get held(): { rings: number; guardMarks: number; alarms: number; patrolMarks: number } {
    return {
      rings: this.alarmMarks.getLayers().length,
      guardMarks: this.guardMarks.getLayers().length,
      alarms: this.alarms.length,
      patrolMarks: this.patrol.size,
    };
  }

  private drawGuards(): void {
    this.guardMarks.clearLayers();
    const floor = this.place?.kind === "floor" ? this.place.floor.id : null;
    if (!floor) return;
    const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
    for (const g of this.guards) {
      if (g.floor !== floor || !g.checkpoint) continue;
      const i = this.layer.indexOf(g.checkpoint);
      if (i < 0) continue;
      const p = this.layer.position(i);
      const icon = L.divIcon({ className: "guard-mark", html: "", iconSize: [0, 0] });
      const marker = L.marker(planToLatLng(p.x, p.y), { icon, interactive: false, keyboard: false });
      marker.on("add", () => {
        const el = marker.getElement();
        if (el) el.textContent = `${g.name ?? g.badge} ${clock.format(g.at)}`;
      });
      this.guardMarks.addLayer(marker);
    }
    this.guardMarks.addTo(this.map);
  }

  private drawAlarms(): void {
    this.alarmMarks.clearLayers();
    const place = this.place;
    if (place?.kind !== "floor") return;
    // A few rings at most: one DOM node per open alarm on this floor, never per device.
    for (const a of this.alarms) {
      if (a.floor_id !== place.floor.id) continue;
      const icon = L.divIcon({
        className: `alarm-ring p${a.priority}${a.flashing ? ` flashing ${FLASH}` : ""}`,
        iconSize: [44, 44],
        html: "<span></span>",
      });
      L.marker(planToLatLng(a.x, a.y), { icon, interactive: false, keyboard: false }).addTo(this.alarmMarks);
    }
  }

  renderTexts(): void {
    this.renderLegend();
    this.renderFloorPanel();
  }

  private hover(index: number, point: L.Point | null): void {
    const devices = this.layer.devices;
    if (index < 0 || !point || !devices) {
      this.hoverLabel.hidden = true;
      return;
    }
    const kind = KINDS[devices.kinds[index]];
    const status = LOOKS[devices.statuses[index]];
    this.hoverLabel.textContent = `${devices.codes[index]} · ${t(`kind_${kind}`)} · ${t(`status_${status}`)}`;
    this.hoverLabel.style.transform = `translate(${point.x + 14}px, ${point.y + 10}px)`;
    this.hoverLabel.hidden = false;
  }

  private renderLegend(): void {
    const shapes = KINDS.map((kind) =>
      h("li", {}, h("span", { class: `legend-shape shape-${KIND_SHAPES[kind]}` }), t(`kind_${kind}`)),
    );
    const colours = LOOKS.map((status) =>
      h("li", {}, h("span", { class: "legend-dot", style: `background:${LOOK_COLOURS[status]}` }), t(`status_${status}`)),
    );
    replace(this.legend, h("strong", {}, t("legend")), h("ul", {}, ...shapes), h("ul", {}, ...colours));
  }

  private renderFloorPanel(): void {
    const place = this.place;
    if (!place || place.kind === "campus") {
      this.floorPanel.hidden = true;
      return;
    }
    this.floorPanel.hidden = false;
    const building = place.building;
    // Like a lift panel: the top floor first.
    const buttons = [...building.floors].reverse().map((f) =>
      h(
        "button",
        {
          class: `floor-button${f.id === place.floor.id ? " active" : ""}${f.active_alarms > 0 ? " alarm" : ""}`,
          "data-testid": `floor-button-${f.id}`,
          "data-alarms": f.active_alarms,
          title: `${label(building.name)} ${label(f.label)} · ${t("devicesOnFloor", { n: count(f.counts.cameras + f.counts.alarm_points + f.counts.mobile_alarm_points + f.counts.checkpoints) })}`,
          onclick: () => void this.openFloor(f.id),
        },
        h("span", { class: "floor-short" }, f.short),
        f.active_alarms > 0 ? h("span", { class: "floor-alarms", title: t("activeAlarms", { n: f.active_alarms }) }, String(f.active_alarms)) : null,
      ),
    );
    replace(
      this.floorPanel,
      h("div", { class: "floor-panel-title" }, label(building.name)),
      h("div", { class: "floor-buttons" }, ...buttons),
    );
  }
}

/** How a checkpoint's mark in its current round is drawn. */
export function patrolLook(m: CheckpointMark): Look {
  switch (m) {
    case "on_time":
    case "early":
      return "patrol_done";
    case "late":
    case "out_of_order":
      return "patrol_late";
    case "missed":
      return "patrol_missed";
    default:
      return "patrol_pending";
  }
}
