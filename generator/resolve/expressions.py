"""Free SQL from the spec (defaults, checks, predicates, policies, generated columns, view
queries) is parsed with PostgreSQL's own grammar (pglast) before anything is emitted: one
expression, no statement separators, no comments. Invalid SQL is an error naming the position;
anything PostgreSQL parses (custom operators, any function) is accepted."""
from __future__ import annotations

import re
from functools import lru_cache

from generator.model.naming import RESERVED

_FORBIDDEN = (";", "--", "/*")


class ExpressionError(ValueError):
    pass


def _scan(text: str) -> None:
    """Reject separators and comments outside string literals, and unbalanced parentheses."""
    _scan_pass(text, parens=False)
    _scan_pass(text, parens=True)


def _scan_pass(text: str, parens: bool) -> None:
    depth, quote, i = 0, "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "$" and text[i:i + 2] == "$$":
            raise ExpressionError("dollar-quoted strings are not allowed in an expression")
        elif not parens:
            for bad in _FORBIDDEN:
                if text.startswith(bad, i):
                    what = "a ';' (statement separator)" if bad == ";" else "an SQL comment"
                    raise ExpressionError(f"{what} is not allowed in an expression")
        else:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    raise ExpressionError("a ')' closes more than was opened")
        i += 1
    if quote:
        raise ExpressionError("an unterminated quoted string")
    if parens and depth:
        raise ExpressionError("unbalanced parentheses")


def check_expression(text: str) -> None:
    """Raise ExpressionError unless `text` is exactly one SQL scalar expression."""
    if not text or not text.strip():
        raise ExpressionError("an empty expression")
    problem = _verdict(text)
    if problem is not None:
        raise ExpressionError(problem)


@lru_cache(maxsize=4096)
def _verdict(text: str) -> str | None:
    """The check's outcome (None or the message), once per distinct text: a spec repeats the same
    defaults, checks and predicates on many tables. Trivially safe expressions skip sqlglot."""
    try:
        _scan(text)
        if not is_trivially_safe(text):
            _check_parse(text)
    except ExpressionError as e:
        return str(e)
    return None


# The fast path: `operand (op operand)*` with optional `IS [NOT] NULL` before AND/OR or the end, where an
# operand is [-]number, a '...' literal without backslashes, true/false/null, a plain identifier that no
# SQL dialect treats as a keyword, or one of a few argument-less functions, with at most one comparison
# between ANDs and ORs. PostgreSQL's grammar accepts all of these (benchmarks/test_fast_paths.py holds the
# fast path to that); anything else takes the slow path, so the fast path only ever skips work.
_FAST_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|('(?:[^'\\]|'')*')|([A-Za-z_][A-Za-z0-9_]*)(\(\))?"
                         r"|(<>|!=|<=|>=|[=<>+\-*/]))")
_FAST_CALLS = frozenset({"now", "gen_random_uuid", "uuid_generate_v4", "clock_timestamp", "statement_timestamp",
                         "transaction_timestamp", "random", "current_schema", "pg_backend_pid"})
_FAST_LITERALS = frozenset({"true", "false", "null"})
_COMPARISONS = frozenset({"=", "<>", "!=", "<", ">", "<=", ">="})
_NOT_PLAIN = frozenset(RESERVED | set("""
alter anti apply asof auto_increment autoincrement begin cache comment commit copy cube database datetime delete
describe drop escape execute file filter first format function glob insert is keep kill load lock match mod
namespace not operator ordinality over overwrite partition partitioned_by percent pivot pragma procedure qualify
recursive regexp rename replace revoke rlike rollback rollup rows schema semi session set settings show space
straight_join string temp temporary trigger truncate type uncache unnest unpivot update use view volatile xor
year""".split()))


def is_trivially_safe(text: str) -> bool:
    if "--" in text or "/*" in text:  # comments (also rejected by _scan, which runs first)
        return False
    pos, end, want_operand, state = 0, len(text.rstrip()), True, 0  # state: 1 after IS, 2 after IS NOT, 3 after NULL
    compared = False                   # PostgreSQL's comparison operators do not chain (a < b < c)
    while pos < end:
        m = _FAST_TOKEN.match(text, pos)
        if m is None:
            return False
        pos = m.end()
        num, lit, word, call, op = m.groups()
        low = word.lower() if word else None
        if state in (1, 2):  # inside IS [NOT] NULL
            if low == "not" and state == 1 and not call:
                state = 2
            elif low == "null" and not call:
                state = 3
            else:
                return False
        elif want_operand:
            if op == "-":
                continue  # unary minus
            if op or (word and (low not in _FAST_CALLS if call else
                                low in _NOT_PLAIN and low not in _FAST_LITERALS)):
                return False
            want_operand = False
        elif low == "is" and not call and state == 0:
            state = 1
        elif op and state == 0:
            if op in _COMPARISONS:
                if compared:
                    return False
                compared = True
            want_operand = True
        elif low in ("and", "or") and not call:
            want_operand, state, compared = True, 0, False
        else:
            return False
    return not want_operand and state in (0, 3)


_PREFIX = "SELECT "


def _parse(sql: str, offset: int, what: str):
    """pglast's statements for `sql`, or ExpressionError naming the position in the spec's text."""
    from pglast import parse_sql
    from pglast.parser import ParseError

    try:
        return parse_sql(sql)
    except ParseError as e:
        message, index = (e.args + (None,))[:2]
        where = f" (at character {index - offset + 1})" if isinstance(index, int) and index >= offset else ""
        raise ExpressionError(f"not a valid {what}: {message}{where}") from None


def _check_parse(text: str) -> None:
    from pglast import ast

    statements = _parse(_PREFIX + text, len(_PREFIX), "SQL expression")
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        raise ExpressionError("more than one statement")
    sel = statements[0].stmt
    if len(sel.targetList or ()) != 1 or any(getattr(sel, k, None) for k in (
            "fromClause", "whereClause", "groupClause", "havingClause", "limitCount", "sortClause", "larg")):
        raise ExpressionError("not a single expression")
    if sel.targetList[0].name is not None:
        raise ExpressionError("two words where one expression was expected (quote text: 'like this')")


_NOT_COLUMNS = frozenset({"true", "false", "null", "current_timestamp", "current_date", "current_time",
                          "localtime", "localtimestamp", "current_user", "session_user", "current_role", "user",
                          "and", "or", "not", "is"})


@lru_cache(maxsize=4096)
def referenced_columns(text: str) -> tuple[str, ...]:
    """Unqualified column names an expression reads outside any subquery (for checks, index
    predicates and generated columns, whose only table is their own)."""
    if is_trivially_safe(text):
        words = []
        for m in _FAST_TOKEN.finditer(text):
            word, call = m.group(3), m.group(4)
            if word and not call and word.lower() not in _NOT_COLUMNS and word not in words:
                words.append(word)
        return tuple(words)
    from pglast import ast
    from pglast.parser import ParseError

    try:
        from pglast import parse_sql
        tree = parse_sql(_PREFIX + text)
    except ParseError:
        return ()
    out: list[str] = []
    _columns_outside_subqueries(tree, out)
    return tuple(c for c in out if c.lower() not in _NOT_COLUMNS)


def _columns_outside_subqueries(node, out: list[str]) -> None:
    """Unqualified column references, not descending into subqueries (SubLink)."""
    from pglast import ast

    if isinstance(node, (tuple, list)):
        for item in node:
            _columns_outside_subqueries(item, out)
        return
    if not isinstance(node, ast.Node) or isinstance(node, ast.SubLink):
        return
    if isinstance(node, ast.ColumnRef):
        fields = node.fields or ()
        if len(fields) == 1 and isinstance(fields[0], ast.String) and fields[0].sval not in out:
            out.append(fields[0].sval)
        return
    for name in node.__slots__:
        child = getattr(node, name, None)
        if isinstance(child, (ast.Node, tuple, list)):
            _columns_outside_subqueries(child, out)


def bare_identifier(text: str) -> bool:
    """`draft` as a default is a column reference, not the text 'draft'."""
    t = text.strip()
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t)) and t.lower() not in _NOT_COLUMNS


def check_query(text: str) -> None:
    """Raise ExpressionError unless `text` is exactly one SELECT (or WITH … SELECT, VALUES, set
    operation) query."""
    from pglast import ast

    _scan(text)
    statements = _parse(text, 0, "query")
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        raise ExpressionError("a view query must be one SELECT statement")


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0][:200]


@lru_cache(maxsize=4096)
def has_subquery(text: str) -> bool:
    """Whether an expression holds a subquery (EXISTS, IN (SELECT ...), a scalar (SELECT ...))."""
    if "select" not in text.lower():
        return False
    from pglast import ast
    from pglast.parser import ParseError
    from pglast import parse_sql

    try:
        tree = parse_sql(_PREFIX + text)
    except ParseError:
        return False
    return _finds(tree, ast.SubLink)


def _finds(node, kind) -> bool:
    from pglast import ast

    if isinstance(node, (tuple, list)):
        return any(_finds(item, kind) for item in node)
    if isinstance(node, kind):
        return True
    if not isinstance(node, ast.Node):
        return False
    return any(_finds(getattr(node, name, None), kind) for name in node.__slots__
               if isinstance(getattr(node, name, None), (ast.Node, tuple, list)))


def unwrap_scalar_selects(text: str) -> str:
    """`(SELECT f())` -> `f()`: a scalar subquery with no FROM around one call, cast, column or
    constant means the same bare (PostgreSQL's InitPlan trick); Citus refuses any subquery in a
    policy. Other subqueries stay; the text is returned unchanged when there is nothing to do."""
    if not has_subquery(text):
        return text
    from pglast import ast, parse_sql
    from pglast.stream import RawStream

    tree = parse_sql(_PREFIX + text)
    value = tree[0].stmt.targetList[0].val
    changed = _unwrap(value)
    if changed is value:
        return text
    return RawStream()(changed)


_ATOMIC = ("FuncCall", "TypeCast", "ColumnRef", "A_Const", "SQLValueFunction", "CoalesceExpr")


def _unwrap(node):
    """The node with its unwrappable scalar subqueries replaced (a new node where it changed)."""
    from pglast import ast
    from pglast.enums import SubLinkType

    if isinstance(node, tuple):
        items = tuple(_unwrap(n) for n in node)
        return items if any(a is not b for a, b in zip(items, node)) else node
    if not isinstance(node, ast.Node):
        return node
    if isinstance(node, ast.SubLink) and node.subLinkType == SubLinkType.EXPR_SUBLINK:
        sel = node.subselect
        bare = isinstance(sel, ast.SelectStmt) and len(sel.targetList or ()) == 1 and not any(
            getattr(sel, k, None) for k in ("fromClause", "whereClause", "groupClause", "havingClause",
                                            "limitCount", "sortClause", "larg", "withClause"))
        if bare and type(sel.targetList[0].val).__name__ in _ATOMIC:
            return _unwrap(sel.targetList[0].val)
    changes = {}
    for name in node.__slots__:
        child = getattr(node, name, None)
        if isinstance(child, (ast.Node, tuple)):
            new = _unwrap(child)
            if new is not child:
                changes[name] = new
    if not changes:
        return node
    values = {name: getattr(node, name) for name in node.__slots__}
    values.update(changes)
    return type(node)(**values)
