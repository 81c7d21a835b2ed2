// The console's entry point: find out how the workstation started, then show the console (its frame
// with the alarm desk and the settings screen), the first-run offer of the demo hospital, or why it
// cannot open.

import "leaflet/dist/leaflet.css";
import "./styles/app.css";

import L from "leaflet";
import { api, type Language, type Startup } from "./lib/api";
import { h, replace } from "./lib/dom";
import { onLanguageChange, setLanguage, t } from "./lib/i18n";
import { ConsoleFrame } from "./frame/Frame";
import { syncText } from "./frame/sync";
import { AlarmDesk } from "./screens/alarmDesk";
import { createSettingsScreen } from "./screens/settings/SettingsScreen";
import { createPatrolScreen } from "./screens/patrol/PatrolScreen";
import { createReviewScreen } from "./screens/patrol/ReviewScreen";

declare global {
  interface Window {
    /** Read by the end-to-end tests and the benchmarks; nothing in the console depends on it. */
    __vigil?: {
      ready: boolean;
      /** The alarm desk (its map, alarm list and incident panel). */
      console?: AlarmDesk;
      /** The frame: its screens (`frame.stack.show("settings")`), the open alarms. */
      frame?: ConsoleFrame;
      error?: string;
      leaflet?: typeof L;
      api?: typeof api;
    };
  }
}

const root = document.getElementById("app") as HTMLElement;
window.__vigil = { ready: false };

function fatal(startup: Startup): void {
  const render = () =>
    replace(
      root,
      h(
        "main",
        { class: "startup-screen", "data-testid": "startup-error" },
        h("h1", {}, t("startupFailed")),
        h("p", { class: "startup-message" }, startup.error?.message ?? ""),
        h("p", { class: "muted" }, `${t("dataDir")}: ${startup.data_dir}`),
      ),
    );
  render();
  onLanguageChange(render);
}

/** An enrolled workstation without a campus: it fills itself from the server, so it waits and
 * says how sync stands, then opens the console once the campus is there. */
function filling(startup: Startup, server: string): void {
  const status = h("p", { class: "startup-status", role: "status", "data-testid": "filling-status" });
  const render = () =>
    replace(
      root,
      h(
        "main",
        { class: "startup-screen", "data-testid": "filling" },
        h("h1", {}, t("fillingTitle")),
        h("p", {}, t("fillingText", { server })),
        status,
        h("p", { class: "muted" }, `${t("dataDir")}: ${startup.data_dir}`),
      ),
    );
  render();
  const stopLanguage = onLanguageChange(render);
  const poll = window.setInterval(async () => {
    try {
      status.textContent = syncText(await api.syncStatus(), t);
      if (!(await api.startup()).empty) {
        window.clearInterval(poll);
        stopLanguage();
        await start();
      }
    } catch (e) {
      status.textContent = e instanceof Error ? e.message : String(e);
    }
  }, 2000);
}

function firstRun(startup: Startup): void {
  const button = h("button", { class: "button primary", "data-testid": "create-demo" }, t("firstRunButton"));
  const message = h("p", { class: "startup-message", role: "status" });
  button.addEventListener("click", async () => {
    button.setAttribute("disabled", "");
    button.textContent = t("creating");
    try {
      await api.createDemo();
      await start();
    } catch (e) {
      message.textContent = e instanceof Error ? e.message : String(e);
      button.removeAttribute("disabled");
      button.textContent = t("firstRunButton");
    }
  });
  replace(
    root,
    h(
      "main",
      { class: "startup-screen", "data-testid": "first-run" },
      h("h1", {}, t("firstRunTitle")),
      h("p", {}, t("firstRunText")),
      button,
      message,
      h("p", { class: "muted" }, `${t("dataDir")}: ${startup.data_dir}`),
    ),
  );
}

async function start(): Promise<void> {
  const startup = await api.startup();
  setLanguage(startup.language as Language);
  if (startup.error) return fatal(startup);
  if (startup.empty && startup.enrolled_with) return filling(startup, startup.enrolled_with);
  if (startup.empty) return firstRun(startup);
  const overview = await api.overview();
  const frame = new ConsoleFrame(root, startup, overview);
  const desk = new AlarmDesk(frame.host, frame, overview);
  frame.add(desk);
  frame.add(createSettingsScreen(frame.host, frame));
  frame.add(createPatrolScreen(frame.host, frame));
  frame.add(createReviewScreen(frame.host, frame));
  frame.stack.show("alarms");
  window.__vigil = { ready: false, console: desk, frame, leaflet: L, api };
  await desk.start();
  await frame.start();
  window.__vigil.ready = true;
}

start().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  window.__vigil = { ready: false, error: message };
  replace(root, h("main", { class: "startup-screen" }, h("h1", {}, t("startupFailed")), h("p", {}, message)));
});

