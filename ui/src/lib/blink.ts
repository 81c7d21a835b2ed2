// Everything that flashes for attention flashes on one clock: an unacknowledged alarm's row and its
// ring on the map, the alarm strip on the other screens, an overdue escalation banner. An element
// that should flash carries the class `flash`; twice a second the clock switches `flash-on` on each
// of them, so each switch restyles and repaints those few elements and nothing else. CSS
// animations, even stepped ones, kept a software-rendered WebKit repainting at frame rate for as
// long as an alarm waited.

/** Carried by every element that flashes. */
export const FLASH = "flash";
/** Added to and removed from them twice a second. */
export const FLASH_ON = "flash-on";
/** Half a flash: on for this long, off for this long. */
export const HALF_PERIOD_MS = 500;

export interface Blink {
  /** Whether the flashing elements are in their bright half now (for one drawn mid-period). */
  readonly on: boolean;
  stop(): void;
}

/** Starts the clock over `root`'s flashing elements. */
export function startBlink(root: { getElementsByClassName(name: string): HTMLCollectionOf<Element> } = document): Blink {
  // A live collection: it follows the document, so nothing registers or unregisters.
  const flashing = root.getElementsByClassName(FLASH);
  let on = false;
  const handle = setInterval(() => {
    on = !on;
    for (const el of Array.from(flashing)) el.classList.toggle(FLASH_ON, on);
  }, HALF_PERIOD_MS);
  return {
    get on() {
      return on;
    },
    stop: () => clearInterval(handle),
  };
}
