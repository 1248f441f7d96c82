"""Free SQL from the spec (defaults, checks, predicates, policies, view queries) is parsed with
sqlglot before anything is emitted: one expression, no statement separators, no comments."""
from __future__ import annotations

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
    _scan(text)
    _check_parse(text)


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
