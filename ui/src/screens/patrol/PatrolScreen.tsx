// The patrol screen: the rounds of the last hours and the next two, each checkpoint coloured by
// how it was checked, the guards' last check-ins, the patrol log (paged from Rust, newest first)
// and the form an operator fills in for a check-in reported by radio (stored marked manual).
// Everything shown is what Rust evaluated; the screen re-asks every 15 s while it is in front.

import { createResource, createRoot, createSignal, For, onCleanup, Show } from "solid-js";
import { api, EngineError } from "../../lib/api";
import type { LogLine, PatrolBoard, RoundView } from "../../lib/bindings";
import { tr } from "../../lib/reactive";
import type { ConsoleContext } from "../../frame/context";
import type { Screen } from "../../frame/stack";
import { ScreenTimers } from "../../frame/timers";
import { clock, dateTime, markKey, markTone, roundKey } from "./present";
import { WandImport } from "./WandImport";
import { RoutesCard } from "./RoutesCard";
import type { PickedCheckpoint } from "../../features/patrol/picker";

const REFRESH_MS = 15_000;

export function createPatrolScreen(host: HTMLElement, ctx: ConsoleContext): Screen {
  return createRoot((dispose) => {
    const timers = new ScreenTimers();
    onCleanup(() => timers.dispose());
    const loggedIn = () => ctx.session() !== null;
    const [board, { refetch }] = createResource(loggedIn, () => api.patrolBoard());
    const [log, setLog] = createSignal<LogLine[]>([]);
    const [next, setNext] = createSignal<[number, number] | null>(null);
    const [filter, setFilter] = createSignal<LogFilterInput>({ guard: "", route: "", building: "", day: "" });
    const loadLog = async (more: boolean) => {
      if (!loggedIn()) return;
      const f = filter();
      const day = f.day ? Date.parse(`${f.day}T00:00:00+08:00`) : NaN;
      const page = await api.patrolLog(
        {
          from: Number.isNaN(day) ? null : day,
          to: Number.isNaN(day) ? null : day + 86_400_000,
          guard: f.guard.trim() || null,
          route: f.route || null,
          building: f.building || null,
          before: more ? next() : null,
        },
        50,
      );
      setLog(more ? [...log(), ...page.lines] : page.lines);
      setNext(page.next);
    };
    const refresh = () => {
      if (!loggedIn()) return;
      void refetch();
      void loadLog(false);
    };
    timers.every(REFRESH_MS, refresh);
    const setLogFilter = (f: LogFilterInput) => {
      setFilter(f);
      void loadLog(false);
    };
    const element = (<PatrolScreen ctx={ctx} filter={filter} setFilter={setLogFilter} boardOf={board} log={log} more={() => void loadLog(true)} hasMore={() => next() !== null} refresh={refresh} />) as HTMLElement;
    host.append(element);
    return {
      id: "patrol",
      element,
      timers,
      shown: refresh,
      dispose: () => {
        dispose();
        element.remove();
      },
    } satisfies Screen;
  });
}

/** The log's filters as the form holds them (empty: no filter). The day is the site's local day. */
interface LogFilterInput {
  guard: string;
  route: string;
  building: string;
  day: string;
}

function PatrolScreen(props: {
  ctx: ConsoleContext;
  filter: () => LogFilterInput;
  setFilter: (f: LogFilterInput) => void;
  boardOf: () => PatrolBoard | undefined;
  log: () => LogLine[];
  more: () => void;
  hasMore: () => boolean;
  refresh: () => void;
}) {
  const tz = () => props.boardOf()?.time_zone ?? "Asia/Shanghai";
  return (
    <section class="screen screen-patrol" data-testid="screen-patrol">
      <div class="patrol-page">
        <div class="patrol-rounds">
          <h2>
            {tr("patrolTitle")}
            <Show when={props.boardOf()}>{(b) => <span class="muted"> · {tr("patrolShift", { shift: b().shift.key })}</span>}</Show>
          </h2>
          <Show when={props.boardOf()?.routes === 0}>
            <p class="muted">{tr("patrolNoRoutes")}</p>
          </Show>
          <For each={props.boardOf()?.rounds ?? []}>{(r) => <Round round={r} tz={tz()} />}</For>
        </div>
        <div class="patrol-side">
          <RadioForm board={props.boardOf} done={props.refresh} />
          <WandImport done={props.refresh} />
          <RoutesCard ctx={props.ctx} names={() => checkpointNames(props.boardOf())} saved={props.refresh} />
          <section class="settings-card">
            <h2>{tr("guardsLast")}</h2>
            <table class="patrol-table">
              <tbody>
                <For each={(props.boardOf()?.guards ?? []).slice().sort((a, b) => b.at - a.at).slice(0, 12)}>
                  {(g) => (
                    <tr>
                      <td>{g.name ?? g.badge}</td>
                      <td class="muted">{g.code ?? "—"}</td>
                      <td>{clock(g.at, tz())}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </section>
          <section class="settings-card" data-testid="patrol-log">
            <h2>{tr("patrolLog")}</h2>
            <form class="log-filters" data-testid="log-filters" onSubmit={(e) => e.preventDefault()}>
              <input
                data-testid="log-filter-guard"
                placeholder={tr("logGuard")}
                value={props.filter().guard}
                onChange={(e) => props.setFilter({ ...props.filter(), guard: e.currentTarget.value })}
              />
              <select data-testid="log-filter-route" value={props.filter().route} onChange={(e) => props.setFilter({ ...props.filter(), route: e.currentTarget.value })}>
                <option value="">{tr("logAllRoutes")}</option>
                <For each={routesOf(props.boardOf())}>{([id, name]) => <option value={id}>{name}</option>}</For>
              </select>
              <select
                data-testid="log-filter-building"
                value={props.filter().building}
                onChange={(e) => props.setFilter({ ...props.filter(), building: e.currentTarget.value })}
              >
                <option value="">{tr("logAllBuildings")}</option>
                <For each={props.ctx.buildings()}>{(b) => <option value={b.id}>{b.name}</option>}</For>
              </select>
              <input type="date" data-testid="log-filter-day" value={props.filter().day} onChange={(e) => props.setFilter({ ...props.filter(), day: e.currentTarget.value })} />
            </form>
            <table class="patrol-table">
              <thead>
                <tr>
                  <th>{tr("logTime")}</th>
                  <th>{tr("logGuard")}</th>
                  <th>{tr("logCheckpoint")}</th>
                  <th>{tr("logSource")}</th>
                </tr>
              </thead>
              <tbody>
                <For each={props.log()}>
                  {(l) => (
                    <tr data-testid={`log-line-${l.id}`} classList={{ flagged: l.clock !== null || l.source === "manual" }}>
                      <td>{dateTime(l.judged_at, tz())}</td>
                      <td>{l.guard_name ?? l.guard}</td>
                      <td>{l.checkpoint ?? l.tag}</td>
                      <td>{tr(`source_${l.source}`)}{l.clock ? ` · ${l.clock}` : ""}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
            <Show when={props.hasMore()}>
              <button class="button" onClick={() => props.more()}>{tr("logMore")}</button>
            </Show>
          </section>
        </div>
      </div>
    </section>
  );
}

function Round(props: { round: RoundView; tz: string }) {
  const r = () => props.round;
  return (
    <article class={`round round-${r().state}`} data-testid={`round-${r().round}`} data-state={r().state}>
      <header>
        <strong>{r().route_name}</strong>
        <span class="muted">
          {" "}
          {clock(r().start, props.tz)} · {tr(roundKey(r().state))} · {tr("roundProgress", { done: r().done, total: r().total, on_time: r().on_time })}
        </span>
      </header>
      <ol class="round-checkpoints">
        <For each={r().checkpoints}>
          {(c) => (
            <li class={`mark-${markTone(c.mark)}`} data-testid={`round-checkpoint-${c.checkpoint}`} data-mark={c.mark} title={c.name_zh}>
              <span class="cp-code">{c.code}</span>
              <span class="cp-time">{c.touched !== null ? clock(c.touched, props.tz) : clock(c.expected, props.tz)}</span>
              <span class="cp-mark">{tr(markKey(c.mark))}</span>
            </li>
          )}
        </For>
      </ol>
    </article>
  );
}

function RadioForm(props: { board: () => PatrolBoard | undefined; done: () => void }) {
  const [checkpoint, setCheckpoint] = createSignal("");
  const [guard, setGuard] = createSignal("");
  const [reason, setReason] = createSignal("");
  const [message, setMessage] = createSignal("");
  const checkpoints = () => {
    const seen = new Map<string, string>();
    for (const r of props.board()?.rounds ?? []) for (const c of r.checkpoints) seen.set(c.checkpoint, `${c.code} ${c.name_zh}`);
    return [...seen.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await api.radioCheckIn({ checkpoint: checkpoint(), guard: guard(), at: null, reason: reason() });
      setMessage(tr("radioDone"));
      setReason("");
      props.done();
    } catch (err) {
      setMessage(err instanceof EngineError ? err.message : String(err));
    }
  };
  return (
    <form class="settings-card radio-form" data-testid="radio-form" onSubmit={(e) => void submit(e)}>
      <h2>{tr("radioTitle")}</h2>
      <label>
        {tr("radioCheckpoint")}
        <select data-testid="radio-checkpoint" value={checkpoint()} onChange={(e) => setCheckpoint(e.currentTarget.value)}>
          <option value="">—</option>
          <For each={checkpoints()}>{([id, name]) => <option value={id}>{name}</option>}</For>
        </select>
      </label>
      <label>
        {tr("radioGuard")}
        <input data-testid="radio-guard" value={guard()} onInput={(e) => setGuard(e.currentTarget.value)} placeholder="G0001" />
      </label>
      <label>
        {tr("radioReason")}
        <input data-testid="radio-reason" value={reason()} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button class="button primary" type="submit" data-testid="radio-submit">{tr("radioSubmit")}</button>
      <Show when={message()}>
        <p class="muted" data-testid="radio-message">{message()}</p>
      </Show>
    </form>
  );
}

/** Names of the checkpoints the board knows, for the route editor's list. */
function checkpointNames(board: PatrolBoard | undefined): Map<string, PickedCheckpoint> {
  const names = new Map<string, PickedCheckpoint>();
  for (const r of board?.rounds ?? []) for (const c of r.checkpoints) names.set(c.checkpoint, { id: c.checkpoint, code: c.code, name: c.name_zh });
  return names;
}

/** The routes the board knows, by name, for the log's route filter. */
function routesOf(board: PatrolBoard | undefined): [string, string][] {
  const routes = new Map<string, string>();
  for (const r of board?.rounds ?? []) routes.set(r.route, r.route_name);
  return [...routes.entries()].sort((a, b) => a[1].localeCompare(b[1]));
}
