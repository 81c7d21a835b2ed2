// The engine's state in words, for the status bar and the settings screen: each says "listening"
// its own way, the other states alike.

import type { EngineStatus } from "../lib/api";
import { tr } from "../lib/reactive";

export function engineStateText(e: EngineStatus, listening: (e: Extract<EngineStatus, { state: "listening" }>) => string): string {
  switch (e.state) {
    case "listening":
      return listening(e);
    case "failed":
      return tr("engineFailed", { message: e.message });
    case "off":
      return tr("engineOff");
    default:
      return tr("engineStarting");
  }
}
