"""The spec language's shape, as pydantic v2 models: every key the YAML may hold, with
unknown keys forbidden. Only shape lives here; meaning is checked in `generator.resolve`."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema


def _to_text(value):
    """The loader gives text; editors and Python callers may give numbers or booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (int, float)) else value


# A scalar the spec reads as text, but that an editor may see as a number or boolean.
Text = Annotated[str, BeforeValidator(_to_text), WithJsonSchema({"type": ["string", "number", "boolean"]})]

Action = Literal["cascade", "set null", "set default", "restrict", "no action"]
Command = Literal["all", "select", "insert", "update", "delete"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Database(Strict):
    """Target database."""

    dialect: Literal["postgres"] = "postgres"
    version: int = Field(16, ge=12, le=18, description="PostgreSQL major version")
    flavor: Literal["plain", "supabase"] = Field(
        "plain", description="supabase: auth.uid(), auth.users, roles anon/authenticated/service_role")
    schema_: str = Field("public", alias="schema", description="PostgreSQL schema for entities")
    protected: list[str] = Field(
        default_factory=list,
        description="host or database-name glob patterns that `gen reset` refuses (production)")
    temp_tables: bool | None = Field(
        None, description="whether every role may create temporary tables (TEMPORARY on the database); default "
                          "false when the spec names its application roles (auth.roles) on plain PostgreSQL: a "
                          "temporary table would shadow a table on a pooled connection")
    citus: int | None = Field(
        None, ge=12, le=13, description="deploy on Citus (12 or 13, the release whose rules apply): tables are "
                                        "distributed as tenancy.citus says, and the Citus rules are enforced")


class Naming(Strict):
    convention: Literal["gen", "rails", "django", "prisma"] = Field(
        "gen", description="default names of keys and indexes: gen (PostgreSQL's), rails, django or prisma")
    table_prefix: str = ""
    index_foreign_keys: bool = Field(True, description="create a btree index for every FK not already covered")


class ExtensionFull(Strict):
    name: str
    schema_: str | None = Field(None, alias="schema")
    version: Text | None = Field(None, description="the extension version (default: the server's default)")


class SchemaFull(Strict):
    """A PostgreSQL schema with a comment and privileges."""

    name: str
    description: str | None = None
    grants: dict[str, list[Literal["usage", "create"]]] = Field(default_factory=dict)


class SequenceSpec(Strict):
    type: Literal["smallint", "integer", "bigint"] = "bigint"
    start: int | None = None
    increment: int = 1
    min: int | None = None
    max: int | None = None
    cache: int = 1
    cycle: bool = False
    owned_by: str | None = Field(None, description="entity.column whose drop drops the sequence (OWNED BY)")
    unlogged: bool = False
    schema_: str | None = Field(None, alias="schema")
    description: str | None = None


class CollationSpec(Strict):
    provider: Literal["libc", "icu", "builtin"] = "libc"
    locale: str | None = None
    lc_collate: str | None = None
    lc_ctype: str | None = None
    deterministic: bool = True
    schema_: str | None = Field(None, alias="schema")
    description: str | None = None


class TypeSpec(Strict):
    """One of `domain` (a base type with rules), `composite` (attributes) or `range` (a subtype)."""

    name: str | None = Field(None, description="the type's name when the key is not it")
    domain: str | None = Field(None, description="the base type of a domain")
    not_null: bool = False
    default: Text | None = None
    checks: dict[str, str] = Field(default_factory=dict, description="domain checks by name, over VALUE")
    collation: str | None = None
    composite: dict[str, str] | None = Field(None, description="attribute: type")
    range: str | None = Field(None, description="the subtype of a range type")
    subtype_diff: str | None = None
    subtype_opclass: str | None = None
    canonical: str | None = None
    multirange: str | None = None
    schema_: str | None = Field(None, alias="schema")
    description: str | None = None


class AggregateSpec(Strict):
    args: str
    sfunc: str
    stype: str
    name: str | None = Field(None, description="the aggregate's name when the key is not it (overloads)")
    options: dict[str, Text] = Field(default_factory=dict, description="FINALFUNC, INITCOND, COMBINEFUNC, ...")
    schema_: str | None = Field(None, alias="schema")
    description: str | None = None


class RawSqlSpec(Strict):
    """The escape hatch: SQL gen has no object for, placed after what it names in `after`."""

    create: str
    drop: str | None = Field(None, description="the SQL that undoes it (needed to change or remove it)")
    after: list[str] = Field(default_factory=list, description="entities, views, functions, types, sequences "
                             "or other sql: objects it needs (schema.name or a key)")


class EnumFull(Strict):
    values: list[Text]
    description: str | None = None
    schema_: str | None = Field(None, alias="schema")
    renamed_from: str | None = Field(None, description="the type's previous name (migrations rename it)")
    renamed_values: dict[str, str] = Field(
        default_factory=dict, description="new value: previous value (migrations RENAME VALUE, keeping rows)")


Match = Literal["simple", "full"]


class RefFull(Strict):
    entity: str = Field(description="entity key, or schema.table for tables outside the spec (auth.users)")
    column: str | None = None
    on_delete: Action | None = None
    on_update: Action | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    match: Match | None = Field(None, description="MATCH SIMPLE (default) or FULL")
    not_valid: bool = Field(False, description="NOT VALID: rows already in the table are never checked")
    name: str | None = None
    same_tenant: Union[bool, Literal["shared"], None] = Field(
        None, description="between tenant-scoped entities the key includes the tenant column (default true); "
                          "`shared`: the parent's own tenant or one of its rows of no tenant (system rows), checked "
                          "by a trigger; false lets a row point at another tenant's row")
    same_owner: bool | None = Field(
        None, description="between owner-scoped entities: true makes the key include the owner column, so a "
                          "row can only point at a row of the same owner")


class LintOverrideFull(Strict):
    severity: Literal["off", "warning", "error"] = "off"
    reason: str = Field(min_length=1, description="why this object is an exception (reviewed in the PR)")


# `lint: {RL004: "why"}` (rule off here) or `{RL004: {severity: warning, reason: "why"}}`
LintOverrides = dict[str, Union[str, LintOverrideFull]]


class ProtectedFull(Strict):
    writable_by: list[str] = Field(
        default_factory=lambda: ["admin"],
        description="who may change it besides the table owner and BYPASSRLS roles: roles, and `admin` "
                    "for users the admin predicate accepts")


Privilege = Literal["select", "insert", "update", "references"]


class ColumnFull(Strict):
    type: str
    nullable: bool | None = None
    default: Text | None = None
    pk: bool = False
    unique: bool = False
    ref: Union[str, RefFull, None] = None
    on_delete: Action | None = None
    on_update: Action | None = None
    check: str | None = None
    generated: str | None = Field(None, description="GENERATED ALWAYS AS (expr) STORED")
    identity: Literal["always", "by default"] | None = None
    identity_options: dict[Literal["start", "increment", "min", "max", "cache", "cycle"], int] = Field(
        default_factory=dict, description="the identity's sequence options, e.g. {start: 1000}")
    index: bool = False
    collation: str | None = None
    description: str | None = None
    renamed_from: str | None = None
    protected: Union[bool, ProtectedFull, None] = Field(
        None, description="only declared paths may change it (a guard trigger); default true for columns an "
                          "admin or role predicate reads")
    privileges: dict[Privilege, list[str]] = Field(
        default_factory=dict, description="column privileges: only these roles may select/insert/update it")


# The compact string form (`text! unique`); its pattern is filled in by `gen schema`
# (generator.resolve.compact_pattern mirrors the grammar resolve/columns.py reads).
CompactColumn = Annotated[str, WithJsonSchema({"type": "string", "x-gen": "compact-column"})]
ColumnSpec = Union[CompactColumn, ColumnFull]


class IndexElementFull(Strict):
    column: str | None = None
    expression: str | None = None
    ops: str | None = Field(None, description="operator class of this element")
    collation: str | None = None
    order: Literal["asc", "desc"] = "asc"
    nulls: Literal["first", "last"] | None = None


class IndexFull(Strict):
    columns: list[str] = Field(default_factory=list)
    elements: list[IndexElementFull] = Field(default_factory=list, description="columns and expressions each "
                                             "with its own operator class, collation, order and NULLS position")
    expression: str | None = Field(None, description="an index on an expression, e.g. lower(email)")
    expressions: list[str] = Field(default_factory=list)
    name: str | None = None
    unique: bool = False
    using: Literal["btree", "hash", "gin", "gist", "brin", "spgist", "hnsw", "ivfflat", "bloom", "rum"] = "btree"
    ops: str | None = Field(None, description="operator class for every element, e.g. vector_cosine_ops")
    order: dict[str, Literal["asc", "desc"]] = Field(default_factory=dict)
    where: str | None = None
    include: list[str] = Field(default_factory=list)
    with_: dict[str, Text] = Field(default_factory=dict, alias="with")
    nulls_not_distinct: bool = False
    description: str | None = None


IndexSpec = Union[list[str], str, IndexFull]


class ForeignKeyTarget(Strict):
    entity: str = Field(description="entity key, or schema.table outside the spec")
    columns: list[str] = Field(description="the referenced columns (a primary key or unique constraint)")


class ForeignKeyFull(Strict):
    """A foreign key over one or more columns."""

    columns: list[str]
    references: Union[str, ForeignKeyTarget] = Field(description="`entity(col, …)` or {entity, columns}")
    on_delete: Action | None = None
    on_update: Action | None = None
    match: Match | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    not_valid: bool = False
    name: str | None = None
    same_tenant: Union[bool, Literal["shared"], None] = None
    same_owner: bool | None = None


class UniqueFull(Strict):
    columns: list[str]
    name: str | None = None
    nulls_not_distinct: bool = False
    include: list[str] = Field(default_factory=list)
    deferrable: bool = False
    initially_deferred: bool = False


class PrimaryKeyFull(Strict):
    columns: list[str]
    name: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False


class CheckFull(Strict):
    expression: str
    name: str | None = None
    no_inherit: bool = False


class ExcludeFull(Strict):
    """EXCLUDE USING method (element WITH operator, ...)."""

    elements: list[list[str]] = Field(description="[column or (expression), operator] pairs, e.g. [during, '&&']")
    using: str = "gist"
    name: str | None = None
    where: str | None = None
    include: list[str] = Field(default_factory=list)
    ops: dict[str, str] = Field(default_factory=dict, description="element: operator class")
    deferrable: bool = False
    initially_deferred: bool = False

class PolicyFull(Strict):
    preset: Literal["tenant_isolation", "owner", "admin_full_access", "public_read"] | None = None
    name: str | None = None
    for_: Union[Command, list[Command], None] = Field(None, alias="for")
    to: list[str] | None = None
    using: str | None = None
    check: str | None = None
    restrictive: bool = False
    public: bool = Field(False, description="this policy opens its command to everyone it applies to, on purpose")
    column: str | None = Field(None, description="owner preset: the column holding the owner's user id")
    where: str | None = Field(None, description="public_read preset: which rows are public")
    description: str | None = None


PolicySpec = Union[str, PolicyFull]


class TriggerFull(Strict):
    function: str
    name: str | None = None
    timing: Literal["before", "after", "instead of"] = "before"
    events: list[Literal["insert", "update", "delete", "truncate"]] = Field(default_factory=lambda: ["update"])
    level: Literal["row", "statement"] = "row"
    when: str | None = None
    columns: list[str] = Field(default_factory=list, description="UPDATE OF these columns only")
    args: list[Text] = Field(default_factory=list, description="arguments given to the function (TG_ARGV)")
    old_table: str | None = Field(None, description="REFERENCING OLD TABLE AS this name")
    new_table: str | None = Field(None, description="REFERENCING NEW TABLE AS this name")
    constraint: bool = Field(False, description="a constraint trigger (AFTER, may be deferred)")
    deferrable: bool = False
    initially_deferred: bool = False
    enabled: Literal["origin", "disabled", "replica", "always"] = "origin"


class RlsFull(Strict):
    enabled: bool = True
    force: bool = True
    deny_all: bool = Field(False, description="RLS on and no policy, on purpose: only the owner and "
                                              "BYPASSRLS roles reach the table")


class TenantFull(Strict):
    required: bool = Field(True, description="false: the tenant column may be NULL (rows of no tenant)")


class CreatedFrom(Strict):
    table: str = Field(description="schema.table whose new rows create a row here, e.g. auth.users")
    values: dict[str, str] = Field(description="column: SQL expression over NEW (the new row), e.g. id: NEW.id")


class SampleColumn(Strict):
    """How `gen sample` fills a column (full form)."""

    kind: str | None = Field(None, description="value generator: email, slug, name, title, text, url, phone, …")
    min: Text | None = Field(None, description="lowest number or date; for text kinds the shortest length")
    max: Text | None = Field(None, description="highest number or date; for text kinds the longest length")
    values: list[object] = Field(default_factory=list, description="draw from these values")
    weights: list[float] = Field(default_factory=list, description="relative weight of each of `values`")
    nulls: float | None = Field(None, ge=0, le=1, description="share of NULLs (nullable columns)")
    items: Text | None = Field(None, description="array columns: element count, `n` or `min..max`")


# compact: `email`, `text(20..400)`, `int(1..5)`; a list: the values to draw from
SampleColumnSpec = Union[str, list[Text], SampleColumn]


class SampleTable(Strict):
    """How many rows `gen sample` makes for a table, and how its columns look."""

    rows: int | None = Field(None, ge=0, description="exactly this many rows (not scaled by --rows)")
    per: Union[float, dict[str, float], None] = Field(
        None, description="rows per row of the parent: a number (the main parent) or {parent entity: n}")
    columns: dict[str, SampleColumnSpec] = Field(default_factory=dict)


class Entity(Strict):
    description: str | None = None
    table: str | None = Field(None, description="table name, overriding prefix + key")
    schema_: str | None = Field(None, alias="schema")
    group: str | None = None
    traits: list[str] = Field(default_factory=list)
    tenant: Union[bool, TenantFull] = False
    owner: str | None = Field(None, description="column holding the owning user's id (owner preset)")
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    primary_key: Union[list[str], PrimaryKeyFull, None] = None
    foreign_keys: list[ForeignKeyFull] = Field(default_factory=list)
    exclude: list[ExcludeFull] = Field(default_factory=list)
    unlogged: bool = False
    with_: dict[str, Text] = Field(default_factory=dict, alias="with", description="storage parameters")
    partition_by: str | None = Field(None, description="RANGE (col), LIST (col) or HASH (col)")
    partition_of: str | None = Field(None, description="the partitioned entity this table is a partition of")
    bound: str | None = Field(None, description="a partition's bound: FOR VALUES ... or DEFAULT")
    inherits: list[str] = Field(default_factory=list, description="entities (or schema.table) this table inherits")
    cluster_on: str | None = Field(None, description="index name (CLUSTER ON)")
    replica_identity: str | None = Field(None, description="full, nothing, or an index name")
    unique: list[Union[list[str], UniqueFull]] = Field(default_factory=list)
    checks: list[Union[str, CheckFull]] = Field(default_factory=list)
    indexes: list[IndexSpec] = Field(default_factory=list)
    policies: list[PolicySpec] = Field(default_factory=list)
    rls: Union[bool, RlsFull, None] = None
    grants: dict[str, list[str]] = Field(default_factory=dict)
    triggers: list[TriggerFull] = Field(default_factory=list)
    created_from: CreatedFrom | None = Field(
        None, description="create a row here for each new row of another table (Supabase: auth.users)")
    renamed_from: str | None = None
    lint: LintOverrides = Field(default_factory=dict, description="lint rules overridden for this table, with reasons")
    audit: Union[bool, AuditFull, None] = Field(None, description="record every write in the audit table")
    skip_defaults: Union[bool, list[str]] = Field(
        False, description="true: none of the spec-wide defaults; or the traits/presets/policies to leave out")
    realtime: bool = Field(
        False, description="supabase flavor: publish changes to Supabase Realtime (supabase_realtime publication); "
                           "`replica_identity: full` sends whole old rows")
    sample: SampleTable | None = Field(None, description="row counts and value hints for `gen sample`")


class SoftDeleteFull(Strict):
    """DELETE by the application roles marks the row instead of removing it."""

    column: str = Field("deleted_at", description="timestamptz set when the row is soft-deleted")
    flag: str | None = Field(None, description="a boolean column kept equal to `column IS NOT NULL` "
                                               "(generated), e.g. is_deleted")
    by: str | None = Field(None, description="a column recording who deleted the row (the current user)")
    children: Literal["cascade", "block", "leave"] = Field(
        "cascade", description="soft-deletable children: soft-deleted too (cascade), or the delete refused "
                               "while live children exist (block), or left as they are (leave)")
    restore: list[str] = Field(
        default_factory=lambda: ["admin"],
        description="who may see soft-deleted rows and restore them: roles, `admin` (the admin predicate)")
    purge: list[str] = Field(
        default_factory=list, description="who may remove rows for good besides the table owner and "
                                          "BYPASSRLS roles: roles, `admin`")


class AuditFull(Strict):
    """Every INSERT, UPDATE and DELETE of the entity is recorded in the audit table."""

    exclude: list[str] = Field(default_factory=list, description="columns never written to the audit trail "
                                                                 "(secrets, large blobs)")


class Trait(Strict):
    description: str | None = None
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    touch: str | None = Field(None, description="column set to now() by a BEFORE UPDATE trigger")
    soft_delete: Union[str, SoftDeleteFull, None] = Field(
        None, description="soft delete: the timestamptz column marking a row deleted, or the full form")
    version: str | None = Field(
        None, description="column for optimistic locking: an UPDATE carrying a stale value is rejected "
                          "(SQLSTATE 40001), a current one increments it")
    audit: Union[bool, AuditFull, None] = Field(None, description="record every write in the audit table")
    checks: list[Union[str, "CheckFull"]] = Field(default_factory=list)
    unique: list[Union[list[str], "UniqueFull"]] = Field(default_factory=list)
    indexes: list[IndexSpec] = Field(default_factory=list)
    triggers: list["TriggerFull"] = Field(default_factory=list)
    policies: list["PolicySpec"] = Field(default_factory=list)


class DefaultsFull(Strict):
    """Traits, policies and auditing applied to every entity (or every tenant-scoped one)."""

    for_: Literal["all", "tenant"] = Field("all", alias="for", description="all entities, or tenant-scoped ones")
    traits: list[str] = Field(default_factory=list)
    policies: list["PolicySpec"] = Field(default_factory=list)
    audit: Union[bool, AuditFull, None] = None


class AuditSettings(Strict):
    """The spec's audit table."""

    table: str = Field("audit_log", description="entity key of the audit table (prefixed like the others)")
    readers: list[str] = Field(default_factory=lambda: ["admin"],
                               description="besides the row's tenant: who may read every audit row (`admin`, roles)")
    prune: list[str] = Field(default_factory=list,
                             description="roles (or `admin`) that may call <prefix>audit_prune(older_than interval)")


class CitusLayout(Strict):
    """How the tables sit on a Citus cluster (used when `database.citus` is set, or by
    `gen validate --citus`): tenant tables are distributed by the tenant column and colocated,
    the others are reference tables, unless listed here."""

    root: Literal["distributed", "reference"] = Field(
        "distributed", description="the tenant root: distributed by its key (colocated with the tenant tables) "
                                   "or a reference table (copied to every node)")
    reference: Union[list[str], dict[str, str]] = Field(
        default_factory=list, description="entities kept as reference tables; a tenant entity needs a reason "
                                          "(its rows of every tenant are copied to every node)")
    local: Union[list[str], dict[str, str]] = Field(
        default_factory=list, description="entities kept on the coordinator only (Citus local tables)")
    on_delete: dict[str, Action] = Field(
        default_factory=dict, description="entity.column: the ON DELETE action Citus gets instead of SET NULL/SET "
                                          "DEFAULT on a key carrying the distribution column (Citus refuses those)")
    shard_count: int | None = Field(None, ge=1, le=64000, description="shards of the distributed tables "
                                                                      "(default: citus.shard_count)")


class Tenancy(Strict):
    mode: Literal["row", "schema"] = Field(
        "row", description="row: a tenant column on every tenant table (RLS); schema: one PostgreSQL schema per "
                           "tenant, the spec's schema is the template `{tenant}`")
    root: str | None = Field(None, description="entity key of the tenant table (companies); row mode")
    column: str | None = Field(None, description="tenant column on scoped tables (company_id); row mode")
    setting: str | None = Field(None, description="GUC holding the current tenant (app.company_id)")
    current: str | None = Field(None, description="SQL expression for the current tenant; overrides setting")
    roles: list[str] | None = None
    citus: CitusLayout | None = Field(None, description="placement of the tables on Citus")


class AdminCheck(Strict):
    entity: str
    user_column: str = "user_id"
    where: str = Field(description="condition on that row that makes the user an admin")


class Auth(Strict):
    current_user: str | None = Field(None, description="SQL expression giving the current user's id")
    user_setting: str = "app.user_id"
    admin: AdminCheck | None = None
    roles: list[str] | None = Field(None, description="roles policies apply to by default")


class RelationSpec(Strict):
    many_to_many: list[str] = Field(min_length=2, max_length=2)
    through: str
    columns: list[str] | None = None
    on_delete: Action = "cascade"
    timestamps: bool = True


class ViewSpec(Strict):
    query: str
    description: str | None = None
    name: str | None = None
    schema_: str | None = Field(None, alias="schema")
    materialized: bool = False
    indexes: list[IndexSpec] = Field(default_factory=list, description="indexes of a materialized view")
    triggers: list[TriggerFull] = Field(default_factory=list, description="INSTEAD OF triggers")
    options: dict[str, Text] = Field(default_factory=dict, description="security_barrier, check_option")
    security_invoker: bool = True
    grants: dict[str, list[str]] = Field(default_factory=dict)
    lint: LintOverrides = Field(default_factory=dict)


class FunctionSpec(Strict):
    returns: str = ""
    body: str
    args: str = ""
    name: str | None = Field(None, description="the function's name when the key is not it (overloads)")
    schema_: str | None = Field(None, alias="schema")
    kind: Literal["function", "procedure", "window"] = "function"
    language: str = "plpgsql"
    volatility: Literal["volatile", "stable", "immutable"] = "volatile"
    strict: bool = False
    leakproof: bool = False
    parallel: Literal["unsafe", "restricted", "safe"] = "unsafe"
    cost: float | None = None
    rows: float | None = None
    set: dict[str, Text] = Field(default_factory=dict, description="SET name = value while it runs")
    atomic: bool = Field(False, description="the body is SQL-standard (RETURN ... or BEGIN ATOMIC ... END)")
    security_definer: bool = False
    search_path: str | None = None
    description: str | None = None
    execute: Union[list[str], Literal["default"], None] = Field(
        None, description="roles that may call it (others' EXECUTE is revoked); `default`: PostgreSQL's (everyone); "
                          "unset: PostgreSQL's, except SECURITY DEFINER functions: the roles of the policies that "
                          "call it")
    lint: LintOverrides = Field(default_factory=dict)


class RoleSpec(Strict):
    login: bool = False
    description: str | None = None


class SeedFull(Strict):
    key: list[str] | None = None
    rows: list[dict[str, object]]


class MigrationSettings(Strict):
    allow_destructive: list[str] = Field(
        default_factory=list, description="acknowledged destructive changes, e.g. drop_column:users.legacy")
    lock_timeout: str = "5s"


class SampleSettings(Strict):
    """Spec-wide settings of `gen sample`."""

    rows: int | None = Field(None, ge=0, description="total rows when --rows is not given")
    seed: int | None = Field(None, description="random seed when --seed is not given")
    tables: dict[str, SampleTable] = Field(
        default_factory=dict, description="tables outside the spec, by schema.table (supabase: auth.users)")


class QuerySpec(Strict):
    """A query the application depends on; `gen explain` proves an index serves it."""

    sql: str = Field(description="one SELECT; `:name` marks a parameter")
    params: dict[str, str] = Field(
        default_factory=dict, description="parameter: entity.column whose sample value it takes")
    uses: str | None = Field(None, description="the index the plan should use")
    description: str | None = None


class SpecFile(Strict):
    """A gen spec: one PostgreSQL data model."""

    spec: int = Field(ge=1, le=1, description="spec language version (1)")
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    description: str | None = None
    database: Database = Field(default_factory=Database)
    naming: Naming = Field(default_factory=Naming)
    extensions: list[Union[str, ExtensionFull]] = Field(default_factory=list)
    schemas: list[Union[str, SchemaFull]] = Field(default_factory=list)
    collations: dict[str, CollationSpec] = Field(default_factory=dict)
    types: dict[str, TypeSpec] = Field(default_factory=dict, description="domains, composite and range types")
    sequences: dict[str, SequenceSpec] = Field(default_factory=dict)
    enums: dict[str, Union[list[Text], EnumFull]] = Field(default_factory=dict)
    roles: dict[str, RoleSpec | None] = Field(default_factory=dict)
    grants: dict[str, list[str]] = Field(default_factory=dict, description="grants on every table")
    traits: dict[str, Trait] = Field(default_factory=dict)
    tenancy: Tenancy | None = None
    auth: Auth | None = None
    entities: dict[str, Entity]
    defaults: list[DefaultsFull] = Field(default_factory=list, description="traits, policies and auditing for "
                                                                           "every entity (or tenant entity)")
    audit: AuditSettings | None = Field(None, description="the audit table (defaults apply when an entity is audited)")
    relations: list[RelationSpec] = Field(default_factory=list)
    views: dict[str, ViewSpec] = Field(default_factory=dict)
    functions: dict[str, FunctionSpec] = Field(default_factory=dict)
    aggregates: dict[str, AggregateSpec] = Field(default_factory=dict)
    sql: dict[str, RawSqlSpec] = Field(default_factory=dict, description="raw SQL objects (the escape hatch)")
    seed: dict[str, Union[list[dict[str, object]], SeedFull]] = Field(default_factory=dict)
    migrations: MigrationSettings = Field(default_factory=MigrationSettings)
    lint: dict[str, Literal["off", "warning", "error"]] = Field(
        default_factory=dict, description="spec-wide lint severities, e.g. {RL013: error}")
    sample: SampleSettings | None = None
    queries: dict[str, QuerySpec] = Field(default_factory=dict)
