// The review's charts, drawn with Apache ECharts (the charting library Chinese hospital IT staff
// know best), canvas renderer, no animation: a chart is drawn once per change of its data and
// costs nothing while the screen stands still. Only the parts used are bundled.

import { use, init, type EChartsCoreOption, type EChartsType } from "echarts/core";
import { BarChart, LineChart, ScatterChart } from "echarts/charts";
import { GridComponent, MarkLineComponent, TooltipComponent, LegendComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import type { Compliance, IncidentResponse } from "../../lib/bindings";

use([BarChart, LineChart, ScatterChart, GridComponent, MarkLineComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

const TEXT = "#cbd5e1";
const GRID_LINE = "#1e293b";

/** On-time share in percent, one decimal (0 when nothing was expected). */
export function percent(c: Pick<Compliance, "on_time" | "expected">): number {
  return c.expected === 0 ? 0 : Math.round((1000 * c.on_time) / c.expected) / 10;
}

/** Compliance per day: the share on time as bars, late and missed counts as a line. */
export function complianceByDay(days: Compliance[], labels: { share: string; missed: string }) {
  return {
    animation: false,
    textStyle: { color: TEXT },
    tooltip: { trigger: "axis" },
    legend: { top: 0, textStyle: { color: TEXT }, data: [labels.share, labels.missed] },
    grid: { left: 44, right: 44, top: 36, bottom: 28 },
    xAxis: { type: "category", data: days.map((d) => d.label.slice(5)), axisLabel: { color: TEXT } },
    yAxis: [
      { type: "value", min: 0, max: 100, axisLabel: { color: TEXT, formatter: "{value} %" }, splitLine: { lineStyle: { color: GRID_LINE } } },
      { type: "value", min: 0, axisLabel: { color: TEXT }, splitLine: { show: false } },
    ],
    series: [
      { name: labels.share, type: "bar", data: days.map(percent), itemStyle: { color: "#22c55e" } },
      { name: labels.missed, type: "line", yAxisIndex: 1, data: days.map((d) => d.missed), itemStyle: { color: "#f43f5e" } },
    ],
  };
}

/** Compliance per guard, worst first (the supervisor looks at the bottom of the list). */
export function complianceByGuard(guards: Compliance[], limit = 15) {
  const rows = guards
    .filter((g) => g.sub !== "")
    .slice()
    .sort((a, b) => percent(a) - percent(b))
    .slice(0, limit)
    .reverse();
  return {
    animation: false,
    textStyle: { color: TEXT },
    tooltip: { trigger: "axis" },
    grid: { left: 90, right: 24, top: 8, bottom: 24 },
    xAxis: { type: "value", min: 0, max: 100, axisLabel: { color: TEXT, formatter: "{value} %" }, splitLine: { lineStyle: { color: GRID_LINE } } },
    yAxis: { type: "category", data: rows.map((g) => g.label), axisLabel: { color: TEXT } },
    series: [
      {
        type: "bar",
        data: rows.map((g) => ({ value: percent(g), itemStyle: { color: percent(g) >= 95 ? "#22c55e" : percent(g) >= 80 ? "#f59e0b" : "#f43f5e" } })),
      },
    ],
  };
}

/** Each incident's time to on scene (or to acknowledgement when nobody went) against the target. */
export function responseTimes(incidents: IncidentResponse[], targetSeconds: number, labels: { target: string; minutes: string }) {
  const points = incidents
    .filter((i) => i.on_scene_seconds !== null || i.ack_seconds !== null)
    .map((i) => [i.opened_at, Math.round(((i.on_scene_seconds ?? i.ack_seconds ?? 0) / 60) * 10) / 10]);
  return {
    animation: false,
    textStyle: { color: TEXT },
    tooltip: { trigger: "item" },
    grid: { left: 44, right: 24, top: 16, bottom: 28 },
    xAxis: { type: "time", axisLabel: { color: TEXT }, splitLine: { show: false } },
    yAxis: { type: "value", name: labels.minutes, min: 0, axisLabel: { color: TEXT }, splitLine: { lineStyle: { color: GRID_LINE } } },
    series: [
      {
        type: "scatter",
        data: points,
        symbolSize: 7,
        itemStyle: { color: "#38bdf8" },
        markLine: {
          silent: true,
          symbol: "none",
          lineStyle: { color: "#f43f5e", type: "dashed" },
          label: { color: TEXT, formatter: labels.target },
          data: [{ yAxis: targetSeconds / 60 }],
        },
      },
    ],
  };
}

/** A chart in `el`, redrawn with `option`; the returned function releases it. */
export function chart(el: HTMLElement, option: EChartsCoreOption): { set(option: EChartsCoreOption): void; dispose(): void } {
  const instance: EChartsType = init(el, undefined, { renderer: "canvas" });
  instance.setOption(option);
  const resize = new ResizeObserver(() => instance.resize());
  resize.observe(el);
  return {
    set: (o) => instance.setOption(o, true),
    dispose: () => {
      resize.disconnect();
      instance.dispose();
    },
  };
}
