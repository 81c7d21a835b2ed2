import { describe, expect, it } from "vitest";
import { RoutePicker } from "./picker";

const cp = (n: number) => ({ id: `id-${n}`, code: `CHK-${n}`, name: `点 ${n}` });

describe("picking a route on the map", () => {
  it("keeps the order of the clicks and takes a checkpoint out on a second click", () => {
    const picker = new RoutePicker();
    const seen: number[] = [];
    let result: string[] = [];
    picker.start([cp(1)], (p) => seen.push(p.length), (p) => (result = p.map((c) => c.id)));
    expect(picker.active).toBe(true);
    picker.toggle(cp(3));
    picker.toggle(cp(2));
    picker.toggle(cp(3));
    picker.toggle(cp(4));
    picker.done();
    expect(result).toEqual(["id-1", "id-2", "id-4"]);
    expect(seen).toEqual([1, 2, 3, 2, 3]);
    expect(picker.active).toBe(false);
  });

  it("ignores clicks when nobody is picking", () => {
    const picker = new RoutePicker();
    picker.toggle(cp(1));
    expect(picker.list).toEqual([]);
  });
});
