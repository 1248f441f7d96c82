"""The resolved schema model: frozen dataclasses that every renderer, the differ and the
database inspector share. It knows nothing of YAML, pydantic or Jinja.

Fields marked `compare=False` are metadata (source locations, the entity a table came from,
the preset a policy was made by): they help renderers and error messages but never make two
schemas differ."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from generator.diagnostics import Location
from generator.model.naming import qualified, quote_ident
from generator.model.objects import (Aggregate, Citus, Collation, CompositeType, Domain, DomainCheck, Exclusion,
                                     ExclusionElement, Namespace, Placement, RangeType, RawSQL, Sequence)
from generator.model.sample import ColumnHint, NamedQuery, SampleHints, SampleSettings
from generator.model.types import DataType

__all__ = [
    "DataType", "Location", "Column", "PrimaryKey", "ForeignKey", "Unique", "Check", "IndexElement",
    "Index", "Policy", "Trigger", "Grant", "Table", "Enum", "Extension", "Function", "View", "Role",
    "Seed", "ExternalTrigger", "Tenancy", "Auth", "Settings", "Schema", "replace", "COMMANDS", "FK_ACTIONS",
    "Protection", "LintOverride", "TableMeta", "SoftDelete", "Sequence", "Collation", "Domain", "DomainCheck",
    "CompositeType", "RangeType", "Aggregate", "Exclusion", "ExclusionElement", "Namespace", "RawSQL",
    "ColumnHint", "SampleHints", "SampleSettings", "NamedQuery", "REALTIME_PUBLICATION", "Citus", "Placement",
    "TENANT_PLACEHOLDER",
]

COMMANDS = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")
FK_ACTIONS = ("NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT")
REALTIME_PUBLICATION = "supabase_realtime"     # the publication Supabase Realtime reads
TENANT_PLACEHOLDER = "{tenant}"                # schema-per-tenant: the template schema, replaced per tenant


def _loc() -> Any:
    return field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: DataType
    nullable: bool = True
    default: str | None = None          # SQL expression
    generated: str | None = None        # GENERATED ALWAYS AS (expr) STORED
    identity: str | None = None         # "always" | "by default"
    comment: str | None = None
    collation: str | None = None
    loc: Location | None = _loc()
    renamed_from: str | None = field(default=None, compare=False)   # spec hint: RENAME, keep data
    identity_options: tuple[tuple[str, int], ...] = ()   # (start|increment|min|max|cache|cycle, n) not default


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    name: str
    columns: tuple[str, ...]
    loc: Location | None = _loc()
    deferrable: bool = False
    initially_deferred: bool = False


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    ref_schema: str = "public"
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"
    deferrable: bool = False
    initially_deferred: bool = False
    match: str = "SIMPLE"               # SIMPLE | FULL
    validated: bool = True              # False: NOT VALID (existing rows unchecked)
    delete_columns: tuple[str, ...] = ()    # ON DELETE SET NULL/SET DEFAULT (these columns only), PG 15+
    scope: tuple[str, ...] = field(default=(), compare=False)   # "tenant"/"owner": made scope-consistent
    owner_declared: bool | None = field(default=None, compare=False)   # the spec's same_owner (None: unsaid)
    shared: tuple[str, str] | None = field(default=None, compare=False)  # same_tenant: shared (child, parent tenant column)
    crosses: tuple[str, ...] = field(default=(), compare=False)  # scopes it may cross, as declared
    loc: Location | None = _loc()

    @property
    def own_columns(self) -> tuple[str, ...]:
        """The referencing columns that are not scope columns (the tenant or owner column a
        scope-consistent key carries along)."""
        n = len(self.scope)
        return self.columns[n:] if n else self.columns


@dataclass(frozen=True, slots=True)
class Unique:
    name: str
    columns: tuple[str, ...]
    nulls_not_distinct: bool = False
    loc: Location | None = _loc()
    deferrable: bool = False
    initially_deferred: bool = False
    include: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    expression: str
    loc: Location | None = _loc()
    no_inherit: bool = False


@dataclass(frozen=True, slots=True)
class IndexElement:
    """A column or an expression in an index, with its operator class and order."""

    column: str | None = None
    expression: str | None = None
    opclass: str | None = None
    descending: bool = False
    nulls: str | None = None            # "first" | "last" when not the default for the order
    collation: str | None = None


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    elements: tuple[IndexElement, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()   # WITH (m = 16, ...), sorted by key
    nulls_not_distinct: bool = False
    comment: str | None = None
    loc: Location | None = _loc()

    @property
    def columns(self) -> tuple[str, ...]:
        """Plain columns of the index (expressions left out)."""
        return tuple(e.column for e in self.elements if e.column)


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    command: str = "ALL"
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    check: str | None = None
    permissive: bool = True
    preset: str | None = field(default=None, compare=False)   # which preset made it
    description: str | None = field(default=None, compare=False)
    public: bool = field(default=False, compare=False)          # opens its command to everyone, on purpose
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Trigger:
    name: str
    function: str                      # qualified function name, rendered as given
    timing: str = "BEFORE"             # BEFORE | AFTER | INSTEAD OF
    events: tuple[str, ...] = ("UPDATE",)
    level: str = "ROW"                 # ROW | STATEMENT
    when: str | None = None
    columns: tuple[str, ...] = ()      # UPDATE OF these columns
    loc: Location | None = _loc()
    args: tuple[str, ...] = ()         # arguments passed to the function (TG_ARGV), as text
    old_table: str | None = None       # REFERENCING OLD TABLE AS ...
    new_table: str | None = None       # REFERENCING NEW TABLE AS ...
    constraint: bool = False           # CREATE CONSTRAINT TRIGGER (AFTER ... ROW), with:
    deferrable: bool = False
    initially_deferred: bool = False
    enabled: str = "O"                 # pg_trigger.tgenabled: O origin, D disabled, R replica, A always


@dataclass(frozen=True, slots=True)
class Grant:
    """Table privileges of one role; with `columns`, column privileges (one privilege, the
    columns it covers: GRANT UPDATE (a, b) ON t TO r)."""

    role: str
    privileges: tuple[str, ...]        # sorted, upper case: SELECT, INSERT, ...
    columns: tuple[str, ...] = ()      # sorted; empty: the whole table
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Protection:
    """A column the application roles may not change (nor set on insert to anything but its
    default) unless through a declared path: `writable_by` roles, `admin` (the admin
    predicate), and always the table owner, superusers and BYPASSRLS roles."""

    column: str
    writable_by: tuple[str, ...] = ("admin",)
    why: str = ""                      # e.g. "read by the admin predicate of is_admin()"
    on_insert: bool = True             # False: any value on INSERT, only UPDATE is guarded (identity columns)


@dataclass(frozen=True, slots=True)
class SoftDelete:
    """DELETE by the application roles marks the row (`column` = the deleting transaction's
    timestamp, `by` = the current user) instead of removing it; `flag` is a generated boolean.
    `children`: cascade | block | leave; `restore`/`purge`: roles or "admin"."""

    column: str = "deleted_at"
    flag: str | None = None
    by: str | None = None
    children: str = "cascade"
    restore: tuple[str, ...] = ("admin",)
    purge: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LintOverride:
    """`lint: {RL004: "reason"}` on an object: the rule's severity there (off by default)."""

    code: str
    severity: str = "off"              # off | warning | error
    reason: str = ""
    loc: Location | None = None


@dataclass(frozen=True, slots=True)
class TableMeta:
    """Spec-side facts about a table that the database does not hold."""

    entity: str | None = None          # the spec's entity key (before the table prefix)
    group: str | None = None
    tenant_column: str | None = None   # set for tenant-scoped tables
    owner_column: str | None = None    # set for owner-only tables
    soft_delete_column: str | None = None
    version_column: str | None = None
    touch_column: str | None = None    # column kept current by a BEFORE UPDATE trigger
    join_table: bool = False           # made for a many-to-many relation
    renamed_from: str | None = None    # spec hint: the table's previous name (RENAME, keep data)
    protected: tuple["Protection", ...] = ()   # columns only declared paths may change (guard trigger)
    unprotected: tuple[str, ...] = ()          # columns the spec marks `protected: false`
    soft_delete: SoftDelete | None = None      # DELETE marks the row instead
    audited: tuple[str, ...] | None = None     # audited: the columns left out of the trail (None: not audited)
    audit_table: bool = False                  # the spec's audit table
    deny_all: bool = False             # RLS on with no policy, on purpose
    lint: tuple["LintOverride", ...] = ()      # per-object lint overrides, with reasons
    sample: SampleHints | None = None  # how `gen sample` fills the table
    placement: Placement | None = None  # where the table sits on Citus (None: not a Citus deployment)


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    schema: str = "public"
    primary_key: PrimaryKey | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    uniques: tuple[Unique, ...] = ()
    checks: tuple[Check, ...] = ()
    indexes: tuple[Index, ...] = ()
    comment: str | None = None
    rls_enabled: bool = False
    rls_forced: bool = False
    policies: tuple[Policy, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    grants: tuple[Grant, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    unlogged: bool = False
    options: tuple[tuple[str, str], ...] = ()     # storage parameters: WITH (fillfactor = 70), sorted
    partition_by: str | None = None               # RANGE (logdate), LIST (region), HASH (id)
    partition_of: str | None = None               # qualified parent of a partition
    partition_bound: str | None = None            # FOR VALUES ... | DEFAULT
    inherits: tuple[str, ...] = ()                # qualified parents (table inheritance)
    cluster_on: str | None = None                 # index name (CLUSTER ON)
    replica_identity: str | None = None           # FULL | NOTHING | an index name (None: default)
    publications: tuple[str, ...] = ()            # supabase_realtime when listed there (the publication gen
                                                  # manages; others are raw `sql:` objects)
    meta: TableMeta = field(default_factory=TableMeta, compare=False, repr=False)
    loc: Location | None = _loc()

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def qname(self) -> str:
        return qualified(self.schema, self.name)

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def relation_keys(self) -> tuple[ForeignKey, ...]:
        """The foreign keys that are relationships (diagrams, ORM relations): a scope key that
        only doubles a plain key over its own columns (kept for rows of no tenant) is left out."""
        plain = {fk.columns for fk in self.foreign_keys if not fk.scope}
        return tuple(fk for fk in self.foreign_keys if not (fk.scope and fk.own_columns in plain))


@dataclass(frozen=True, slots=True)
class ExternalTrigger:
    """A trigger this schema puts on a table it does not own (e.g. auth.users on Supabase)."""

    schema: str
    table: str
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    values: tuple[str, ...]
    schema: str = "public"
    comment: str | None = None
    loc: Location | None = _loc()
    renamed_from: str | None = field(default=None, compare=False)   # spec hint: previous type name
    renamed_values: tuple[tuple[str, str], ...] = field(default=(), compare=False)  # (new, old) pairs

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def qname(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Extension:
    name: str
    schema: str | None = None
    version: str | None = None          # None: the server's default version
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    returns: str
    body: str
    schema: str = "public"
    args: str = ""                      # argument list as SQL, "" for none
    language: str = "plpgsql"
    volatility: str = "VOLATILE"        # VOLATILE | STABLE | IMMUTABLE
    security_definer: bool = False
    search_path: str | None = None      # SET search_path = ... (for SECURITY DEFINER)
    comment: str | None = None
    execute: tuple[str, ...] | None = None   # roles that may EXECUTE it (None: PostgreSQL's default, PUBLIC)
    loc: Location | None = _loc()
    revoke_from: tuple[str, ...] = field(default=(), compare=False)   # default grantees revoked first
    lint: tuple[LintOverride, ...] = field(default=(), compare=False)
    kind: str = "function"              # function | procedure | window
    strict: bool = False
    leakproof: bool = False
    parallel: str = "UNSAFE"            # UNSAFE | RESTRICTED | SAFE
    cost: float | None = None           # None: PostgreSQL's default (1 for C/internal, 100 otherwise)
    rows: float | None = None           # None: the default (1000 for set-returning functions)
    config: tuple[tuple[str, str], ...] = ()   # SET name = value, other than search_path
    atomic: bool = False                # a SQL-standard body (RETURN ... / BEGIN ATOMIC ... END)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.schema, self.name, self.args)

    @property
    def qname(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class View:
    name: str
    query: str
    schema: str = "public"
    security_invoker: bool = True
    comment: str | None = None
    grants: tuple[Grant, ...] = ()
    loc: Location | None = _loc()
    lint: tuple[LintOverride, ...] = field(default=(), compare=False)
    materialized: bool = False
    indexes: tuple[Index, ...] = ()      # materialized views only
    triggers: tuple[Trigger, ...] = ()   # INSTEAD OF triggers
    options: tuple[tuple[str, str], ...] = ()   # security_barrier, check_option (sorted)

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def qname(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Role:
    """A database role the schema needs; created only if missing (roles are cluster-wide)."""

    name: str
    login: bool = False
    comment: str | None = None
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Seed:
    """Rows to upsert into one table; `key` columns decide what "the same row" means."""

    table: str
    rows: tuple[tuple[tuple[str, Any], ...], ...]
    key: tuple[str, ...]
    schema: str = "public"
    loc: Location | None = _loc()


@dataclass(frozen=True, slots=True)
class Tenancy:
    root: str                           # table name of the tenant root (e.g. companies)
    column: str                         # tenant column on scoped tables (e.g. company_id)
    current: str                        # SQL expression giving the current tenant, fail-closed
    setting: str | None = None          # the GUC it reads, when it reads one (app.company_id)
    type: DataType = DataType("uuid")


@dataclass(frozen=True, slots=True)
class Auth:
    """How the schema knows who is asking: the current user's id as SQL, the setting it reads
    (None for Supabase's JWT), and the admin lookup behind the admin_full_access preset."""

    current_user: str
    user_setting: str | None = None
    admin_function: str | None = None         # qualified name of the generated is_admin()
    admin_table: tuple[str, str] | None = None  # (schema, table)
    admin_user_column: str | None = None
    admin_where: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    dialect: str = "postgres"
    version: int = 16
    flavor: str = "plain"               # plain | supabase
    protected: tuple[str, ...] = ()     # host/database name patterns `gen reset` refuses
    lint: tuple[LintOverride, ...] = ()  # spec-wide lint severities
    temp_tables: bool = True            # PUBLIC keeps TEMPORARY on the database (PostgreSQL's default)
    citus: Citus | None = None          # a Citus deployment (distribution calls, Citus rules)
    tenant_schema: str | None = None    # schema-per-tenant: the template schema ("{tenant}")


@dataclass(frozen=True)
class Schema:
    name: str = "schema"
    tables: tuple[Table, ...] = ()
    enums: tuple[Enum, ...] = ()
    extensions: tuple[Extension, ...] = ()
    functions: tuple[Function, ...] = ()
    views: tuple[View, ...] = ()
    roles: tuple[Role, ...] = ()
    schemas: tuple[str, ...] = ()       # PostgreSQL schemas to create besides public
    sequences: tuple[Sequence, ...] = ()
    collations: tuple[Collation, ...] = ()
    domains: tuple[Domain, ...] = ()
    composites: tuple[CompositeType, ...] = ()
    ranges: tuple[RangeType, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    namespaces: tuple[Namespace, ...] = ()   # schema comments and privileges
    raw: tuple[RawSQL, ...] = ()             # raw SQL objects (the escape hatch), in dependency order
    external_triggers: tuple[ExternalTrigger, ...] = field(default=(), compare=False)
    external_tables: tuple[Table, ...] = field(default=(), compare=False)   # seeded, not created
    seeds: tuple[Seed, ...] = field(default=(), compare=False)
    tenancy: Tenancy | None = field(default=None, compare=False)
    auth: Auth | None = field(default=None, compare=False)
    settings: Settings = field(default_factory=Settings, compare=False)
    description: str | None = field(default=None, compare=False)
    warnings: tuple = field(default=(), compare=False)    # Diagnostics of severity warning
    sample: SampleSettings = field(default_factory=SampleSettings, compare=False)
    queries: tuple[NamedQuery, ...] = field(default=(), compare=False)

    @classmethod
    def empty(cls, name: str = "empty") -> "Schema":
        return cls(name=name)

    @cached_property
    def tables_by_key(self) -> dict[tuple[str, str], Table]:
        return {t.key: t for t in self.tables}

    @cached_property
    def enums_by_key(self) -> dict[tuple[str, str], Enum]:
        return {e.key: e for e in self.enums}

    def table(self, name: str, schema: str = "public") -> Table | None:
        return self.tables_by_key.get((schema, name))

    def seed_table(self, name: str, schema: str = "public") -> Table | None:
        """The table a seed writes to: one of ours, or a known external one (auth.users)."""
        return self.tables_by_key.get((schema, name)) or next(
            (t for t in self.external_tables if t.key == (schema, name)), None)

    def enum(self, name: str, schema: str = "public") -> Enum | None:
        return self.enums_by_key.get((schema, name))

    def referencing(self, table: Table) -> list[tuple[Table, ForeignKey]]:
        """Foreign keys in other tables (or this one) that point at `table`."""
        return self._incoming.get(table.key, [])

    @cached_property
    def _incoming(self) -> dict[tuple[str, str], list[tuple[Table, ForeignKey]]]:
        out: dict[tuple[str, str], list[tuple[Table, ForeignKey]]] = {}
        for t in self.tables:
            for fk in t.foreign_keys:
                out.setdefault((fk.ref_schema, fk.ref_table), []).append((t, fk))
        return out


def ident(name: str) -> str:
    """Re-exported quoting helper for templates and renderers."""
    return quote_ident(name)


from generator.model.pickling import quicken as _quicken  # noqa: E402  (after every class above)

_quicken(globals())
