// The open alarms, for the whole console: what the engine announces (`incident-news`, which carries
// the open list) and a reload every 5 s, so a lost event costs at most five seconds, never an alarm.
// It belongs to the frame, not to a screen: it keeps running whichever screen is in front, and the
// alarm strip, the login screen and the alarm desk all draw from it.

import { listen } from "@tauri-apps/api/event";
import { api, type IncidentNews } from "../lib/api";
import type { IncidentView } from "../lib/bindings";

/** The list is reloaded this often even without news, so nothing depends on one event arriving. */
export const INCIDENT_POLL_MS = 5000;

/** Called with the open list (in handling order) and, when it came with news, the news. */
export type FeedListener = (items: IncidentView[], news: IncidentNews | null) => Promise<void> | void;

export class AlarmFeed {
  private items: IncidentView[] = [];
  private readonly listeners: FeedListener[] = [];
  private reloading: Promise<void> | null = null;
  private reloadsWanted = 0;
  private newsSeq = 0;
  private poll: ReturnType<typeof setInterval> | null = null;
  private unlisten: (() => void) | null = null;
  /** The open list as last emitted, as text: a reload that brings the same list emits nothing. */
  private emitted = "";

  get open(): IncidentView[] {
    return this.items;
  }

  /** How many listeners it calls (the memory model's figure: it must not grow). */
  get listenerCount(): number {
    return this.listeners.length;
  }

  /** Listeners are called in the order they subscribed, each awaited before the next. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  async start(): Promise<void> {
    this.unlisten = await listen<IncidentNews>("incident-news", (event) => void this.onNews(event.payload));
    await this.reload();
    this.poll = setInterval(() => void this.reload(), INCIDENT_POLL_MS);
  }

  stop(): void {
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
    this.unlisten?.();
    this.unlisten = null;
  }

  /** Reloads the open list. One reload at a time; news during one asks for another, and the
   * promise settles after it. */
  reload(): Promise<void> {
    this.reloadsWanted++;
    this.reloading ??= (async () => {
      let done = 0;
      while (done < this.reloadsWanted) {
        done = this.reloadsWanted;
        await this.doReload().catch(() => undefined);
      }
    })().finally(() => (this.reloading = null));
    return this.reloading;
  }

  private async doReload(): Promise<void> {
    const seq = this.newsSeq;
    const items = await api.incidents();
    // News that came while this was on its way is newer than what it brings.
    if (seq !== this.newsSeq) return;
    // Most reloads find what the news already brought: nothing on screen changes, so nothing is
    // redrawn (the timers tick on their own).
    if (JSON.stringify(items) === this.emitted) return;
    await this.emit(items, null);
  }

  private async onNews(news: IncidentNews): Promise<void> {
    this.newsSeq++;
    await this.emit(news.open, news);
  }

  private async emit(items: IncidentView[], news: IncidentNews | null): Promise<void> {
    this.items = items;
    this.emitted = JSON.stringify(items);
    for (const listener of [...this.listeners]) {
      try {
        await listener(items, news);
      } catch (error) {
        console.error(error);
      }
    }
  }
}

/** Whether news opened at least one new incident (rather than a repeat folded into one). */
export function opensIncident(news: IncidentNews | null): boolean {
  return !!news && news.changes.some((c) => c.opened && news.open.some((i) => i.id === c.incident_id));
}
