// Keyed rows: a list redrawn many times a second (an alarm storm's repeats) touches only the rows
// whose visible content changed. Each row has a key (the incident's id) and a signature (what it
// shows); a row whose signature is unchanged is kept as it is, element and all, and moved only if
// its place changed. Nothing is restyled or repainted for a redraw that changes nothing.

/** What the reconciler needs of a row element (a DOM element; a stand-in in the unit tests). */
export interface RowNode {
  remove(): void;
}

/** What the reconciler needs of the list element. */
export interface ListNode<N extends RowNode> {
  readonly children: ArrayLike<N | Element>;
  insertBefore(node: N, before: N | Element | null): unknown;
}

export interface KeyedRow<N> {
  key: string;
  /** Everything the row shows: a different signature rebuilds it. */
  signature: string;
  build(): N;
}

export class KeyedRows<N extends RowNode> {
  private readonly rows = new Map<string, { signature: string; node: N }>();

  /** How many rows it holds (the memory model's figure). */
  get size(): number {
    return this.rows.size;
  }

  /** The row element shown for `key`, if any. */
  node(key: string): N | undefined {
    return this.rows.get(key)?.node;
  }

  /** Makes `list` show exactly `wanted`, in order; returns how many rows were built anew. */
  update(list: ListNode<N>, wanted: KeyedRow<N>[]): number {
    let built = 0;
    const keep = new Set(wanted.map((w) => w.key));
    for (const [key, row] of this.rows) {
      if (!keep.has(key)) {
        row.node.remove();
        this.rows.delete(key);
      }
    }
    wanted.forEach((w, at) => {
      let row = this.rows.get(w.key);
      if (!row || row.signature !== w.signature) {
        const node = w.build();
        row?.node.remove();
        row = { signature: w.signature, node };
        this.rows.set(w.key, row);
        built++;
      }
      const here = list.children[at] ?? null;
      if (here !== row.node) list.insertBefore(row.node, here);
    });
    // Whatever else the list holds (an "empty" line) goes.
    while (list.children.length > wanted.length) (list.children[wanted.length] as unknown as RowNode).remove();
    return built;
  }

  /** Forgets every row (a change of language redraws them all). */
  clear(): void {
    for (const row of this.rows.values()) row.node.remove();
    this.rows.clear();
  }
}
