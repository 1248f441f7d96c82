"""Shared state of one resolve run: the spec, positions, collected diagnostics, and the
entity -> table lookup every resolver step needs."""
from __future__ import annotations

from dataclasses import dataclass, field

from generator.diagnostics import Collector, Location
from generator.model import Function
from generator.model.naming import ident_too_long
from generator.resolve.expressions import ExpressionError, check_expression, check_query
from generator.spec.loader import LoadedSpec
from generator.spec.schema import SpecFile

# External tables a supabase-flavoured spec may reference: (schema, table) -> {column: type}.
SUPABASE_TABLES = {("auth", "users"): {"id": "uuid", "email": "text", "raw_user_meta_data": "jsonb"}}


@dataclass
class EntityInfo:
    key: str
    table: str
    schema: str


@dataclass
class Ctx:
    spec: SpecFile
    loaded: LoadedSpec
    diags: Collector = field(default_factory=Collector)
    entities: dict[str, EntityInfo] = field(default_factory=dict)
    enums: dict[str, tuple[str, str]] = field(default_factory=dict)   # key -> (schema, db name)
    enum_values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # db name -> labels
    functions: dict[tuple, Function] = field(default_factory=dict)    # generated helper functions
    reported_long: set[str] = field(default_factory=set)               # names already reported as too long
    aliases: dict[tuple, tuple] = field(default_factory=dict)          # entity path -> where a trait/default wrote it
    user_types: dict[str, tuple[str, str]] = field(default_factory=dict)  # domains/composites/ranges -> (schema, name)
    sequences: list = field(default_factory=list)                       # sequences serial columns own
    views: tuple | None = None                                          # resolved once (views: and schemas:)
    tenancy_block: object = None                                        # the spec's tenancy (any mode)
    parsed_types: dict = field(default_factory=dict)                    # column type text -> parse_type's answer

    @property
    def flavor(self) -> str:
        return self.spec.database.flavor

    @property
    def citus(self) -> int | None:
        """The Citus release the spec deploys on (None: plain PostgreSQL)."""
        return self.spec.database.citus

    def wrap(self, expr: str) -> str:
        """A policy's call of a stable expression, as `(SELECT expr)` so PostgreSQL evaluates it
        once per statement (an InitPlan) rather than per row. Citus refuses any subquery in a
        policy, so on Citus the expression stands bare."""
        return expr if self.citus else f"(SELECT {expr})"

    @property
    def schema_name(self) -> str:
        return self.spec.database.schema_

    @property
    def convention(self) -> str:
        return self.spec.naming.convention

    @property
    def prefix(self) -> str:
        return self.spec.naming.table_prefix

    def loc(self, *path, key: bool = False) -> Location | None:
        """Where `path` is written; an item a trait or a spec-wide default contributed to an
        entity points at the trait or default."""
        if self.aliases:
            for n in range(len(path), 1, -1):
                source = self.aliases.get(path[:n])
                if source is not None:
                    return self.loaded.loc(source + tuple(path[n:]), key=key)
        return self.loaded.loc(tuple(path), key=key)

    def error(self, code: str, message: str, path: tuple, hint: str = "", key: bool = False) -> None:
        self.diags.add(code, message, self.loc(*path, key=key), ".".join(str(p) for p in path), hint)

    def check_name(self, name: str, what: str, path: tuple) -> None:
        if ident_too_long(name):
            self.reported_long.add(name)
            self.error("RS010", f"{what} name '{name}' is {len(name.encode())} bytes; PostgreSQL's limit is 63",
                       path, "choose a shorter name (PostgreSQL would silently truncate it)", key=True)

    def expr(self, text: str | None, path: tuple, what: str) -> str | None:
        """Check one free SQL expression; report (not raise) when bad. Returns it stripped."""
        if text is None:
            return None
        try:
            check_expression(text)
        except ExpressionError as e:
            self.error("RS020", f"{what}: {e}", path,
                       "write a single SQL expression (no ';', no comments, balanced parentheses)")
            return None
        return text.strip()

    def query(self, text: str, path: tuple) -> str | None:
        try:
            check_query(text)
        except ExpressionError as e:
            self.error("RS021", f"view query: {e}", path, "write one SELECT statement without ';' or comments")
            return None
        return text.strip()

    def current_user_expr(self) -> str:
        auth = self.spec.auth
        if auth and auth.current_user:
            return auth.current_user
        if self.flavor == "supabase":
            return "auth.uid()"
        setting = auth.user_setting if auth else "app.user_id"
        return f"NULLIF(current_setting('{setting}', true), '')::uuid"

    def default_roles(self) -> tuple[str, ...]:
        if self.spec.auth and self.spec.auth.roles:
            return tuple(self.spec.auth.roles)
        return ("authenticated",) if self.flavor == "supabase" else ("public",)


def user_setting_of(ctx: "Ctx") -> str | None:
    """The setting the current user's id is read from; None when it comes from Supabase's JWT
    or from a custom expression."""
    auth = ctx.spec.auth
    if auth and auth.current_user:
        return None
    if ctx.flavor == "supabase":
        return None
    return auth.user_setting if auth else "app.user_id"
