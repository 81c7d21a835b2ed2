import { describe, expect, it } from "vitest";
import { KeyedRows, type KeyedRow } from "./keyed";

class FakeList {
  children: FakeRow[] = [];
  moves = 0;
  insertBefore(node: FakeRow, before: FakeRow | null): void {
    node.remove();
    node.parent = this;
    const at = before ? this.children.indexOf(before) : -1;
    if (at < 0) this.children.push(node);
    else this.children.splice(at, 0, node);
    this.moves++;
  }
}

class FakeRow {
  parent: FakeList | null = null;
  constructor(readonly text: string) {}
  remove(): void {
    if (!this.parent) return;
    this.parent.children.splice(this.parent.children.indexOf(this), 1);
    this.parent = null;
  }
}

function rows(...items: [string, string][]): KeyedRow<FakeRow>[] {
  return items.map(([key, signature]) => ({ key, signature, build: () => new FakeRow(`${key}:${signature}`) }));
}

describe("keyed rows", () => {
  it("keep a row whose signature is unchanged, element and all", () => {
    const list = new FakeList();
    const keyed = new KeyedRows<FakeRow>();
    expect(keyed.update(list, rows(["a", "new"], ["b", "new"]))).toBe(2);
    const [a, b] = list.children;
    list.moves = 0;
    expect(keyed.update(list, rows(["a", "new"], ["b", "new"]))).toBe(0);
    expect(list.children).toEqual([a, b]);
    expect(list.moves).toBe(0);
  });

  it("rebuild only the row that changed", () => {
    const list = new FakeList();
    const keyed = new KeyedRows<FakeRow>();
    keyed.update(list, rows(["a", "new"], ["b", "new"]));
    const a = list.children[0];
    expect(keyed.update(list, rows(["a", "new"], ["b", "acknowledged"]))).toBe(1);
    expect(list.children[0]).toBe(a);
    expect(list.children.map((r) => r.text)).toEqual(["a:new", "b:acknowledged"]);
  });

  it("follow a new order and drop rows no longer wanted", () => {
    const list = new FakeList();
    const keyed = new KeyedRows<FakeRow>();
    keyed.update(list, rows(["a", "1"], ["b", "1"], ["c", "1"]));
    const [a, , c] = list.children;
    expect(keyed.update(list, rows(["c", "1"], ["a", "1"]))).toBe(0);
    expect(list.children).toEqual([c, a]);
    expect(keyed.size).toBe(2);
    expect(keyed.node("b")).toBeUndefined();
  });

  it("replace what else the list held, and forget everything on clear", () => {
    const list = new FakeList();
    const empty = new FakeRow("no alarms");
    list.insertBefore(empty, null);
    const keyed = new KeyedRows<FakeRow>();
    keyed.update(list, rows(["a", "1"]));
    expect(list.children.map((r) => r.text)).toEqual(["a:1"]);
    keyed.clear();
    expect(list.children).toEqual([]);
    expect(keyed.size).toBe(0);
    expect(keyed.update(list, rows(["a", "1"]))).toBe(1);
  });
});
