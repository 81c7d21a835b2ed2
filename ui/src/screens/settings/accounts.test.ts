import { describe, expect, it } from "vitest";
import type { Dc09AccountView } from "../../lib/bindings";
import { translate, type MessageKey } from "../../lib/i18n";
import { filterAccounts, keyFormatText, keyText, supervisionText } from "./accounts";

const accounts: Dc09AccountView[] = [
  { account: "1001", has_key: false, key_format: "hex", supervision_seconds: 0, supervision_own: false },
  { account: "1002", has_key: true, key_format: "hex", supervision_seconds: 300, supervision_own: true },
  { account: "9AF1", has_key: true, key_format: "text", supervision_seconds: 90, supervision_own: false },
];
const en = (key: MessageKey, vars?: Record<string, string | number>) => translate("en", key, vars);
const zh = (key: MessageKey, vars?: Record<string, string | number>) => translate("zh-CN", key, vars);

describe("the settings screen's accounts", () => {
  it("filter by the account number, in any case, with or without '#'", () => {
    expect(filterAccounts(accounts, "").map((a) => a.account)).toEqual(["1001", "1002", "9AF1"]);
    expect(filterAccounts(accounts, "100").map((a) => a.account)).toEqual(["1001", "1002"]);
    expect(filterAccounts(accounts, " #9af ").map((a) => a.account)).toEqual(["9AF1"]);
    expect(filterAccounts(accounts, "77")).toEqual([]);
  });

  it("say whether there is a key and how it is written, in both languages", () => {
    expect([keyText(accounts[0], en), keyFormatText(accounts[0], en)]).toEqual(["Plain (no key)", "—"]);
    expect([keyText(accounts[2], en), keyFormatText(accounts[2], en)]).toEqual(["Encrypted (key set)", "text"]);
    expect(keyFormatText(accounts[1], zh)).toBe("十六进制");
  });

  it("give the supervision time, and say when it is the default", () => {
    expect(supervisionText(accounts[0], en)).toBe("off (default)");
    expect(supervisionText(accounts[1], en)).toBe("300 s");
    expect(supervisionText(accounts[2], zh)).toBe("90 秒（默认）");
  });
});
