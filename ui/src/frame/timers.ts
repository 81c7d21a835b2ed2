// A screen's timers: they run only while the screen is in front. A hidden screen costs nothing
// each second — no ticking timers, no snapshot fetches — and catches up once when it comes back.

type Handle = ReturnType<typeof setInterval>;

interface Entry {
  ms: number;
  run: () => void;
  handle: Handle | null;
}

/** What a part of a screen needs to tick (the alarm list, the incident panel). */
export interface Ticker {
  /** Calls `run` every `ms` while the screen is shown; returns a function that stops it. */
  every(ms: number, run: () => void): () => void;
}

export class ScreenTimers implements Ticker {
  private readonly entries = new Set<Entry>();
  private paused = true;
  private disposed = false;

  /** Starts paused: a screen's timers begin when it is first shown. */
  every(ms: number, run: () => void): () => void {
    const entry: Entry = { ms, run, handle: null };
    if (this.disposed) return () => undefined;
    this.entries.add(entry);
    if (!this.paused) entry.handle = setInterval(run, ms);
    return () => {
      if (entry.handle !== null) clearInterval(entry.handle);
      entry.handle = null;
      this.entries.delete(entry);
    };
  }

  /** The screen went behind another: every timer stops. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    for (const e of this.entries) {
      if (e.handle !== null) clearInterval(e.handle);
      e.handle = null;
    }
  }

  /** The screen is in front again: each timer runs once at once (what it shows is current), then
   * keeps its period. */
  resume(): void {
    if (!this.paused || this.disposed) return;
    this.paused = false;
    for (const e of [...this.entries]) {
      try {
        e.run();
      } catch (error) {
        console.error(error);
      }
      if (this.entries.has(e) && e.handle === null && !this.paused) e.handle = setInterval(e.run, e.ms);
    }
  }

  /** The screen is gone: every timer is removed, and none can be added. */
  dispose(): void {
    this.pause();
    this.entries.clear();
    this.disposed = true;
  }

  get running(): boolean {
    return !this.paused;
  }

  /** Timers registered (running or paused). */
  get size(): number {
    return this.entries.size;
  }
}
