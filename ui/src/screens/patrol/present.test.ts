import { describe, expect, it } from "vitest";
import { clock, dateTime, markTone, share } from "./present";

describe("patrol presentation", () => {
  it("shows times in the site's zone, not the machine's", () => {
    // 14:05 UTC is 22:05 in Shanghai.
    const ms = Date.UTC(2026, 10, 30, 14, 5);
    expect(clock(ms, "Asia/Shanghai")).toBe("22:05");
    expect(dateTime(ms, "Asia/Shanghai")).toBe("2026-11-30 22:05");
    expect(dateTime(ms, "UTC")).toBe("2026-11-30 14:05");
  });

  it("reads compliance as a share and nothing expected as a dash", () => {
    expect(share({ on_time: 15, expected: 16 })).toBe("93.8 %");
    expect(share({ on_time: 0, expected: 0 })).toBe("—");
  });

  it("colours a checkpoint by how it was checked", () => {
    expect(markTone("on_time")).toBe("ok");
    expect(markTone("late")).toBe("warn");
    expect(markTone("missed")).toBe("bad");
    expect(markTone("pending")).toBe("idle");
  });
});
