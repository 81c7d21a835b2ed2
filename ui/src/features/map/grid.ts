// A uniform grid over a floor plan that answers "which devices are in this rectangle" and "which
// device is under the pointer" without looking at all 60,000 of them.

export class GridIndex {
  readonly cols: number;
  readonly rows: number;
  /** cellStart[c] .. cellStart[c + 1] index into `items` for cell c (compressed rows). */
  private readonly cellStart: Int32Array;
  private readonly items: Int32Array;

  constructor(
    private readonly xs: ArrayLike<number>,
    private readonly ys: ArrayLike<number>,
    readonly width: number,
    readonly height: number,
    readonly cell: number = 64,
  ) {
    this.cols = Math.max(1, Math.ceil(width / cell));
    this.rows = Math.max(1, Math.ceil(height / cell));
    const cells = this.cols * this.rows;
    const n = xs.length;
    const cellOf = new Int32Array(n);
    const counts = new Int32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(xs[i], ys[i]);
      cellOf[i] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.cellStart = counts;
    this.items = new Int32Array(n);
    const fill = counts.slice(0, cells);
    for (let i = 0; i < n; i++) this.items[fill[cellOf[i]]++] = i;
  }

  private clampCol(x: number): number {
    return Math.min(this.cols - 1, Math.max(0, Math.floor(x / this.cell)));
  }

  private clampRow(y: number): number {
    return Math.min(this.rows - 1, Math.max(0, Math.floor(y / this.cell)));
  }

  private cellIndex(x: number, y: number): number {
    return this.clampRow(y) * this.cols + this.clampCol(x);
  }

  /** Calls `visit` for every device whose position lies in the rectangle (edges included). */
  query(x0: number, y0: number, x1: number, y1: number, visit: (index: number) => void): void {
    if (x1 < x0 || y1 < y0) return;
    const c0 = this.clampCol(x0);
    const c1 = this.clampCol(x1);
    const r0 = this.clampRow(y0);
    const r1 = this.clampRow(y1);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let k = this.cellStart[cell]; k < this.cellStart[cell + 1]; k++) {
          const i = this.items[k];
          const x = this.xs[i];
          const y = this.ys[i];
          if (x >= x0 && x <= x1 && y >= y0 && y <= y1) visit(i);
        }
      }
    }
  }

  /** How many devices lie in the rectangle. */
  count(x0: number, y0: number, x1: number, y1: number): number {
    let n = 0;
    this.query(x0, y0, x1, y1, () => n++);
    return n;
  }

  /** The device nearest to (x, y) within `radius`, or -1. */
  nearest(x: number, y: number, radius: number): number {
    let best = -1;
    let bestD = radius * radius;
    this.query(x - radius, y - radius, x + radius, y + radius, (i) => {
      const dx = this.xs[i] - x;
      const dy = this.ys[i] - y;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    });
    return best;
  }
}
