// The login screen and the inactivity lock. Alarms keep arriving, sounding and showing behind it;
// only actions wait for a person the audit log can name.

import { api, EngineError } from "../../lib/api";
import type { SessionView } from "../../lib/bindings";
import { h, replace } from "../../lib/dom";
import { count, t } from "../../lib/i18n";

/** On the body while the login or lock screen is up: the console behind it is not painted (it keeps
 * running — alarms arrive, the siren sounds, the count below the form follows them — but a row
 * flashing under an overlay nobody can see through would cost a repaint of the whole stack). */
export const BEHIND_LOGIN = "behind-login";

export class LoginScreen {
  readonly element: HTMLElement;
  private mode: "login" | "locked" = "login";
  private lockedName = "";
  private message = "";
  private openAlarms = 0;

  constructor(
    private readonly demo: boolean,
    private readonly lockMinutes: number,
    private readonly onSession: (session: SessionView) => void,
  ) {
    this.element = h("div", { class: "login-overlay", hidden: true });
  }

  get visible(): boolean {
    return !this.element.hidden;
  }

  showLogin(): void {
    this.mode = "login";
    this.message = "";
    this.render();
  }

  /** After an action was refused for a lock or for nobody logged in: shows the lock or login screen
   * if the seat is still so. The window's commands are answered in parallel, so a refusal can
   * arrive after the unlock that ended it; the engine is asked again rather than believed late. */
  async followRefusal(e: unknown): Promise<void> {
    if (!(e instanceof EngineError) || (e.code !== "locked" && e.code !== "login_required")) return;
    let now: SessionView | null;
    try {
      now = await api.session();
    } catch {
      return;
    }
    if (!now) this.showLogin();
    else if (now.locked) this.showLocked(now.name);
  }

  showLocked(name: string): void {
    this.mode = "locked";
    this.lockedName = name;
    this.message = "";
    this.render();
  }

  hide(): void {
    this.element.hidden = true;
    document.body.classList.remove(BEHIND_LOGIN);
  }

  setOpenAlarms(n: number): void {
    this.openAlarms = n;
    if (this.visible) {
      const el = this.element.querySelector(".login-alarms");
      if (el) el.textContent = n > 0 ? t("alarmsWaiting", { n: count(n) }) : t("noAlarms");
    }
  }

  renderTexts(): void {
    if (this.visible) this.render();
  }

  private render(): void {
    const locked = this.mode === "locked";
    const name = h("input", {
      class: "input",
      "data-testid": "login-name",
      autocomplete: "username",
      placeholder: t("loginName"),
      value: locked ? this.lockedName : "",
      readonly: locked,
    });
    const pin = h("input", {
      class: "input",
      type: "password",
      inputmode: "numeric",
      "data-testid": "login-pin",
      autocomplete: "current-password",
      placeholder: t("loginPin"),
    });
    const status = h("p", { class: "login-message", role: "alert", "data-testid": "login-message" }, this.message);
    const submit = h("button", { class: "button primary", type: "submit", "data-testid": "login-submit" }, locked ? t("unlock") : t("loginSubmit"));
    const form = h(
      "form",
      { class: "login-form", "data-testid": "login" },
      h("h1", {}, locked ? t("lockedTitle") : t("loginTitle")),
      locked ? h("p", { class: "muted" }, t("lockedText", { n: this.lockMinutes })) : null,
      h("label", {}, t("loginName"), name),
      h("label", {}, t("loginPin"), pin),
      submit,
      status,
      locked
        ? h("button", { class: "button link", type: "button", "data-testid": "switch-user", onclick: () => this.showLogin() }, t("switchUser"))
        : null,
      this.demo ? h("p", { class: "login-demo", "data-testid": "login-demo" }, t("loginDemo")) : null,
      h("p", { class: "login-alarms" }, this.openAlarms > 0 ? t("alarmsWaiting", { n: count(this.openAlarms) }) : t("noAlarms")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      submit.setAttribute("disabled", "");
      const attempt = locked ? api.unlock(pin.value) : api.login(name.value, pin.value);
      attempt
        .then((session) => {
          this.hide();
          this.onSession(session);
        })
        .catch((error: unknown) => {
          this.message = error instanceof EngineError || error instanceof Error ? error.message : String(error);
          status.textContent = this.message;
          pin.value = "";
          submit.removeAttribute("disabled");
          pin.focus();
        });
    });
    replace(this.element, form);
    this.element.hidden = false;
    document.body.classList.add(BEHIND_LOGIN);
    (locked ? pin : name).focus();
  }
}
