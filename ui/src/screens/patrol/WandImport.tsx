// Importing a patrol wand's export: pick the file, see how it was read (layout, encoding, the
// first rows matched to checkpoints and guards, every row that cannot be read), then store all of
// it — or nothing, when any row cannot be read. Reading a large file reports its progress.

import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { listen } from "@tauri-apps/api/event";
import { api, EngineError } from "../../lib/api";
import type { WandReport } from "../../lib/bindings";
import { tr } from "../../lib/reactive";
import type { MessageKey } from "../../lib/i18n";

export function WandImport(props: { done: () => void }) {
  const [file, setFile] = createSignal<File | null>(null);
  const [report, setReport] = createSignal<WandReport | null>(null);
  const [progress, setProgress] = createSignal<[number, number] | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [message, setMessage] = createSignal("");
  const [mappings, { refetch: refetchMappings }] = createResource(() => api.wandMappings());
  /** The column mapping chosen (empty: found from the headers). */
  const [mapping, setMapping] = createSignal("");
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
      const r = await api.importWand(f.name, bytes, dryRun, mapping());
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
      <label class="muted">
        {tr("wandMapping")}{" "}
        <select data-testid="wand-mapping" value={mapping()} onChange={(e) => (setMapping(e.currentTarget.value), void run(true))}>
          <option value="">{tr("wandMappingAuto")}</option>
          <For each={mappings.latest ?? []}>{(m) => <option value={m.name}>{m.name}</option>}</For>
        </select>
      </label>
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
            <Show when={r().headers.length > 0}>
              <MappingEditor
                headers={r().headers}
                saved={(name) => {
                  void refetchMappings();
                  setMapping(name);
                  void run(true);
                }}
              />
            </Show>
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

/** The fields of a wand export and whether each is needed (a time, and a chip or a checkpoint). */
const FIELDS: { key: string; label: MessageKey }[] = [
  { key: "time", label: "wandField_time" },
  { key: "date", label: "wandField_date" },
  { key: "time_of_day", label: "wandField_time_of_day" },
  { key: "chip", label: "wandField_chip" },
  { key: "checkpoint", label: "wandField_checkpoint" },
  { key: "person", label: "wandField_person" },
  { key: "reader", label: "wandField_reader" },
  { key: "event", label: "wandField_event" },
];

/** A file in a layout no mapping knows: the user says which column is which, names the mapping
 * after the wand software, and it is saved for the next file (Rust checks it can name a time and
 * a tag). */
function MappingEditor(props: { headers: string[]; saved: (name: string) => void }) {
  const [name, setName] = createSignal("");
  const [columns, setColumns] = createSignal<Record<string, string>>({});
  const [error, setError] = createSignal("");
  const save = async () => {
    try {
      await api.saveWandMapping({ name: name(), columns: Object.entries(columns()).filter(([, h]) => h !== "") });
      props.saved(name().trim());
    } catch (e) {
      setError(e instanceof EngineError ? e.message : String(e));
    }
  };
  return (
    <div class="route-editor" data-testid="wand-mapping-editor">
      <p class="muted">{tr("wandMappingHelp")}</p>
      <For each={FIELDS}>
        {(f) => (
          <label>
            {tr(f.label)}
            <select data-testid={`wand-column-${f.key}`} onChange={(e) => setColumns({ ...columns(), [f.key]: e.currentTarget.value })}>
              <option value="">—</option>
              <For each={props.headers}>{(h) => <option value={h}>{h}</option>}</For>
            </select>
          </label>
        )}
      </For>
      <label>
        {tr("wandMappingName")}
        <input data-testid="wand-mapping-name" value={name()} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <button class="button primary" data-testid="wand-mapping-save" onClick={() => void save()}>
        {tr("wandMappingSave")}
      </button>
      <Show when={error()}>
        <p class="review-message">{error()}</p>
      </Show>
    </div>
  );
}
