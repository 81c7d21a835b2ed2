// The settings screen: the console's language (switched here as in the header), where the alarm
// receivers listen, the central server this workstation syncs with (enrolled here with a code, by
// an administrator), the DC-09 accounts this workstation knows (never a key: only whether there is
// one) and how incidents are answered. The rest is read-only: settings are changed in vigil.toml.
// The console accounts (who logs in) are managed here by administrators (UsersCard).
// The accounts are read again each time the screen comes forward (the engine re-reads them when
// the file changes).

import { createMemo, createResource, createRoot, createSignal, For, onCleanup, Show, type Resource } from "solid-js";
import { api, type EngineStatus, type EnrollmentView, type Language } from "../../lib/api";
import type { Dc09AccountView, SettingsView } from "../../lib/bindings";
import { languages, type MessageKey } from "../../lib/i18n";
import { lang, tr, trCount } from "../../lib/reactive";
import type { ConsoleContext } from "../../frame/context";
import { engineStateText } from "../../frame/engine";
import { syncText } from "../../frame/sync";
import type { Screen } from "../../frame/stack";
import { ScreenTimers } from "../../frame/timers";
import { filterAccounts, keyFormatText, keyText, supervisionText } from "./accounts";
import { UsersCard } from "./UsersCard";

const LANGUAGE_NAMES: Record<Language, MessageKey> = { "zh-CN": "languageName_zh", en: "languageName_en" };

/** Builds the settings screen in its own reactive root, inside `host`. */
export function createSettingsScreen(host: HTMLElement, ctx: ConsoleContext): Screen {
  return createRoot((dispose) => {
    const timers = new ScreenTimers();
    onCleanup(() => timers.dispose());
    const [view, { refetch }] = createResource(() => api.settingsView());
    const [shownAt, setShownAt] = createSignal(0);
    const element = (<SettingsScreen ctx={ctx} view={view} shown={shownAt} />) as HTMLElement;
    host.append(element);
    let first = true;
    return {
      id: "settings",
      element,
      timers,
      // Built with the console; read again whenever the operator comes back to it.
      shown: () => {
        if (!first) {
          void refetch();
          setShownAt((n) => n + 1);
        }
        first = false;
      },
      dispose: () => {
        dispose();
        element.remove();
      },
    } satisfies Screen;
  });
}

function SettingsScreen(props: { ctx: ConsoleContext; view: Resource<SettingsView>; shown: () => number }) {
  const view = props.view;
  const [filter, setFilter] = createSignal("");
  const accounts = () => view.latest?.accounts ?? [];
  const shown = createMemo(() => filterAccounts(accounts(), filter()));
  // A publication shares the accounts made here: the accounts card reads them again.
  const [published, setPublished] = createSignal(0);

  return (
    <section class="screen screen-settings" data-testid="screen-settings">
      <div class="settings-page">
        <div class="settings-column">
          <section class="settings-card" data-testid="settings-language">
            <h2>{tr("settingsLanguage")}</h2>
            <p class="muted">{tr("settingsLanguageHelp")}</p>
            <div class="choice-row">
              <For each={languages}>
                {(l) => (
                  <button
                    class="button"
                    classList={{ primary: lang() === l }}
                    aria-pressed={lang() === l}
                    data-testid={`settings-language-${l}`}
                    onClick={() => props.ctx.setLanguage(l)}
                  >
                    {tr(LANGUAGE_NAMES[l])}
                  </button>
                )}
              </For>
            </div>
          </section>

          <Listen engine={() => props.ctx.engine()} configured={view.latest} />

          <ServerCard ctx={props.ctx} onPublished={() => setPublished((n) => n + 1)} />

          <section class="settings-card" data-testid="settings-incidents">
            <h2>{tr("settingsIncidents")}</h2>
            <Show when={view.latest}>
              {(v) => (
                <dl class="settings-list">
                  <div>
                    <dt>{tr("ackWithin")}</dt>
                    <dd data-testid="settings-ack-within">
                      {tr("seconds", { n: trCount(v().incidents.acknowledge_within_seconds) })}
                      <span class="muted"> · {tr("ackWithinHelp")}</span>
                    </dd>
                  </div>
                  <div>
                    <dt>{tr("silenceFor")}</dt>
                    <dd data-testid="settings-silence">{tr("seconds", { n: trCount(v().incidents.silence_seconds) })}</dd>
                  </div>
                  <div>
                    <dt>{tr("policePost")}</dt>
                    <dd data-testid="settings-police-post">{v().incidents.police_post}</dd>
                  </div>
                </dl>
              )}
            </Show>
          </section>

          <Show when={view.error}>
            <p class="settings-error" role="alert">
              {tr("settingsFailed", { message: String((view.error as Error)?.message ?? view.error) })}
            </p>
          </Show>
          <Show when={view.latest}>
            {(v) => (
              <>
                <Show when={v().file_error}>
                  {(e) => (
                    <p class="settings-error" role="alert" data-testid="settings-file-error">
                      {tr("settingsFileError", { file: v().file, message: e() })}
                    </p>
                  )}
                </Show>
                <p class="muted settings-note">{tr("settingsReadOnly", { file: v().file })}</p>
              </>
            )}
          </Show>
        </div>

        <div class="settings-column settings-right">
        <UsersCard ctx={props.ctx} refreshed={() => props.shown() + published()} />
        <section class="settings-card settings-accounts" data-testid="settings-accounts">
          <header class="settings-card-head">
            <h2>{tr("settingsAccounts")}</h2>
            <span class="muted" data-testid="settings-accounts-count">
              {tr("accountsShown", { shown: trCount(shown().length), n: trCount(accounts().length) })}
            </span>
          </header>
          <p class="muted">{tr("accountsHelp")}</p>
          <input
            type="search"
            class="input settings-filter"
            data-testid="settings-filter"
            placeholder={tr("accountsFilter")}
            autocomplete="off"
            spellcheck={false}
            value={filter()}
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
          <div class="table-scroll">
            <table class="settings-table">
              <thead>
                <tr>
                  <th>{tr("colAccount")}</th>
                  <th>{tr("colKey")}</th>
                  <th>{tr("colKeyFormat")}</th>
                  <th>{tr("colSupervision")}</th>
                </tr>
              </thead>
              <tbody>
                <For each={shown()}>{(a) => <AccountRow account={a} t={tr} />}</For>
              </tbody>
            </table>
            <Show when={view.latest && shown().length === 0}>
              <p class="muted table-empty">{accounts().length === 0 ? tr("accountsNone") : tr("accountsNoMatch")}</p>
            </Show>
            <Show when={view.loading && !view.latest}>
              <p class="muted table-empty">{tr("loading")}</p>
            </Show>
          </div>
        </section>
        </div>
      </div>
    </section>
  );
}

function AccountRow(props: { account: Dc09AccountView; t: (key: MessageKey, vars?: Record<string, string | number>) => string }) {
  const a = props.account;
  return (
    <tr data-testid={`settings-account-${a.account}`} data-has-key={a.has_key}>
      <td class="mono">{a.account}</td>
      <td classList={{ "key-set": a.has_key }}>{keyText(a, props.t)}</td>
      <td>{keyFormatText(a, props.t)}</td>
      <td>{supervisionText(a, props.t)}</td>
    </tr>
  );
}

/** Where each receiver listens now (the engine's status) beside what vigil.toml asks for. */
function Listen(props: { engine: () => EngineStatus; configured: { dc09_tcp: string | null; dc09_udp: string | null; http_listen: string | null } | undefined }) {
  const listening = () => {
    const e = props.engine();
    return e.state === "listening" ? e : null;
  };
  const state = () => engineStateText(props.engine(), () => tr("listenReceiving"));
  const rows: { key: MessageKey; testid: string; now: () => string | null | undefined; configured: () => string | null | undefined }[] = [
    { key: "listenDc09Tcp", testid: "listen-dc09-tcp", now: () => listening()?.dc09_tcp, configured: () => props.configured?.dc09_tcp },
    { key: "listenDc09Udp", testid: "listen-dc09-udp", now: () => listening()?.dc09_udp, configured: () => props.configured?.dc09_udp },
    { key: "listenHttp", testid: "listen-http", now: () => listening()?.http, configured: () => props.configured?.http_listen },
  ];
  return (
    <section class="settings-card" data-testid="settings-listen">
      <h2>{tr("settingsListen")}</h2>
      <p class={`engine-status ${props.engine().state}`} data-testid="settings-engine-state">
        {state()}
      </p>
      <table class="settings-table">
        <thead>
          <tr>
            <th>{tr("colReceiver")}</th>
            <th>{tr("colListening")}</th>
            <th>{tr("colConfigured")}</th>
          </tr>
        </thead>
        <tbody>
          <For each={rows}>
            {(r) => (
              <tr data-testid={r.testid}>
                <td>{tr(r.key)}</td>
                <td class="mono" data-testid={`${r.testid}-now`}>
                  {r.now() ?? tr("none")}
                </td>
                <td class="mono muted">{props.configured ? (r.configured() ?? tr("listenOff")) : ""}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={props.engine().acknowledged !== null}>
        <p class="muted">{tr("framesAcknowledged", { n: trCount(props.engine().acknowledged ?? 0) })}</p>
      </Show>
    </section>
  );
}

/** An administrator publishes this workstation's campus; Rust decides who may and says what went. */
function PublishCampus(props: { ctx: ConsoleContext; onPublished: () => void }) {
  const [busy, setBusy] = createSignal(false);
  const [said, setSaid] = createSignal<{ ok: boolean; text: string } | null>(null);
  const publish = async () => {
    setBusy(true);
    setSaid(null);
    try {
      const r = await api.publishCampus();
      const text = tr("serverPublished", { floors: trCount(r.floors), guards: trCount(r.guards), accounts: trCount(r.accounts), events: trCount(r.events) });
      setSaid({ ok: true, text });
      props.ctx.say(text);
      props.ctx.refreshStatus();
      props.onPublished();
    } catch (err) {
      setSaid({ ok: false, text: (err as Error).message ?? String(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="publish-campus">
      <button class="button" data-testid="settings-publish" disabled={busy()} onClick={() => void publish()}>
        {busy() ? tr("serverPublishing") : tr("serverPublish")}
      </button>
      <p class="muted">{tr("serverPublishHelp")}</p>
      <Show when={said()}>
        {(s) => (
          <p classList={{ "settings-error": !s().ok }} role="status" data-testid={s().ok ? "settings-publish-result" : "settings-publish-error"}>
            {s().text}
          </p>
        )}
      </Show>
    </div>
  );
}

/** "4cdbefac…49eb": enough of a fingerprint to compare by eye; the whole one is in its tooltip. */
function shortFingerprint(fp: string): string {
  return fp.length > 16 ? `${fp.slice(0, 8)}…${fp.slice(-4)}` : fp;
}

/** The central server: what this workstation is enrolled with and how sync stands, or the form an
 * administrator enrolls it with. Rust decides who may enroll; its refusal is shown as it says it. */
function ServerCard(props: { ctx: ConsoleContext; onPublished: () => void }) {
  const [enrollment, { mutate }] = createResource(() => api.syncEnrollment());
  const [server, setServer] = createSignal("https://");
  const [code, setCode] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const view = await api.enrollWorkstation(server().trim(), code().trim());
      mutate(view);
      setCode("");
      props.ctx.say(tr("serverEnrolled", { name: view.name, server: view.server }));
      props.ctx.refreshStatus();
    } catch (err) {
      setError((err as Error).message ?? String(err));
    } finally {
      setBusy(false);
    }
  };
  const link = (v: EnrollmentView) => {
    switch (v.transport) {
      case "pinned":
        return tr("serverPinned", { fp: shortFingerprint(v.fingerprint ?? "") });
      case "authorities":
        return tr("serverAuthorities");
      default:
        return tr("serverPlain");
    }
  };
  const offset = () => props.ctx.sync()?.clock_offset_ms ?? null;
  return (
    <section class="settings-card" data-testid="settings-server">
      <h2>{tr("settingsServer")}</h2>
      <p class="muted">{tr("serverHelp")}</p>
      <Show
        when={enrollment.latest}
        fallback={
          <form class="settings-form" data-testid="settings-enroll-form" onSubmit={(e) => void submit(e)}>
            <p data-testid="settings-not-enrolled">{tr("serverNotEnrolled")}</p>
            <label class="field">
              <span>{tr("serverAddress")}</span>
              <input
                class="input mono"
                data-testid="settings-enroll-server"
                autocomplete="off"
                spellcheck={false}
                value={server()}
                onInput={(e) => setServer(e.currentTarget.value)}
              />
            </label>
            <label class="field">
              <span>{tr("serverCode")}</span>
              <input
                class="input mono"
                data-testid="settings-enroll-code"
                autocomplete="off"
                spellcheck={false}
                placeholder="XXXXX-XXXXX-XXXXX@…"
                value={code()}
                onInput={(e) => setCode(e.currentTarget.value)}
              />
              <span class="muted">{tr("serverCodeHelp")}</span>
            </label>
            <div class="choice-row">
              <button
                type="submit"
                class="button primary"
                data-testid="settings-enroll"
                disabled={busy() || code().trim() === "" || server().trim().length < 10}
              >
                {busy() ? tr("serverEnrolling") : tr("serverEnroll")}
              </button>
              <span class="muted">{tr("serverAdminsOnly")}</span>
            </div>
            <Show when={error()}>
              {(message) => (
                <p class="settings-error" role="alert" data-testid="settings-enroll-error">
                  {message()}
                </p>
              )}
            </Show>
          </form>
        }
      >
        {(v) => (
          <dl class="settings-list" data-testid="settings-enrolled">
            <div>
              <dt>{tr("serverUrl")}</dt>
              <dd class="mono" data-testid="settings-server-url">
                {v().server}
              </dd>
            </div>
            <div>
              <dt>{tr("serverName")}</dt>
              <dd data-testid="settings-server-name">{v().name}</dd>
            </div>
            <div>
              <dt>{tr("serverLink")}</dt>
              <dd data-testid="settings-server-link" data-transport={v().transport} title={v().fingerprint ?? ""} classList={{ warning: v().transport === "plain" }}>
                {link(v())}
              </dd>
            </div>
            <div>
              <dt>{tr("serverStatus")}</dt>
              <dd data-testid="settings-server-sync" data-state={props.ctx.sync()?.state ?? "connecting"}>
                {syncText(props.ctx.sync(), tr)}
              </dd>
            </div>
            <div>
              <dt>{tr("serverQueue")}</dt>
              <dd data-testid="settings-server-queue">{trCount(props.ctx.sync()?.queue ?? 0)}</dd>
            </div>
            <Show when={offset() !== null}>
              <div>
                <dt>{tr("serverClock")}</dt>
                <dd>{tr("serverClockValue", { s: Math.round((offset() ?? 0) / 1000) })}</dd>
              </div>
            </Show>
            <div>
              <dt>{tr("serverWorkstationId")}</dt>
              <dd class="mono muted">{v().origin}</dd>
            </div>
            <div>
              <dt>{tr("serverCampus")}</dt>
              <dd>
                <PublishCampus ctx={props.ctx} onPublished={props.onPublished} />
              </dd>
            </div>
          </dl>
        )}
      </Show>
    </section>
  );
}
