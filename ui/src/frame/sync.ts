// Sync with the central server in words, for the status bar: the state, what waits to be sent,
// when the server last answered, and the clock offset when it is large. Pure: the language's
// translate function and the time are passed in.

import type { SyncView } from "../lib/api";
import type { MessageKey } from "../lib/i18n";

type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** A clock further than this from the server's is shown (ms): the server flags it too. */
export const CLOCK_SHOWN_MS = 2 * 60 * 1000;

/** "14:05:09" in the workstation's zone. */
function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** The class the status bar's dot takes: `local` when not enrolled. */
export function syncClass(view: SyncView | null): string {
  return view ? view.state : "local";
}

export function syncText(view: SyncView | null, t: Translate): string {
  if (!view) return t("syncLocal");
  const last = view.last_sync === null ? t("syncNever") : clock(view.last_sync);
  const vars = { server: view.server, n: view.queue, last, problem: view.problem ?? "" };
  let text: string;
  switch (view.state) {
    case "online":
      text = t("syncOnline", vars);
      break;
    case "syncing":
      text = t("syncSyncing", vars);
      break;
    case "offline":
      text = t("syncOffline", vars);
      break;
    case "refused":
      text = t("syncRefused", vars);
      break;
    default:
      text = t("syncConnecting", vars);
  }
  const offset = view.clock_offset_ms;
  if (offset !== null && Math.abs(offset) > CLOCK_SHOWN_MS) {
    text += t("syncClockOff", { s: `${offset > 0 ? "+" : "−"}${Math.round(Math.abs(offset) / 1000)}` });
  }
  return text;
}

/** Whether the offline banner shows: the server is out of reach or refuses this workstation. */
export function syncBanner(view: SyncView | null): boolean {
  return view !== null && (view.state === "offline" || view.state === "refused");
}
