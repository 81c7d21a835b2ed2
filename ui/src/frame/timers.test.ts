import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ScreenTimers } from "./timers";

describe("a screen's timers", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("start when the screen is first shown", () => {
    const timers = new ScreenTimers();
    const tick = vi.fn();
    timers.every(1000, tick);
    vi.advanceTimersByTime(5000);
    expect(tick).not.toHaveBeenCalled();
    timers.resume();
    expect(tick).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(3000);
    expect(tick).toHaveBeenCalledTimes(4);
  });

  it("pause while the screen is hidden and catch up once when it is back", () => {
    const timers = new ScreenTimers();
    timers.resume();
    const tick = vi.fn();
    timers.every(1000, tick);
    vi.advanceTimersByTime(2000);
    expect(tick).toHaveBeenCalledTimes(2);
    timers.pause();
    vi.advanceTimersByTime(60_000);
    expect(tick).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
    timers.resume();
    expect(tick).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(1000);
    expect(tick).toHaveBeenCalledTimes(4);
  });

  it("stop one timer, and all of them for good on dispose", () => {
    const timers = new ScreenTimers();
    timers.resume();
    const a = vi.fn();
    const b = vi.fn();
    const stopA = timers.every(1000, a);
    timers.every(500, b);
    stopA();
    vi.advanceTimersByTime(1000);
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(2);
    expect(timers.size).toBe(1);
    timers.dispose();
    expect(vi.getTimerCount()).toBe(0);
    timers.resume();
    timers.every(100, a);
    vi.advanceTimersByTime(1000);
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(2);
    expect(timers.size).toBe(0);
  });

  it("keep going when one tick throws", () => {
    const timers = new ScreenTimers();
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const ok = vi.fn();
    timers.every(1000, () => {
      throw new Error("boom");
    });
    timers.every(1000, ok);
    timers.resume();
    expect(ok).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });
});
