// The device details panel: what an operator needs to know about the device they clicked or found.

import type { DeviceDetail } from "../../lib/bindings";
import { h, replace } from "../../lib/dom";
import { label, t, type MessageKey } from "../../lib/i18n";
import { STATUS_COLOURS } from "../map/geometry";

export class DetailsPanel {
  readonly element: HTMLElement;
  private detail: DeviceDetail | null = null;

  constructor(private readonly onClose: () => void) {
    this.element = h("aside", { class: "details", "data-testid": "device-details", hidden: true });
  }

  show(detail: DeviceDetail): void {
    this.detail = detail;
    this.render();
    this.element.hidden = false;
  }

  hide(): void {
    this.detail = null;
    this.element.hidden = true;
  }

  renderTexts(): void {
    if (this.detail) this.render();
  }

  private render(): void {
    const d = this.detail;
    if (!d) return;
    const device = d.device;
    const row = (key: MessageKey, value: string | null | undefined, testid?: string) =>
      h("div", { class: "detail-row" }, h("dt", {}, t(key)), h("dd", testid ? { "data-testid": testid } : {}, value ?? t("none")));
    const cam = device.camera;
    replace(
      this.element,
      h(
        "header",
        {},
        h("h2", {}, t("details")),
        h("button", { class: "icon-button", title: t("close"), "data-testid": "details-close", onclick: () => this.onClose() }, "×"),
      ),
      h("div", { class: "detail-code", "data-testid": "detail-code" }, device.code),
      h("div", { class: "detail-name", "data-testid": "detail-name" }, label(device.name)),
      h(
        "dl",
        {},
        row("kind", t(`kind_${device.kind}`), "detail-kind"),
        h(
          "div",
          { class: "detail-row" },
          h("dt", {}, t("status")),
          h("dd", { "data-testid": "detail-status" }, h("span", { class: "legend-dot", style: `background:${STATUS_COLOURS[device.status]}` }), t(`status_${device.status}`)),
        ),
        row("location", `${label(d.site_name)} · ${label(d.building_name)} · ${label(d.floor.label)}`, "detail-location"),
        row("position", `${Math.round(device.x)}, ${Math.round(device.y)}`),
        cam ? row("heading", `${Math.round(cam.heading_deg)}°`) : null,
        cam ? row("fieldOfView", `${Math.round(cam.fov_deg)}°`) : null,
        cam ? row("range", `${Math.round(cam.range_px)} px`) : null,
        cam ? row("snapshot", cam.snapshot_url) : null,
        cam ? row("stream", cam.stream_url) : null,
        device.dc09 ? row("dc09", `#${device.dc09.account} / ${device.dc09.zone}`, "detail-dc09") : null,
        device.tag ? row("tag", device.tag, "detail-tag") : null,
      ),
    );
  }
}
