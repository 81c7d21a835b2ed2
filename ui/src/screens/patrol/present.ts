// Pure helpers of the patrol and review screens: times in the site's zone, shares, labels.

import type { CheckpointMark, Compliance, RoundState } from "../../lib/bindings";
import type { MessageKey } from "../../lib/i18n";

/** "22:05" in the site's time zone. */
export function clock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hour12: false }).format(ms);
}

/** "2026-11-30 22:05" in the site's time zone. */
export function dateTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).formatToParts(ms);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

/** On-time share as people read it: "93.8 %", or "—" when nothing was expected. */
export function share(c: Pick<Compliance, "on_time" | "expected">): string {
  if (c.expected === 0) return "—";
  return `${((100 * c.on_time) / c.expected).toFixed(1)} %`;
}

export function roundKey(s: RoundState): MessageKey {
  return `round_${s}` as MessageKey;
}

export function markKey(m: CheckpointMark): MessageKey {
  return `cpmark_${m}` as MessageKey;
}

/** The CSS class of a checkpoint's mark: green on time, amber early/late, red missed. */
export function markTone(m: CheckpointMark): "ok" | "warn" | "bad" | "idle" {
  switch (m) {
    case "on_time":
      return "ok";
    case "early":
    case "late":
    case "out_of_order":
      return "warn";
    case "missed":
      return "bad";
    default:
      return "idle";
  }
}
