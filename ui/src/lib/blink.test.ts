import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FLASH_ON, HALF_PERIOD_MS, startBlink } from "./blink";

/** Just enough of an element for the clock: a class list. */
function element() {
  const classes = new Set<string>(["flash"]);
  return {
    classes,
    classList: { toggle: (name: string, force: boolean) => (force ? classes.add(name) : classes.delete(name), force) },
  };
}

describe("the flash clock", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("switches every flashing element together, twice a second, and stops", () => {
    const elements = [element(), element()];
    const root = { getElementsByClassName: () => elements as unknown as HTMLCollectionOf<Element> };
    const blink = startBlink(root);
    vi.advanceTimersByTime(HALF_PERIOD_MS);
    expect(blink.on).toBe(true);
    expect(elements.every((e) => e.classes.has(FLASH_ON))).toBe(true);
    vi.advanceTimersByTime(HALF_PERIOD_MS);
    expect(elements.some((e) => e.classes.has(FLASH_ON))).toBe(false);
    // An element that starts flashing later joins the same phase at the next switch.
    elements.push(element());
    vi.advanceTimersByTime(HALF_PERIOD_MS);
    expect(elements.every((e) => e.classes.has(FLASH_ON))).toBe(true);
    blink.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
