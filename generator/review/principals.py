"""The principal classes of the access matrix and, per table, which of them apply and as which
database role: anon, an authenticated user, the row's owner, a user of the row's tenant, a user
of another tenant, an admin, and the service role (Supabase's BYPASSRLS role, or the tables'
owner on plain PostgreSQL)."""
from __future__ import annotations

from dataclasses import dataclass

from generator.lint.context import LintContext
from generator.model import Schema, Table
from generator.verify.actors import APP_ROLE, identity
from generator.verify.scopes import infer

CLASSES = ("anon", "authenticated", "owner", "same tenant", "other tenant", "admin", "service role")
COMMANDS = ("SELECT", "INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Principal:
    """One class relative to one row: the role it acts as and the facts that decide predicates."""

    name: str
    role: str
    tenant: str | None = None        # same | other | None (no tenant set)
    user: str | None = None          # owner | other | None (not signed in)
    admin: bool = False
    bypass: bool = False             # BYPASSRLS (Supabase's service_role)
    table_owner: bool = False        # the tables' owner (plain PostgreSQL's service role)


@dataclass(frozen=True)
class Roles:
    """How a schema's clients reach the database."""

    flavor: str
    app: str                         # the role signed-in users act as
    anon: str                        # the role of someone not signed in
    service: str                     # Supabase's service_role, or "table owner"
    stand_in: bool                   # the spec names no application role: assume full DML for it
    has_admin: bool


def roles_of(schema: Schema) -> Roles:
    ident = identity(schema)
    supabase = schema.settings.flavor == "supabase"
    has_admin = bool(schema.auth and schema.auth.admin_function) or any(
        f.name.endswith("is_admin") for f in schema.functions)
    return Roles(schema.settings.flavor, ident.app_role, ident.public_role,
                 "service_role" if supabase else "table owner", ident.app_role == APP_ROLE and not supabase,
                 has_admin)


@dataclass
class Scoping:
    """The scope columns (column -> tenant|owner) of every table, from the spec and from the
    columns its policies pin to the current principal; and which tables are scoped through
    references to a scoped parent (verify's inference)."""

    schema: Schema

    def __post_init__(self):
        self.lint = LintContext(self.schema)
        self.derived = infer(self.schema)

    def columns(self, t: Table) -> dict[str, str]:
        return self.lint.scopes(t) if t.key in self.schema.tables_by_key else {}

    def kinds(self, t: Table) -> set[str]:
        return set(self.columns(t).values()) | set(self.derived.get(t.key, {}))


def principals(t: Table, roles: Roles, scoping: Scoping) -> dict[str, Principal | None]:
    """Every class for `t`: a Principal, or None where the class does not apply (no owner, no
    tenant, no admin predicate)."""
    kinds = scoping.kinds(t)
    tenant = "tenant" in kinds
    app = roles.app
    svc = Principal("service role", roles.service, bypass=roles.flavor == "supabase",
                    table_owner=roles.flavor != "supabase")
    return {
        "anon": Principal("anon", roles.anon),
        "authenticated": Principal("authenticated", app, user="other"),
        "owner": Principal("owner", app, tenant="same" if tenant else None, user="owner") if "owner" in kinds
        else None,
        "same tenant": Principal("same tenant", app, tenant="same", user="other") if tenant else None,
        "other tenant": Principal("other tenant", app, tenant="other", user="other") if tenant else None,
        "admin": Principal("admin", app, user="other", admin=True) if roles.has_admin else None,
        "service role": svc,
    }
