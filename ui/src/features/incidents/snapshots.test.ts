import { describe, expect, it } from "vitest";
import { Snapshots, type Picture } from "./snapshots";

class FakePicture implements Picture {
  src = "";
  onload: ((ev: never) => unknown) | null = null;
  onerror: ((ev: never) => unknown) | null = null;
  readonly classes = new Set<string>();
  readonly classList = { add: (n: string) => void this.classes.add(n), remove: (n: string) => void this.classes.delete(n) };
  removeAttribute(name: string): void {
    if (name === "src") this.src = "";
  }
}

function setup() {
  const made: FakePicture[] = [];
  let now = 1000;
  const snapshots = new Snapshots<FakePicture>(() => {
    const p = new FakePicture();
    made.push(p);
    return p;
  }, () => now++);
  return { snapshots, made };
}

describe("camera snapshots", () => {
  it("keep one picture per camera across redraws", () => {
    const { snapshots } = setup();
    const a = snapshots.picture("CAM-1", "http://nvr/snap/1.jpg");
    expect(snapshots.picture("CAM-1", "http://nvr/snap/1.jpg")).toBe(a);
    expect(a.src).toBe("http://nvr/snap/1.jpg?t=1000");
    expect(snapshots.held).toEqual({ cameras: 1, loading: 0 });
  });

  it("replace the shown picture once the next is whole, and hold nothing of it after", () => {
    const { snapshots, made } = setup();
    const shown = snapshots.picture("CAM-1", "http://nvr/snap/1.jpg?stream=sub");
    snapshots.refresh();
    const next = made[1];
    expect(next.src).toBe("http://nvr/snap/1.jpg?stream=sub&t=1001");
    expect(shown.src).toBe("http://nvr/snap/1.jpg?stream=sub&t=1000");
    expect(snapshots.held.loading).toBe(1);
    next.onload?.(undefined as never);
    expect(shown.src).toBe(next.src);
    expect(next.onload).toBeNull();
    expect(snapshots.held).toEqual({ cameras: 1, loading: 0 });
  });

  it("never pile up requests to a slow camera", () => {
    const { snapshots, made } = setup();
    snapshots.picture("CAM-1", "http://nvr/1.jpg");
    snapshots.refresh();
    snapshots.refresh();
    snapshots.refresh();
    expect(made.length).toBe(2);
    made[1].onerror?.(undefined as never);
    expect(made[0].classes.has("failed")).toBe(true);
    snapshots.refresh();
    expect(made.length).toBe(3);
    made[2].onload?.(undefined as never);
    expect(made[0].classes.has("failed")).toBe(false);
  });

  it("drop a camera's pictures when the incident shown no longer has it, or the panel closes", () => {
    const { snapshots, made } = setup();
    const one = snapshots.picture("CAM-1", "http://nvr/1.jpg");
    snapshots.picture("CAM-2", "http://nvr/2.jpg");
    snapshots.refresh();
    snapshots.retain(new Set(["CAM-2"]));
    expect(one.src).toBe("");
    expect(snapshots.held).toEqual({ cameras: 1, loading: 1 });
    // A picture that arrives for a dropped camera is not shown anywhere.
    made[2].onload?.(undefined as never);
    expect(one.src).toBe("");
    snapshots.clear();
    expect(snapshots.held).toEqual({ cameras: 0, loading: 0 });
    expect(made.every((p) => p.src === "")).toBe(true);
  });
});
