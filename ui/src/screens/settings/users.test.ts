import { describe, expect, it } from "vitest";
import type { AccountView } from "../../lib/bindings";
import { refusalText, sortAccounts } from "./users";

const t = (key: string, vars?: Record<string, string | number>) => (vars?.field ? `[${key}:${vars.field}]` : `[${key}]`);

describe("refusalText", () => {
  it("words an account refusal by its problem, naming the field as the form does", () => {
    const pin = { field: "pin", message: "pin: a PIN is 4 to 12 digits", refusal: { reason: "account", problem: "pin" } } as const;
    expect(refusalText(pin, t as never)).toBe("[accountProblem_pin:[userField_pin]]");
    const missing = { field: "role", message: "role: a new account needs it", refusal: { reason: "account", problem: "missing" } } as const;
    expect(refusalText(missing, t as never)).toBe("[accountProblem_missing:[userField_role]]");
  });

  it("shows any other error as Rust said it", () => {
    expect(refusalText({ field: null, message: "the database is busy", refusal: null }, t as never)).toBe("the database is busy");
    const other = { field: null, message: "not now", refusal: { reason: "empty_note" } } as const;
    expect(refusalText(other, t as never)).toBe("not now");
  });
});

describe("sortAccounts", () => {
  const a = (name: string, role: AccountView["role"], disabled = false): AccountView => ({
    name,
    full_name: name,
    role,
    disabled,
    shared: true,
  });

  it("lists who can log in first, the most powerful first", () => {
    const sorted = sortAccounts([a("z", "operator"), a("b", "administrator", true), a("c", "supervisor"), a("a", "operator")]);
    expect(sorted.map((x) => x.name)).toEqual(["c", "a", "z", "b"]);
  });
});
