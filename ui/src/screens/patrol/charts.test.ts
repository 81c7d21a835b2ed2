import { describe, expect, it } from "vitest";
import { complianceByGuard, percent } from "./charts";

const c = (label: string, sub: string, expected: number, on_time: number) => ({ label, sub, expected, on_time, early: 0, late: 0, missed: expected - on_time });

describe("review charts", () => {
  it("reads compliance as a percentage with one decimal", () => {
    expect(percent({ on_time: 15, expected: 16 })).toBe(93.8);
    expect(percent({ on_time: 0, expected: 0 })).toBe(0);
  });

  it("lists the worst guards, leaving out the checkpoints nobody touched", () => {
    const option = complianceByGuard([c("张伟", "G1", 10, 10), c("王芳", "G2", 10, 5), c("未打卡", "", 3, 0), c("李娜", "G3", 10, 8)], 2);
    // Worst first, drawn bottom-up: the last category is the worst.
    expect(option.yAxis.data).toEqual(["李娜", "王芳"]);
  });
});
