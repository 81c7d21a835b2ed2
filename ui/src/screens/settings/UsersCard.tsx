// The console accounts: who may log in, with which role. An administrator adds an account, changes
// its role, gives it a new PIN, disables or enables it; each change is one event that reaches the
// central server and every workstation. Rust decides who may and what is allowed (nobody disables
// themselves, the last administrator stays); this card shows its answer, refusals included.

import { createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { api, EngineError } from "../../lib/api";
import type { AccountForm, AccountView, Role } from "../../lib/bindings";
import { tr } from "../../lib/reactive";
import type { ConsoleContext } from "../../frame/context";
import { refusalText, sortAccounts } from "./users";

const ROLES: Role[] = ["operator", "supervisor", "administrator"];

function errorText(err: unknown): string {
  if (err instanceof EngineError) return refusalText(err, tr);
  return String((err as Error)?.message ?? err);
}

export function UsersCard(props: { ctx: ConsoleContext; refreshed: () => number }) {
  // Read again at every login and logout (who may see the list changes) and when the screen
  // comes forward (another workstation's change may have arrived).
  const [session, setSession] = createSignal(0);
  onCleanup(props.ctx.onSession(() => setSession((n) => n + 1)));
  const [list, { refetch }] = createResource(
    () => [session(), props.refreshed()] as const,
    async () => sortAccounts(await api.consoleAccounts()),
  );
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  const save = async (form: AccountForm): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      const saved = await api.setConsoleAccount(form);
      props.ctx.say(tr("userSaved", { name: saved.name }));
      await refetch();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const locked = () => {
    const e = list.error;
    if (!e) return null;
    if (e instanceof EngineError && e.code === "forbidden") return tr("usersAdminsOnly");
    if (e instanceof EngineError && (e.code === "login_required" || e.code === "locked")) return tr("usersLogIn");
    return errorText(e);
  };

  return (
    <section class="settings-card settings-users" data-testid="settings-users">
      <header class="settings-card-head">
        <h2>{tr("settingsUsers")}</h2>
        <Show when={!list.error && list.latest}>
          <span class="muted" data-testid="settings-users-count">
            {list.latest?.length}
          </span>
        </Show>
      </header>
      <p class="muted">{tr("usersHelp")}</p>
      <Show
        when={!locked()}
        fallback={
          <p class="muted" data-testid="settings-users-locked">
            {locked()}
          </p>
        }
      >
        <div class="table-scroll users-scroll">
          <table class="settings-table">
            <thead>
              <tr>
                <th>{tr("colUserName")}</th>
                <th>{tr("colFullName")}</th>
                <th>{tr("colRole")}</th>
                <th>{tr("colUserState")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <For each={list.latest ?? []}>{(a) => <UserRow account={a} busy={busy()} save={save} />}</For>
            </tbody>
          </table>
        </div>
        <Show when={error()}>
          {(message) => (
            <p class="settings-error" role="alert" data-testid="settings-user-error">
              {message()}
            </p>
          )}
        </Show>
        <AddUser busy={busy()} save={save} />
      </Show>
    </section>
  );
}

function UserRow(props: { account: AccountView; busy: boolean; save: (form: AccountForm) => Promise<boolean> }) {
  const a = () => props.account;
  const [pinOpen, setPinOpen] = createSignal(false);
  const [pin, setPin] = createSignal("");
  const savePin = async (e: Event) => {
    e.preventDefault();
    if (await props.save({ name: a().name, pin: pin() })) {
      setPin("");
      setPinOpen(false);
    }
  };
  return (
    <tr data-testid={`settings-user-${a().name}`} data-role={a().role} data-disabled={a().disabled} classList={{ muted: a().disabled }}>
      <td class="mono">
        {a().name}
        <Show when={!a().shared}>
          <span class="user-local" title={tr("userLocalHelp")}>
            {" "}
            · {tr("userLocal")}
          </span>
        </Show>
      </td>
      <td>{a().full_name}</td>
      <td>
        <select
          data-testid={`settings-user-role-${a().name}`}
          value={a().role}
          disabled={props.busy}
          onChange={(e) => {
            const role = e.currentTarget.value as Role;
            const select = e.currentTarget;
            void props.save({ name: a().name, role }).then((ok) => {
              if (!ok) select.value = a().role;
            });
          }}
        >
          <For each={ROLES}>{(r) => <option value={r}>{tr(`role_${r}`)}</option>}</For>
        </select>
      </td>
      <td data-testid={`settings-user-state-${a().name}`}>{a().disabled ? tr("userDisabled") : tr("userEnabled")}</td>
      <td class="user-actions">
        <Show
          when={pinOpen()}
          fallback={
            <>
              <button class="button small" data-testid={`settings-user-pin-${a().name}`} disabled={props.busy} onClick={() => setPinOpen(true)}>
                {tr("userNewPin")}
              </button>
              <button
                class="button small"
                data-testid={`settings-user-toggle-${a().name}`}
                disabled={props.busy}
                onClick={() => void props.save({ name: a().name, disabled: !a().disabled })}
              >
                {a().disabled ? tr("userEnable") : tr("userDisable")}
              </button>
            </>
          }
        >
          <form class="user-pin" onSubmit={(e) => void savePin(e)}>
            <input
              class="input mono"
              type="password"
              inputmode="numeric"
              autocomplete="new-password"
              data-testid={`settings-user-newpin-${a().name}`}
              value={pin()}
              onInput={(e) => setPin(e.currentTarget.value)}
            />
            <button class="button small primary" type="submit" data-testid={`settings-user-savepin-${a().name}`} disabled={props.busy || pin() === ""}>
              {tr("userSavePin")}
            </button>
            <button class="button small" type="button" onClick={() => (setPin(""), setPinOpen(false))}>
              {tr("userCancel")}
            </button>
          </form>
        </Show>
      </td>
    </tr>
  );
}

function AddUser(props: { busy: boolean; save: (form: AccountForm) => Promise<boolean> }) {
  const [name, setName] = createSignal("");
  const [fullName, setFullName] = createSignal("");
  const [role, setRole] = createSignal<Role>("operator");
  const [pin, setPin] = createSignal("");
  const submit = async (e: Event) => {
    e.preventDefault();
    if (await props.save({ name: name(), full_name: fullName(), role: role(), pin: pin() })) {
      setName("");
      setFullName("");
      setPin("");
      setRole("operator");
    }
  };
  return (
    <form class="user-add" data-testid="settings-user-add-form" onSubmit={(e) => void submit(e)}>
      <h3>{tr("userAddTitle")}</h3>
      <label class="field">
        <span>{tr("colUserName")}</span>
        <input class="input mono" data-testid="settings-user-add-name" autocomplete="off" spellcheck={false} value={name()} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>{tr("colFullName")}</span>
        <input class="input" data-testid="settings-user-add-full" autocomplete="off" value={fullName()} onInput={(e) => setFullName(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>{tr("colRole")}</span>
        <select data-testid="settings-user-add-role" value={role()} onChange={(e) => setRole(e.currentTarget.value as Role)}>
          <For each={ROLES}>{(r) => <option value={r}>{tr(`role_${r}`)}</option>}</For>
        </select>
      </label>
      <label class="field">
        <span>{tr("userPin")}</span>
        <input
          class="input mono"
          type="password"
          inputmode="numeric"
          autocomplete="new-password"
          data-testid="settings-user-add-pin"
          value={pin()}
          onInput={(e) => setPin(e.currentTarget.value)}
        />
      </label>
      <button class="button primary" type="submit" data-testid="settings-user-add" disabled={props.busy || name().trim() === ""}>
        {tr("userAdd")}
      </button>
    </form>
  );
}
