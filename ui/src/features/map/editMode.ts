// Map edit mode for administrators: replace a floor's plan image and drag devices into place.
// Nothing is stored until "Save"; a refused image changes nothing and says why.

import { api, EngineError } from "../../lib/api";
import { h, replace } from "../../lib/dom";
import { t } from "../../lib/i18n";
import type { MapView } from "./mapView";

export class EditMode {
  readonly toolbar: HTMLElement;
  private readonly file: HTMLInputElement;
  private readonly message: HTMLElement;
  private on = false;

  constructor(
    private readonly view: MapView,
    private readonly onChanged: () => Promise<void>,
  ) {
    this.file = h("input", {
      type: "file",
      accept: "image/png,image/jpeg,image/svg+xml,.png,.jpg,.jpeg,.svg",
      "data-testid": "plan-import",
      hidden: true,
    });
    this.file.addEventListener("change", () => void this.importPlan());
    this.message = h("span", { class: "edit-message", "data-testid": "edit-message", role: "status" });
    this.toolbar = h("div", { class: "edit-toolbar", "data-testid": "edit-toolbar", hidden: true });
    this.render();
  }

  get active(): boolean {
    return this.on;
  }

  setActive(on: boolean): void {
    if (on && this.view.current?.kind !== "floor") return;
    this.on = on;
    this.view.layer.setEditable(on);
    this.toolbar.hidden = !on;
    this.say("");
  }

  renderTexts(): void {
    this.render();
  }

  private render(): void {
    replace(
      this.toolbar,
      h("strong", {}, t("editing")),
      h("button", { class: "button", "data-testid": "plan-import-button", onclick: () => this.file.click() }, t("importPlan")),
      this.file,
      h("button", { class: "button primary", "data-testid": "edit-save", onclick: () => void this.save() }, t("save")),
      h("button", { class: "button", "data-testid": "edit-cancel", onclick: () => this.setActive(false) }, t("cancel")),
      this.message,
    );
  }

  private say(text: string, error = false): void {
    this.message.textContent = text;
    this.message.classList.toggle("error", error);
  }

  private async importPlan(): Promise<void> {
    const place = this.view.current;
    const file = this.file.files?.[0];
    this.file.value = "";
    if (!file || place?.kind !== "floor") return;
    await this.importBytes(place.floor.id, new Uint8Array(await file.arrayBuffer()));
  }

  /** Imports an image for a floor (the file picker's path, and the tests'). */
  async importBytes(floorId: string, bytes: Uint8Array): Promise<boolean> {
    try {
      const floor = await api.importFloorPlan(floorId, bytes);
      await this.onChanged();
      await this.view.reloadPlan(floor);
      this.view.layer.setEditable(this.on);
      this.say(t("planImported", { w: floor.plan.width, h: floor.plan.height }));
      return true;
    } catch (e) {
      this.say(t("planRefused", { message: e instanceof EngineError ? e.message : String(e) }), true);
      return false;
    }
  }

  private async save(): Promise<void> {
    const layer = this.view.layer;
    const devices = layer.devices;
    if (!devices || layer.moved.size === 0) {
      this.say(t("nothingToSave"));
      return;
    }
    const moves = [...layer.moved].map(([i, p]) => ({ id: devices.ids[i], x: p.x, y: p.y }));
    try {
      const n = await api.moveDevices(moves);
      layer.commitMoves();
      this.say(t("saved", { n }));
    } catch (e) {
      this.say(e instanceof EngineError ? e.message : String(e), true);
    }
  }
}
