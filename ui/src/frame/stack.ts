// The screens of the console, one in front: switching hides a screen rather than destroying it, so
// what was typed there, its scroll position and its state are there when it comes back. A hidden
// screen's timers are paused; a disposed screen's timers are removed.

import type { ScreenId } from "./screens";
import type { ScreenTimers } from "./timers";

/** What the frame needs of the element a screen lives in (an HTMLElement in the window). */
export interface ScreenElement {
  hidden: boolean;
  contains(node: unknown): boolean;
  remove?(): void;
}

interface Focusable {
  focus(options?: { preventScroll?: boolean }): void;
  blur?(): void;
  isConnected?: boolean;
}

export interface Screen {
  readonly id: ScreenId;
  /** The screen's root; the frame hides it when another screen is in front. */
  readonly element: ScreenElement;
  readonly timers: ScreenTimers;
  /** Just brought to the front (its timers have already resumed). */
  shown?(): void;
  /** Just sent behind (its timers are paused). */
  hidden?(): void;
  /** A key pressed while the screen is in front, after the frame's screen keys; true if taken. */
  onKey?(e: KeyboardEvent, typing: boolean): boolean;
  /** Releases what the screen holds beyond its timers and element. */
  dispose?(): void;
}

/** Who brought a screen forward: the operator (a tab, a key) or a new alarm. */
export type Reason = "operator" | "alarm";

export class ScreenStack<S extends Screen = Screen> {
  private readonly screens = new Map<ScreenId, S>();
  private activeId: ScreenId | null = null;
  /** Where the focus was on each screen when it was sent behind. */
  private readonly focus = new Map<ScreenId, Focusable>();

  constructor(
    private readonly onChange: (id: ScreenId) => void = () => undefined,
    private readonly focused: () => unknown = () => (typeof document === "undefined" ? null : document.activeElement),
  ) {}

  /** Adds a screen, hidden (and its timers paused) until it is shown. */
  add(screen: S): void {
    if (this.screens.has(screen.id)) throw new Error(`screen ${screen.id} is already in the console`);
    screen.element.hidden = true;
    this.screens.set(screen.id, screen);
  }

  get active(): S | null {
    return this.activeId ? (this.screens.get(this.activeId) ?? null) : null;
  }

  get activeScreen(): ScreenId | null {
    return this.activeId;
  }

  get(id: ScreenId): S | null {
    return this.screens.get(id) ?? null;
  }

  get ids(): ScreenId[] {
    return [...this.screens.keys()];
  }

  /** Brings `id` to the front. The screen sent behind loses the focus (its field keeps what was
   * typed); the operator coming back gets that field again, an alarm does not, so the desk's keys
   * act at once. Returns whether the front changed. */
  show(id: ScreenId, reason: Reason = "operator"): boolean {
    const next = this.screens.get(id);
    if (!next) return false;
    // Already in front: nothing moves, and a field being typed in keeps its focus.
    if (this.activeId === id) return false;
    const previous = this.active;
    if (previous) {
      const f = this.focused() as Focusable | null;
      if (f && previous.element.contains(f)) {
        this.focus.set(previous.id, f);
        f.blur?.();
      } else {
        this.focus.delete(previous.id);
      }
      previous.timers.pause();
      previous.element.hidden = true;
      previous.hidden?.();
    }
    next.element.hidden = false;
    this.activeId = id;
    next.timers.resume();
    next.shown?.();
    const keep = this.focus.get(id);
    this.focus.delete(id);
    if (reason === "operator" && keep && keep.isConnected !== false && next.element.contains(keep)) {
      keep.focus({ preventScroll: true });
    }
    this.onChange(id);
    return true;
  }

  /** Removes a screen for good: its timers and element go with it. */
  dispose(id: ScreenId): void {
    const screen = this.screens.get(id);
    if (!screen) return;
    screen.timers.dispose();
    screen.dispose?.();
    screen.element.remove?.();
    this.screens.delete(id);
    this.focus.delete(id);
    if (this.activeId === id) {
      this.activeId = null;
      const first = this.screens.keys().next();
      if (!first.done) this.show(first.value);
    }
  }

  disposeAll(): void {
    for (const id of this.ids) this.dispose(id);
  }
}
