// The DC-09 accounts as the settings screen lists them: filtered by what the operator types, and
// each account's key and supervision in words. Pure; the texts come from the translation table.

import type { Dc09AccountView } from "../../lib/bindings";
import type { MessageKey } from "../../lib/i18n";

type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** The accounts whose number contains `text` (any case; spaces and a leading '#' ignored). */
export function filterAccounts(accounts: readonly Dc09AccountView[], text: string): Dc09AccountView[] {
  const wanted = text.replace(/\s+/g, "").replace(/^#/, "").toLowerCase();
  if (!wanted) return [...accounts];
  return accounts.filter((a) => a.account.toLowerCase().includes(wanted));
}

/** "Encrypted" or "Plain", never the key. */
export function keyText(a: Dc09AccountView, t: Translate): string {
  return a.has_key ? t("keySet") : t("keyNone");
}

/** How the key is written, or a dash for an account without one. */
export function keyFormatText(a: Dc09AccountView, t: Translate): string {
  if (!a.has_key) return t("none");
  return a.key_format === "text" ? t("keyFormat_text") : t("keyFormat_hex");
}

/** "300 s", "off", with "(default)" when the account takes `dc09.supervision_seconds`. */
export function supervisionText(a: Dc09AccountView, t: Translate): string {
  const value = a.supervision_seconds > 0 ? t("seconds", { n: a.supervision_seconds }) : t("supervisionOff");
  return a.supervision_own ? value : t("byDefault", { value });
}
