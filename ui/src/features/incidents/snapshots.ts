// The linked cameras' snapshots in the incident panel: one picture per camera, kept across the
// panel's redraws (a redraw never refetches), refreshed on a timer while the panel shows them. The
// next picture loads off screen and replaces the shown one once it is whole; the one replaced is
// then referenced by nothing, so the web view releases it. A camera slower than the refresh never
// has more than one picture on its way. Closing the panel (or showing an incident without that
// camera) drops the camera's picture at once.

/** What is needed of an image element: enough to run under test without a DOM. */
export interface Picture {
  src: string;
  // Shaped like the DOM's own handler types, so an HTMLImageElement is a Picture.
  onload: ((ev: never) => unknown) | null;
  onerror: ((ev: never) => unknown) | null;
  classList: { add(name: string): void; remove(name: string): void };
  removeAttribute(name: string): void;
}

interface Camera<P extends Picture> {
  url: string;
  shown: P;
  /** The next picture while it loads; null between refreshes. */
  next: P | null;
}

export class Snapshots<P extends Picture = HTMLImageElement> {
  private readonly cameras = new Map<string, Camera<P>>();

  constructor(
    /** A new, empty picture (the shown one is made with the class `snapshot`). */
    private readonly make: (shown: boolean) => P,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The picture shown for camera `code` at `url`: the same element as long as the camera stays. */
  picture(code: string, url: string): P {
    const known = this.cameras.get(code);
    if (known && known.url === url) return known.shown;
    if (known) this.drop(code);
    const shown = this.make(true);
    shown.onerror = () => shown.classList.add("failed");
    shown.onload = () => shown.classList.remove("failed");
    shown.src = this.fresh(url);
    this.cameras.set(code, { url, shown, next: null });
    return shown;
  }

  /** Keeps only the cameras in `codes` (the incident shown now has them). */
  retain(codes: ReadonlySet<string>): void {
    for (const code of [...this.cameras.keys()]) if (!codes.has(code)) this.drop(code);
  }

  /** Fetches the next picture of every camera that has none on its way. */
  refresh(): void {
    for (const camera of this.cameras.values()) {
      if (camera.next) continue;
      const next = this.make(false);
      camera.next = next;
      const done = () => {
        next.onload = null;
        next.onerror = null;
        if (camera.next === next) camera.next = null;
      };
      // A dropped camera's handlers are cleared, so these run only while it is still shown.
      next.onload = () => {
        camera.shown.src = next.src;
        camera.shown.classList.remove("failed");
        done();
      };
      next.onerror = () => {
        camera.shown.classList.add("failed");
        done();
      };
      next.src = this.fresh(camera.url);
    }
  }

  /** Drops every picture (the panel closed, or shows an incident without cameras). */
  clear(): void {
    for (const code of [...this.cameras.keys()]) this.drop(code);
  }

  /** Cameras held, and pictures on their way: the memory model's figures. */
  get held(): { cameras: number; loading: number } {
    let loading = 0;
    for (const c of this.cameras.values()) if (c.next) loading++;
    return { cameras: this.cameras.size, loading };
  }

  private drop(code: string): void {
    const camera = this.cameras.get(code);
    if (!camera) return;
    this.cameras.delete(code);
    for (const p of [camera.shown, camera.next]) {
      if (!p) continue;
      p.onload = null;
      p.onerror = null;
      // Without a source the element lets go of its picture even while something still holds it.
      p.removeAttribute("src");
    }
    camera.next = null;
  }

  /** A URL no cache answers from: a camera's snapshot URL names the latest picture, not one. */
  private fresh(url: string): string {
    return `${url}${url.includes("?") ? "&" : "?"}t=${this.clock()}`;
  }
}
