// The supervisor's review of a shift: compliance (on time / expected) in total, per guard and per
// route, each exception with the explanation it needs, the shift's incidents against the 5-minute
// target, the incidents needing review (of any shift: what workstations cut off from each other did
// to one incident, or what came after its close), and the sign-off (refused by Rust while an
// exception is unexplained; a check-in that arrives later shows the shift as changed since
// sign-off). A supervisor's login opens it.

import { createEffect, createResource, createRoot, createSignal, For, onCleanup, Show } from "solid-js";
import type { EChartsCoreOption } from "echarts/core";

/** The charts (ECharts) are loaded the first time a range is looked at, not with the console. */
const charts = () => import("./charts");
import { api, EngineError } from "../../lib/api";
import type { Compliance, Mark, PatrolException, ReviewItem, ShiftReview } from "../../lib/bindings";
import type { MessageKey } from "../../lib/i18n";
import { lang, tr } from "../../lib/reactive";
import type { ExportKind } from "../../lib/bindings";
import type { ConsoleContext } from "../../frame/context";
import type { Screen } from "../../frame/stack";
import { ScreenTimers } from "../../frame/timers";
import { dateTime, share } from "./present";


export function createReviewScreen(host: HTMLElement, ctx: ConsoleContext): Screen {
  return createRoot((dispose) => {
    const timers = new ScreenTimers();
    onCleanup(() => timers.dispose());
    const supervisor = () => {
      const role = ctx.session()?.role;
      return role === "supervisor" || role === "administrator";
    };
    const [shifts, { refetch: refetchShifts }] = createResource(supervisor, () => api.recentShifts());
    const [chosen, setChosen] = createSignal<string | null>(null);
    const shiftKey = () => chosen() ?? shifts.latest?.[1]?.key ?? null;
    const [review, { mutate, refetch }] = createResource(
      () => (supervisor() ? shiftKey() : null),
      (key) => api.shiftReview(key),
    );
    const [days, setDays] = createSignal<number | null>(null);
    const [summary, { refetch: refetchSummary }] = createResource(
      () => (supervisor() ? days() : null),
      (n) => api.patrolSummary(n),
    );
    const [message, setMessage] = createSignal("");
    const act = async (work: () => Promise<ShiftReview>) => {
      try {
        mutate(await work());
        setMessage("");
      } catch (e) {
        setMessage(e instanceof EngineError ? e.message : String(e));
      }
    };
    const element = (
      <section class="screen screen-review" data-testid="screen-review">
        <Show when={supervisor()} fallback={<p class="muted review-login">{tr("reviewSupervisorOnly")}</p>}>
          <div class="review-page">
            <header class="review-head">
              <span class="choice-row">
                <button class="button" classList={{ primary: days() === null }} data-testid="review-view-shift" onClick={() => setDays(null)}>
                  {tr("reviewShift")}
                </button>
                <For each={[7, 30]}>
                  {(n) => (
                    <button class="button" classList={{ primary: days() === n }} data-testid={`review-view-${n}`} onClick={() => setDays(n)}>
                      {tr("reviewLastDays", { n })}
                    </button>
                  )}
                </For>
              </span>
              <label hidden={days() !== null}>
                {tr("reviewShift")}{" "}
                <select data-testid="review-shift" value={shiftKey() ?? ""} onChange={(e) => setChosen(e.currentTarget.value)}>
                  <For each={shifts.latest ?? []}>{(s) => <option value={s.key}>{s.key}</option>}</For>
                </select>
              </label>
              <Show when={days() === null && review.latest}>
                {(r) => (
                  <>
                    <span data-testid="review-compliance">
                      {tr("reviewCompliance")}: {share(r().totals)} · {tr("reviewExpected", { on_time: r().totals.on_time, expected: r().totals.expected, pct: share(r().totals) })}
                    </span>
                    <span data-testid="review-signed" classList={{ warn: r().changed_since_sign_off }}>
                      {r().changed_since_sign_off
                        ? tr("reviewChanged")
                        : r().sign_offs.length > 0
                          ? tr("reviewSigned", { by: r().sign_offs[r().sign_offs.length - 1].by, at: dateTime(r().sign_offs[r().sign_offs.length - 1].at, r().time_zone) })
                          : tr("reviewNotSigned")}
                    </span>
                    <For each={["patrol_pdf", "patrol_csv", "incidents_pdf", "incidents_csv"] as ExportKind[]}>
                      {(what) => (
                        <button
                          class="button"
                          data-testid={`review-export-${what}`}
                          onClick={() =>
                            void api
                              .exportShift(r().shift.key, what, lang())
                              .then((x) => setMessage(tr("reviewExported", { path: x.path })))
                              .catch((e: unknown) => setMessage(e instanceof EngineError ? e.message : String(e)))
                          }
                        >
                          {tr(`export_${what}`)}
                        </button>
                      )}
                    </For>
                    <button
                      class="button primary"
                      data-testid="review-sign-off"
                      disabled={r().unexplained > 0}
                      onClick={() => void act(() => api.signOffShift(r().shift.key))}
                    >
                      {tr("reviewSignOff")}
                    </button>
                  </>
                )}
              </Show>
            </header>
            <Show when={message()}>
              <p class="review-message" data-testid="review-message">{message()}</p>
            </Show>
            <Show when={days() !== null && summary.latest}>
              {(r) => <RangeView r={r()} />}
            </Show>
            <Show when={days() === null && review.latest}>
              {(r) => (
                <div class="review-grid">
                  <section class="settings-card">
                    <h2>{tr("reviewByGuard")}</h2>
                    <Bars rows={r().by_guard} />
                  </section>
                  <section class="settings-card">
                    <h2>{tr("reviewByRoute")}</h2>
                    <Bars rows={r().by_route} />
                  </section>
                  <section class="settings-card review-exceptions" data-testid="review-exceptions">
                    <h2>{tr("reviewExceptions", { n: r().exceptions.length, open: r().unexplained })}</h2>
                    <For each={r().exceptions}>
                      {(e) => <ExceptionRow e={e} tz={r().time_zone} explain={(text) => void act(() => api.explainException(r().shift.key, e.key, text))} />}
                    </For>
                  </section>
                  <NeedingReview
                    items={r().needing_review}
                    tz={r().time_zone}
                    reviewed={(id) =>
                      void api
                        .act(id, { action: "reviewed" })
                        .then(() => refetch())
                        .catch((e: unknown) => setMessage(e instanceof EngineError ? e.message : String(e)))
                    }
                  />
                  <section class="settings-card">
                    <h2>{tr("reviewIncidents", { n: r().incidents.length })} · {tr("reviewTarget")}</h2>
                    <table class="patrol-table">
                      <tbody>
                        <For each={r().incidents}>
                          {(i) => (
                            <tr classList={{ flagged: (i.on_scene_seconds ?? i.ack_seconds ?? 0) > r().target_seconds }}>
                              <td>{dateTime(i.opened_at, r().time_zone)}</td>
                              <td>P{i.priority} {i.alarm_type}</td>
                              <td>{i.acknowledged_by ?? "—"}</td>
                              <td>{i.ack_seconds !== null ? tr("reviewAck", { s: i.ack_seconds }) : "—"}</td>
                              <td>{i.category ?? ""}</td>
                            </tr>
                          )}
                        </For>
                      </tbody>
                    </table>
                  </section>
                </div>
              )}
            </Show>
          </div>
        </Show>
      </section>
    ) as HTMLElement;
    host.append(element);
    return {
      id: "review",
      element,
      timers,
      shown: () => {
        if (!supervisor()) return;
        void refetchShifts();
        void refetch();
        if (days() !== null) void refetchSummary();
      },
      dispose: () => {
        dispose();
        element.remove();
      },
    } satisfies Screen;
  });
}

/** An ECharts chart whose option follows `option()`; released with its screen part. */
function Chart(props: { option: (c: Awaited<ReturnType<typeof charts>>) => EChartsCoreOption; testid: string }) {
  const el = (<div class="review-chart" data-testid={props.testid} />) as HTMLElement;
  let drawn: { set(o: EChartsCoreOption): void; dispose(): void } | null = null;
  let gone = false;
  createEffect(() => {
    const make = props.option;
    void charts().then((c) => {
      if (gone) return;
      const option = make(c);
      if (drawn) drawn.set(option);
      else drawn = c.chart(el, option);
    });
  });
  onCleanup(() => {
    gone = true;
    drawn?.dispose();
  });
  return el;
}

/** A week or a month: compliance per day and per guard, and response times against the target. */
function RangeView(props: { r: ShiftReview }) {
  const r = () => props.r;
  return (
    <div class="review-grid" data-testid="review-range">
      <section class="settings-card">
        <h2>
          {tr("reviewByDay")} · {r().shift.key} · {tr("reviewExpected", { on_time: r().totals.on_time, expected: r().totals.expected, pct: share(r().totals) })}
        </h2>
        <Chart testid="chart-by-day" option={(c) => c.complianceByDay(r().by_day, { share: tr("reviewCompliance"), missed: tr("exc_missed") })} />
      </section>
      <section class="settings-card">
        <h2>{tr("reviewByGuard")}</h2>
        <Chart testid="chart-by-guard" option={(c) => c.complianceByGuard(r().by_guard)} />
      </section>
      <section class="settings-card">
        <h2>{tr("reviewIncidents", { n: r().incidents.length })} · {tr("reviewTarget")}</h2>
        <Chart
          testid="chart-response"
          option={(c) => c.responseTimes(r().incidents, r().target_seconds, { target: tr("reviewTarget"), minutes: tr("reviewMinutes") })}
        />
      </section>
      <section class="settings-card">
        <h2>{tr("reviewByRoute")}</h2>
        <Bars rows={r().by_route} />
      </section>
    </div>
  );
}

/** Compliance per guard or route as horizontal bars (on time share), worst first. */
function Bars(props: { rows: Compliance[] }) {
  const rows = () => props.rows.slice().sort((a, b) => a.on_time / Math.max(1, a.expected) - b.on_time / Math.max(1, b.expected)).slice(0, 12);
  return (
    <div class="bars">
      <For each={rows()}>
        {(c) => (
          <div class="bar-row">
            <span class="bar-label">{c.label}</span>
            <span class="bar-track">
              <span class="bar-fill" style={{ width: `${c.expected ? (100 * c.on_time) / c.expected : 0}%` }} />
            </span>
            <span class="bar-value">{share(c)}</span>
          </div>
        )}
      </For>
    </div>
  );
}

function ExceptionRow(props: { e: PatrolException; tz: string; explain: (text: string) => void }) {
  const [text, setText] = createSignal("");
  const e = () => props.e;
  return (
    <div class="exception" data-testid={`exception-${e().key}`} classList={{ open: e().explanation === null }}>
      <div>
        <strong>{tr(`exc_${e().kind}`)}</strong> · {dateTime(e().at, props.tz)} · {e().checkpoint ?? ""} · {e().guard ?? ""} <span class="muted">{e().detail}</span>
      </div>
      <Show
        when={e().explanation}
        fallback={
          <form
            class="explain"
            onSubmit={(ev) => {
              ev.preventDefault();
              props.explain(text());
            }}
          >
            <input data-testid="exception-text" placeholder={tr("reviewExplainPlaceholder")} value={text()} onInput={(ev) => setText(ev.currentTarget.value)} />
            <button class="button" type="submit" data-testid="exception-explain">{tr("reviewExplain")}</button>
          </form>
        }
      >
        {(x) => (
          <div class="muted">
            {x()} — {e().explained_by}
          </div>
        )}
      </Show>
    </div>
  );
}

const MARK_TEXT: Record<Mark, MessageKey> = {
  second_close: "mark_second_close",
  late: "mark_late",
  not_applicable: "mark_not_applicable",
};

/** Incidents with a marked line — what two workstations did to one incident while cut off from each
 * other, or an action that came after the close — kept as they came, for the supervisor to look at. */
function NeedingReview(props: { items: ReviewItem[]; tz: string; reviewed: (incident: string) => void }) {
  return (
    <section class="settings-card review-needing" data-testid="review-needing">
      <h2>{tr("reviewNeeding", { n: props.items.length })}</h2>
      <Show when={props.items.length > 0} fallback={<p class="muted">{tr("reviewNeedingNone")}</p>}>
        <table class="patrol-table">
          <tbody>
            <For each={props.items}>
              {(i) => (
                <tr data-testid={`review-needing-${i.incident}`} data-state={i.state}>
                  <td>{dateTime(i.opened_at, props.tz)}</td>
                  <td>
                    P{i.priority} {i.alarm_type}
                  </td>
                  <td class="mono">{i.point}</td>
                  <td>{tr(`state_${i.state}` as MessageKey)}</td>
                  <td>
                    <For each={i.marks}>
                      {(m) => (
                        <div class="review-mark-line" data-mark={m.mark}>
                          {tr(MARK_TEXT[m.mark])} · {m.by ?? "—"} · {dateTime(m.at, props.tz)}
                        </div>
                      )}
                    </For>
                  </td>
                  <td>
                    <button class="button" data-testid={`review-reviewed-${i.incident}`} onClick={() => props.reviewed(i.incident)}>
                      {tr("act_reviewed")}
                    </button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
    </section>
  );
}
