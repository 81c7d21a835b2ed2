import { describe, expect, it } from "vitest";
import { commandFor, KEY_OF } from "../features/incidents/keys";
import { GLOBAL_COMMANDS, keysText, SCREENS, screenForKey } from "./screens";

describe("screen keys", () => {
  it("bring each screen forward with its function key or Ctrl + its digit", () => {
    expect(screenForKey({ key: "F1" })).toBe("alarms");
    expect(screenForKey({ key: "F2" })).toBe("settings");
    expect(screenForKey({ key: "1", ctrlKey: true })).toBe("alarms");
    expect(screenForKey({ key: "2", ctrlKey: true })).toBe("settings");
    expect(screenForKey({ key: "&", code: "Digit1", ctrlKey: true })).toBe("alarms");
    expect(screenForKey({ key: "2", code: "Numpad2", ctrlKey: true })).toBe("settings");
    expect(keysText(SCREENS[1])).toBe("F2 · Ctrl+2");
  });

  it("leave digits, letters, arrows and other modifiers alone", () => {
    // 1–6 choose a close category and digits are typed; letters are the desk's actions.
    for (const key of ["1", "2", "a", "s", "/", "ArrowDown", "Escape", "Enter", "F5", "F12"]) {
      expect(screenForKey({ key }), key).toBeNull();
    }
    expect(screenForKey({ key: "F3" })).toBe("patrol");
    expect(screenForKey({ key: "F4" })).toBe("review");
    expect(screenForKey({ key: "F1", shiftKey: true })).toBeNull();
    expect(screenForKey({ key: "F2", altKey: true })).toBeNull();
    expect(screenForKey({ key: "1", ctrlKey: true, shiftKey: true })).toBeNull();
    expect(screenForKey({ key: "F1", metaKey: true })).toBeNull();
  });

  it("never collide with the alarm desk's keys", () => {
    const deskKeys = new Set(Object.values(KEY_OF).map((k) => k.toLowerCase()));
    const ids = new Set<string>();
    const fkeys = new Set<string>();
    for (const s of SCREENS) {
      expect(deskKeys.has(s.fkey.toLowerCase()), s.fkey).toBe(false);
      // The desk ignores every key pressed with Ctrl, and function keys.
      expect(commandFor({ key: s.fkey }, false), s.fkey).toBeNull();
      expect(commandFor({ key: s.digit, ctrlKey: true }, false), s.digit).toBeNull();
      expect(s.fkey).toMatch(/^F\d+$/);
      expect(s.digit).toMatch(/^\d$/);
      ids.add(s.id);
      fkeys.add(s.fkey);
    }
    expect(ids.size).toBe(SCREENS.length);
    expect(fkeys.size).toBe(SCREENS.length);
  });

  it("keep the siren and the lock on every screen", () => {
    expect([...GLOBAL_COMMANDS].sort()).toEqual(["lock", "silence"]);
    expect(commandFor({ key: "s" }, false)).toBe("silence");
    expect(commandFor({ key: "s" }, true)).toBeNull();
  });
});
