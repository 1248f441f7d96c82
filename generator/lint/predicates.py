"""Access predicates read with PostgreSQL's own grammar (pglast): top-level AND conjuncts,
constant truth, scope predicates (`col = <the current tenant or user>`) and admin calls."""
from __future__ import annotations

import re
from functools import lru_cache

from generator.model.naming import RESERVED

# The current principal: who is asking (owner scope) or on behalf of which tenant (tenant scope).
_PRINCIPAL = re.compile(r"\bauth\s*\.\s*(uid|jwt)\s*\(|\bcurrent_setting\s*\(|\bcurrent_user\b|"
                        r"\bsession_user\b|\brequest\.jwt", re.IGNORECASE)
_OWNER = re.compile(r"\bauth\s*\.\s*uid\s*\(|\bcurrent_user\b|\bsession_user\b|'sub'|"
                    r"current_setting\s*\(\s*(CAST\s*\()?\s*'[^']*user[^']*'", re.IGNORECASE)


@lru_cache(maxsize=4096)
def parse_expr(text: str | None):
    """The AST of one SQL expression, or None (empty or unparsable)."""
    if not text:
        return None
    try:
        from pglast import parse_sql
        return parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val
    except Exception:
        return None


def deparse(node) -> str:
    from pglast.stream import RawStream
    try:
        return RawStream()(node)
    except Exception:       # pragma: no cover - pglast prints every node it parsed
        return ""


def walk(node):
    """Every AST node under `node`, depth first."""
    from pglast import ast
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, (tuple, list)):
            stack.extend(reversed(cur))
        elif isinstance(cur, ast.Node):
            yield cur
            for name in cur.__slots__:
                child = getattr(cur, name, None)
                if isinstance(child, (ast.Node, tuple, list)):
                    stack.append(child)


def _boolop(node) -> str | None:
    from pglast import ast
    if isinstance(node, ast.BoolExpr):
        return {0: "AND", 1: "OR", 2: "NOT"}[int(node.boolop)]
    return None


def conjuncts(node) -> list:
    """The top-level AND terms of an expression (itself when it is no AND)."""
    if node is None:
        return []
    if _boolop(node) == "AND":
        return [c for arg in node.args for c in conjuncts(arg)]
    return [node]


def _scalar(node):
    """`(SELECT x)` without FROM -> x; anything else as it is."""
    from pglast import ast
    if isinstance(node, ast.SubLink) and int(node.subLinkType) == 4:
        sel = node.subselect
        if isinstance(sel, ast.SelectStmt) and not sel.fromClause and not sel.whereClause \
                and sel.targetList and len(sel.targetList) == 1:
            return _scalar(sel.targetList[0].val)
    return node


_TRUE_TEXT = {"t", "true", "y", "yes", "on", "1"}
_FALSE_TEXT = {"f", "false", "n", "no", "off", "0"}


def _constant(node):
    """The Python value of a constant (bool, int, str), or a sentinel when not constant."""
    from pglast import ast
    node = _scalar(node)
    if isinstance(node, ast.A_Const) and not node.isnull:
        v = node.val
        for attr in ("boolval", "ival", "fval", "sval"):
            if hasattr(v, attr):
                return getattr(v, attr)
    if isinstance(node, ast.TypeCast):
        inner = _constant(node.arg)
        names = [getattr(n, "sval", "") for n in node.typeName.names]
        if names and names[-1] in ("bool", "boolean"):
            if inner is True or (isinstance(inner, str) and inner.lower() in _TRUE_TEXT):
                return True
            if inner is False or (isinstance(inner, str) and inner.lower() in _FALSE_TEXT):
                return False
        return inner
    return _NOT_CONSTANT


_NOT_CONSTANT = object()


def truth(node) -> bool | None:
    """True or False when the expression is a constant truth value (`true`, `'t'::boolean`,
    `1 = 1`, `NOT false`, `true OR x`), else None."""
    from pglast import ast
    node = _scalar(node)
    op = _boolop(node)
    if op == "NOT":
        inner = truth(node.args[0])
        return None if inner is None else not inner
    if op in ("AND", "OR"):
        values = [truth(a) for a in node.args]
        if op == "AND":
            return False if False in values else True if all(v is True for v in values) else None
        return True if True in values else False if all(v is False for v in values) else None
    value = _constant(node)
    if isinstance(value, bool):
        return value
    if isinstance(node, ast.A_Expr) and _operator(node) in ("=", "<>", "!="):
        left, right = _constant(node.lexpr), _constant(node.rexpr)
        if left is not _NOT_CONSTANT and right is not _NOT_CONSTANT and type(left) is type(right):
            return (left == right) == (_operator(node) == "=")
    return None


def _operator(node) -> str:
    from pglast.enums import A_Expr_Kind
    if node.kind == A_Expr_Kind.AEXPR_OP and node.name:
        return getattr(node.name[-1], "sval", "")
    return ""


def principal_kind(node, known: dict[str, str] | None = None) -> str | None:
    """"tenant" or "owner" when `node` is the current principal (a setting, the JWT, the
    current user, or one of the `known` expressions: deparsed text -> kind), else None."""
    return _principal_text_kind(deparse(_scalar(node)), known)


def _principal_text_kind(text: str, known: dict[str, str] | None) -> str | None:
    """principal_kind of an expression by its deparsed text."""
    if known and text in known:
        return known[text]
    if not _PRINCIPAL.search(text) or re.search(r"\bauth\s*\.\s*role\s*\(", text, re.IGNORECASE):
        return None
    return "owner" if _OWNER.search(text) else "tenant"


def column_name(node) -> str | None:
    from pglast import ast
    if isinstance(node, ast.ColumnRef) and node.fields and hasattr(node.fields[-1], "sval"):
        return node.fields[-1].sval
    return None


def scope_term(node, known: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(column, kind) when a conjunct pins a column to the current principal:
    `col = <principal>`, `<principal> = col`, or `col IN (SELECT … <principal> …)`."""
    from pglast import ast
    if isinstance(node, ast.A_Expr) and _operator(node) == "=":
        for mine, other in ((node.lexpr, node.rexpr), (node.rexpr, node.lexpr)):
            col = column_name(mine)
            if col and column_name(_scalar(other)) is None:
                kind = principal_kind(other, known)
                if kind:
                    return col, kind
    if isinstance(node, ast.SubLink) and int(node.subLinkType) == 2 and not node.operName:
        col = column_name(node.testexpr)
        if col:
            kind = principal_kind(node.subselect, known)
            if kind:
                return col, kind
    return None


def admin_call(node, admin_names: frozenset[str]) -> bool:
    """True when the expression is a call of the admin predicate: `is_admin()`,
    `(SELECT public.is_admin())`, `is_admin() = true`."""
    from pglast import ast
    node = _scalar(node)
    if isinstance(node, ast.FuncCall):
        name = getattr(node.funcname[-1], "sval", "")
        return name in admin_names
    if isinstance(node, ast.A_Expr) and _operator(node) == "=":
        if _constant(node.rexpr) is True:
            return admin_call(node.lexpr, admin_names)
        if _constant(node.lexpr) is True:
            return admin_call(node.rexpr, admin_names)
    return False


def pins(node, column: str, admin_names: frozenset[str], known: dict[str, str] | None = None) -> bool:
    """Whether every row the expression accepts has `column` = the current principal, or the
    expression admits admins only: some AND term does, or every OR branch does."""
    if node is None:
        return False
    op = _boolop(node)
    if op == "AND":
        return any(pins(a, column, admin_names, known) for a in node.args)
    if op == "OR":
        return all(pins(a, column, admin_names, known) for a in node.args)
    if admin_call(node, admin_names):
        return True
    term = scope_term(node, known)
    return term is not None and term[0] == column


def admin_only(node, admin_names: frozenset[str]) -> bool:
    """The expression admits admins only (an AND term, or every OR branch, is the admin call)."""
    if node is None:
        return False
    op = _boolop(node)
    if op == "AND":
        return any(admin_only(a, admin_names) for a in node.args)
    if op == "OR":
        return all(admin_only(a, admin_names) for a in node.args)
    return admin_call(node, admin_names)


def relations(query: str) -> list[tuple[str | None, str]]:
    """(schema or None, name) of every table a query reads, CTE names left out."""
    try:
        from pglast import ast, parse_sql
        tree = parse_sql(query)
    except Exception:
        return []
    ctes = {c.ctename for n in walk(tree) if isinstance(n, ast.WithClause) for c in n.ctes}
    out = []
    for n in walk(tree):
        if isinstance(n, ast.RangeVar) and not (n.schemaname is None and n.relname in ctes):
            key = (n.schemaname, n.relname)
            if key not in out:
                out.append(key)
    return out


# ---------------------------------------------------------------- gen's own scope predicate

# What the tenant-isolation and owner presets write for a setting principal:
# `col = (SELECT NULLIF(current_setting('app.x', true), '')::uuid)`. Read without the parser (importing
# pglast is a third of a large spec's lint otherwise), to the parser's answers: tests/test_lint_same.py
# holds every function below to its parsed path on these texts, every keyword as the column included.
_SETTING = r"NULLIF\(current_setting\('([A-Za-z0-9_.]+)', true\), ''\)::(uuid|text|bigint|integer)"
_GEN_PRINCIPAL = re.compile(_SETTING)
_GEN_PIN = re.compile(rf"([a-z_][a-z0-9_]*) = \(SELECT {_SETTING}\)")
_NOT_COLUMNS = RESERVED | {"json_exists", "json_query", "json_scalar", "json_serialize", "json_table",
                           "json_value", "merge_action"}


def _setting_principal(setting: str, type_name: str) -> str:
    """The parser's deparsed text of a setting principal."""
    return f"CAST(NULLIF(current_setting('{setting}', TRUE), '') AS {type_name})"


def gen_principal(text: str | None) -> str | None:
    """The deparsed text of a setting principal as gen writes it, or None for any other text."""
    m = _GEN_PRINCIPAL.fullmatch(text) if text else None
    return _setting_principal(m[1], m[2]) if m else None


def gen_pin(text: str | None) -> tuple[str, str] | None:
    """(column, deparsed principal) of gen's scope predicate, or None for any other text."""
    m = _GEN_PIN.fullmatch(text) if text else None
    if m is None or m[1] in _NOT_COLUMNS:
        return None
    return m[1], _setting_principal(m[2], m[3])


# ---------------------------------------------------------------- by text, cached (policies repeat)

Known = tuple[tuple[str, str], ...]      # deparsed principal expression -> kind, as hashable pairs


@lru_cache(maxsize=16384)
def scope_terms(text: str | None, known: Known = ()) -> tuple[tuple[str, str], ...]:
    """(column, kind) of every top-level AND term of `text` that pins a column to the principal."""
    pin = gen_pin(text)
    if pin is not None:
        kind = _principal_text_kind(pin[1], dict(known))
        return ((pin[0], kind),) if kind else ()
    return parsed_scope_terms(text, known)


def parsed_scope_terms(text: str | None, known: Known = ()) -> tuple[tuple[str, str], ...]:
    out = []
    for term in conjuncts(parse_expr(text)):
        got = scope_term(term, dict(known))
        if got and got not in out:
            out.append(got)
    return tuple(out)


@lru_cache(maxsize=16384)
def text_pins(text: str | None, column: str, admin_names: frozenset[str], known: Known = ()) -> bool:
    if gen_pin(text) is not None:
        return any(c == column for c, _ in scope_terms(text, known))
    return pins(parse_expr(text), column, admin_names, dict(known))


@lru_cache(maxsize=16384)
def text_admin_only(text: str | None, admin_names: frozenset[str]) -> bool:
    return gen_pin(text) is None and admin_only(parse_expr(text), admin_names)


@lru_cache(maxsize=16384)
def text_truth(text: str | None) -> bool | None:
    node = None if gen_pin(text) is not None else parse_expr(text)
    return None if node is None else truth(node)


@lru_cache(maxsize=16384)
def called(text: str | None) -> tuple[str, ...]:
    """The names of the functions an expression calls, in the order the parse tree holds them."""
    if gen_pin(text) is not None:
        return ("current_setting",)
    return parsed_called(text)


def parsed_called(text: str | None) -> tuple[str, ...]:
    from pglast import ast
    node = parse_expr(text)
    if node is None:
        return ()
    return tuple(getattr(n.funcname[-1], "sval", "") for n in walk(node) if isinstance(n, ast.FuncCall))
