// Importing a patrol wand's export: pick the file, see how it was read (layout, encoding, the
// first rows matched to checkpoints and guards, every row that cannot be read), then store all of
// it — or nothing, when any row cannot be read. Reading a large file reports its progress.

import { createSignal, For, onCleanup, Show } from "solid-js";
import { listen } from "@tauri-apps/api/event";
import { api, EngineError } from "../../lib/api";
import type { WandReport } from "../../lib/bindings";
import { tr } from "../../lib/reactive";

export function WandImport(props: { done: () => void }) {
  const [file, setFile] = createSignal<File | null>(null);
  const [report, setReport] = createSignal<WandReport | null>(null);
  const [progress, setProgress] = createSignal<[number, number] | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [message, setMessage] = createSignal("");
  let unlisten: (() => void) | null = null;
  void listen<{ done: number; total: number }>("wand-progress", (e) => setProgress([e.payload.done, e.payload.total])).then(
    (u) => (unlisten = u),
  );
  onCleanup(() => unlisten?.());

  const run = async (dryRun: boolean) => {
    const f = file();
    if (!f) return;
    setBusy(true);
    setMessage("");
    setProgress(null);
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      const r = await api.importWand(f.name, bytes, dryRun);
      setReport(r);
      if (!dryRun && !r.refused) {
        setMessage(tr("wandStored", { n: r.stored, dup: r.duplicates }));
        props.done();
      }
    } catch (e) {
      setMessage(e instanceof EngineError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="settings-card wand-import" data-testid="wand-import">
      <h2>{tr("wandTitle")}</h2>
      <input
        type="file"
        accept=".csv,.xlsx,.xls,text/csv"
        data-testid="wand-file"
        onChange={(e) => {
          setFile(e.currentTarget.files?.[0] ?? null);
          setReport(null);
          void run(true);
        }}
      />
      <Show when={busy() && progress()}>
        {(p) => <progress data-testid="wand-progress" max={p()[1]} value={p()[0]} />}
      </Show>
      <Show when={report()}>
        {(r) => (
          <div data-testid="wand-report">
            <p class="muted">
              {r().format} · {r().encoding} · {tr("wandLayout", { mapping: r().mapping, rows: r().rows, headers: r().header_rows })}
            </p>
            <Show when={r().refused}>{(why) => <p class="review-message" data-testid="wand-refused">{why()}</p>}</Show>
            <Show when={r().rejected.length > 0}>
              <table class="patrol-table" data-testid="wand-rejected">
                <tbody>
                  <For each={r().rejected.slice(0, 50)}>
                    {(x) => (
                      <tr class="flagged">
                        <td>{tr("wandRow", { n: x.row })}</td>
                        <td>{x.field}</td>
                        <td>{x.reason}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </Show>
            <Show when={!r().refused}>
              <table class="patrol-table" data-testid="wand-preview">
                <tbody>
                  <For each={r().preview.slice(0, 8)}>
                    {(x) => (
                      <tr classList={{ flagged: !x.matched || !x.badge }}>
                        <td>{x.written_time}</td>
                        <td>{x.matched ?? x.chip ?? x.checkpoint}</td>
                        <td>{x.person}{x.badge ? ` (${x.badge})` : ""}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <p class="muted">{tr("wandUnknown", { tags: r().unknown_tags, guards: r().unknown_guards })}</p>
              <Show when={r().dry_run}>
                <button class="button primary" data-testid="wand-store" disabled={busy()} onClick={() => void run(false)}>
                  {tr("wandStore", { n: r().rows })}
                </button>
              </Show>
            </Show>
          </div>
        )}
      </Show>
      <Show when={message()}>
        <p class="muted" data-testid="wand-message">{message()}</p>
      </Show>
    </section>
  );
}
