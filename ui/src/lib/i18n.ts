// The translation table: every visible string of the console, in zh-CN and English.

import type { Language } from "./api";

const en = {
  appTitle: "Vigil security console",
  demoBadge: "Demo hospital",
  campus: "Campus",
  buildings: "Buildings",
  floors: "Floors",
  searchPlaceholder: "Search device code or name…",
  searchNone: "No device matches",
  legend: "Legend",
  kind_camera: "Camera",
  kind_alarm_point: "Fixed alarm button",
  kind_mobile_alarm_point: "Mobile alarm point",
  kind_checkpoint: "Patrol checkpoint",
  status_normal: "Normal",
  status_alarm: "Alarm",
  status_fault: "Fault",
  status_offline: "Offline",
  countCameras: "Cameras",
  countAlarmPoints: "Alarm buttons",
  countMobile: "Mobile alarm points",
  countCheckpoints: "Checkpoints",
  syncLocal: "Local only · no central server configured",
  details: "Device details",
  close: "Close",
  code: "Code",
  name: "Name",
  kind: "Type",
  status: "Status",
  location: "Location",
  position: "Position on plan",
  heading: "Heading",
  fieldOfView: "Field of view",
  range: "Range",
  dc09: "DC-09 account / zone",
  tag: "Checkpoint tag",
  snapshot: "Snapshot URL",
  stream: "Stream URL",
  none: "—",
  language: "中文",
  languageTitle: "切换到中文",
  edit: "Edit map",
  editing: "Editing: drag devices into place",
  importPlan: "Import floor plan…",
  save: "Save positions",
  cancel: "Cancel",
  saved: "{n} device positions saved",
  planImported: "Floor plan replaced ({w} × {h} px)",
  planRefused: "Floor plan refused: {message}",
  nothingToSave: "No device was moved",
  backToCampus: "Campus overview",
  devicesOnFloor: "{n} devices on this floor",
  activeAlarms: "{n} active alarms",
  firstRunTitle: "This workstation has no hospital yet",
  firstRunText: "Create the demo hospital to try Vigil: 7 buildings, 2,620 cameras, 478 alarm buttons, 104 mobile alarm points, patrol checkpoints and three demo accounts (PIN 2468).",
  firstRunButton: "Create the demo hospital",
  creating: "Creating…",
  startupFailed: "Vigil cannot open this workstation's data",
  dataDir: "Data directory",
  loading: "Loading…",
  building: "Building",
  floor: "Floor",
  engineStarting: "Receivers starting…",
  engineOff: "Receivers off",
  engineListening: "Receiving · DC-09 {dc09} · HTTP {http} · {n} frames acknowledged",
  engineFailed: "Receivers not listening: {message}",
};

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  appTitle: "Vigil 安保监控台",
  demoBadge: "演示医院",
  campus: "院区",
  buildings: "楼栋",
  floors: "楼层",
  searchPlaceholder: "搜索设备编号或名称…",
  searchNone: "没有匹配的设备",
  legend: "图例",
  kind_camera: "摄像机",
  kind_alarm_point: "一键报警",
  kind_mobile_alarm_point: "移动报警点",
  kind_checkpoint: "巡更点",
  status_normal: "正常",
  status_alarm: "报警",
  status_fault: "故障",
  status_offline: "离线",
  countCameras: "摄像机",
  countAlarmPoints: "一键报警",
  countMobile: "移动报警点",
  countCheckpoints: "巡更点",
  syncLocal: "本地模式 · 未配置中心服务器",
  details: "设备详情",
  close: "关闭",
  code: "编号",
  name: "名称",
  kind: "类型",
  status: "状态",
  location: "位置",
  position: "平面图坐标",
  heading: "朝向",
  fieldOfView: "视角",
  range: "覆盖距离",
  dc09: "DC-09 账号 / 防区",
  tag: "巡更标签",
  snapshot: "抓图地址",
  stream: "视频流地址",
  none: "—",
  language: "English",
  languageTitle: "Switch to English",
  edit: "编辑地图",
  editing: "编辑中：拖动设备到正确位置",
  importPlan: "导入平面图…",
  save: "保存位置",
  cancel: "取消",
  saved: "已保存 {n} 个设备位置",
  planImported: "平面图已更换（{w} × {h} 像素）",
  planRefused: "平面图未导入：{message}",
  nothingToSave: "没有移动任何设备",
  backToCampus: "院区总览",
  devicesOnFloor: "本层 {n} 个设备",
  activeAlarms: "{n} 个报警",
  firstRunTitle: "本工作站还没有医院数据",
  firstRunText: "创建演示医院来试用 Vigil：7 栋楼、2,620 台摄像机、478 个一键报警、104 个移动报警点、巡更点和三个演示账号（PIN 2468）。",
  firstRunButton: "创建演示医院",
  creating: "正在创建…",
  startupFailed: "Vigil 无法打开本工作站的数据",
  dataDir: "数据目录",
  loading: "加载中…",
  building: "楼栋",
  floor: "楼层",
  engineStarting: "接收服务启动中…",
  engineOff: "接收服务未启动",
  engineListening: "接收中 · DC-09 {dc09} · HTTP {http} · 已确认 {n} 条报文",
  engineFailed: "接收服务未监听：{message}",
};

const tables: Record<Language, Record<MessageKey, string>> = { en, "zh-CN": zh };

let current: Language = "zh-CN";
const listeners = new Set<() => void>();

export function language(): Language {
  return current;
}

export function setLanguage(lang: Language): void {
  current = lang;
  document.documentElement.lang = lang;
  for (const listener of listeners) listener();
}

/** Calls `listener` whenever the language changes; returns the unsubscribe function. */
export function onLanguageChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The current language's text for `key`, with `{name}` placeholders filled in. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return translate(current, key, vars);
}

export function translate(lang: Language, key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = tables[lang][key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** A bilingual label in the current language. */
export function label(l: { zh: string; en: string }): string {
  return current === "zh-CN" ? l.zh : l.en;
}

/** Numbers as people read them in the current language (2,620). */
export function count(n: number): string {
  return n.toLocaleString(current === "zh-CN" ? "zh-CN" : "en-US");
}

export const languages: Language[] = ["zh-CN", "en"];
export const messageTables = tables;
