// Device markers as pixel sprites, stamped straight into an ImageData buffer. On WebKitGTK's
// software canvas, filling thousands of small paths costs hundreds of milliseconds; copying
// pre-drawn pixels costs a few.

import { KINDS, KIND_SHAPES, LOOKS, LOOK_COLOURS, type Shape } from "./geometry";

/** A pre-drawn marker: premultiplied-free RGBA pixels as little-endian 32-bit words, and its size. */
export interface Sprite {
  size: number;
  half: number;
  pixels: Uint32Array;
  alpha: Uint8Array;
  /** Opaque pixels as offsets from the top-left corner for one target width, and their words. */
  solid?: { width: number; offsets: Int32Array; words: Uint32Array };
  /** The soft edge pixels, blended one by one: offsets like `solid`, and sprite indexes. */
  edges?: { offsets: Int32Array; index: Int32Array };
}

/** Lists a sprite's opaque pixels as offsets into a target `width` pixels wide. */
export function prepare(sprite: Sprite, width: number): Sprite {
  if (sprite.solid?.width === width) return sprite;
  const offsets: number[] = [];
  const words: number[] = [];
  const edgeOffsets: number[] = [];
  const edgeIndex: number[] = [];
  for (let i = 0; i < sprite.size * sprite.size; i++) {
    const a = sprite.alpha[i];
    if (a === 255) {
      offsets.push(Math.floor(i / sprite.size) * width + (i % sprite.size));
      words.push(sprite.pixels[i]);
    } else if (a !== 0) {
      edgeOffsets.push(Math.floor(i / sprite.size) * width + (i % sprite.size));
      edgeIndex.push(i);
    }
  }
  sprite.solid = { width, offsets: Int32Array.from(offsets), words: Uint32Array.from(words) };
  sprite.edges = { offsets: Int32Array.from(edgeOffsets), index: Int32Array.from(edgeIndex) };
  return sprite;
}

/** Packs RGBA into the 32-bit word ImageData holds on little-endian machines (every target here). */
export function packRGBA(r: number, g: number, b: number, a: number): number {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

export function parseHex(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/**
 * Copies `sprite` into `target` (a width × height pixel buffer) centred on (cx, cy), clipping at the
 * edges. Opaque pixels are copied; edge pixels are blended over what is there.
 */
export function stamp(target: Uint32Array, width: number, height: number, sprite: Sprite, cx: number, cy: number): void {
  const x0 = Math.round(cx) - sprite.half;
  const y0 = Math.round(cy) - sprite.half;
  const size = sprite.size;
  const solid = sprite.solid;
  if (solid && solid.width === width && x0 >= 0 && y0 >= 0 && x0 + size <= width && y0 + size <= height) {
    // Wholly inside: write the opaque pixels straight from their offsets, blend only the soft edge.
    const base = y0 * width + x0;
    const offsets = solid.offsets;
    const words = solid.words;
    for (let j = 0; j < offsets.length; j++) target[base + offsets[j]] = words[j];
    const edges = sprite.edges;
    if (edges) {
      const eo = edges.offsets;
      const ei = edges.index;
      for (let j = 0; j < eo.length; j++) {
        const t = base + eo[j];
        const e = ei[j];
        // On empty canvas (the common case) the edge pixel is simply written with its own alpha.
        if (target[t] === 0) target[t] = sprite.pixels[e];
        else blend(target, t, sprite.pixels[e], sprite.alpha[e]);
      }
    }
    return;
  }
  const sxStart = Math.max(0, -x0);
  const syStart = Math.max(0, -y0);
  const sxEnd = Math.min(size, width - x0);
  const syEnd = Math.min(size, height - y0);
  for (let sy = syStart; sy < syEnd; sy++) {
    let t = (y0 + sy) * width + x0 + sxStart;
    let s = sy * size + sxStart;
    for (let sx = sxStart; sx < sxEnd; sx++, t++, s++) {
      const a = sprite.alpha[s];
      if (a === 0) continue;
      if (a === 255) {
        target[t] = sprite.pixels[s];
        continue;
      }
      blend(target, t, sprite.pixels[s], a);
    }
  }
}

/** Puts a pixel of opacity `a` over the one at `t`. */
function blend(target: Uint32Array, t: number, src: number, a: number): void {
  const dst = target[t];
  const da = dst >>> 24;
  if (da === 0) {
    target[t] = src;
    return;
  }
  const k = a / 255;
  const r = (src & 255) * k + (dst & 255) * (1 - k);
  const g = ((src >>> 8) & 255) * k + ((dst >>> 8) & 255) * (1 - k);
  const b = ((src >>> 16) & 255) * k + ((dst >>> 16) & 255) * (1 - k);
  const outA = a + da * (1 - k);
  target[t] = packRGBA(r | 0, g | 0, b | 0, Math.min(255, outA | 0));
}

/** Traces a marker outline on a 2D context (also used for the few things drawn as paths). */
export function tracePath(ctx: CanvasRenderingContext2D, shape: Shape, x: number, y: number, r: number): void {
  switch (shape) {
    case "circle":
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, Math.PI * 2);
      break;
    case "square":
      ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
      break;
    case "diamond":
      ctx.moveTo(x, y - r * 1.15);
      ctx.lineTo(x + r * 1.15, y);
      ctx.lineTo(x, y + r * 1.15);
      ctx.lineTo(x - r * 1.15, y);
      ctx.closePath();
      break;
    case "triangle":
      ctx.moveTo(x, y - r * 1.15);
      ctx.lineTo(x + r * 1.05, y + r * 0.85);
      ctx.lineTo(x - r * 1.05, y + r * 0.85);
      ctx.closePath();
      break;
  }
}

/** Draws every kind × status marker at radius `r` once, and reads back its pixels. */
export function makeSprites(r: number): Sprite[] {
  const sprites: Sprite[] = [];
  for (const kind of KINDS) {
    for (const status of LOOKS) {
      const rr = status === "alarm" ? r * 1.4 : r;
      const half = Math.ceil(rr * 1.2) + 1;
      const size = half * 2 + 1;
      const canvas = document.createElement("canvas");
      canvas.width = size;
      canvas.height = size;
      const ctx = canvas.getContext("2d");
      if (!ctx) throw new Error("no 2D canvas");
      ctx.beginPath();
      tracePath(ctx, KIND_SHAPES[kind], half + 0.5, half + 0.5, rr);
      ctx.fillStyle = LOOK_COLOURS[status];
      ctx.fill();
      ctx.lineWidth = 1.2;
      ctx.strokeStyle = "#0b1220";
      ctx.stroke();
      const data = ctx.getImageData(0, 0, size, size).data;
      const pixels = new Uint32Array(size * size);
      const alpha = new Uint8Array(size * size);
      for (let i = 0; i < size * size; i++) {
        pixels[i] = packRGBA(data[i * 4], data[i * 4 + 1], data[i * 4 + 2], data[i * 4 + 3]);
        alpha[i] = data[i * 4 + 3];
      }
      sprites.push({ size, half, pixels, alpha });
    }
  }
  return sprites;
}

/** The word for a status's dot colour, for the coarsest level of detail. */
export function dotColours(): Uint32Array {
  return Uint32Array.from(LOOKS.map((s) => {
    const [r, g, b] = parseHex(LOOK_COLOURS[s]);
    return packRGBA(r, g, b, 255);
  }));
}
