// The incident panel: the selected alarm with its timers, the actions (each with its key), the
// procedure for its type, the linked cameras' snapshots and the timeline of who did what when.

import type { ActionKind, GuardView, IncidentAction, IncidentDetail, IncidentView, LinkedCamera } from "../../lib/bindings";
import { FLASH } from "../../lib/blink";
import { h, replace } from "../../lib/dom";
import { label, language, t, type MessageKey } from "../../lib/i18n";
import type { Ticker } from "../../frame/timers";
import { CATEGORIES, KEY_OF, categoryFor, type KeyCommand } from "./keys";
import { Snapshots } from "./snapshots";
import { clock, clockFaultText, escalationNow, markText, lineText, placeText, stateText, timerText, typeText } from "./present";

/** How often a snapshot is fetched again while it is on screen. */
const SNAPSHOT_REFRESH_MS = 2000;

export interface PanelActions {
  act(action: IncidentAction): Promise<void>;
  shelve(minutes: number, reason: string): Promise<void>;
  silence(): Promise<void>;
  locate(): void;
  /** Administrators edit procedures and camera links. */
  isAdmin(): boolean;
  saveProcedure(steps: string[]): Promise<void>;
  cameraCandidates(): Promise<LinkedCamera[]>;
  linkCameras(ids: string[]): Promise<void>;
}

type Form = "dispatch" | "note" | "close" | "shelve" | "procedure" | "cameras" | null;

export class IncidentPanel {
  readonly element: HTMLElement;
  private detail: IncidentDetail | null = null;
  private form: Form = null;
  private message = "";
  private guards: GuardView[] = [];
  /** Stops the snapshots' refresh (a timer of the screen: it stops while the screen is hidden). */
  private stopSnapshots: () => void = () => undefined;
  private shownLevel = "none";
  private candidates: LinkedCamera[] = [];
  /** The cameras' pictures, kept across redraws and dropped with the incident. */
  readonly snapshots = new Snapshots<HTMLImageElement>((shown) =>
    shown ? (h("img", { class: "snapshot", alt: "" }) as HTMLImageElement) : new Image(),
  );

  constructor(
    private readonly acknowledgeWithinMs: number,
    private readonly actions: PanelActions,
    private readonly timers: Ticker,
  ) {
    this.element = h("section", { class: "incident-panel", "data-testid": "incident-panel", hidden: true });
    timers.every(1000, () => this.tick());
  }

  get incident(): IncidentView | null {
    return this.detail?.incident ?? null;
  }

  get formOpen(): boolean {
    return this.form !== null;
  }

  setGuards(guards: GuardView[]): void {
    this.guards = guards;
  }

  show(detail: IncidentDetail | null): void {
    const same = detail !== null && this.detail?.incident.id === detail.incident.id;
    const unchanged = same && JSON.stringify(detail) === JSON.stringify(this.detail);
    this.detail = detail;
    if (!same) {
      this.form = null;
      this.message = "";
    }
    // A reload that changes nothing leaves the panel (and its snapshots) alone, and a half-typed
    // note or guard is never wiped by one: the panel catches up when the form closes.
    if (unchanged || (same && this.form !== null)) return;
    this.render();
  }

  /** Takes a newer view of the incident shown (from the open list); false if it shows another. */
  update(incident: IncidentView): boolean {
    if (!this.detail || this.detail.incident.id !== incident.id) return false;
    this.show({ ...this.detail, incident });
    return true;
  }

  /** Shows why an action was not done, in the panel. */
  refuse(message: string): void {
    this.message = t("actionRefused", { message });
    this.render();
  }

  /** Opens the form a key asks for, or runs the action at once. Returns whether it took the key. */
  command(command: KeyCommand): boolean {
    if (!this.detail) return false;
    switch (command) {
      case "acknowledge":
        return this.run({ action: "acknowledge" });
      case "on_scene":
        return this.run({ action: "on_scene" });
      case "resolve":
        return this.run({ action: "resolve" });
      case "call_police":
        return this.run({ action: "call_police" });
      case "dispatch":
      case "note":
      case "close":
      case "shelve":
        this.open(command);
        return true;
      case "silence":
        void this.actions.silence();
        return true;
      case "locate":
        this.actions.locate();
        return true;
      default:
        return false;
    }
  }

  /** Keys while a form is open: Esc closes it; the close chooser takes 1–6. */
  formKey(e: KeyboardEvent): boolean {
    if (!this.form) return false;
    if (e.key === "Escape") {
      this.open(null);
      return true;
    }
    if (this.form === "close") {
      const category = categoryFor(e.key);
      if (category) {
        this.form = null;
        this.run({ action: "close", category });
        return true;
      }
    }
    return false;
  }

  renderTexts(): void {
    this.render();
  }

  private run(action: IncidentAction): boolean {
    this.message = "";
    void this.actions.act(action);
    return true;
  }

  private open(form: Form): void {
    this.form = form;
    if (form === null) this.message = "";
    this.message = "";
    this.render();
    this.element.querySelector<HTMLInputElement>(".incident-form input, .incident-form textarea")?.focus();
  }

  private button(command: KeyCommand, testid: string, enabled: boolean, primary = false): HTMLElement {
    return h(
      "button",
      {
        class: `button action${primary ? " primary" : ""}`,
        "data-testid": testid,
        disabled: !enabled,
        title: `${t(`act_${command}` as MessageKey)} (${KEY_OF[command]})`,
        onclick: () => this.command(command),
      },
      t(`act_${command}` as MessageKey),
      h("kbd", {}, KEY_OF[command]),
    );
  }

  private renderForm(): HTMLElement | null {
    const d = this.detail;
    if (!d || !this.form) return null;
    const submitOnEnter = (input: HTMLInputElement, go: () => void) =>
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          go();
        } else if (e.key === "Escape") {
          e.preventDefault();
          this.open(null);
        }
      });
    if (this.form === "close") {
      return h(
        "div",
        { class: "incident-form", "data-testid": "close-categories" },
        h("div", { class: "form-title" }, t("chooseCategory")),
        ...CATEGORIES.map((c, i) =>
          h(
            "button",
            {
              class: "button category",
              "data-testid": `category-${c}`,
              onclick: () => {
                this.form = null;
                this.run({ action: "close", category: c });
              },
            },
            h("kbd", {}, String(i + 1)),
            t(`category_${c}` as MessageKey),
          ),
        ),
      );
    }
    if (this.form === "dispatch") {
      const input = h("input", { class: "input", list: "guard-list", "data-testid": "dispatch-guard", placeholder: t("chooseGuard") });
      const list = h("datalist", { id: "guard-list" }, ...this.guards.map((g) => h("option", { value: g.badge }, `${g.badge} ${g.name}`)));
      const go = () => {
        const typed = input.value.trim();
        const guard = this.guards.find((g) => g.badge === typed || g.name === typed);
        this.form = null;
        this.run({ action: "dispatch", guard: guard ? `${guard.badge} ${guard.name}` : typed });
      };
      submitOnEnter(input, go);
      return h("div", { class: "incident-form" }, h("div", { class: "form-title" }, t("act_dispatch")), input, list,
        h("button", { class: "button primary", "data-testid": "dispatch-confirm", onclick: go }, t("confirm")));
    }
    if (this.form === "note") {
      const input = h("input", { class: "input", "data-testid": "note-text", placeholder: t("noteText"), maxlength: 2000 });
      const go = () => {
        this.form = null;
        this.run({ action: "note", text: input.value });
      };
      submitOnEnter(input, go);
      return h("div", { class: "incident-form" }, h("div", { class: "form-title" }, t("act_note")), input,
        h("button", { class: "button primary", "data-testid": "note-confirm", onclick: go }, t("confirm")));
    }
    if (this.form === "procedure") {
      const text = h("textarea", { class: "input procedure-text", rows: 7, "data-testid": "procedure-text" });
      text.value = d.steps.join("\n");
      const go = () => {
        this.form = null;
        void this.actions.saveProcedure(text.value.split("\n"));
      };
      return h("div", { class: "incident-form" },
        h("div", { class: "form-title" }, t("procedureHelp", { language: language() === "zh-CN" ? "中文" : "English" })), text,
        h("button", { class: "button primary", "data-testid": "procedure-save", onclick: go }, t("confirm")),
        h("button", { class: "button", onclick: () => this.open(null) }, t("cancel")));
    }
    if (this.form === "cameras") {
      const boxes = this.candidates.map((c) => {
        const box = h("input", { type: "checkbox", value: c.id, checked: c.configured });
        return h("label", { class: "camera-choice" }, box, `${c.code} · ${label(c.name)} · ${Math.round(c.distance_px)} px`);
      });
      const go = () => {
        this.form = null;
        const ids = boxes.map((b) => b.querySelector("input")!).filter((i) => i.checked).map((i) => i.value);
        void this.actions.linkCameras(ids);
      };
      return h("div", { class: "incident-form camera-choices", "data-testid": "camera-links" },
        h("div", { class: "form-title" }, t("linksHelp")), ...boxes,
        h("button", { class: "button primary", "data-testid": "camera-links-save", onclick: go }, t("confirm")),
        h("button", { class: "button", onclick: () => this.open(null) }, t("cancel")));
    }
    const minutes = h("input", { class: "input short", type: "number", min: 1, max: 1440, value: 30, "data-testid": "shelve-minutes" });
    const reason = h("input", { class: "input", "data-testid": "shelve-reason", placeholder: t("shelveReason") });
    const go = () => {
      this.form = null;
      void this.actions.shelve(Number(minutes.value), reason.value);
    };
    submitOnEnter(reason, go);
    submitOnEnter(minutes, go);
    return h("div", { class: "incident-form" }, h("div", { class: "form-title" }, t("act_shelve")),
      h("label", {}, t("shelveMinutes"), minutes), reason,
      h("button", { class: "button primary", "data-testid": "shelve-confirm", onclick: go }, t("confirm")));
  }

  private render(): void {
    this.stopSnapshots();
    const d = this.detail;
    if (!d) {
      this.snapshots.clear();
      replace(this.element, h("p", { class: "muted incident-empty" }, t("selectAlarm")));
      this.element.hidden = false;
      return;
    }
    const i = d.incident;
    const now = Date.now();
    const level = escalationNow(i, now, this.acknowledgeWithinMs);
    this.shownLevel = level;
    // Which actions the incident allows now is Rust's answer (`allowed`), never re-derived here.
    const may = (kind: ActionKind) => i.allowed.includes(kind);
    const cameras = d.cameras.map((c) => {
      // A live stream when the camera has one (HLS in a video element, MJPEG as an image), else its
      // snapshot, fetched again every two seconds.
      const img = c.stream_url
        ? /\.m3u8(\?|$)/i.test(c.stream_url)
          ? h("video", { class: "snapshot", src: c.stream_url, autoplay: true, muted: true, playsinline: true })
          : h("img", { class: "snapshot stream", alt: c.code, src: c.stream_url })
        : c.snapshot_url
          ? this.snapshots.picture(c.code, c.snapshot_url)
          : h("div", { class: "snapshot missing" }, t("noSnapshot"));
      if (img instanceof HTMLImageElement) img.alt = c.code;
      const stream = c.stream_url ? h("a", { href: c.stream_url, class: "stream-link", target: "_blank" }, "▶") : null;
      return h(
        "figure",
        { class: "camera", "data-testid": `camera-${c.code}` },
        img,
        h("figcaption", {}, `${c.code} · ${label(c.name)} `, h("span", { class: "muted" }, c.configured ? t("configuredCamera") : t("nearestCamera")), stream),
      );
    });
    replace(
      this.element,
      h(
        "header",
        { class: `incident-head p${i.priority}` },
        h("span", { class: `priority-badge p${i.priority}` }, t(`priority${i.priority}` as MessageKey)),
        h("div", {}, h("div", { class: "incident-type" }, typeText(i.alarm_type), " ", h("span", { class: "alarm-code" }, i.point?.code ?? "")),
          h("div", { class: "muted" }, placeText(i))),
        h("span", { class: `state-badge state-${i.state}`, "data-testid": "incident-state", "data-state": i.state }, stateText(i.state)),
      ),
      h("div", { class: `incident-timer esc-${level}`, "data-testid": "incident-timer" }, timerText(i, now),
        i.repeats > 0 ? h("span", { class: "muted" }, ` · ${t("repeats", { n: i.repeats })}`) : null),
      level !== "none" ? h("div", { class: `escalation esc-${level}${level === "overdue" ? ` ${FLASH}` : ""}`, "data-testid": "escalation" }, t(`escalation_${level}` as MessageKey)) : null,
      i.clock_faults > 0 ? h("div", { class: "clock-fault", "data-testid": "clock-fault" }, t("clockFaults", { n: i.clock_faults })) : null,
      i.needs_review ? h("div", { class: "review-mark", "data-testid": "needs-review" }, t("needsReview")) : null,
      level === "overdue" && !i.police_called
        ? h("div", { class: "police-prompt", "data-testid": "police-prompt" }, t("policePrompt", { post: d.police_post }))
        : null,
      h(
        "div",
        { class: "incident-actions" },
        this.button("acknowledge", "ack-button", may("acknowledge"), may("acknowledge")),
        this.button("dispatch", "dispatch-button", may("dispatch")),
        this.button("on_scene", "on-scene-button", may("on_scene")),
        this.button("resolve", "resolve-button", may("resolve")),
        this.button("close", "close-button", may("close")),
        this.button("note", "note-button", may("note")),
        this.button("call_police", "police-button", may("call_police")),
        this.button("shelve", "shelve-button", may("shelve")),
        this.button("silence", "silence-button", true),
        this.button("locate", "locate-button", i.point !== null),
      ),
      this.message ? h("p", { class: "incident-message", role: "alert", "data-testid": "incident-message" }, this.message) : null,
      this.renderForm(),
      h("h3", {}, t("procedure"), this.actions.isAdmin()
        ? h("button", { class: "button link small", "data-testid": "procedure-edit", onclick: () => this.open("procedure") }, t("editProcedure"))
        : null),
      h("ol", { class: "procedure", "data-testid": "procedure" }, ...d.steps.map((step) => h("li", {}, step))),
      h("h3", {}, t("cameras"), this.actions.isAdmin() && i.point
        ? h("button", {
            class: "button link small",
            "data-testid": "cameras-edit",
            onclick: () =>
              void this.actions.cameraCandidates().then((list) => {
                this.candidates = list;
                this.open("cameras");
              }),
          }, t("linkCameras"))
        : null),
      h("div", { class: "cameras" }, ...cameras),
      h("h3", {}, t("timeline")),
      h(
        "ol",
        { class: "timeline", "data-testid": "timeline" },
        ...i.timeline.map((line) =>
          h("li", { "data-kind": line.kind }, h("time", {}, clock(line.at)), h("span", { class: "who" }, line.by ?? t("systemActor")), h("span", {}, lineText(line)),
            clockFaultText(line) ? h("span", { class: "clock-fault" }, clockFaultText(line)) : null,
            markText(line) ? h("span", { class: "review-mark", "data-testid": "review-mark" }, markText(line)) : null),
        ),
      ),
    );
    this.element.hidden = false;
    const withSnapshots = d.cameras.filter((c) => c.snapshot_url && !c.stream_url).map((c) => c.code);
    this.snapshots.retain(new Set(withSnapshots));
    if (withSnapshots.length > 0) this.stopSnapshots = this.timers.every(SNAPSHOT_REFRESH_MS, () => this.snapshots.refresh());
  }

  private tick(): void {
    const i = this.detail?.incident;
    if (!i) return;
    const timer = this.element.querySelector('[data-testid="incident-timer"]');
    const now = Date.now();
    if (timer?.firstChild) timer.firstChild.textContent = timerText(i, now);
    // Crossing into an escalation (not acknowledged in time, overdue) shows its banner at once.
    if (escalationNow(i, now, this.acknowledgeWithinMs) !== this.shownLevel && !this.form) this.render();
  }
}
