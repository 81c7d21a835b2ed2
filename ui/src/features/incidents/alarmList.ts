// The alarm list: every open incident, most urgent first, then oldest; timers tick every second (while
// the alarm desk is in front) and an escalated row flashes. ↑ ↓ move the selection; the selected
// incident fills the panel below. The list grows with the open alarms, up to 60% of its column.

import type { IncidentView } from "../../lib/bindings";
import { FLASH } from "../../lib/blink";
import { h, replace } from "../../lib/dom";
import { KeyedRows } from "../../lib/keyed";
import { count, t, type MessageKey } from "../../lib/i18n";
import type { Ticker } from "../../frame/timers";
import { escalationNow, placeText, stateText, timerText, typeText } from "./present";

export class AlarmList {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly heading: HTMLElement;
  private items: IncidentView[] = [];
  private readonly rows = new KeyedRows<HTMLLIElement>();
  private selectedId: string | null = null;
  /** When each incident's row was first on screen (ms since 1970): read by the alarm benchmark. */
  readonly firstShown = new Map<string, number>();

  constructor(
    private readonly acknowledgeWithinMs: number,
    private readonly onSelect: (incident: IncidentView | null) => void,
    timers: Ticker,
  ) {
    this.heading = h("h2", {});
    this.list = h("ol", { class: "alarm-rows", "data-testid": "alarm-list", role: "listbox" });
    this.element = h("section", { class: "alarm-list" }, this.heading, this.list);
    // The screen's timer: it stops while another screen is in front.
    timers.every(1000, () => this.tick());
  }

  get incidents(): IncidentView[] {
    return this.items;
  }

  get selected(): IncidentView | null {
    return this.items.find((i) => i.id === this.selectedId) ?? null;
  }

  /** Replaces the list (already in handling order from the engine). */
  setItems(items: IncidentView[]): void {
    this.items = items;
    if (this.selectedId && !items.some((i) => i.id === this.selectedId)) {
      this.selectedId = null;
      this.onSelect(null);
    }
    this.render();
  }

  select(id: string | null): void {
    this.selectedId = id;
    this.render();
    this.onSelect(this.selected);
    if (id) this.list.querySelector(`[data-id="${id}"]`)?.scrollIntoView({ block: "nearest" });
  }

  /** Moves the selection by `step` rows (wrapping), as ↑ and ↓ do. */
  move(step: number): void {
    if (this.items.length === 0) return;
    const at = this.items.findIndex((i) => i.id === this.selectedId);
    const next = at < 0 ? (step > 0 ? 0 : this.items.length - 1) : (at + step + this.items.length) % this.items.length;
    this.select(this.items[next].id);
  }

  renderTexts(): void {
    // Every row's words change with the language: all are built anew.
    this.rows.clear();
    this.render();
  }

  /** Rows kept between redraws (the memory model's figure: at most the open incidents). */
  get rowsHeld(): number {
    return this.rows.size;
  }

  private render(): void {
    const now = Date.now();
    const heading = `${t("openAlarms")} · ${count(this.items.length)}`;
    if (this.heading.textContent !== heading) this.heading.textContent = heading;
    // A closed incident leaves the window's memory with its row: only open ones are remembered.
    const open = new Set(this.items.map((i) => i.id));
    for (const id of this.firstShown.keys()) if (!open.has(id)) this.firstShown.delete(id);
    if (this.items.length === 0) {
      this.rows.clear();
      if (!this.list.querySelector(".alarm-empty")) replace(this.list, h("li", { class: "alarm-empty muted" }, t("noAlarms")));
      return;
    }
    // A repeat of an alarm changes its incident (the count, the last signal) but not its row: only
    // rows whose words, state or selection changed are rebuilt, so a storm of repeats redraws nothing.
    this.rows.update(
      this.list,
      this.items.map((i) => {
        const level = escalationNow(i, now, this.acknowledgeWithinMs);
        const selected = i.id === this.selectedId;
        const place = placeText(i);
        return {
          key: i.id,
          // Not the escalation: the per-second tick moves a kept row's escalation classes itself.
          signature: JSON.stringify([i.priority, i.state, i.alarm_type, i.point?.code ?? "", place, selected]),
          build: () => this.row(i, level, selected, place, now),
        };
      }),
    );
    // The benchmark's "row visible" is the first frame after the row entered the document.
    const fresh = this.items.filter((i) => !this.firstShown.has(i.id)).map((i) => i.id);
    if (fresh.length > 0) {
      requestAnimationFrame(() => {
        const at = performance.timeOrigin + performance.now();
        for (const id of fresh) if (!this.firstShown.has(id)) this.firstShown.set(id, at);
      });
    }
  }

  private row(i: IncidentView, level: string, selected: boolean, place: string, now: number): HTMLLIElement {
    return h(
      "li",
      {
        class: `alarm-row p${i.priority} state-${i.state} esc-${level}${level !== "none" ? ` ${FLASH}` : ""}${selected ? " selected" : ""}`,
        "data-testid": `alarm-row-${i.id}`,
        "data-id": i.id,
        "data-state": i.state,
        role: "option",
        "aria-selected": selected,
        onclick: () => this.select(i.id),
      },
      // Two lines a row, so ten or more fit above the incident panel: what and its state, then
      // where and the timer.
      h("span", { class: `priority-badge p${i.priority}` }, t(`priority${i.priority}` as MessageKey)),
      h("div", { class: "alarm-title" }, typeText(i.alarm_type), h("span", { class: "alarm-code" }, i.point?.code ?? "")),
      h("span", { class: `state-badge state-${i.state}` }, stateText(i.state)),
      h("div", { class: "alarm-place" }, place),
      h("div", { class: "alarm-timer", "data-timer": i.id }, timerText(i, now)),
    );
  }

  /** Refreshes timers and escalation classes without rebuilding the rows. */
  private tick(): void {
    const now = Date.now();
    for (const i of this.items) {
      const row = this.rows.node(i.id);
      if (!row) continue;
      // Only what changed is written: an unchanged text or class costs no restyle and no repaint.
      const timer = row.querySelector(".alarm-timer");
      const text = timerText(i, now);
      if (timer && timer.textContent !== text) timer.textContent = text;
      const level = escalationNow(i, now, this.acknowledgeWithinMs);
      if (!row.classList.contains(`esc-${level}`)) {
        row.classList.remove("esc-none", "esc-unacknowledged", "esc-overdue");
        row.classList.add(`esc-${level}`);
      }
      row.classList.toggle(FLASH, level !== "none");
    }
  }
}
