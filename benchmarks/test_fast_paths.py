"""The fast paths of the benchmark work keep every answer of the slow paths they skip:

- generator.spec.fast_yaml returns exactly the data, value positions and key positions of the
  PyYAML walk, or None (never a document PyYAML rejects);
- generator.resolve.expressions.is_trivially_safe accepts only what PostgreSQL's grammar (pglast) accepts;
- errors keep their exact file:line:col through the fast paths.

Run: python -m pytest -q benchmarks/test_fast_paths.py
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.diagnostics import GenError  # noqa: E402
from generator.spec import fast_yaml, loader  # noqa: E402
from generator.resolve import expressions  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402


def slow_walk(text: str, name: str = "s.yaml"):
    """The loader's PyYAML path: (data, positions, key_positions), or GenError."""
    walker = loader._Walker(name, loader._compose(text, name), "*" in text)
    data = walker.walk(walker.root, (), 0)
    walker.diags.raise_if_errors()
    return data, walker.positions, walker.key_positions


def same_as_slow(text: str, name: str = "s.yaml") -> bool:
    """Assert the fast path agrees with PyYAML; True when the fast path took the document."""
    fast = fast_yaml.parse(text, name)
    try:
        slow = slow_walk(text, name)
    except (GenError, loader._Stop):
        assert fast is None, f"fast path accepted what PyYAML rejects:\n{text}"
        return False
    if fast is None:
        return False
    assert fast[0] == slow[0], text
    assert fast[1] == slow[1], text
    assert fast[2] == slow[2], text
    assert list(fast[0]) == list(slow[0])  # mapping order too
    return True


SNIPPETS = [
    "a: 1\nb: two words\nc: 'single ''quoted'''\nd: \"double \\\"q\\\" \\\\ \\n\\t\"\n",
    "spec: 1\nname: x\nentities:\n  users:\n    columns:\n      id: uuid pk\n      email: text! unique\n",
    "list:\n- a\n- b\nnext: c\n",
    "list:\n  - a\n  -   b   # comment\n  - - nested\n    - more\n  - key: v\n    other: w\n  -\n    deep: x\n",
    "flow: [a, 'b', \"c\", [d, e], {f: g, h: [i]}, -1, 0755]\nmap: {a: b, c: d e}\nempty: []\nnone: {}\n",
    "traps: [no, on, yes, off, 0755, 1e3, 2024-01-01, ~, null, Null, NULL, '', \"\"]\nk: no\nn: ~\nm: null\n",
    "# leading comment\n\n  \nroot:   spaced value   \n# between\nother: x # trailing\n",
    "unicode: héllo wörld\ncols: [é, ü]\nkey_é: v\n\"quoted key\": v\nemoji: 😀 x\n",
    "a:\n  b:\n    c:\n      d: [1, 2, {e: f}]\n  g: h\n",
    "check: price >= 0 AND x = 'a'\nexpr: \"slug ~ '^[a-z]'\"\nurl: http://x.y/z?a=b\ncolon: a:b\n",
    "k: v\nk: w\n",                                  # duplicate: PyYAML's path reports it
    "a: &x 1\nb: *x\n",                             # anchors and aliases
    "a: !!python/name:os.system x\n",              # tags
    "text: |\n  block\n  scalar\nfolded: >\n  x\n",  # block scalars
    "a: multi\n  line plain\n",                     # continuation
    "a:\n",                                         # empty value
    "a: [x,\n  y]\n",                               # multi-line flow
    "a: 1\n---\nb: 2\n",                            # two documents
    "- top\n- level list\n",                        # top-level list
    "a:\tb\n",                                      # tab
    "a: b: c\n",                                    # mapping value not allowed
    "a: [x, y,]\n",                                 # trailing comma
    "<<: {a: b}\n",                                 # merge key
    "a: 'unterminated\n",
    "a: {b: c\n",
    "a: \"x\"y\n",
    "  indented: root\n  second: key\n",
    "a:\n    b: 1\n  c: 2\n",                        # bad dedent
    "seq:\n- a\n - b\n",
    "x: [a:b]\n",
    "x: {a: [b, {c: d}], e: 'f'}\n",
    "x: {'q': a, \"r\": b}\n",
    "x: -\n",
    "x: - y\n",
    "x: ? y\n",
    "x: @y\n",
    "x: `y`\n",
    "x: %y\n",
    "x: a #b\n",
    "x: a#b\n",
    "x: 'a' # c\n",
    "x: 'a'# c\n",
    "x: [a, b] # c\n",
    "x: [a , b ]\n",
    "x: { a: b }\n",
    "x: {a: }\n",
    "x: {a}\n",
    "x: [a, , b]\n",
    "x: \"\\x41\"\n",
    "x: \"\\u00e9\"\n",
    "\ufeffa: b\n",
    "a: b\r\nc: d\r\n",
]


@pytest.mark.parametrize("text", SNIPPETS)
def test_snippets_agree_with_pyyaml(text):
    same_as_slow(text)


def test_the_fast_path_is_taken_for_plain_specs():
    assert same_as_slow(SNIPPETS[1]) and same_as_slow(SNIPPETS[3]) and same_as_slow(SNIPPETS[4])
    assert same_as_slow(generate.to_yaml(generate.build_model(60)), "bench.yaml")
    assert same_as_slow(generate.to_yaml(generate.build_model(60, variant=True)), "bench.yaml")


def _files():
    return sorted(p for pattern in ("spec/*.yaml", "tests/specs/**/*.yaml", "docs/**/*.yaml")
                  for p in ROOT.glob(pattern))


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_project_specs_agree_with_pyyaml(path):
    same_as_slow(path.read_text(encoding="utf-8-sig"), str(path))


MUTATIONS = list(":-#'\"[]{},&*!|>%@`?~ \n\t\\") + [": ", "- ", " #", "\n  ", "\n- ", "é", "''", "\"\""]


@pytest.mark.parametrize("seed", range(40))
def test_mutated_documents_agree_with_pyyaml(seed):
    """Random edits of a plain spec: wherever the fast path answers, PyYAML gives the same answer,
    and whatever PyYAML rejects, the fast path leaves to it."""
    rnd = random.Random(seed)
    base = SNIPPETS[1] + SNIPPETS[3] + SNIPPETS[4] + SNIPPETS[9]
    for _ in range(60):
        text = base
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(text) + 1)
            if rnd.random() < 0.3 and at < len(text):
                text = text[:at] + text[at + 1:]
            else:
                text = text[:at] + rnd.choice(MUTATIONS) + text[at:]
        same_as_slow(text)


# ---------------------------------------------------------------- errors keep their positions

def _diags(tmp_path, text, monkeypatch=None):
    """(code, line, col) of every diagnostic; with monkeypatch, through PyYAML's path only."""
    from generator.pipeline import load_schema
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.MonkeyPatch.context() as mp:
        if monkeypatch:
            mp.setattr(fast_yaml, "parse", lambda text, name: None)
        with pytest.raises(GenError) as exc:
            load_schema(str(path))
    return [(d.code, d.loc.file, d.loc.line, d.loc.col) for d in exc.value.diagnostics]


LONG = """spec: 1
name: shop
entities:
  orders:
    columns:
      id:
        type: uuid
        pk: true
      total:
        type: numeric(10,2)
        default: {default}
        {extra}
"""


@pytest.mark.parametrize("default, extra, expected", [
    ('"now("', "nullable: false", ("RS020", 10)),        # bad default: reported on the column
    ("0", "nulable: false", ("SP001", 12)),              # unknown key: at the key
    ("0", "check: \"total >= 0;\"", ("RS020", 10)),
    ("0", "type: text", ("YL002", 12)),                  # duplicate key: PyYAML's path reports it
    ("0", "nullable: [x", ("YL001", 13)),                # YAML syntax error
    ("0", "nullable: maybe", ("SP004", 10)),
])
def test_errors_keep_file_line_col_through_the_fast_path(tmp_path, monkeypatch, default, extra, expected):
    monkeypatch.chdir(tmp_path)
    text = LONG.format(default=default, extra=extra)
    fast, slow = _diags(tmp_path, text), _diags(tmp_path, text, monkeypatch)
    assert fast == slow
    assert (fast[0][0], fast[0][2]) == expected and fast[0][1] == "s.yaml"


def test_cached_expression_errors_keep_each_position(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = LONG.format(default="0", extra="check: \"total >= 0;\"") + \
        "      other:\n        type: integer\n        check: \"total >= 0;\"\n"
    assert fast_yaml.parse(text, "s.yaml") is not None
    assert [d[0] + ":" + str(d[2]) for d in _diags(tmp_path, text)] == ["RS020:10", "RS020:14"]
    assert _diags(tmp_path, text) == _diags(tmp_path, text, monkeypatch)


# ---------------------------------------------------------------- expressions

def _slow_ok(text: str) -> bool:
    try:
        expressions._scan(text)
        expressions._check_parse(text)
    except expressions.ExpressionError:
        return False
    return True


def _keywords() -> list[str]:
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.tokens import TokenType
    words = {k.lower() for k in Postgres.Tokenizer.KEYWORDS if k.replace("_", "").isalpha()}
    words |= {t.name.lower() for t in TokenType}
    return sorted(w for w in words if w.replace("_", "").isalnum() and not w[0].isdigit())


def test_trivially_safe_words_are_accepted_by_the_parser():
    for w in _keywords():
        for text in (w, f"{w} = 1", f"{w}()", f"x AND {w}", f"{w} IS NULL"):
            if expressions.is_trivially_safe(text):
                assert _slow_ok(text), text


def test_common_defaults_take_the_fast_path():
    for text in ("now()", "0", "12.50", "-1", "'draft'", "'{}'", "'it''s'", "true", "FALSE", "null",
                 "gen_random_uuid()", "amount >= 0", "price_monthly >= 0 AND price_yearly >= 0",
                 "file_size IS NULL OR file_size >= 0", "is_active"):
        assert expressions.is_trivially_safe(text), text
        assert _slow_ok(text), text


TOKENS = ["0", "1", "12.5", "007", "'a'", "''", "'it''s'", "'{}'", "'$$'", "'a\nb'", "'x\\'", "a", "amount",
          "is_active", "_y", "Foo", "x1", "now()", "NOW()", "foo()", "left()", "true", "FALSE", "null", "select",
          "from", "year", "filter", "=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "AND", "or",
          "IS", "NOT", "NULL", "(", ")", ",", ";", "--", ".", "::", "IN", "||"]


@pytest.mark.parametrize("seed", range(10))
def test_random_token_strings_fast_accept_implies_the_parser_accepts(seed):
    rnd = random.Random(seed)
    words = _keywords()
    for _ in range(3000):
        toks = [rnd.choice(TOKENS) if rnd.random() < 0.9 else rnd.choice(words) for _ in range(rnd.randint(1, 7))]
        text = rnd.choice([" ", "  ", "\n"]).join(toks)
        if expressions.is_trivially_safe(text):
            assert _slow_ok(text), text


def test_check_expression_keeps_every_rejection():
    for text in ("now(", "1; DROP TABLE x", "a -- b", "a /* b */", "$$x$$", "select", "a IS NULL + 1", "1 +",
                 "'unterminated", "a)", "(a", "x = 'a\\'"):
        ok = _slow_ok(text)
        try:
            expressions.check_expression(text)
            fast = True
        except expressions.ExpressionError:
            fast = False
        assert fast == ok, text


# ---------------------------------------------------------------- outputs are byte-identical

def _build_all(monkeypatch, slow: bool) -> dict:
    from generator.pipeline import available_targets, load_schema, render
    if slow:
        monkeypatch.setattr(fast_yaml, "parse", lambda text, name: None)
        monkeypatch.setattr(expressions, "is_trivially_safe", lambda text: False)
    targets = [t for t in available_targets() if t not in ("erd", "docs")]  # erd runs graphviz: slow
    out = {}
    for path in _files():
        try:
            out[path] = render(load_schema(str(path)), targets)
        except GenError as e:
            out[path] = [(d.code, d.loc, d.message) for d in e.diagnostics]
    return out


def test_outputs_and_diagnostics_are_identical_without_the_fast_paths(monkeypatch):
    fast = _build_all(monkeypatch, slow=False)
    with monkeypatch.context() as mp:
        slow = _build_all(mp, slow=True)
    assert fast.keys() == slow.keys()
    for path in fast:
        assert fast[path] == slow[path], path
