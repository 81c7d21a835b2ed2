import { describe, expect, it } from "vitest";
import { stripSummary, type StripItem } from "./strip";

type Item = StripItem & { id: string };

function incident(id: string, priority: 1 | 2 | 3, opened_at: number, state: StripItem["state"] = "new"): Item {
  return { id, priority, state, opened_at };
}

describe("the alarm strip", () => {
  it("says nothing is open", () => {
    expect(stripSummary<Item>([])).toEqual({ open: 0, unacknowledged: 0, top: null });
  });

  it("counts the open and the unacknowledged, and names the most urgent", () => {
    const items = [
      incident("p3", 3, 1),
      incident("p1-late", 1, 20, "acknowledged"),
      incident("p2", 2, 5),
      incident("p1-first", 1, 10, "dispatched"),
    ];
    const s = stripSummary(items);
    expect(s.open).toBe(4);
    expect(s.unacknowledged).toBe(2);
    expect(s.top?.id).toBe("p1-first");
  });
});
