import { describe, expect, it } from "vitest";
import { messageTables, translate } from "./i18n";

describe("translation table", () => {
  it("has every key in both languages, none left empty", () => {
    const en = Object.keys(messageTables.en).sort();
    const zh = Object.keys(messageTables["zh-CN"]).sort();
    expect(zh).toEqual(en);
    for (const table of Object.values(messageTables)) {
      for (const [key, text] of Object.entries(table)) expect(text, key).not.toBe("");
    }
  });

  it("keeps the same placeholders in both languages", () => {
    const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const key of Object.keys(messageTables.en) as (keyof typeof messageTables.en)[]) {
      expect(holes(messageTables["zh-CN"][key]), key).toEqual(holes(messageTables.en[key]));
    }
  });

  it("fills placeholders", () => {
    expect(translate("en", "saved", { n: 3 })).toBe("3 device positions saved");
    expect(translate("zh-CN", "planImported", { w: 10, h: 20 })).toBe("平面图已更换（10 × 20 像素）");
  });
});
