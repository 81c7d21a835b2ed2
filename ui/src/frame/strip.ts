// The alarm strip in the header: on every screen, how many alarms are open, how many nobody has
// acknowledged yet (the siren sounds for those), and the most urgent one. Pure.

import type { IncidentView } from "../lib/bindings";

/** What the strip reads of an incident. */
export type StripItem = Pick<IncidentView, "priority" | "state" | "opened_at">;

export interface StripSummary<T extends StripItem = IncidentView> {
  open: number;
  /** Still new: nobody acknowledged them, so the siren sounds. */
  unacknowledged: number;
  /** Most urgent first: the highest priority, then the oldest. */
  top: T | null;
}

export function stripSummary<T extends StripItem>(items: readonly T[]): StripSummary<T> {
  let top: T | null = null;
  let unacknowledged = 0;
  for (const i of items) {
    if (i.state === "new") unacknowledged++;
    if (!top || i.priority < top.priority || (i.priority === top.priority && i.opened_at < top.opened_at)) top = i;
  }
  return { open: items.length, unacknowledged, top };
}
