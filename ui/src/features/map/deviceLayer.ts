// The device layer: every device of a floor drawn on one canvas, only what is in view, batched by
// style, with a grid index for hit-testing. One DOM node for 60,000 devices.

import L from "leaflet";
import type { FloorDevices } from "../../lib/bindings";
import { GridIndex } from "./grid";
import { coneAngles, KINDS, KIND_SHAPES, levelOfDetail, markerRadius, STATUSES, STATUS_COLOURS, type Detail } from "./geometry";

export interface DrawReport {
  visible: number;
  detail: Detail;
  ms: number;
}

const PADDING = 0.25;
const BUCKETS = KINDS.length * STATUSES.length;

export class DeviceLayer extends L.Layer {
  private canvas: HTMLCanvasElement | null = null;
  private ctx: CanvasRenderingContext2D | null = null;
  private data: FloorDevices | null = null;
  private xs = new Float32Array(0);
  private ys = new Float32Array(0);
  private grid: GridIndex | null = null;
  private visible = new Int32Array(0);
  private order = new Int32Array(0);
  private selected = -1;
  private dragging = -1;
  private frame = 0;
  private editable = false;
  /** Positions changed in edit mode and not saved yet, by device index. */
  readonly moved = new Map<number, { x: number; y: number }>();
  lastDraw: DrawReport = { visible: 0, detail: "dots", ms: 0 };

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
    const canvas = L.DomUtil.create("canvas", "device-layer leaflet-zoom-hide") as HTMLCanvasElement;
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.getPane()?.appendChild(canvas);
    map.on("moveend zoomend viewreset resize", this.schedule, this);
    map.on("click", this.onClick, this);
    map.on("mousemove", this.onMouseMove, this);
    map.on("mousedown", this.onMouseDown, this);
    map.on("mouseup mouseout", this.onMouseUp, this);
    this.draw();
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off("moveend zoomend viewreset resize", this.schedule, this);
    map.off("click", this.onClick, this);
    map.off("mousemove", this.onMouseMove, this);
    map.off("mousedown", this.onMouseDown, this);
    map.off("mouseup mouseout", this.onMouseUp, this);
    cancelAnimationFrame(this.frame);
    this.canvas?.remove();
    this.canvas = null;
    this.ctx = null;
    return this;
  }

  /** Replaces the devices drawn (a new floor, or new statuses). */
  setData(data: FloorDevices): void {
    this.data = data;
    this.xs = Float32Array.from(data.xs);
    this.ys = Float32Array.from(data.ys);
    this.grid = new GridIndex(this.xs, this.ys, data.plan.width, data.plan.height, cellSize(data.xs.length, data.plan.width, data.plan.height));
    this.visible = new Int32Array(data.xs.length);
    this.order = new Int32Array(data.xs.length);
    this.selected = -1;
    this.moved.clear();
    this.draw();
  }

  get devices(): FloorDevices | null {
    return this.data;
  }

  indexOf(id: string): number {
    return this.data ? this.data.ids.indexOf(id) : -1;
  }

  position(index: number): { x: number; y: number } {
    return { x: this.xs[index], y: this.ys[index] };
  }

  select(index: number): void {
    this.selected = index;
    this.schedule();
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

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draws now (also used by the benchmark to time a paint). */
  draw(): DrawReport {
    const started = performance.now();
    const map = this._map as L.Map | undefined;
    const canvas = this.canvas;
    const ctx = this.ctx;
    if (!map || !canvas || !ctx) return this.lastDraw;

    const size = map.getSize();
    const min = map.containerPointToLayerPoint(size.multiplyBy(-PADDING)).round();
    const full = size.multiplyBy(1 + 2 * PADDING).round();
    L.DomUtil.setPosition(canvas, min);
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(full.x * dpr) || canvas.height !== Math.round(full.y * dpr)) {
      canvas.width = Math.round(full.x * dpr);
      canvas.height = Math.round(full.y * dpr);
      canvas.style.width = `${full.x}px`;
      canvas.style.height = `${full.y}px`;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const data = this.data;
    const grid = this.grid;
    if (!data || !grid || data.xs.length === 0) {
      this.lastDraw = { visible: 0, detail: "dots", ms: performance.now() - started };
      this.handlers.onDrawn?.(this.lastDraw);
      return this.lastDraw;
    }
    ctx.setTransform(dpr, 0, 0, dpr, -min.x * dpr, -min.y * dpr);

    const origin = map.latLngToLayerPoint([0, 0]);
    const scale = map.getZoomScale(map.getZoom(), 0);
    const r = markerRadius(scale);
    const margin = (r + 2) / scale;
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

    // Counting sort of the visible devices by style bucket, so each style is one fill.
    const kinds = data.kinds;
    const statuses = data.statuses;
    const starts = new Int32Array(BUCKETS + 1);
    for (let k = 0; k < n; k++) {
      const i = visible[k];
      starts[kinds[i] * STATUSES.length + statuses[i] + 1]++;
    }
    for (let b = 0; b < BUCKETS; b++) starts[b + 1] += starts[b];
    const fill = starts.slice(0, BUCKETS);
    const order = this.order;
    for (let k = 0; k < n; k++) {
      const i = visible[k];
      order[fill[kinds[i] * STATUSES.length + statuses[i]]++] = i;
    }

    const xs = this.xs;
    const ys = this.ys;
    const ox = origin.x;
    const oy = origin.y;

    if (detail === "cones") {
      ctx.lineWidth = 1;
      for (let s = 0; s < STATUSES.length; s++) {
        const b = 0 * STATUSES.length + s; // cameras
        if (starts[b] === starts[b + 1]) continue;
        ctx.beginPath();
        for (let k = starts[b]; k < starts[b + 1]; k++) {
          const i = order[k];
          const fov = data.fovs[i];
          if (fov <= 0) continue;
          const cx = ox + xs[i] * scale;
          const cy = oy + ys[i] * scale;
          const cone = coneAngles(data.headings[i], fov);
          const reach = data.ranges[i] * scale;
          ctx.moveTo(cx, cy);
          if (cone.full) {
            ctx.moveTo(cx + reach, cy);
            ctx.arc(cx, cy, reach, 0, Math.PI * 2);
          } else {
            ctx.arc(cx, cy, reach, cone.start, cone.end);
            ctx.closePath();
          }
        }
        const colour = STATUS_COLOURS[STATUSES[s]];
        ctx.fillStyle = withAlpha(colour, 0.1);
        ctx.strokeStyle = withAlpha(colour, 0.35);
        ctx.fill();
        ctx.stroke();
      }
    }

    for (let b = 0; b < BUCKETS; b++) {
      if (starts[b] === starts[b + 1]) continue;
      const kind = KINDS[Math.floor(b / STATUSES.length)];
      const status = STATUSES[b % STATUSES.length];
      ctx.fillStyle = STATUS_COLOURS[status];
      if (detail === "dots") {
        const d = status === "alarm" ? 4 : 2;
        for (let k = starts[b]; k < starts[b + 1]; k++) {
          const i = order[k];
          ctx.fillRect(ox + xs[i] * scale - d / 2, oy + ys[i] * scale - d / 2, d, d);
        }
        continue;
      }
      const shape = KIND_SHAPES[kind];
      const rr = status === "alarm" ? r * 1.4 : r;
      ctx.beginPath();
      for (let k = starts[b]; k < starts[b + 1]; k++) {
        const i = order[k];
        tracePath(ctx, shape, ox + xs[i] * scale, oy + ys[i] * scale, rr);
      }
      ctx.fill();
      ctx.lineWidth = 1.2;
      ctx.strokeStyle = "#0b1220";
      ctx.stroke();
    }

    // Alarms get a halo so they stand out at any zoom.
    for (let kind = 0; kind < KINDS.length; kind++) {
      const b = kind * STATUSES.length + 1;
      if (starts[b] === starts[b + 1]) continue;
      ctx.beginPath();
      for (let k = starts[b]; k < starts[b + 1]; k++) {
        const i = order[k];
        const cx = ox + xs[i] * scale;
        const cy = oy + ys[i] * scale;
        ctx.moveTo(cx + r * 2.6, cy);
        ctx.arc(cx, cy, r * 2.6, 0, Math.PI * 2);
      }
      ctx.strokeStyle = withAlpha(STATUS_COLOURS.alarm, 0.8);
      ctx.lineWidth = 2;
      ctx.stroke();
    }

    if (this.selected >= 0 && this.selected < xs.length) {
      const cx = ox + xs[this.selected] * scale;
      const cy = oy + ys[this.selected] * scale;
      ctx.beginPath();
      ctx.arc(cx, cy, r + 6, 0, Math.PI * 2);
      ctx.strokeStyle = "#f8fafc";
      ctx.lineWidth = 2.5;
      ctx.stroke();
    }
    if (this.moved.size > 0) {
      ctx.beginPath();
      for (const i of this.moved.keys()) {
        const cx = ox + xs[i] * scale;
        const cy = oy + ys[i] * scale;
        ctx.moveTo(cx + r + 3, cy);
        ctx.arc(cx, cy, r + 3, 0, Math.PI * 2);
      }
      ctx.strokeStyle = "#38bdf8";
      ctx.lineWidth = 2;
      ctx.setLineDash([3, 3]);
      ctx.stroke();
      ctx.setLineDash([]);
    }

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
    if (this.dragging >= 0 && this.data) {
      const scale = map.getZoomScale(map.getZoom(), 0);
      const origin = map.latLngToContainerPoint([0, 0]);
      const x = clamp((e.containerPoint.x - origin.x) / scale, 0, this.data.plan.width);
      const y = clamp((e.containerPoint.y - origin.y) / scale, 0, this.data.plan.height);
      this.xs[this.dragging] = x;
      this.ys[this.dragging] = y;
      this.moved.set(this.dragging, { x: Math.round(x), y: Math.round(y) });
      this.schedule();
      return;
    }
    const i = this.hit(e.containerPoint);
    map.getContainer().style.cursor = i >= 0 ? (this.editable ? "move" : "pointer") : "";
    this.handlers.onHover?.(i, i >= 0 ? e.containerPoint : null);
  }

  private onMouseDown(e: L.LeafletMouseEvent): void {
    if (!this.editable) return;
    const i = this.hit(e.containerPoint);
    if (i < 0) return;
    this.dragging = i;
    this._map?.dragging.disable();
  }

  private onMouseUp(): void {
    if (this.dragging < 0) return;
    this.dragging = -1;
    this.rebuildGrid();
    this._map?.dragging.enable();
    this.schedule();
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

function tracePath(ctx: CanvasRenderingContext2D, shape: string, x: number, y: number, r: number): void {
  switch (shape) {
    case "circle":
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, Math.PI * 2);
      break;
    case "square":
      ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
      break;
    case "diamond":
      ctx.moveTo(x, y - r * 1.1);
      ctx.lineTo(x + r * 1.1, y);
      ctx.lineTo(x, y + r * 1.1);
      ctx.lineTo(x - r * 1.1, y);
      ctx.closePath();
      break;
    default:
      ctx.moveTo(x, y - r * 1.1);
      ctx.lineTo(x + r, y + r * 0.8);
      ctx.lineTo(x - r, y + r * 0.8);
      ctx.closePath();
  }
}

function withAlpha(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}
