"""Row-level security in plain words for the docs: who may do what to which rows, from Policy
objects (their preset metadata, roles, USING and WITH CHECK) and the table's tenancy facts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from generator.model import Policy, Schema, Table

VERBS = {"ALL": "read, add, change and delete", "SELECT": "read", "INSERT": "add",
         "UPDATE": "change", "DELETE": "delete"}


@dataclass(frozen=True)
class Rule:
    """A policy as plain facts: raw text, escaped by the caller for its format."""

    table: Table
    policy: Policy | None      # None: a summary row for a table without policies
    command: str
    who: str
    rows: str | None           # in words; None when only the conditions say
    using: str | None = None
    check: str | None = None


def who(policy: Policy) -> str:
    roles = [r for r in policy.roles if r]
    if not roles or roles == ["public"]:
        return "any role"
    return ("role " if len(roles) == 1 else "roles ") + ", ".join(roles)


def _tenant_words(table: Table, schema: Schema) -> str:
    column = table.meta.tenant_column or (schema.tenancy.column if schema.tenancy else "tenant column")
    return f"rows of the current tenant ({column} = current tenant)"


def rows(policy: Policy, table: Table, schema: Schema) -> str | None:
    """Which rows the policy opens, in words from its preset; None when only its own
    USING / WITH CHECK conditions can say."""
    preset = policy.preset
    if preset == "tenant_isolation":
        return _tenant_words(table, schema)
    if preset == "owner":
        return f"their own rows ({table.meta.owner_column or 'owner column'} = current user)"
    if preset == "admin_full_access":
        return "every row, when the user is an admin"
    if preset == "public_read" and policy.using in (None, "true"):
        return "every row"
    if policy.using in (None, "true") and policy.check in (None, "true"):
        return "every row"
    return None


def rule(policy: Policy, table: Table, schema: Schema) -> Rule:
    return Rule(table, policy, policy.command, who(policy), rows(policy, table, schema),
                policy.using, policy.check)


def which_rows(r: Rule, text: Callable[[str], str], code: Callable[[str], str]) -> str:
    """The rows a rule opens, formatted by `text` (words) and `code` (SQL)."""
    if r.rows is not None:
        return text(r.rows)
    parts = []
    if r.using:
        parts.append(text("rows where") + " " + code(r.using))
    if r.check:
        parts.append(text("written rows must satisfy") + " " + code(r.check))
    return (text(";") + " ").join(parts) or text("no rows")


def sentence(r: Rule, text: Callable[[str], str], code: Callable[[str], str]) -> str:
    """'Role app may read rows of the current tenant (...).' plus a restrictive note."""
    verbs = VERBS.get(r.command, r.command.lower())
    out = text(f"{r.who[0].upper()}{r.who[1:]} may {verbs}") + " " + which_rows(r, text, code) + "."
    if r.policy is not None and not r.policy.permissive:
        out += " " + text("Restrictive: every other policy must also allow it.")
    return out


def table_rules(table: Table, schema: Schema) -> list[Rule]:
    """One rule per policy; a single summary rule when RLS is off or has no policy."""
    if not table.rls_enabled:
        return [Rule(table, None, "ALL", "any role with a grant", "every row (RLS off)")]
    if not table.policies:
        nobody = "nobody" if table.rls_forced else "only the table owner"
        return [Rule(table, None, "ALL", nobody, "none (RLS on, no policy)")]
    return [rule(p, table, schema) for p in table.policies]
