// Everything that flashes for attention flashes on one clock: an unacknowledged alarm's row and its
// ring on the map, the alarm strip on the other screens, an overdue escalation banner. An element
// that should flash carries the class `flash`; twice a second the clock switches `flash-on` on the
// document's root, and the style sheet gives `.flash-on .flash` its bright look. Each switch
// restyles and repaints the flashing elements and nothing else, and an element drawn mid-period
// (a row rebuilt by the list) is at once in the same phase as the others. CSS animations, even
// stepped ones, kept a software-rendered WebKit repainting at frame rate while an alarm waited.

/** Carried by every element that flashes. */
export const FLASH = "flash";
/** On the root element during the bright half of each flash. */
export const FLASH_ON = "flash-on";
/** Half a flash: on for this long, off for this long. */
export const HALF_PERIOD_MS = 500;

export interface Blink {
  /** Whether the flashing elements are in their bright half now. */
  readonly on: boolean;
  stop(): void;
}

/** Starts the clock on `root` (the document's root element). */
export function startBlink(root: { classList: { toggle(name: string, force: boolean): boolean } } = document.documentElement): Blink {
  let on = false;
  const handle = setInterval(() => {
    on = !on;
    root.classList.toggle(FLASH_ON, on);
  }, HALF_PERIOD_MS);
  return {
    get on() {
      return on;
    },
    stop: () => {
      clearInterval(handle);
      root.classList.toggle(FLASH_ON, false);
    },
  };
}
