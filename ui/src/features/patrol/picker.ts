// Picking a route's checkpoints on the map: the patrol screen starts it, the alarm desk's map feeds
// it the checkpoints the administrator clicks (a second click takes one out again), and "done"
// hands the list back in the order they were picked — the order the route walks them.

export interface PickedCheckpoint {
  id: string;
  code: string;
  name: string;
}

export class RoutePicker {
  private picked: PickedCheckpoint[] = [];
  private listener: ((picked: readonly PickedCheckpoint[]) => void) | null = null;
  private finished: ((picked: PickedCheckpoint[]) => void) | null = null;
  /** Whoever shows the picking (the map's banner): told on start, every click and the end. */
  private readonly observers = new Set<() => void>();

  observe(observer: () => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private tell(): void {
    for (const o of this.observers) o();
  }

  get active(): boolean {
    return this.finished !== null;
  }

  get list(): readonly PickedCheckpoint[] {
    return this.picked;
  }

  /** Starts picking from `initial`; `onChange` follows every click, `onDone` gets the result. */
  start(
    initial: PickedCheckpoint[],
    onChange: (picked: readonly PickedCheckpoint[]) => void,
    onDone: (picked: PickedCheckpoint[]) => void,
  ): void {
    this.picked = [...initial];
    this.listener = onChange;
    this.finished = onDone;
    onChange(this.picked);
    this.tell();
  }

  /** A checkpoint clicked on the map: added at the end, or taken out if it is already there. */
  toggle(c: PickedCheckpoint): void {
    if (!this.active) return;
    const at = this.picked.findIndex((p) => p.id === c.id);
    this.picked = at >= 0 ? this.picked.filter((_, i) => i !== at) : [...this.picked, c];
    this.listener?.(this.picked);
    this.tell();
  }

  /** Ends picking and hands the list back. */
  done(): void {
    const finished = this.finished;
    const picked = this.picked;
    this.finished = null;
    this.listener = null;
    finished?.(picked);
    this.tell();
  }
}

/** The one picker of the console (the map is one, on the alarm desk). */
export const routePicker = new RoutePicker();
