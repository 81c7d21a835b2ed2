// The device layer: every device of a floor drawn on one canvas, only what is in view, batched by
// style, with a grid index for hit-testing. One DOM node for 60,000 devices.

import L from "leaflet";
import type { FloorDevices } from "../../lib/bindings";
import { GridIndex } from "./grid";
import { coneAngles, levelOfDetail, LOOKS, markerRadius, STATUSES, STATUS_COLOURS, type Detail } from "./geometry";
import { dotColours, makeSprites, prepare, stamp, type Sprite } from "./sprites";

export interface DrawReport {
  visible: number;
  detail: Detail;
  ms: number;
}

/** The canvas reaches this share of the view beyond each edge: a pan within it needs no redraw. */
const PADDING = 0.1;
/** More changed devices than this in one frame and the whole layer is drawn again instead. */
const MAX_PATCHES = 64;
const CONE_RESOLUTION = 0.5;
/** A cone shows where a camera looks; beyond this many screen pixels it only hides the plan. */
const MAX_CONE_PX = 220;

/** Where the last full draw put everything: what a patch of a few devices needs to redraw them. */
interface DrawnView {
  zoom: number;
  origin: L.Point;
  min: L.Point;
  width: number;
  height: number;
  dpr: number;
  scale: number;
  ox: number;
  oy: number;
  k: number;
  r: number;
  detail: Detail;
  /** The devices drawn (indexes into the floor's arrays), `visible[0..count)`. */
  count: number;
}

export class DeviceLayer extends L.Layer {
  private canvas: HTMLCanvasElement | null = null;
  private ctx: CanvasRenderingContext2D | null = null;
  /** Camera cones go on their own canvas under the markers. */
  private coneCanvas: HTMLCanvasElement | null = null;
  private coneCtx: CanvasRenderingContext2D | null = null;
  private conesDrawn = false;
  private image: ImageData | null = null;
  private pixels = new Uint32Array(0);
  private sprites: Sprite[] = [];
  private spriteRadius = 0;
  private readonly dotColours = dotColours();
  private data: FloorDevices | null = null;
  /** Each device's index by id: the patrol marks and alarms name thousands of devices at a time. */
  private byId = new Map<string, number>();
  private xs = new Float32Array(0);
  private ys = new Float32Array(0);
  private grid: GridIndex | null = null;
  private visible = new Int32Array(0);
  private selected = -1;
  private dragging = -1;
  /** Where the device sat relative to the pointer when it was grabbed, in plan pixels. */
  private grab = { dx: 0, dy: 0 };
  private frame = 0;
  /** A whole redraw is due at the next frame (else only the devices in `dirty`). */
  private full = false;
  private readonly dirty = new Set<number>();
  private view: DrawnView | null = null;
  private editable = false;
  /** Positions changed in edit mode and not saved yet, by device index. */
  readonly moved = new Map<number, { x: number; y: number }>();
  lastDraw: DrawReport = { visible: 0, detail: "dots", ms: 0 };
  /** The last partial redraw (a status or selection change): how many devices, how long. */
  lastPatch: { devices: number; ms: number } = { devices: 0, ms: 0 };

  constructor(
    private readonly handlers: {
      onSelect?: (index: number) => void;
      onHover?: (index: number, point: L.Point | null) => void;
      onDrawn?: (report: DrawReport) => void;
    } = {},
  ) {
    super();
  }

  override onAdd(map: L.Map): this {
    const coneCanvas = L.DomUtil.create("canvas", "device-layer leaflet-zoom-hide") as HTMLCanvasElement;
    const canvas = L.DomUtil.create("canvas", "device-layer leaflet-zoom-hide") as HTMLCanvasElement;
    this.coneCanvas = coneCanvas;
    this.coneCtx = coneCanvas.getContext("2d");
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: false });
    this.getPane()?.append(coneCanvas, canvas);
    map.on("zoomend viewreset resize", this.schedule, this);
    map.on("moveend", this.onMoveEnd, this);
    map.on("click", this.onClick, this);
    map.on("mousemove", this.onMouseMove, this);
    // Grabbing a device in edit mode must win over Leaflet's own map dragging, which starts on
    // pointerdown: so listen first, in the capture phase, and keep the event from Leaflet.
    map.getContainer().addEventListener("pointerdown", this.onPointerDown, true);
    this.draw();
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off("zoomend viewreset resize", this.schedule, this);
    map.off("moveend", this.onMoveEnd, this);
    map.off("click", this.onClick, this);
    map.off("mousemove", this.onMouseMove, this);
    map.getContainer().removeEventListener("pointerdown", this.onPointerDown, true);
    this.endDrag();
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.view = null;
    this.canvas?.remove();
    this.coneCanvas?.remove();
    this.canvas = null;
    this.ctx = null;
    this.coneCanvas = null;
    this.coneCtx = null;
    return this;
  }

  /** Replaces the devices drawn (a new floor, or new statuses). */
  setData(data: FloorDevices): void {
    this.data = data;
    this.byId = new Map(data.ids.map((id, i) => [id, i]));
    this.xs = Float32Array.from(data.xs);
    this.ys = Float32Array.from(data.ys);
    this.grid = new GridIndex(this.xs, this.ys, data.plan.width, data.plan.height, cellSize(data.xs.length, data.plan.width, data.plan.height));
    this.visible = new Int32Array(data.xs.length);
    this.selected = -1;
    this.moved.clear();
    this.draw();
  }

  get devices(): FloorDevices | null {
    return this.data;
  }

  indexOf(id: string): number {
    return this.byId.get(id) ?? -1;
  }

  position(index: number): { x: number; y: number } {
    return { x: this.xs[index], y: this.ys[index] };
  }

  /** Changes one device's status colour in place (an alarm opened or closed on it). */
  setStatus(id: string, status: number): boolean {
    const i = this.indexOf(id);
    if (!this.data || i < 0 || this.data.statuses[i] === status) return false;
    this.data.statuses[i] = status;
    this.scheduleDevice(i);
    return true;
  }

  get selectedIndex(): number {
    return this.selected;
  }

  get isEditing(): boolean {
    return this.editable;
  }

  select(index: number): void {
    if (index === this.selected) return;
    if (this.selected >= 0) this.scheduleDevice(this.selected);
    this.selected = index;
    if (index >= 0) this.scheduleDevice(index);
  }

  setEditable(on: boolean): void {
    this.editable = on;
    if (!on) {
      // Unsaved moves are dropped: put the devices back where the database has them.
      if (this.data) {
        this.xs = Float32Array.from(this.data.xs);
        this.ys = Float32Array.from(this.data.ys);
        this.rebuildGrid();
      }
      this.moved.clear();
      this.schedule();
    }
  }

  /** After a save, the moved positions become the stored ones. */
  commitMoves(): void {
    if (!this.data) return;
    for (const [i, p] of this.moved) {
      this.data.xs[i] = p.x;
      this.data.ys[i] = p.y;
    }
    this.moved.clear();
  }

  private rebuildGrid(): void {
    if (!this.data) return;
    const { width, height } = this.data.plan;
    this.grid = new GridIndex(this.xs, this.ys, width, height, cellSize(this.xs.length, width, height));
  }

  /** Everything is drawn again at the next frame. */
  private schedule(): void {
    this.full = true;
    this.request();
  }

  /** Only device `i` (and what overlaps it) is drawn again at the next frame. */
  private scheduleDevice(i: number): void {
    this.dirty.add(i);
    this.request();
  }

  private request(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const dirty = [...this.dirty];
      this.dirty.clear();
      if (this.full || !this.patch(dirty)) {
        this.full = false;
        this.draw();
      }
    });
  }

  /** A pan that stays within the canvas drawn (it moves with the map) needs no redraw. */
  private onMoveEnd(): void {
    const map = this._map as L.Map | undefined;
    const v = this.view;
    if (!map || !v || !this.current(v)) return this.schedule();
    const size = map.getSize();
    const a = map.containerPointToLayerPoint([0, 0]);
    const b = map.containerPointToLayerPoint(size);
    const w = v.width / v.dpr;
    const h = v.height / v.dpr;
    if (a.x < v.min.x || a.y < v.min.y || b.x > v.min.x + w || b.y > v.min.y + h) this.schedule();
  }

  /** Whether the map still has the zoom and origin the last full draw had. */
  private current(v: DrawnView): boolean {
    const map = this._map as L.Map | undefined;
    if (!map || map.getZoom() !== v.zoom) return false;
    const origin = map.latLngToLayerPoint([0, 0]);
    return origin.x === v.origin.x && origin.y === v.origin.y;
  }

  /**
   * Redraws only the devices in `indexes` where they are: each one's square (its marker, halo
   * and selection ring) is cleared, every device overlapping it stamped again in the same order as a
   * full draw, and only that square copied to the canvas. Returns false when a full draw is needed
   * instead (nothing drawn yet, the view moved, camera cones shown, or too many changes).
   */
  private patch(indexes: number[]): boolean {
    const started = performance.now();
    const v = this.view;
    const ctx = this.ctx;
    const data = this.data;
    const grid = this.grid;
    if (!v || !ctx || !data || !grid || !this.image || v.detail === "cones" || !this.current(v)) return false;
    if (indexes.length === 0) return true;
    if (indexes.length > MAX_PATCHES) return false;
    const reach = Math.ceil((Math.max(v.r * 2.6 + 2, v.r + 8) + 2) * v.dpr);
    const pixels = this.pixels;
    const xs = this.xs;
    const ys = this.ys;
    for (const i of indexes) {
      const cx = Math.round(v.ox + xs[i] * v.k);
      const cy = Math.round(v.oy + ys[i] * v.k);
      const left = Math.max(0, cx - reach);
      const top = Math.max(0, cy - reach);
      const right = Math.min(v.width, cx + reach + 1);
      const bottom = Math.min(v.height, cy + reach + 1);
      if (left >= right || top >= bottom) continue;
      for (let y = top; y < bottom; y++) pixels.fill(0, y * v.width + left, y * v.width + right);
      // Every device whose marker can reach into the square, in plan coordinates.
      const margin = reach / v.k;
      const near: number[] = [];
      grid.query((left - v.ox) / v.k - margin, (top - v.oy) / v.k - margin, (right - v.ox) / v.k + margin, (bottom - v.oy) / v.k + margin, (j) => {
        near.push(j);
      });
      this.stampDevices(v, near, near.length);
      ctx.putImageData(this.image, 0, 0, left, top, right - left, bottom - top);
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, top, right - left, bottom - top);
      ctx.clip();
      this.drawOverlays(v);
      ctx.restore();
    }
    this.lastPatch = { devices: indexes.length, ms: performance.now() - started };
    return true;
  }

  /** Stamps the devices `list[0..n)` into the pixel buffer: normal ones first, alarms on top. */
  private stampDevices(v: DrawnView, list: ArrayLike<number>, n: number): void {
    const data = this.data;
    if (!data) return;
    const { width, height, ox, oy, k, dpr } = v;
    const pixels = this.pixels;
    const statuses = data.statuses;
    const kinds = data.kinds;
    const xs = this.xs;
    const ys = this.ys;
    if (v.detail === "dots") {
      const colours = this.dotColours;
      const unit = Math.max(1, Math.round(dpr));
      const normal = (v.scale >= 0.3 ? 2 : 1) * unit;
      for (let j = 0; j < n; j++) {
        const i = list[j];
        const d = statuses[i] === 1 ? 4 * unit : normal;
        const left = Math.round(ox + xs[i] * k) - (d >> 1);
        const top = Math.round(oy + ys[i] * k) - (d >> 1);
        const word = colours[statuses[i]];
        for (let yy = Math.max(0, top); yy < Math.min(height, top + d); yy++) {
          const row = yy * width;
          for (let xx = Math.max(0, left); xx < Math.min(width, left + d); xx++) pixels[row + xx] = word;
        }
      }
      return;
    }
    const radius = Math.round(v.r * dpr * 2) / 2;
    if (radius !== this.spriteRadius) {
      this.sprites = makeSprites(radius);
      this.spriteRadius = radius;
    }
    const sprites = this.sprites;
    for (const sprite of sprites) prepare(sprite, width);
    // Normal devices first (and checkpoints as their round has them), so faults, offline and
    // alarms are stamped on top of them.
    for (const pass of [0, 4, 5, 6, 7, 3, 2, 1]) {
      for (let j = 0; j < n; j++) {
        const i = list[j];
        if (statuses[i] !== pass) continue;
        stamp(pixels, width, height, sprites[kinds[i] * LOOKS.length + pass], ox + xs[i] * k, oy + ys[i] * k);
      }
    }
  }

  /** The few things drawn as paths over the markers: alarm halos, the selection, unsaved moves. */
  private drawOverlays(v: DrawnView): void {
    const ctx = this.ctx;
    const data = this.data;
    if (!ctx || !data) return;
    const { ox, oy, k, r, dpr } = v;
    const xs = this.xs;
    const ys = this.ys;
    const statuses = data.statuses;
    const visible = this.visible;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.beginPath();
    let alarms = 0;
    for (let j = 0; j < v.count; j++) {
      const i = visible[j];
      if (statuses[i] !== 1) continue;
      alarms++;
      const cx = ox + xs[i] * k;
      const cy = oy + ys[i] * k;
      ctx.moveTo(cx + r * 2.6 * dpr, cy);
      ctx.arc(cx, cy, r * 2.6 * dpr, 0, Math.PI * 2);
    }
    if (alarms > 0) {
      ctx.strokeStyle = withAlpha(STATUS_COLOURS.alarm, 0.8);
      ctx.lineWidth = 2 * dpr;
      ctx.stroke();
    }
    if (this.selected >= 0 && this.selected < xs.length) {
      ctx.beginPath();
      ctx.arc(ox + xs[this.selected] * k, oy + ys[this.selected] * k, (r + 6) * dpr, 0, Math.PI * 2);
      ctx.strokeStyle = "#f8fafc";
      ctx.lineWidth = 2.5 * dpr;
      ctx.stroke();
    }
    if (this.moved.size > 0) {
      ctx.beginPath();
      for (const i of this.moved.keys()) {
        const cx = ox + xs[i] * k;
        const cy = oy + ys[i] * k;
        ctx.moveTo(cx + (r + 3) * dpr, cy);
        ctx.arc(cx, cy, (r + 3) * dpr, 0, Math.PI * 2);
      }
      ctx.strokeStyle = "#38bdf8";
      ctx.lineWidth = 2 * dpr;
      ctx.setLineDash([3 * dpr, 3 * dpr]);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  /** Draws now (also used by the benchmark to time a paint). */
  draw(): DrawReport {
    const started = performance.now();
    const map = this._map as L.Map | undefined;
    const canvas = this.canvas;
    const ctx = this.ctx;
    const coneCanvas = this.coneCanvas;
    const coneCtx = this.coneCtx;
    if (!map || !canvas || !ctx || !coneCanvas || !coneCtx) return this.lastDraw;

    const size = map.getSize();
    const min = map.containerPointToLayerPoint(size.multiplyBy(-PADDING)).round();
    const full = size.multiplyBy(1 + 2 * PADDING).round();
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(full.x * dpr));
    const height = Math.max(1, Math.round(full.y * dpr));
    // Cones are soft, translucent and large: half resolution is enough and fills a quarter of the pixels.
    for (const [c, f] of [[canvas, 1], [coneCanvas, CONE_RESOLUTION]] as const) {
      L.DomUtil.setPosition(c, min);
      const w = Math.max(1, Math.round(width * f));
      const h = Math.max(1, Math.round(height * f));
      if (c.width !== w || c.height !== h) {
        c.width = w;
        c.height = h;
        c.style.width = `${full.x}px`;
        c.style.height = `${full.y}px`;
      }
    }
    if (!this.image || this.image.width !== width || this.image.height !== height) {
      this.image = ctx.createImageData(width, height);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    const pixels = this.pixels;
    pixels.fill(0);
    if (this.conesDrawn) {
      coneCtx.setTransform(1, 0, 0, 1, 0, 0);
      coneCtx.clearRect(0, 0, coneCanvas.width, coneCanvas.height);
      this.conesDrawn = false;
    }

    const data = this.data;
    const grid = this.grid;
    if (!data || !grid || data.xs.length === 0) {
      this.view = null;
      ctx.putImageData(this.image, 0, 0);
      this.lastDraw = { visible: 0, detail: "dots", ms: performance.now() - started };
      this.handlers.onDrawn?.(this.lastDraw);
      return this.lastDraw;
    }

    const origin = map.latLngToLayerPoint([0, 0]);
    const scale = map.getZoomScale(map.getZoom(), 0);
    const r = markerRadius(scale);
    const margin = (r * 1.5 + 2) / scale;
    const x0 = (min.x - origin.x) / scale - margin;
    const y0 = (min.y - origin.y) / scale - margin;
    const x1 = (min.x + full.x - origin.x) / scale + margin;
    const y1 = (min.y + full.y - origin.y) / scale + margin;

    let n = 0;
    const visible = this.visible;
    grid.query(x0, y0, x1, y1, (i) => {
      visible[n++] = i;
    });
    const detail = levelOfDetail(scale, n);
    const kinds = data.kinds;
    const statuses = data.statuses;
    const xs = this.xs;
    const ys = this.ys;
    // Device pixel of plan point (x, y): ((origin + p * scale) - min) * dpr.
    const ox = (origin.x - min.x) * dpr;
    const oy = (origin.y - min.y) * dpr;
    const k = scale * dpr;
    const view: DrawnView = { zoom: map.getZoom(), origin, min, width, height, dpr, scale, ox, oy, k, r, detail, count: n };
    this.view = view;

    if (detail === "cones") {
      coneCtx.setTransform(CONE_RESOLUTION, 0, 0, CONE_RESOLUTION, 0, 0);
      coneCtx.lineWidth = dpr / CONE_RESOLUTION;
      const maxReach = MAX_CONE_PX * dpr;
      for (let s = 0; s < STATUSES.length; s++) {
        coneCtx.beginPath();
        let any = false;
        for (let v = 0; v < n; v++) {
          const i = visible[v];
          if (kinds[i] !== 0 || statuses[i] !== s) continue;
          const fov = data.fovs[i];
          if (fov <= 0) continue;
          any = true;
          const cx = ox + xs[i] * k;
          const cy = oy + ys[i] * k;
          const cone = coneAngles(data.headings[i], fov);
          const reach = Math.min(data.ranges[i] * k, maxReach);
          if (cone.full) {
            coneCtx.moveTo(cx + reach, cy);
            coneCtx.arc(cx, cy, reach, 0, Math.PI * 2);
          } else {
            coneCtx.moveTo(cx, cy);
            coneCtx.arc(cx, cy, reach, cone.start, cone.end);
            coneCtx.closePath();
          }
        }
        if (!any) continue;
        const colour = STATUS_COLOURS[STATUSES[s]];
        coneCtx.fillStyle = withAlpha(colour, 0.1);
        coneCtx.strokeStyle = withAlpha(colour, 0.35);
        coneCtx.fill();
        coneCtx.stroke();
      }
      this.conesDrawn = true;
    }

    this.stampDevices(view, visible, n);
    ctx.putImageData(this.image, 0, 0);
    this.drawOverlays(view);

    this.lastDraw = { visible: n, detail, ms: performance.now() - started };
    this.handlers.onDrawn?.(this.lastDraw);
    return this.lastDraw;
  }

  /** The device under a container point, or -1. */
  hit(point: L.Point): number {
    const map = this._map as L.Map | undefined;
    if (!map || !this.grid) return -1;
    const scale = map.getZoomScale(map.getZoom(), 0);
    const origin = map.latLngToContainerPoint([0, 0]);
    const x = (point.x - origin.x) / scale;
    const y = (point.y - origin.y) / scale;
    return this.grid.nearest(x, y, (markerRadius(scale) + 4) / scale);
  }

  private onClick(e: L.LeafletMouseEvent): void {
    if (this.editable) return;
    const i = this.hit(e.containerPoint);
    if (i >= 0) {
      this.select(i);
      this.handlers.onSelect?.(i);
    }
  }

  private onMouseMove(e: L.LeafletMouseEvent): void {
    const map = this._map as L.Map | undefined;
    if (!map) return;
    if (this.dragging >= 0) return;
    const i = this.hit(e.containerPoint);
    map.getContainer().style.cursor = i >= 0 ? (this.editable ? "move" : "pointer") : "";
    this.handlers.onHover?.(i, i >= 0 ? e.containerPoint : null);
  }

  private readonly onPointerDown = (e: PointerEvent): void => {
    const map = this._map as L.Map | undefined;
    if (!this.editable || !map || e.button !== 0) return;
    const point = map.mouseEventToContainerPoint(e as unknown as MouseEvent);
    const i = this.hit(point);
    if (i < 0) return;
    e.stopImmediatePropagation();
    e.preventDefault();
    const scale = map.getZoomScale(map.getZoom(), 0);
    const origin = map.latLngToContainerPoint([0, 0]);
    this.grab = { dx: this.xs[i] - (point.x - origin.x) / scale, dy: this.ys[i] - (point.y - origin.y) / scale };
    this.dragging = i;
    document.addEventListener("pointermove", this.onPointerMove, true);
    document.addEventListener("pointerup", this.onPointerUp, true);
    document.addEventListener("pointercancel", this.onPointerUp, true);
  };

  private readonly onPointerMove = (e: PointerEvent): void => {
    const map = this._map as L.Map | undefined;
    if (this.dragging < 0 || !map || !this.data) return;
    e.preventDefault();
    const point = map.mouseEventToContainerPoint(e as unknown as MouseEvent);
    const scale = map.getZoomScale(map.getZoom(), 0);
    const origin = map.latLngToContainerPoint([0, 0]);
    const x = clamp((point.x - origin.x) / scale + this.grab.dx, 0, this.data.plan.width);
    const y = clamp((point.y - origin.y) / scale + this.grab.dy, 0, this.data.plan.height);
    this.xs[this.dragging] = x;
    this.ys[this.dragging] = y;
    this.moved.set(this.dragging, { x: Math.round(x), y: Math.round(y) });
    this.schedule();
  };

  private readonly onPointerUp = (): void => {
    if (this.dragging < 0) return;
    this.endDrag();
    this.rebuildGrid();
    this.schedule();
  };

  private endDrag(): void {
    this.dragging = -1;
    document.removeEventListener("pointermove", this.onPointerMove, true);
    document.removeEventListener("pointerup", this.onPointerUp, true);
    document.removeEventListener("pointercancel", this.onPointerUp, true);
  }
}

function cellSize(n: number, width: number, height: number): number {
  // Aim for about 16 devices a cell, within sensible bounds.
  const area = (width * height) / Math.max(1, n / 16);
  return clamp(Math.sqrt(area), 16, 256);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function withAlpha(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}
