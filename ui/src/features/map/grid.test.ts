import { describe, expect, it } from "vitest";
import { GridIndex } from "./grid";

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function points(n: number, w: number, h: number, seed = 1) {
  const rnd = random(seed);
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = Math.round(rnd() * w);
    ys[i] = Math.round(rnd() * h);
  }
  return { xs, ys };
}

describe("grid index", () => {
  it("finds exactly the devices a brute-force scan finds", () => {
    const { xs, ys } = points(5000, 2200, 1100);
    const grid = new GridIndex(xs, ys, 2200, 1100, 50);
    const rnd = random(7);
    for (let q = 0; q < 200; q++) {
      const x0 = rnd() * 2400 - 100;
      const y0 = rnd() * 1300 - 100;
      const x1 = x0 + rnd() * 800;
      const y1 = y0 + rnd() * 600;
      const found: number[] = [];
      grid.query(x0, y0, x1, y1, (i) => found.push(i));
      const expected: number[] = [];
      for (let i = 0; i < xs.length; i++) if (xs[i] >= x0 && xs[i] <= x1 && ys[i] >= y0 && ys[i] <= y1) expected.push(i);
      expect(found.sort((a, b) => a - b)).toEqual(expected);
    }
  });

  it("keeps devices on the plan's far edge and outside it", () => {
    const grid = new GridIndex([0, 100, 150, -5], [0, 100, 120, 3], 100, 100, 32);
    expect(grid.count(0, 0, 100, 100)).toBe(2);
    expect(grid.count(-10, -10, 200, 200)).toBe(4);
  });

  it("picks the nearest device within the radius", () => {
    const grid = new GridIndex([10, 20, 300], [10, 12, 300], 400, 400, 64);
    expect(grid.nearest(18, 12, 5)).toBe(1);
    expect(grid.nearest(11, 11, 5)).toBe(0);
    expect(grid.nearest(200, 200, 10)).toBe(-1);
  });

  it("handles an empty floor", () => {
    const grid = new GridIndex([], [], 1000, 800);
    expect(grid.count(0, 0, 1000, 800)).toBe(0);
    expect(grid.nearest(1, 1, 100)).toBe(-1);
  });
});
