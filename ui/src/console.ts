// The console screen: header with search and switches, the campus sidebar, the map with its floor
// buttons, the device details, and the status bar.

import { api, type EngineStatus, type Language, type Startup } from "./lib/api";
import type { Overview, SearchHit } from "./lib/bindings";
import { h, replace } from "./lib/dom";
import { count, label, language, languages, onLanguageChange, setLanguage, t } from "./lib/i18n";
import { DetailsPanel } from "./features/devices/details";
import { EditMode } from "./features/map/editMode";
import { MapView, type MapPlace } from "./features/map/mapView";
import { SearchBox } from "./features/search/search";

export class Console {
  readonly map: MapView;
  readonly search: SearchBox;
  readonly details: DetailsPanel;
  readonly edit: EditMode;
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
    replace(root, h("div", { class: "console" }, this.header, h("div", { class: "body" }, this.sidebar, stage), this.statusBar));

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
          disabled: place?.kind !== "floor",
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
      h("span", { class: "spacer" }),
      h("span", { class: `engine-status ${this.engine.state}`, "data-testid": "engine-status", title: this.engineText() }, this.engineText()),
      h("span", { class: "sync-status offline", "data-testid": "sync-status", title: this.startup.data_dir }, t("syncLocal")),
    );
  }
}
