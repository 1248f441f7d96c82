"""What each migration statement locks, as data: PostgreSQL's lock level per statement kind on the
table it names (and on the table a foreign key references), and for how long (brief: a catalog
change; scan: reads every row under the lock; rewrite: rewrites the table; build: builds an
index). tests/test_review_locks.py runs a sample of every kind on a real PostgreSQL and reads
pg_locks to hold this table to the truth."""
from __future__ import annotations

import re
from dataclasses import dataclass

# PostgreSQL's table lock levels, weakest first (docs: "Explicit Locking", table 13.2).
LEVELS = ("ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE",
          "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE")
BLOCKS_WRITES = {"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}
BLOCKS_READS = {"ACCESS EXCLUSIVE"}
BRIEF, SCAN, REWRITE, BUILD = "brief", "scan", "rewrite", "build"


@dataclass(frozen=True)
class LockRule:
    kind: str                      # what the statement does
    pattern: str                   # regex on the statement (whitespace collapsed, upper-cased keywords kept)
    lock: str | None               # level on the table it names; None: no table lock
    duration: str = BRIEF
    referenced: str | None = None  # level on the table a foreign key references
    note: str = ""


# First match wins: specific kinds before general ones.
RULES: tuple[LockRule, ...] = (
    LockRule("create index concurrently", r"^CREATE (UNIQUE )?INDEX CONCURRENTLY", "SHARE UPDATE EXCLUSIVE", BUILD,
             note="reads and writes continue; outside a transaction"),
    LockRule("create index", r"^CREATE (UNIQUE )?INDEX", "SHARE", BUILD, note="writes wait for the build"),
    LockRule("drop index concurrently", r"^DROP INDEX CONCURRENTLY", "SHARE UPDATE EXCLUSIVE"),
    LockRule("drop index", r"^DROP INDEX", "ACCESS EXCLUSIVE"),
    LockRule("rename index", r"^ALTER INDEX \S+ RENAME", None, note="SHARE UPDATE EXCLUSIVE on the index only"),
    LockRule("create table", r"^CREATE TABLE", None, referenced="SHARE ROW EXCLUSIVE",
             note="a new table; referenced tables briefly refuse writes"),
    LockRule("drop table", r"^DROP TABLE", "ACCESS EXCLUSIVE"),
    LockRule("rename table", r"^ALTER TABLE \S+ RENAME TO", "ACCESS EXCLUSIVE"),
    LockRule("rename column", r"^ALTER TABLE \S+ RENAME COLUMN", "ACCESS EXCLUSIVE"),
    LockRule("rename constraint", r"^ALTER TABLE \S+ RENAME CONSTRAINT", "ACCESS EXCLUSIVE"),
    LockRule("add column", r"^ALTER TABLE \S+ ADD COLUMN .*(GENERATED ALWAYS AS \(|AS IDENTITY)", "ACCESS EXCLUSIVE",
             REWRITE, note="fills every row"),
    LockRule("add column", r"^ALTER TABLE \S+ ADD COLUMN", "ACCESS EXCLUSIVE",
             note="a volatile default would rewrite the table"),
    LockRule("drop column", r"^ALTER TABLE \S+ DROP COLUMN", "ACCESS EXCLUSIVE"),
    LockRule("change column type", r"^ALTER TABLE \S+ ALTER COLUMN \S+ (SET DATA )?TYPE", "ACCESS EXCLUSIVE",
             REWRITE, note="no rewrite when the types are binary-coercible (varchar(n) -> text)"),
    LockRule("set not null", r"^ALTER TABLE \S+ ALTER COLUMN \S+ SET NOT NULL", "ACCESS EXCLUSIVE", SCAN),
    LockRule("add identity", r"^ALTER TABLE \S+ ALTER COLUMN \S+ ADD GENERATED", "ACCESS EXCLUSIVE"),
    LockRule("alter column", r"^ALTER TABLE \S+ ALTER COLUMN", "ACCESS EXCLUSIVE",
             note="default, nullability, identity or expression"),
    LockRule("add foreign key (not valid)", r"^ALTER TABLE \S+ ADD CONSTRAINT .* FOREIGN KEY .* NOT VALID",
             "SHARE ROW EXCLUSIVE", referenced="SHARE ROW EXCLUSIVE", note="existing rows are checked later"),
    LockRule("add foreign key", r"^ALTER TABLE \S+ ADD CONSTRAINT .* FOREIGN KEY", "SHARE ROW EXCLUSIVE", SCAN,
             referenced="SHARE ROW EXCLUSIVE"),
    LockRule("add check (not valid)", r"^ALTER TABLE \S+ ADD CONSTRAINT .* CHECK .* NOT VALID", "ACCESS EXCLUSIVE"),
    LockRule("add check", r"^ALTER TABLE \S+ ADD CONSTRAINT .* CHECK", "ACCESS EXCLUSIVE", SCAN),
    LockRule("attach unique index", r"^ALTER TABLE \S+ ADD CONSTRAINT .* USING INDEX", "ACCESS EXCLUSIVE"),
    LockRule("add unique or primary key", r"^ALTER TABLE \S+ ADD CONSTRAINT .* (UNIQUE|PRIMARY KEY)",
             "ACCESS EXCLUSIVE", BUILD),
    LockRule("validate constraint", r"^ALTER TABLE \S+ VALIDATE CONSTRAINT", "SHARE UPDATE EXCLUSIVE", SCAN,
             note="reads and writes continue"),
    LockRule("drop constraint", r"^ALTER TABLE \S+ DROP CONSTRAINT", "ACCESS EXCLUSIVE"),
    LockRule("row-level security", r"^ALTER TABLE \S+ (ENABLE|DISABLE|FORCE|NO FORCE) ROW LEVEL SECURITY",
             "ACCESS EXCLUSIVE"),
    LockRule("create trigger", r"^CREATE (OR REPLACE )?TRIGGER", "SHARE ROW EXCLUSIVE"),
    LockRule("drop trigger", r"^DROP TRIGGER", "ACCESS EXCLUSIVE"),
    LockRule("rename trigger", r"^ALTER TRIGGER", "ACCESS EXCLUSIVE"),
    LockRule("create policy", r"^CREATE POLICY", "ACCESS EXCLUSIVE"),
    LockRule("alter policy", r"^ALTER POLICY", "ACCESS EXCLUSIVE"),
    LockRule("drop policy", r"^DROP POLICY", "ACCESS EXCLUSIVE"),
    LockRule("comment", r"^COMMENT ON (TABLE|COLUMN)", "SHARE UPDATE EXCLUSIVE"),
    LockRule("grant", r"^(GRANT|REVOKE) ", None, note="catalog only"),
    LockRule("create view", r"^CREATE (OR REPLACE )?VIEW", "ACCESS SHARE", note="on the tables it reads"),
    LockRule("drop view", r"^DROP VIEW", None, note="ACCESS EXCLUSIVE on the view"),
    LockRule("rebuild step", r"^DO \$check\$", "ACCESS SHARE", SCAN, note="reads the column's values"),
    LockRule("attach constraint", r"^DO \$attach\$", "ACCESS EXCLUSIVE", note="attaches a built index"),
    LockRule("read", r"^SELECT .* FROM", "ACCESS SHARE", SCAN),
    LockRule("no table lock", r"^(CREATE|ALTER|DROP|COMMENT ON) (TYPE|FUNCTION|OR REPLACE FUNCTION|EXTENSION|SCHEMA|"
             r"INDEX|VIEW|FUNCTION)|^(SET|DO|--)", None),
)


def rule_for(sql: str) -> LockRule:
    text = " ".join(sql.split())
    for r in RULES:
        if re.search(r.pattern, text, re.IGNORECASE | re.DOTALL):
            return r
    return LockRule("other", "", None, note="not classified")


def heavy(r: LockRule) -> bool:
    """Blocks writes (or reads) for longer than a catalog update."""
    return r.duration != BRIEF and (r.lock in BLOCKS_WRITES or r.referenced in BLOCKS_WRITES)


def words(r: LockRule, table: str | None, referenced: str | None = None) -> str:
    """`ACCESS EXCLUSIVE on users (rewrite)`, for a reader."""
    parts = []
    if r.lock:
        parts.append(f"{r.lock} on {table or 'the table'}" + (f" ({r.duration})" if r.duration != BRIEF else ""))
    if r.referenced and referenced:
        parts.append(f"{r.referenced} on {referenced}")
    return "; ".join(parts) or "no table lock"
