import { describe, expect, it } from "vitest";
import { CATEGORIES, KEY_OF, categoryFor, commandFor, duration } from "./keys";

describe("alarm desk keys", () => {
  it("gives every command its own key, matched in either case", () => {
    const keys = Object.values(KEY_OF);
    expect(new Set(keys).size).toBe(keys.length);
    expect(commandFor({ key: "a" }, false)).toBe("acknowledge");
    expect(commandFor({ key: "A" }, false)).toBe("acknowledge");
    expect(commandFor({ key: "ArrowDown" }, false)).toBe("next");
    expect(commandFor({ key: "k" }, false)).toBe("previous");
    expect(commandFor({ key: "c" }, false)).toBe("close");
  });

  it("ignores keys while typing or with modifiers, and unknown keys", () => {
    expect(commandFor({ key: "a" }, true)).toBeNull();
    expect(commandFor({ key: "a", ctrlKey: true }, false)).toBeNull();
    expect(commandFor({ key: "q" }, false)).toBeNull();
    expect(commandFor({ key: "/" }, false)).toBeNull();
  });

  it("chooses close categories by number", () => {
    expect(categoryFor("1")).toBe("real");
    expect(categoryFor("2")).toBe("false");
    expect(categoryFor(String(CATEGORIES.length))).toBe("other");
    expect(categoryFor("0")).toBeNull();
    expect(categoryFor("7")).toBeNull();
    expect(categoryFor("x")).toBeNull();
  });

  it("writes durations as a clock", () => {
    expect(duration(0)).toBe("0:00");
    expect(duration(65_000)).toBe("1:05");
    expect(duration(5 * 60_000)).toBe("5:00");
    expect(duration(3_723_000)).toBe("1:02:03");
    expect(duration(-5)).toBe("0:00");
  });
});
