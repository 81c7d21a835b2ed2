// Device search: type a code or a name, pick a result with the keyboard or the mouse, and the map
// flies to it. `/` focuses the box from anywhere on the alarm desk (the desk routes the key).

import { api } from "../../lib/api";
import type { SearchHit } from "../../lib/bindings";
import { h, replace } from "../../lib/dom";
import { label, t } from "../../lib/i18n";
import { STATUS_COLOURS } from "../map/geometry";

export class SearchBox {
  readonly element: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly results: HTMLElement;
  private hits: SearchHit[] = [];
  private active = 0;
  private timer = 0;
  private seq = 0;

  constructor(private readonly onPick: (hit: SearchHit) => void) {
    this.input = h("input", {
      type: "search",
      class: "search-input",
      "data-testid": "search-input",
      autocomplete: "off",
      spellcheck: "false",
    });
    this.results = h("ul", { class: "search-results", "data-testid": "search-results", hidden: true });
    this.element = h("div", { class: "search" }, this.input, this.results);
    this.input.addEventListener("input", () => this.schedule());
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.input.addEventListener("blur", () => setTimeout(() => (this.results.hidden = true), 150));
    this.renderTexts();
  }

  /** Puts the cursor in the box with its text selected, as `/` does. */
  focus(): void {
    this.input.focus();
    this.input.select();
  }

  renderTexts(): void {
    this.input.placeholder = t("searchPlaceholder");
    this.input.title = `${t("searchPlaceholder")} (/)`;
    if (!this.results.hidden) this.render();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.run(), 120);
  }

  private async run(): Promise<void> {
    const text = this.input.value.trim();
    const seq = ++this.seq;
    if (!text) {
      this.hits = [];
      this.results.hidden = true;
      return;
    }
    try {
      const hits = await api.searchDevices(text, 20);
      if (seq !== this.seq) return;
      this.hits = hits;
    } catch {
      this.hits = [];
    }
    this.active = 0;
    this.render();
  }

  private render(): void {
    this.results.hidden = false;
    if (this.hits.length === 0) {
      replace(this.results, h("li", { class: "search-empty" }, t("searchNone")));
      return;
    }
    replace(
      this.results,
      ...this.hits.map((hit, i) =>
        h(
          "li",
          {
            class: `search-result${i === this.active ? " active" : ""}`,
            "data-testid": `search-result-${hit.code}`,
            onmousedown: (e: Event) => {
              e.preventDefault();
              this.pick(hit);
            },
          },
          h("span", { class: "legend-dot", style: `background:${STATUS_COLOURS[hit.status]}` }),
          h("span", { class: "search-code" }, hit.code),
          h("span", { class: "search-name" }, label(hit.name)),
          h("span", { class: "search-floor" }, hit.floor_short),
        ),
      ),
    );
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (this.hits.length === 0) return;
      this.active = (this.active + (e.key === "ArrowDown" ? 1 : -1) + this.hits.length) % this.hits.length;
      this.render();
    } else if (e.key === "Enter") {
      e.preventDefault();
      clearTimeout(this.timer);
      // Enter right after typing searches first, so a scanned or pasted code jumps at once.
      void this.run().then(() => {
        const hit = this.hits[this.active];
        if (hit) this.pick(hit);
      });
    } else if (e.key === "Escape") {
      this.results.hidden = true;
      this.input.blur();
    }
  }

  private pick(hit: SearchHit): void {
    this.results.hidden = true;
    this.input.value = hit.code;
    this.onPick(hit);
  }
}
