"""Spec-side facts for sample data and for the index proof: value hints per column, row
counts and ratios per table, spec-wide sample settings and the spec's named queries. None of
it exists in the database, so none of it makes two schemas differ."""
from __future__ import annotations

from dataclasses import dataclass

from generator.diagnostics import Location


@dataclass(frozen=True, slots=True)
class ColumnHint:
    """How sample values of one column look. `kind` names a generator (email, slug, name,
    text, …); `low`/`high` bound numbers, dates or text lengths; `values` (with `weights`)
    lists the values to draw from; `null` is the share of NULLs in a nullable column;
    `items` bounds the element count of an array."""

    kind: str | None = None
    low: float | str | None = None
    high: float | str | None = None
    values: tuple = ()
    weights: tuple[float, ...] = ()
    null: float | None = None
    items: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class SampleHints:
    """Per table: an exact row count, or rows per row of a parent table (by table name)."""

    rows: int | None = None
    per: float | None = None
    per_table: str | None = None        # table the ratio is counted against (None: the main parent)
    per_schema: str = "public"
    columns: tuple[tuple[str, ColumnHint], ...] = ()

    def hint(self, column: str) -> ColumnHint | None:
        return next((h for c, h in self.columns if c == column), None)


@dataclass(frozen=True, slots=True)
class SampleSettings:
    """Spec-wide: the default total row count and seed, and hints for tables outside the spec
    (Supabase's auth.users) keyed by (schema, table)."""

    rows: int | None = None
    seed: int | None = None
    external: tuple[tuple[tuple[str, str], SampleHints], ...] = ()

    def for_external(self, key: tuple[str, str]) -> SampleHints | None:
        return next((h for k, h in self.external if k == key), None)


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A query the spec declares important: its SQL with `:name` parameters, where each
    parameter's sample value comes from (schema, table, column), and the index it should use."""

    name: str
    sql: str
    params: tuple[tuple[str, tuple[str, str, str]], ...] = ()
    uses: str | None = None
    description: str | None = None
    loc: Location | None = None


# Value generators a column hint may name (`kind`); generator.sample implements each.
HINT_KINDS = (
    "email", "username", "name", "first_name", "last_name", "company", "title", "sentence", "paragraph",
    "text", "word", "words", "slug", "url", "domain", "phone", "hex", "token", "uuid", "ip", "user_agent",
    "file_path", "mime", "country", "city", "color", "currency", "code", "key", "int", "number", "date",
    "timestamp", "bool", "json", "vector",
)
