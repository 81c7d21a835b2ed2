// How an incident reads on screen: its type, place and timers, in the console's language.

import type { Escalation, IncidentView, TimelineLine } from "../../lib/bindings";
import { label, t, type MessageKey } from "../../lib/i18n";
import { duration } from "./keys";

const TYPES = new Set(["panic", "duress", "hold_up", "fire", "medical", "burglary", "tamper", "trouble", "test", "open_close", "patrol_round_missed"]);

export function typeText(alarmType: string): string {
  return TYPES.has(alarmType) ? t(`type_${alarmType}` as MessageKey) : `${t("type_other")} · ${alarmType}`;
}

export function placeText(i: IncidentView): string {
  const p = i.point;
  if (!p) return t("unmappedPoint", { key: i.point_key.replace(/^unmapped:/, "") });
  return `${label(p.building_name)} ${p.floor_short} · ${label(p.name)}`;
}

export function stateText(state: string): string {
  return t(`state_${state}` as MessageKey);
}

/** The timer line: time since the alarm and what is left of the 5-minute on-scene target. */
export function timerText(i: IncidentView, now: number): string {
  if (i.on_scene_at !== null) return t("onSceneAfter", { t: duration(i.on_scene_at - i.opened_at) });
  if (i.state === "closed" || i.state === "resolved") return t("elapsed", { t: duration(now - i.opened_at) });
  const left = i.target_at - now;
  return left >= 0 ? t("targetLeft", { t: duration(left) }) : t("targetOverdue", { t: duration(-left) });
}

/** The escalation level now, from the engine's view and the clock (the list ticks between reloads). */
/** Where an incident is in the three-level response now: Rust says when each level starts (or that
 * it cannot any more); the window only compares those times with its clock between reloads. */
export function escalationNow(i: IncidentView, now: number, _acknowledgeWithinMs?: number): Escalation {
  if (i.overdue_at !== null && now > i.overdue_at) return "overdue";
  if (i.unacknowledged_at !== null && now > i.unacknowledged_at) return "unacknowledged";
  return "none";
}

export function lineText(line: TimelineLine): string {
  const key = `line_${line.kind}` as MessageKey;
  const text = line.kind === "close" && line.text ? t(`category_${line.text}` as MessageKey) : (line.text ?? "");
  return t(key, { text });
}

/** A sender's own time as it wrote it, with the date: a wrong clock may be years off. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ms)}`;
}

/** Why a line was kept without acting (from another workstation), or nothing. */
export function markText(line: TimelineLine): string | null {
  return line.mark ? t(`mark_${line.mark}` as MessageKey) : null;
}

/** What the timeline says of a signal whose sender's clock was off, or nothing. */
export function clockFaultText(line: TimelineLine): string | null {
  if (!line.clock_fault || line.sent_at === null) return null;
  return t(`clock_${line.clock_fault}` as MessageKey, { sent: dateTime(line.sent_at) });
}

export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
