// The translation table for Solid components: a text read through `tr` is redrawn when the language
// changes, like the imperative parts do with `onLanguageChange`.

import { createSignal } from "solid-js";
import { count, label, language, onLanguageChange, t, type MessageKey } from "./i18n";
import type { Language } from "./api";

const [current, setCurrent] = createSignal<Language>(language());
onLanguageChange(() => setCurrent(language()));

/** The console's language, as a signal. */
export const lang = current;

/** `t`, tracked: the text follows the language. */
export function tr(key: MessageKey, vars?: Record<string, string | number>): string {
  current();
  return t(key, vars);
}

/** `count`, tracked. */
export function trCount(n: number): string {
  current();
  return count(n);
}

/** `label`, tracked. */
export function trLabel(l: { zh: string; en: string }): string {
  current();
  return label(l);
}

/** Any text made with the translation table (e.g. `typeText`), tracked. */
export function inLanguage<T>(make: () => T): T {
  current();
  return make();
}
