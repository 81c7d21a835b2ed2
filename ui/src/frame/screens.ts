// The console's screens and the keys that bring each to the front. Pure, so the table is tested on
// its own: a screen key must work while the operator types in a field, so it is a function key or
// Ctrl + a digit — never a letter, a digit or an arrow, which the alarm desk and typing own.

import type { KeyCommand } from "../features/incidents/keys";
import type { MessageKey } from "../lib/i18n";

/** Sync will add its own here, with the next function key. */
export type ScreenId = "alarms" | "patrol" | "review" | "settings";

export interface ScreenSpec {
  id: ScreenId;
  /** The function key that brings the screen forward ("F1"), shown on its tab. */
  fkey: string;
  /** Ctrl and this digit do the same. */
  digit: string;
  /** The tab's name. */
  title: MessageKey;
}

/** In the order of their tabs; the first is where the console starts and where alarms go. */
export const SCREENS: readonly ScreenSpec[] = [
  { id: "alarms", fkey: "F1", digit: "1", title: "screen_alarms" },
  { id: "settings", fkey: "F2", digit: "2", title: "screen_settings" },
  { id: "patrol", fkey: "F3", digit: "3", title: "screen_patrol" },
  { id: "review", fkey: "F4", digit: "4", title: "screen_review" },
];

/** The alarm desk: new alarms bring it to the front from any screen. */
export const ALARM_DESK: ScreenId = "alarms";

/** Keys of the alarm desk that act on every screen (when not typing): the siren and the lock are
 * the whole console's, not one incident's. Other screens must not give these keys another meaning. */
export const GLOBAL_COMMANDS: ReadonlySet<KeyCommand> = new Set<KeyCommand>(["silence", "lock"]);

export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
}

/** The screen a key press asks for, or none. Works whether or not the operator is typing. */
export function screenForKey(e: KeyLike): ScreenId | null {
  if (e.altKey || e.metaKey || e.shiftKey) return null;
  if (e.ctrlKey) {
    // With Ctrl held some layouts report the digit only in `code`.
    const spec = SCREENS.find((s) => e.key === s.digit || e.code === `Digit${s.digit}` || e.code === `Numpad${s.digit}`);
    return spec?.id ?? null;
  }
  return SCREENS.find((s) => e.key === s.fkey)?.id ?? null;
}

/** "F1 · Ctrl+1": every key that brings the screen forward, for its tab's tooltip. */
export function keysText(spec: ScreenSpec): string {
  return `${spec.fkey} · Ctrl+${spec.digit}`;
}

export function screenSpec(id: ScreenId): ScreenSpec {
  return SCREENS.find((s) => s.id === id) ?? SCREENS[0];
}
