"""Free SQL from the spec (defaults, checks, predicates, policies, view queries) is parsed with
sqlglot before anything is emitted: one expression, no statement separators, no comments."""
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
# SQL dialect sqlglot knows treats as a keyword, or one of a few argument-less functions. sqlglot accepts
# all of these (benchmarks/test_fast_paths.py holds the fast path to that); anything else takes the
# slow path, so the fast path only ever skips work, never a rejection.
_FAST_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|('(?:[^'\\]|'')*')|([A-Za-z_][A-Za-z0-9_]*)(\(\))?"
                         r"|(<>|!=|<=|>=|[=<>+\-*/]))")
_FAST_CALLS = frozenset({"now", "gen_random_uuid", "uuid_generate_v4", "clock_timestamp", "statement_timestamp",
                         "transaction_timestamp", "random", "current_schema", "pg_backend_pid"})
_FAST_LITERALS = frozenset({"true", "false", "null"})
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
        elif (op and state == 0) or (low in ("and", "or") and not call):
            want_operand, state = True, 0
        else:
            return False
    return not want_operand and state in (0, 3)


def _check_parse(text: str) -> None:
    import sqlglot
    from sqlglot import exp

    try:
        statements = sqlglot.parse(f"SELECT {text}", read="postgres")
    except sqlglot.errors.SqlglotError as e:
        raise ExpressionError(f"not a valid SQL expression: {_first_line(e)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Select):
        raise ExpressionError("more than one statement")
    sel = statements[0]
    if len(sel.expressions) != 1 or any(sel.args.get(k) for k in ("from", "where", "group", "having", "limit")):
        raise ExpressionError("not a single expression")
    if isinstance(sel.expressions[0], exp.Alias):
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
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(f"SELECT {text}", read="postgres")
    except sqlglot.errors.SqlglotError:
        return ()
    out = []
    for col in tree.find_all(exp.Column):
        if col.table or col.find_ancestor(exp.Select) is not tree:
            continue
        if col.name and col.name.lower() not in _NOT_COLUMNS and col.name not in out:
            out.append(col.name)
    return tuple(out)


def bare_identifier(text: str) -> bool:
    """`draft` as a default is a column reference, not the text 'draft'."""
    t = text.strip()
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t)) and t.lower() not in _NOT_COLUMNS


def check_query(text: str) -> None:
    """Raise ExpressionError unless `text` is exactly one SELECT (or WITH … SELECT) query."""
    _scan(text)
    import sqlglot
    from sqlglot import exp

    try:
        statements = sqlglot.parse(text, read="postgres")
    except sqlglot.errors.SqlglotError as e:
        raise ExpressionError(f"not a valid query: {_first_line(e)}") from None
    if len(statements) != 1 or not isinstance(statements[0], (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        raise ExpressionError("a view query must be one SELECT statement")


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0][:200]
