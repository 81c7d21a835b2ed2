// The keyboard of the alarm desk: every incident action has one key, shown beside its button, so an
// operator handles an alarm without the mouse. Pure, so the table is tested on its own.

export type KeyCommand =
  | "next"
  | "previous"
  | "acknowledge"
  | "dispatch"
  | "on_scene"
  | "resolve"
  | "close"
  | "note"
  | "call_police"
  | "shelve"
  | "silence"
  | "locate"
  | "lock";

/** The key shown for each command (letters match either case). */
export const KEY_OF: Record<KeyCommand, string> = {
  next: "↓",
  previous: "↑",
  acknowledge: "A",
  dispatch: "D",
  on_scene: "O",
  resolve: "R",
  close: "C",
  note: "N",
  call_police: "P",
  shelve: "H",
  silence: "S",
  locate: "F",
  lock: "L",
};

const BY_KEY: Record<string, KeyCommand> = {
  arrowdown: "next",
  j: "next",
  arrowup: "previous",
  k: "previous",
};
for (const [command, key] of Object.entries(KEY_OF)) {
  if (key.length === 1 && /[A-Z]/.test(key)) BY_KEY[key.toLowerCase()] = command as KeyCommand;
}

/** Close categories in the order of their number keys 1–6. */
export const CATEGORIES = ["real", "false", "test", "device_fault", "duplicate", "other"] as const;
export type Category = (typeof CATEGORIES)[number];

/** The command a key press asks for, or none (modifiers, typing in a field, unknown keys). */
export function commandFor(e: { key: string; ctrlKey?: boolean; altKey?: boolean; metaKey?: boolean }, typing: boolean): KeyCommand | null {
  if (typing || e.ctrlKey || e.altKey || e.metaKey) return null;
  return BY_KEY[e.key.toLowerCase()] ?? null;
}

/** The category a number key chooses while the close chooser is open. */
export function categoryFor(key: string): Category | null {
  const n = Number.parseInt(key, 10);
  return Number.isInteger(n) && n >= 1 && n <= CATEGORIES.length ? CATEGORIES[n - 1] : null;
}

/** "4:05" or "1:02:03": how long, for timers beside each incident. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  const pad = (n: number) => String(n).padStart(2, "0");
  return hours > 0 ? `${hours}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}
