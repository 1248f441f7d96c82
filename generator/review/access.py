"""The access matrix of one model: for every table and view, each principal class x SELECT /
INSERT / UPDATE / DELETE, decided from grants, RLS flags (enabled, forced), the policies that
apply to the class's role and what their predicates are for that class (docs/review.md, "How a
cell is decided")."""
from __future__ import annotations

from dataclasses import dataclass, field

from generator.lint.context import commands, effective_check
from generator.lint.predicates import relations
from generator.model import Policy, Schema, Table, View
from generator.review.logic import FALSE, MAYBE, NULL, TRUE, Value, both, either
from generator.review.predicate import Evaluator, Facts
from generator.review.principals import CLASSES, COMMANDS, Principal, Roles, Scoping, principals, roles_of

DENIED, CONDITIONAL, ALLOWED = "denied", "conditional", "allowed"
RANK = {DENIED: 0, CONDITIONAL: 1, ALLOWED: 2}
CONDITION_LIMIT = 90            # characters of a residual condition shown in a cell


@dataclass(frozen=True)
class Cell:
    """What one class may do with one command: `level` (denied / conditional / allowed), the
    rows in words (`rows`), the protected columns it may not write (`except_`), the columns a
    column grant limits it to (`columns`) and why (`why`: no grant, no policy, RLS off ...)."""

    level: str
    rows: str
    why: str = ""
    except_: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        out = self.rows
        if self.columns:
            out += f", columns {', '.join(self.columns)} only"
        if self.except_:
            out += f", not {', '.join(self.except_)}"
        if self.why:
            out += f" ({self.why})"
        for note in self.notes:
            out += f" ({note})"
        return out


@dataclass
class Matrix:
    """object name -> class -> command -> Cell (None: the class does not apply)."""

    cells: dict[str, dict[str, dict[str, Cell | None]]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)          # object name -> table | view
    locs: dict[str, object] = field(default_factory=dict)         # object name -> Location


def object_name(obj: Table | View) -> str:
    return obj.name if obj.schema == "public" else f"{obj.schema}.{obj.name}"


def matrix(schema: Schema) -> Matrix:
    roles, scoping = roles_of(schema), Scoping(schema)
    ev = Evaluator(schema, scoping, _admin_names(schema))
    out = Matrix()
    for t in schema.tables:
        name = object_name(t)
        ps = principals(t, roles, scoping)
        out.cells[name] = {c: {cmd: table_cell(t, ps[c], cmd, roles, ev) if ps[c] else None
                               for cmd in COMMANDS} for c in CLASSES}
        out.kinds[name], out.locs[name] = "table", t.loc
    for v in schema.views:
        name = object_name(v)
        out.cells[name] = view_cells(schema, v, out, roles)
        out.kinds[name], out.locs[name] = "view", v.loc
    return out


def _admin_names(schema: Schema) -> frozenset[str]:
    auth = schema.auth
    if auth and auth.admin_function:
        return frozenset({auth.admin_function.rpartition(".")[2]})
    return frozenset(f.name for f in schema.functions if f.name.endswith("is_admin"))


# ---------------------------------------------------------------- tables

def privilege(obj: Table | View, p: Principal, command: str, roles: Roles) -> tuple[str, ...] | None:
    """() when the class's role holds `command` on the whole object, the columns when only a
    column grant gives it, None when it does not hold it."""
    if p.table_owner or (roles.stand_in and p.role == roles.app):
        return ()
    cols: list[str] = []
    for g in obj.grants:
        if g.role in (p.role, "public") and command in g.privileges:
            if not g.columns:
                return ()
            cols += g.columns
    return tuple(sorted(set(cols))) if cols else None


def applies(pol: Policy, p: Principal) -> bool:
    return "public" in pol.roles or p.role in pol.roles


def table_cell(t: Table, p: Principal, command: str, roles: Roles, ev: Evaluator) -> Cell:
    columns = privilege(t, p, command, roles)
    if columns is None:
        return Cell(DENIED, "denied", "no grant")
    if p.bypass:
        return _finish(t, p, command, Cell(ALLOWED, "allowed", "bypasses RLS", columns=columns))
    if not t.rls_enabled:
        return _finish(t, p, command, Cell(ALLOWED, "allowed", "RLS off", columns=columns))
    if p.table_owner and not t.rls_forced:
        return _finish(t, p, command, Cell(ALLOWED, "allowed", "owner, RLS not forced", columns=columns))
    value = rows_value(t, p, command, Facts(p.role, p.tenant, p.user, p.admin), ev)
    if value is None:
        return Cell(DENIED, "denied", "no policy")
    return _finish(t, p, command, _cell(value, columns))


def rows_value(t: Table, p: Principal, command: str, facts: Facts, ev: Evaluator) -> Value | None:
    """The rows `p` reaches with `command`, as one value; None when no permissive policy
    applies. UPDATE and DELETE also need the row to pass a SELECT policy (a statement names its
    rows by a WHERE clause); UPDATE's new row must pass the WITH CHECKs."""
    def combined(cmd: str, clause) -> Value | None:
        mine = [pol for pol in t.policies if cmd in commands(pol) and applies(pol, p)]
        perm = [_policy_value(ev.evaluate(clause(pol), t, facts), pol) for pol in mine if pol.permissive]
        if not perm:
            return None
        restr = [_policy_value(ev.evaluate(clause(pol), t, facts), pol) for pol in mine if not pol.permissive]
        return both([either(perm)] + restr)

    def using(pol):
        return pol.using

    if command == "SELECT":
        return combined("SELECT", using)
    if command == "INSERT":
        return combined("INSERT", effective_check)
    parts = [combined(command, using), combined("SELECT", using)]
    if command == "UPDATE":
        parts.append(combined("UPDATE", effective_check))
    if command == "DELETE" and t.meta.soft_delete and not (p.bypass or p.table_owner):
        # the DELETE marks the row with an UPDATE, which the restrictive UPDATE policies bind too
        parts += [_policy_value(ev.evaluate(pol.using, t, facts), pol) for pol in t.policies
                  if "UPDATE" in commands(pol) and applies(pol, p) and not pol.permissive and pol.using
                  and pol.preset != "soft_delete"]
    if any(v is None for v in parts):
        return None
    return both(parts)


def _policy_value(v: Value, pol: Policy) -> Value:
    """A soft-delete policy's residual (`deleted_at IS NULL …`) is a note, not a condition."""
    if pol.preset == "soft_delete" and v.truth == MAYBE:
        return Value(TRUE, v.via | {"soft delete"})
    return v


def _cell(v: Value, columns: tuple[str, ...]) -> Cell:
    notes = ("deleted rows hidden",) if "soft delete" in v.via else ()
    if v.truth in (FALSE, NULL):
        return Cell(DENIED, "denied")
    words = _rows_words(v.via)
    if v.truth == TRUE:
        return Cell(ALLOWED, words, columns=columns, notes=notes)
    cond = v.cond or ""
    cond = cond if len(cond) <= CONDITION_LIMIT else cond[:CONDITION_LIMIT - 1].rstrip() + "…"
    lead = "rows matching" if words == "allowed" else f"{words} matching"
    return Cell(CONDITIONAL, f"{lead} {cond}", columns=columns, notes=notes)


def _rows_words(via: frozenset[str]) -> str:
    if via & {"always", "admin", "role"} or not via - {"soft delete"}:
        return "allowed"
    if "owner" in via:
        return "own rows"
    if "tenant" in via:
        return "tenant rows"
    return "allowed"


def _finish(t: Table, p: Principal, command: str, cell: Cell) -> Cell:
    """Protected columns a write cannot touch, and soft delete's marking, as notes."""
    if cell.level == DENIED or command not in ("INSERT", "UPDATE", "DELETE"):
        return cell
    notes = cell.notes
    if command == "DELETE" and t.meta.soft_delete and not (p.bypass or p.table_owner):
        notes += (f"marks {t.meta.soft_delete.column}",)
    except_ = ()
    if command in ("INSERT", "UPDATE") and not (p.bypass or p.table_owner):
        except_ = tuple(pr.column for pr in t.meta.protected
                        if not (p.admin and "admin" in pr.writable_by) and p.role not in pr.writable_by)
    return Cell(cell.level, cell.rows, cell.why, except_, cell.columns, notes)


# ---------------------------------------------------------------- views

FALLBACK = {"owner": ("owner", "same tenant", "authenticated"), "same tenant": ("same tenant", "authenticated"),
            "other tenant": ("other tenant", "authenticated")}


def view_cells(schema: Schema, v: View, done: Matrix, roles: Roles) -> dict[str, dict[str, Cell | None]]:
    """A view: its own grants, then either its owner's rights (security_invoker off: the base
    tables' RLS is not the caller's) or, per base table, what the class may do there."""
    bases = [object_name(t) for sch, name in relations(v.query)
             if (t := schema.table(name, sch or "public")) is not None]
    kinds = set()
    for b in bases:
        kinds |= {c for c in CLASSES if any(done.cells[b][c][cmd] is not None for cmd in COMMANDS)}
    out: dict[str, dict[str, Cell | None]] = {}
    for c in CLASSES:
        p = _view_principal(c, roles)
        out[c] = {cmd: _view_cell(v, p, cmd, bases, done, roles) if c in kinds or not bases else None
                  for cmd in COMMANDS}
    return out


def _view_principal(c: str, roles: Roles) -> Principal:
    if c == "anon":
        return Principal(c, roles.anon)
    if c == "service role":
        return Principal(c, roles.service, bypass=roles.flavor == "supabase", table_owner=roles.flavor != "supabase")
    return Principal(c, roles.app, user="other")


def _view_cell(v: View, p: Principal, command: str, bases: list[str], done: Matrix, roles: Roles) -> Cell:
    columns = privilege(v, p, command, roles)
    if columns is None:
        return Cell(DENIED, "denied", "no grant")
    if p.bypass or p.table_owner:
        return Cell(ALLOWED, "allowed", "bypasses RLS" if p.bypass else "owner")
    if not v.security_invoker:
        return Cell(ALLOWED, "every row its query returns", "runs as the view's owner", columns=columns)
    through = [(b, _base_cell(done.cells[b], p.name, command)) for b in bases]
    through = [(b, c) for b, c in through if c is not None]
    if not through:
        return Cell(ALLOWED, "allowed", columns=columns)
    worst = min(RANK[c.level] for _, c in through)
    if worst == RANK[DENIED]:
        gone = ", ".join(b for b, c in through if c.level == DENIED)
        return Cell(DENIED, "denied", f"through {gone}")
    if all(c.level == ALLOWED for _, c in through):
        words = {c.rows for _, c in through}
        return Cell(ALLOWED, words.pop() if len(words) == 1 else "allowed", columns=columns)
    parts = "; ".join(f"{b}: {c.rows}" for b, c in through)
    return Cell(CONDITIONAL, f"rows its tables show ({parts})", columns=columns)


def _base_cell(cells: dict[str, dict[str, Cell | None]], c: str, command: str) -> Cell | None:
    for name in FALLBACK.get(c, (c,)):
        got = cells[name][command]
        if got is not None:
            return got
    return None
