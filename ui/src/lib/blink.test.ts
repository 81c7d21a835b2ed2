import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FLASH_ON, HALF_PERIOD_MS, startBlink } from "./blink";

function root() {
  const classes = new Set<string>();
  return { classes, classList: { toggle: (name: string, force: boolean) => (force ? classes.add(name) : classes.delete(name), force) } };
}

describe("the flash clock", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("switches the root between its two phases twice a second, and stops dark", () => {
    const r = root();
    const blink = startBlink(r);
    expect(r.classes.has(FLASH_ON)).toBe(false);
    vi.advanceTimersByTime(HALF_PERIOD_MS);
    expect(blink.on).toBe(true);
    expect(r.classes.has(FLASH_ON)).toBe(true);
    vi.advanceTimersByTime(HALF_PERIOD_MS);
    expect(r.classes.has(FLASH_ON)).toBe(false);
    vi.advanceTimersByTime(HALF_PERIOD_MS);
    expect(r.classes.has(FLASH_ON)).toBe(true);
    blink.stop();
    expect(r.classes.has(FLASH_ON)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
