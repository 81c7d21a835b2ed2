import { describe, expect, it } from "vitest";

import type { SyncView } from "../lib/api";
import { translate } from "../lib/i18n";
import { syncBanner, syncClass, syncText } from "./sync";

const view = (over: Partial<SyncView>): SyncView => ({
  state: "online",
  server: "http://10.0.0.5:8750",
  name: "control-room-1",
  queue: 0,
  last_sync: new Date(2026, 11, 1, 3, 4, 5).getTime(),
  clock_offset_ms: 120,
  problem: null,
  ...over,
});

const zh = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate("zh-CN", key, vars);
const en = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate("en", key, vars);

describe("the status bar's sync", () => {
  it("says local only when the workstation is not enrolled", () => {
    expect(syncClass(null)).toBe("local");
    expect(syncText(null, en)).toContain("Local only");
    expect(syncBanner(null)).toBe(false);
  });

  it("names the server and the last answer when online", () => {
    const text = syncText(view({}), en);
    expect(text).toContain("10.0.0.5");
    expect(text).toContain("03:04:05");
    expect(text).not.toContain("clock");
  });

  it("counts what waits to be sent while offline, in both languages, with the banner", () => {
    const off = view({ state: "offline", queue: 42 });
    expect(syncText(off, en)).toContain("42");
    expect(syncText(off, zh)).toContain("离线");
    expect(syncBanner(off)).toBe(true);
    expect(syncBanner(view({ state: "syncing", queue: 3 }))).toBe(false);
  });

  it("shows a clock far from the server's, with its sign", () => {
    expect(syncText(view({ clock_offset_ms: 600_000 }), en)).toContain("+600");
    expect(syncText(view({ clock_offset_ms: -180_000 }), zh)).toContain("−180");
    expect(syncText(view({ clock_offset_ms: 90_000 }), en)).not.toMatch(/clock/i);
  });

  it("passes on why the server refuses", () => {
    const text = syncText(view({ state: "refused", problem: "the token was revoked" }), en);
    expect(text).toContain("revoked");
  });
});
