import { describe, expect, it } from "vitest";
import { packRGBA, parseHex, stamp, prepare, type Sprite } from "./sprites";

function square(size: number, word: number, edgeAlpha = 255): Sprite {
  const pixels = new Uint32Array(size * size).fill(word);
  const alpha = new Uint8Array(size * size).fill(255);
  alpha[0] = edgeAlpha;
  return { size, half: (size - 1) / 2, pixels, alpha };
}

describe("sprite stamping", () => {
  it("copies opaque pixels centred on the point", () => {
    const target = new Uint32Array(10 * 10);
    const red = packRGBA(255, 0, 0, 255);
    stamp(target, 10, 10, square(3, red), 5, 5);
    const painted = [...target.keys()].filter((i) => target[i] === red);
    expect(painted).toEqual([44, 45, 46, 54, 55, 56, 64, 65, 66]);
  });

  it("clips at every edge without wrapping to the next row", () => {
    const target = new Uint32Array(4 * 4);
    const blue = packRGBA(0, 0, 255, 255);
    stamp(target, 4, 4, square(3, blue), 0, 0);
    expect([...target.keys()].filter((i) => target[i] === blue)).toEqual([0, 1, 4, 5]);
    const t2 = new Uint32Array(4 * 4);
    stamp(t2, 4, 4, square(3, blue), 3.4, 3.4);
    expect([...t2.keys()].filter((i) => t2[i] === blue)).toEqual([10, 11, 14, 15]);
    const t3 = new Uint32Array(4 * 4);
    stamp(t3, 4, 4, square(3, blue), -5, 20);
    expect(t3.every((w) => w === 0)).toBe(true);
  });

  it("blends a half-transparent edge over what is there", () => {
    const target = new Uint32Array(3 * 3).fill(packRGBA(0, 0, 0, 255));
    stamp(target, 3, 3, square(3, packRGBA(200, 100, 50, 128), 128), 1, 1);
    const w = target[0];
    expect(w & 255).toBeCloseTo(100, -1);
    expect(w >>> 24).toBe(255);
  });

  it("stamps the same pixels through the offset path as pixel by pixel", () => {
    const size = 7;
    const alpha = new Uint8Array(size * size);
    const pixels = new Uint32Array(size * size);
    for (let i = 0; i < size * size; i++) {
      const x = i % size;
      const y = Math.floor(i / size);
      const d = Math.hypot(x - 3, y - 3);
      alpha[i] = d < 2.5 ? 255 : d < 3.5 ? 100 : 0;
      pixels[i] = packRGBA(10 * x, 20 * y, 90, alpha[i]);
    }
    const plain: Sprite = { size, half: 3, pixels, alpha };
    const fast = prepare({ ...plain }, 20);
    const a = new Uint32Array(20 * 20).fill(packRGBA(5, 5, 5, 255));
    const b = a.slice();
    stamp(a, 20, 20, plain, 9, 9);
    stamp(b, 20, 20, fast, 9, 9);
    expect(b).toEqual(a);
  });

  it("reads colours", () => {
    expect(parseHex("#f43f5e")).toEqual([0xf4, 0x3f, 0x5e]);
    expect(packRGBA(1, 2, 3, 4)).toBe(0x04030201);
  });
});
