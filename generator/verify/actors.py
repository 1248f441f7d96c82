"""Who the RLS probes act as: the non-owner application roles, how a spec names the current
tenant and user (a setting, or Supabase's JWT claims), and entering that identity inside a
transaction with SET LOCAL ROLE and set_config(..., true)."""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import psycopg

from generator.model import Policy, Schema, Table
from generator.model.naming import quote_ident, quote_literal
from generator.verify.session import Session, later

APP_ROLE = "gen_verify_app"
_SETTING = re.compile(r"current_setting\(\s*'([^']+)'")
_USER_EXPR = re.compile(r"=\s*\(\s*SELECT\s+(.+)\)\s*$", re.IGNORECASE | re.DOTALL)
NO_TENANT_WAYS = ("unset", "empty", "reset")


@dataclass(frozen=True)
class Actor:
    """An identity for one probe. `blank` says how an absent tenant is expressed."""

    role: str
    tenant: str | None = None      # tenant id as text
    user: str | None = None        # user id as text
    blank: str = "unset"           # unset | empty | reset | claims (a JWT with no user: PostgREST's anon)


@dataclass(frozen=True)
class Identity:
    """How this schema reads the current tenant and user."""

    flavor: str
    tenant_setting: str | None
    user_setting: str | None       # None with jwt
    user_jwt: bool
    own_role: str | None = None    # plain: the application role the spec declares, if any

    @property
    def app_role(self) -> str:
        return "authenticated" if self.flavor == "supabase" else self.own_role or APP_ROLE

    @property
    def public_role(self) -> str:
        return "anon" if self.flavor == "supabase" else self.app_role

    def role_for(self, policies: list[Policy] | tuple[Policy, ...], public: bool = False) -> str:
        """A role the policies apply to: our app role where they apply to everyone."""
        roles = {r for p in policies for r in p.roles}
        if not roles or "public" in roles:
            return self.public_role if public else self.app_role
        for preferred in (("anon",) if public else ()) + (self.app_role, "authenticated", "anon"):
            if preferred in roles:
                return preferred
        return sorted(roles)[0]


def setting_of(expr: str | None) -> str | None:
    match = _SETTING.search(expr or "")
    return match.group(1) if match else None


def user_expression(policy: Policy) -> str | None:
    """`col = (SELECT <expr>)` of an owner policy -> <expr>."""
    match = _USER_EXPR.search(policy.using or policy.check or "")
    return match.group(1).strip() if match else None


def _own_role(schema: Schema) -> str | None:
    """The spec's own application role (declared under roles: and named by its policies): a
    policy TO PUBLIC applies to it too, so that is who reads what PUBLIC may."""
    declared = {r.name for r in schema.roles}
    used = sorted({r for t in schema.tables for p in t.policies for r in p.roles if r in declared})
    return used[0] if used and schema.settings.flavor != "supabase" else None


def identity(schema: Schema) -> Identity:
    tenancy = schema.tenancy
    tenant = (tenancy.setting or setting_of(tenancy.current)) if tenancy else None
    if schema.auth is not None:
        auth = schema.auth
        jwt = "auth.uid()" in auth.current_user
        user = auth.user_setting or setting_of(auth.current_user)
        return Identity(schema.settings.flavor, tenant, None if jwt else user, jwt, _own_role(schema))
    exprs = [user_expression(p) for t in schema.tables for p in t.policies if p.preset == "owner"]
    exprs += [f.body for f in schema.functions if f.name.endswith("is_admin")]
    jwt = any("auth.uid()" in (e or "") for e in exprs) or (not exprs and schema.settings.flavor == "supabase")
    user = next((setting_of(e) for e in exprs if setting_of(e)), None)
    return Identity(schema.settings.flavor, tenant, None if jwt else user, jwt, _own_role(schema))


def policies_of(t: Table, preset: str) -> list[Policy]:
    return [p for p in t.policies if p.preset == preset]


def enter(conn: psycopg.Connection, ident: Identity, actor: Actor) -> None:
    """Become `actor` for the rest of the current transaction. Settings the actor has no
    value for are left unset, set to '' or set and RESET, as `actor.blank` says."""
    later(conn, f"SET LOCAL ROLE {quote_ident(actor.role)}")
    tenant_setting, user_setting = identity_settings(ident)
    user_value = None
    if actor.user is not None:
        claims = {"sub": actor.user, "role": actor.role}
        user_value = json.dumps(claims) if ident.user_jwt else actor.user
    elif ident.user_jwt and actor.blank == "claims":      # PostgREST without a token: anon's claims
        user_value = json.dumps({"role": actor.role})
    for setting, value in ((tenant_setting, actor.tenant), (user_setting, user_value)):
        if setting:
            _apply(conn, setting, value, actor.blank)


def identity_settings(ident: Identity) -> tuple[str | None, str | None]:
    """The settings an actor's tenant and user are put in (None: not read from a setting)."""
    return ident.tenant_setting, "request.jwt.claims" if ident.user_jwt else ident.user_setting


def _apply(conn: psycopg.Connection, setting: str, value: str | None, blank: str) -> None:
    if value is not None:
        _set(conn, setting, value)
    elif blank == "empty":
        _set(conn, setting, "")
    elif blank == "reset":
        _set(conn, setting, str(uuid.uuid4()))
        later(conn, "RESET " + ".".join(quote_ident(p) for p in setting.split(".")))


def _set(conn: psycopg.Connection, name: str, value: str) -> None:
    if isinstance(conn, Session):
        conn.settings().add(name)
    later(conn, f"SELECT set_config({quote_literal(name)}, {quote_literal(value)}, true)")


def prepare_roles(conn: psycopg.Connection, roles: set[str], schemas: tuple[str, ...]) -> list[str]:
    """Check that every probing role exists and is held to RLS. Roles the spec names (its own,
    Supabase's anon/authenticated) keep exactly the privileges the schema grants them; only
    our stand-in `gen_verify_app`, used where policies apply to everyone (PUBLIC) and the spec
    names no application role, is created here and given DML on the spec's tables.
    Returns problems (a role that is superuser, bypasses RLS or does not exist)."""
    if APP_ROLE in roles:
        _create_app_role(conn)
    problems = []
    for role in sorted(roles):
        got = conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if got is None:
            problems.append(f"role {role} does not exist")
            continue
        if got[0] or got[1]:
            problems.append(f"role {role} is a superuser or bypasses RLS; probes would prove nothing")
            continue
        if role != APP_ROLE:
            continue
        for s in schemas:
            q, r = quote_ident(s), quote_ident(role)
            conn.execute(f"GRANT USAGE ON SCHEMA {q} TO {r}")
            conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q} TO {r}")
            conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q} TO {r}")
    return problems


STAND_IN = ("stand-in for the application (the spec names no role of its own): given SELECT, INSERT, "
            "UPDATE, DELETE on every table and USAGE on the spec's schemas and sequences")


def _create_app_role(conn: psycopg.Connection) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
    if exists:
        return
    try:
        with conn.transaction():
            conn.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT")
    except psycopg.errors.UniqueViolation:
        pass   # created by a concurrent run meanwhile
    except psycopg.errors.DuplicateObject:
        pass
