// Routes and their schedules, for an administrator: each route's checkpoints (picked on the map,
// in the order they are walked, with the walking time to each), whether the order is kept, and
// the schedule (from, to, every N minutes, days of the week). A save is a new version from now on:
// rounds already expected keep the schedule they started under (Rust decides; this only asks).

import { createResource, createSignal, For, Show } from "solid-js";
import { api, EngineError } from "../../lib/api";
import type { LegDef, RouteView } from "../../lib/bindings";
import { tr } from "../../lib/reactive";
import type { ConsoleContext } from "../../frame/context";
import { routePicker, type PickedCheckpoint } from "../../features/patrol/picker";

const DAYS_ZH = ["一", "二", "三", "四", "五", "六", "日"];

function hm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

interface Draft {
  id: string | null;
  name: string;
  ordered: boolean;
  legs: (PickedCheckpoint & { walk_s: number })[];
  start: string;
  end: string;
  every: number;
  weekdays: number;
  retired: boolean;
}

export function RoutesCard(props: { ctx: ConsoleContext; names: () => Map<string, PickedCheckpoint>; saved: () => void }) {
  const admin = () => props.ctx.session()?.role === "administrator";
  const [routes, { refetch }] = createResource(admin, () => api.patrolRoutes());
  const [draft, setDraft] = createSignal<Draft | null>(null);
  const [message, setMessage] = createSignal("");

  const edit = (r: RouteView | null) => {
    const names = props.names();
    setDraft(
      r
        ? {
            id: r.id,
            name: r.name,
            ordered: r.ordered,
            legs: r.legs.map((l) => ({ ...(names.get(l.checkpoint) ?? { id: l.checkpoint, code: l.checkpoint.slice(0, 8), name: "" }), walk_s: l.walk_s })),
            start: hm(r.schedule?.start ?? 0),
            end: hm(r.schedule?.end ?? 0),
            every: r.schedule?.every ?? 120,
            weekdays: r.schedule?.weekdays ?? 127,
            retired: r.retired,
          }
        : { id: null, name: "", ordered: true, legs: [], start: "22:00", end: "06:00", every: 120, weekdays: 127, retired: false },
    );
    setMessage("");
  };
  const patch = (p: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...p } : d));

  const pick = () => {
    const d = draft();
    if (!d) return;
    routePicker.start(
      d.legs,
      () => undefined,
      (picked) => {
        const walks = new Map(d.legs.map((l) => [l.id, l.walk_s]));
        patch({ legs: picked.map((c, i) => ({ ...c, walk_s: walks.get(c.id) ?? (i === 0 ? 0 : 120) })) });
        props.ctx.show("patrol");
      },
    );
    props.ctx.show("alarms");
  };

  const save = async () => {
    const d = draft();
    if (!d) return;
    try {
      const legs: LegDef[] = d.legs.map((l, i) => ({ checkpoint: l.id, walk_s: i === 0 ? 0 : l.walk_s }));
      await api.saveRoute({
        id: d.id,
        name: d.name,
        ordered: d.ordered,
        legs,
        start: d.start,
        end: d.end,
        every_minutes: d.every,
        weekdays: d.weekdays,
        retired: d.retired,
      });
      setDraft(null);
      setMessage(tr("routeSaved"));
      void refetch();
      props.saved();
    } catch (e) {
      setMessage(e instanceof EngineError ? `${e.field ? `${e.field}: ` : ""}${e.message}` : String(e));
    }
  };

  return (
    <Show when={admin()}>
      <section class="settings-card" data-testid="routes">
        <h2>{tr("routesTitle")}</h2>
        <Show
          when={draft()}
          fallback={
            <>
              <table class="patrol-table">
                <tbody>
                  <For each={routes.latest ?? []}>
                    {(r) => (
                      <tr data-testid={`route-${r.id}`} classList={{ flagged: r.retired }}>
                        <td>{r.name}</td>
                        <td class="muted">
                          {tr("routeSummary", { n: r.legs.length, every: r.schedule?.every ?? "—", start: hm(r.schedule?.start ?? 0), end: hm(r.schedule?.end ?? 0) })}
                        </td>
                        <td>
                          <button class="button" onClick={() => edit(r)}>{tr("routeEdit")}</button>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
              <button class="button" data-testid="route-new" onClick={() => edit(null)}>{tr("routeNew")}</button>
            </>
          }
        >
          {(d) => (
            <form class="route-editor" data-testid="route-editor" onSubmit={(e) => (e.preventDefault(), void save())}>
              <label>
                {tr("routeName")}
                <input data-testid="route-name" value={d().name} onInput={(e) => patch({ name: e.currentTarget.value })} />
              </label>
              <div class="row">
                <label>
                  {tr("routeStart")}
                  <input type="time" data-testid="route-start" value={d().start} onInput={(e) => patch({ start: e.currentTarget.value })} />
                </label>
                <label>
                  {tr("routeEnd")}
                  <input type="time" data-testid="route-end" value={d().end} onInput={(e) => patch({ end: e.currentTarget.value })} />
                </label>
                <label>
                  {tr("routeEvery")}
                  <input type="number" min="5" max="1440" data-testid="route-every" value={d().every} onInput={(e) => patch({ every: Number(e.currentTarget.value) })} />
                </label>
              </div>
              <div class="row days">
                {tr("routeDays")}
                <For each={DAYS_ZH}>
                  {(name, i) => (
                    <label>
                      <input
                        type="checkbox"
                        checked={(d().weekdays & (1 << i())) !== 0}
                        onChange={(e) => patch({ weekdays: e.currentTarget.checked ? d().weekdays | (1 << i()) : d().weekdays & ~(1 << i()) })}
                      />
                      {name}
                    </label>
                  )}
                </For>
              </div>
              <div class="row">
                <label>
                  <input type="checkbox" checked={d().ordered} onChange={(e) => patch({ ordered: e.currentTarget.checked })} /> {tr("routeOrdered")}
                </label>
                <label>
                  <input type="checkbox" checked={d().retired} onChange={(e) => patch({ retired: e.currentTarget.checked })} /> {tr("routeRetired")}
                </label>
              </div>
              <ol class="route-legs" data-testid="route-legs">
                <For each={d().legs}>
                  {(l, i) => (
                    <li>
                      {l.code} {l.name}{" "}
                      <Show when={i() > 0}>
                        <input
                          type="number"
                          min="0"
                          value={l.walk_s}
                          title={tr("routeWalk")}
                          onInput={(e) => patch({ legs: d().legs.map((x, j) => (j === i() ? { ...x, walk_s: Number(e.currentTarget.value) } : x)) })}
                        />{" "}
                        {tr("routeWalk")}
                      </Show>
                    </li>
                  )}
                </For>
              </ol>
              <div class="row">
                <button type="button" class="button" data-testid="route-pick" onClick={pick}>{tr("routePick")}</button>
                <button type="submit" class="button primary" data-testid="route-save">{tr("routeSave")}</button>
                <button type="button" class="button" onClick={() => setDraft(null)}>{tr("routeCancel")}</button>
              </div>
            </form>
          )}
        </Show>
        <Show when={message()}>
          <p class="muted" data-testid="route-message">{message()}</p>
        </Show>
      </section>
    </Show>
  );
}
