import { describe, expect, it, vi } from "vitest";
import type { ScreenId } from "./screens";
import { ScreenStack, type Screen } from "./stack";
import { ScreenTimers } from "./timers";

/** A field inside a fake screen element, with the focus tracked by `page`. */
class Page {
  focused: Field | null = null;
}
class Field {
  isConnected = true;
  constructor(
    readonly page: Page,
    readonly owner: FakeElement,
  ) {}
  focus = vi.fn(() => (this.page.focused = this));
  blur = vi.fn(() => {
    if (this.page.focused === this) this.page.focused = null;
  });
}
class FakeElement {
  hidden = false;
  removed = false;
  contains(node: unknown): boolean {
    return node instanceof Field && node.owner === this;
  }
  remove(): void {
    this.removed = true;
  }
}

function screen(id: ScreenId): Screen & { element: FakeElement; shownCount: number; disposed: boolean } {
  const s = {
    id,
    element: new FakeElement(),
    timers: new ScreenTimers(),
    shownCount: 0,
    disposed: false,
    shown: () => void s.shownCount++,
    dispose: () => void (s.disposed = true),
  };
  return s;
}

describe("the screen stack", () => {
  it("hides the screen behind instead of removing it, and pauses its timers", () => {
    const changes: ScreenId[] = [];
    const page = new Page();
    const stack = new ScreenStack((id) => changes.push(id), () => page.focused);
    const desk = screen("alarms");
    const settings = screen("settings");
    stack.add(desk);
    stack.add(settings);
    expect([desk.element.hidden, settings.element.hidden]).toEqual([true, true]);

    expect(stack.show("alarms")).toBe(true);
    expect([desk.element.hidden, settings.element.hidden]).toEqual([false, true]);
    expect([desk.timers.running, settings.timers.running]).toEqual([true, false]);
    expect(stack.show("alarms")).toBe(false);

    stack.show("settings");
    expect([desk.element.hidden, settings.element.hidden]).toEqual([true, false]);
    expect([desk.timers.running, settings.timers.running]).toEqual([false, true]);
    expect(desk.element.removed).toBe(false);
    expect(changes).toEqual(["alarms", "settings"]);
    expect(stack.activeScreen).toBe("settings");
    expect(settings.shownCount).toBe(1);
  });

  it("gives the operator back the field they were typing in, but not after an alarm took the front", () => {
    const page = new Page();
    const stack = new ScreenStack(undefined, () => page.focused);
    const desk = screen("alarms");
    const settings = screen("settings");
    stack.add(desk);
    stack.add(settings);
    stack.show("settings");
    const filter = new Field(page, settings.element);
    filter.focus();

    // A new alarm: the desk comes forward and the field behind loses the focus.
    stack.show("alarms", "alarm");
    expect(filter.blur).toHaveBeenCalled();
    expect(page.focused).toBeNull();

    // The operator goes back: the field has the focus again.
    filter.focus.mockClear();
    stack.show("settings", "operator");
    expect(filter.focus).toHaveBeenCalledTimes(1);

    // A field on the desk is not given back when an alarm brings the desk forward.
    stack.show("alarms");
    const note = new Field(page, desk.element);
    note.focus();
    stack.show("settings");
    note.focus.mockClear();
    stack.show("alarms", "alarm");
    expect(note.focus).not.toHaveBeenCalled();
  });

  it("keeps the focus of a field on the screen already in front", () => {
    const page = new Page();
    const stack = new ScreenStack(undefined, () => page.focused);
    const desk = screen("alarms");
    stack.add(desk);
    stack.show("alarms");
    const note = new Field(page, desk.element);
    note.focus();
    expect(stack.show("alarms", "alarm")).toBe(false);
    expect(note.blur).not.toHaveBeenCalled();
    expect(page.focused).toBe(note);
  });

  it("removes a disposed screen with its timers and brings another forward", () => {
    vi.useFakeTimers();
    const stack = new ScreenStack(undefined, () => null);
    const desk = screen("alarms");
    const settings = screen("settings");
    stack.add(desk);
    stack.add(settings);
    stack.show("settings");
    const tick = vi.fn();
    settings.timers.every(1000, tick);
    stack.dispose("settings");
    vi.advanceTimersByTime(5000);
    expect(tick).not.toHaveBeenCalled();
    expect([settings.disposed, settings.element.removed, settings.timers.size]).toEqual([true, true, 0]);
    expect(stack.activeScreen).toBe("alarms");
    expect(stack.ids).toEqual(["alarms"]);
    stack.disposeAll();
    expect(stack.activeScreen).toBeNull();
    expect(desk.disposed).toBe(true);
    vi.useRealTimers();
  });

  it("refuses a screen twice", () => {
    const stack = new ScreenStack(undefined, () => null);
    stack.add(screen("alarms"));
    expect(() => stack.add(screen("alarms"))).toThrow();
  });
});
