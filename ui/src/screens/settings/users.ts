// The console accounts card's pure part: how a refusal from Rust is worded (by its typed problem,
// in the console's language) and the order the table lists accounts in.

import type { AccountView, Refusal, Role } from "../../lib/bindings";
import type { MessageKey } from "../../lib/i18n";

type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

const FIELDS: Record<string, MessageKey> = {
  name: "userField_name",
  full_name: "userField_full_name",
  role: "userField_role",
  pin: "userField_pin",
};

/** A refusal of an account change in the console's language; any other error as Rust said it. */
export function refusalText(error: { field: string | null; message: string; refusal: Refusal | null }, t: Translate): string {
  const r = error.refusal;
  if (r?.reason !== "account") return error.message;
  const label = error.field ? FIELDS[error.field] : undefined;
  return t(`accountProblem_${r.problem}`, { field: label ? t(label) : (error.field ?? "") });
}

const ROLE_ORDER: Record<Role, number> = { administrator: 0, supervisor: 1, operator: 2 };

/** Enabled before disabled, then administrators, supervisors, operators, then by login. */
export function sortAccounts(accounts: readonly AccountView[]): AccountView[] {
  return [...accounts].sort(
    (a, b) => Number(a.disabled) - Number(b.disabled) || ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.name.localeCompare(b.name),
  );
}
