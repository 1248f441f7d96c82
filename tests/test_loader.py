"""The YAML loader: plain data, positions, YAML safety rules and multi-file merge (no timing asserts)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from generator.diagnostics import GenError, Location
from generator.spec import loader
from generator.spec.loader import LoadedSpec, load_spec, load_yaml_text


def text(s: str) -> str:
    return textwrap.dedent(s).lstrip("\n")


def errors(fn, *args) -> list:
    """Run fn, expect GenError; check every diagnostic is located and has a hint."""
    with pytest.raises(GenError) as info:
        fn(*args)
    diags = info.value.diagnostics
    assert diags
    for d in diags:
        assert d.loc is not None and d.loc.line >= 1 and d.loc.col >= 1, d
        assert d.message and d.hint, d
        assert d.code.startswith("YL"), d
    return diags


def one_error(fn, *args):
    diags = errors(fn, *args)
    assert len(diags) == 1, diags
    return diags[0]


def where(d) -> tuple:
    return d.code, d.loc.line, d.loc.col


def write(root: Path, name: str, body: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text(body), encoding="utf-8")
    return path


# ---------------------------------------------------------------- scalars and None

def test_yaml11_scalars_stay_text():
    spec = load_yaml_text("v: [no, on, yes, off, 0755, 12:30, 2024-01-01, 1e3, .inf, .NaN, 0x1F, True, =, +1]\n", "s.yaml")
    assert spec.data["v"] == ["no", "on", "yes", "off", "0755", "12:30", "2024-01-01", "1e3", ".inf", ".NaN",
                              "0x1F", "True", "=", "+1"]
    assert all(type(v) is str for v in spec.data["v"])


def test_plain_null_forms_become_none_quoted_stay_text():
    spec = load_yaml_text(text("""
        empty:
        tilde: ~
        lower: null
        title: Null
        upper: NULL
        mixed: nULL
        quoted: ["", "~", 'null', "NULL"]
        flow: [~, null, ]
        tagged_str: !!str
        tagged_int: !!int 5
        """), "s.yaml")
    d = spec.data
    assert [d[k] for k in ("empty", "tilde", "lower", "title", "upper")] == [None] * 5
    assert d["mixed"] == "nULL"
    assert d["quoted"] == ["", "~", "null", "NULL"]
    assert d["flow"] == [None, None]
    assert d["tagged_str"] == "" and d["tagged_int"] == "5"


def test_keys_are_always_text():
    spec = load_yaml_text("null: 1\n~: 2\nyes: 3\n1: 4\n", "s.yaml")
    assert spec.data == {"null": "1", "~": "2", "yes": "3", "1": "4"}


# ---------------------------------------------------------------- positions

NESTED = text("""
    name: shop
    entities:
      users:
        columns:
          id: {type: bigint}
          email:
            type: text
        tags: [a, b]
        checks:
          - name: c1
            expr: "x > 0"
          - plain
    """)


def test_positions_of_keys_and_values_in_nested_maps_and_lists():
    spec = load_yaml_text(NESTED, "s.yaml")
    p, k = spec.positions, spec.key_positions
    assert p[()] == Location("s.yaml", 1, 1)
    assert k[("name",)] == Location("s.yaml", 1, 1) and p[("name",)] == Location("s.yaml", 1, 7)
    assert k[("entities", "users")] == Location("s.yaml", 3, 3)
    assert p[("entities", "users")] == Location("s.yaml", 4, 5)
    assert k[("entities", "users", "columns", "id")] == Location("s.yaml", 5, 7)
    assert p[("entities", "users", "columns", "id")] == Location("s.yaml", 5, 11)
    assert p[("entities", "users", "columns", "id", "type")] == Location("s.yaml", 5, 18)
    assert p[("entities", "users", "columns", "email", "type")] == Location("s.yaml", 7, 15)
    assert p[("entities", "users", "tags", 0)] == Location("s.yaml", 8, 12)
    assert p[("entities", "users", "tags", 1)] == Location("s.yaml", 8, 15)
    assert p[("entities", "users", "checks", 0)] == Location("s.yaml", 10, 9)
    assert k[("entities", "users", "checks", 0, "expr")] == Location("s.yaml", 11, 9)
    assert p[("entities", "users", "checks", 0, "expr")] == Location("s.yaml", 11, 15)
    assert p[("entities", "users", "checks", 1)] == Location("s.yaml", 12, 9)
    assert ("entities", "users", "checks", 1) not in k  # list items have no key


def test_loc_walks_up_to_nearest_recorded_ancestor():
    spec = load_yaml_text(NESTED, "s.yaml")
    assert spec.loc(("entities", "users", "columns", "email")) == Location("s.yaml", 7, 9)
    assert spec.loc(("entities", "users", "columns", "email"), key=True) == Location("s.yaml", 6, 7)
    assert spec.loc(["entities", "users", "columns", "email", "nope", "deeper"]) == Location("s.yaml", 7, 9)
    assert spec.loc(("entities", "users", "columns", "email", "nope"), key=True) == Location("s.yaml", 6, 7)
    assert spec.loc(("entities", "users", "checks", 1), key=True) == Location("s.yaml", 12, 9)
    assert spec.loc(("missing",)) == Location("s.yaml", 1, 1)
    assert LoadedSpec({}).loc(("x",)) is None


def test_crlf_line_endings():
    spec = load_yaml_text("a: 1\r\nb:\r\n  - x\r\nc:\r\n", "s.yaml")
    assert spec.data == {"a": "1", "b": ["x"], "c": None}
    assert spec.positions[("b", 0)] == Location("s.yaml", 3, 5)


# ---------------------------------------------------------------- syntax and document shape

@pytest.mark.parametrize("src, line, col, words", [
    ("a: 1\n b: 2\n", 2, 3, "mapping values are not allowed"),
    ("a:\n\tb: 1\n", 2, 1, "cannot start any token"),
    ("a: [1, 2\nb: 3\n", 2, 2, "expected ',' or ']'"),
    ("a: *nowhere\n", 1, 4, "undefined alias"),
])
def test_syntax_errors_have_problem_position(src, line, col, words):
    d = one_error(load_yaml_text, src, "bad.yaml")
    assert where(d) == ("YL001", line, col) and d.loc.file == "bad.yaml"
    assert words in d.message


def test_control_character_position_counts_characters_not_bytes():
    d = one_error(load_yaml_text, 'ok: 1\nname: "éé\x01"\n', "bad.yaml")
    assert where(d) == ("YL001", 2, 10)


def test_multiple_documents_are_an_error_at_the_second():
    d = one_error(load_yaml_text, "a: 1\n---\nb: 2\n", "s.yaml")
    assert where(d) == ("YL001", 2, 1) and "more than one YAML document" in d.message


@pytest.mark.parametrize("src, line, col, words", [
    ("", 1, 1, "empty"),
    ("# only a comment\n", 1, 1, "empty"),
    ("---\n", 1, 1, "empty"),
    ("- a\n- b\n", 1, 1, "not a list"),
    ("\n\njust text\n", 3, 1, "not a value"),
    ("null\n", 1, 1, "not a value"),
])
def test_top_level_must_be_a_mapping(src, line, col, words):
    d = one_error(load_yaml_text, src, "s.yaml")
    assert where(d) == ("YL008", line, col) and words in d.message


# ---------------------------------------------------------------- duplicates, keys, tags, merge

def test_duplicate_keys_at_any_depth_all_reported():
    src = text("""
        entities:
          users:
            columns:
              email: {type: text}
              name: {type: text}
              email: {type: citext}
          users:
            columns: {}
        top: 1
        top: 2
        """)
    diags = errors(load_yaml_text, src, "s.yaml")
    assert [where(d) for d in diags] == [("YL002", 6, 7), ("YL002", 7, 3), ("YL002", 10, 1)]
    assert diags[0].message == "duplicate key 'email' (first defined at line 4)"
    assert diags[1].message == "duplicate key 'users' (first defined at line 2)"


def test_duplicate_keys_compare_text_in_flow_mappings():
    d = one_error(load_yaml_text, 'a: {yes: 1, "yes": 2}\n', "s.yaml")
    assert where(d) == ("YL002", 1, 13)


@pytest.mark.parametrize("src", ["? [a, b]\n: 1\n", "? {a: 1}\n: 1\n"])
def test_complex_keys_are_errors(src):
    d = one_error(load_yaml_text, src, "s.yaml")
    assert where(d) == ("YL001", 1, 3) and "key must be text" in d.message


@pytest.mark.parametrize("value, shown", [
    ("!!python/object/apply:os.system ['echo hi']", "!!python/object/apply:os.system"),
    ("!!python/name:os.system", "!!python/name:os.system"),
    ("!!binary aGVsbG8=", "!!binary"),
    ("!!set {a: , b: }", "!!set"),
    ("!!omap [{a: 1}]", "!!omap"),
    ("!!pairs [{a: 1}]", "!!pairs"),
    ("!foo bar", "!foo"),
    ("!!seq {a: 1}", "!!seq"),
])
def test_forbidden_tags(value, shown):
    d = one_error(load_yaml_text, f"ok: 1\nbad: {value}\n", "s.yaml")
    assert where(d) == ("YL003", 2, 6)
    assert f"'{shown}'" in d.message


def test_core_tags_are_fine_and_yield_text():
    spec = load_yaml_text("a: !!str 1\nb: !!int 2\nc: !!bool yes\nd: !<tag:yaml.org,2002:str> x\ne: ! y\n", "s.yaml")
    assert spec.data == {"a": "1", "b": "2", "c": "yes", "d": "x", "e": "y"}


def test_forbidden_tag_on_key_and_all_tag_errors_collected():
    diags = errors(load_yaml_text, "!foo k: 1\nb: !!binary aGk=\n", "s.yaml")
    assert [where(d) for d in diags] == [("YL003", 1, 1), ("YL003", 2, 4)]


def test_merge_key_is_unsupported_with_traits_hint():
    src = text("""
        base: &base {type: text}
        entities:
          users:
            columns:
              email:
                <<: *base
                unique: true
        """)
    d = one_error(load_yaml_text, src, "s.yaml")
    assert where(d) == ("YL006", 6, 9) and "'<<'" in d.message and "traits" in d.hint


def test_quoted_merge_key_is_just_text():
    assert load_yaml_text('a: {"<<": 1}\n', "s.yaml").data == {"a": {"<<": "1"}}


# ---------------------------------------------------------------- aliases

def test_aliases_are_expanded_into_independent_copies_with_positions():
    src = text("""
        types:
          money: &money {type: numeric, precision: "12"}
        price: *money
        prices: [*money, *money]
        """)
    spec = load_yaml_text(src, "s.yaml")
    assert spec.data["price"] == {"type": "numeric", "precision": "12"}
    assert spec.data["prices"] == [spec.data["price"]] * 2
    assert spec.data["price"] is not spec.data["types"]["money"]
    assert spec.key_positions[("price",)] == Location("s.yaml", 3, 1)
    assert spec.positions[("price", "type")] == Location("s.yaml", 2, 24)  # the anchored node


BOMB = text("""
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    """)


def test_alias_bomb_is_refused():
    d = one_error(load_yaml_text, BOMB, "bomb.yaml")
    assert where(d) == ("YL004", 6, 1)  # the top-level key being expanded: f has 9**6 leaves
    assert d.message == "aliases under 'f' expand to more than 100000 nodes"


def test_alias_budget_scales_with_document_size(monkeypatch):
    monkeypatch.setattr(loader, "MIN_NODE_BUDGET", 50)
    base = "base: &b [" + ", ".join(["x"] * 20) + "]\n"
    ok = base + "".join(f"k{i}: *b\n" for i in range(10))  # 232 visits <= 20 * 22 distinct nodes
    assert len(load_yaml_text(ok, "s.yaml").data) == 11
    nested = base + "c: &c [" + ", ".join(["*b"] * 30) + "]\n" + "".join(f"k{i}: *c\n" for i in range(30))
    assert one_error(load_yaml_text, nested, "s.yaml").code == "YL004"


def test_self_referencing_alias_is_refused():
    d = one_error(load_yaml_text, "a: &x [1, *x]\n", "s.yaml")
    assert d.code == "YL004" and "nesting deeper" in d.message


@pytest.mark.parametrize("src", [
    "a: " + "[" * 100_000 + "]" * 100_000,
    "a: " + "{a: " * 50_000 + "1" + "}" * 50_000,
    "a:\n  " + "- " * 100_000 + "x\n",
    "a:\n" + " [\n" * 300 + " 1\n" + " ]\n" * 300,
])
def test_deep_nesting_is_refused_not_crashing(src):
    d = one_error(load_yaml_text, src, "deep.yaml")
    assert d.code == "YL004" and "nesting deeper than 200" in d.message


# ---------------------------------------------------------------- size and encoding

def test_size_cap_text(monkeypatch):
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 10)
    d = one_error(load_yaml_text, "name: abcdefgh\n", "s.yaml")
    assert where(d) == ("YL005", 1, 1) and "15 bytes" in d.message
    assert load_yaml_text("a: é\n", "s.yaml").data == {"a": "é"}  # 7 bytes
    assert one_error(load_yaml_text, "a: éééé\n", "s.yaml").code == "YL005"  # 8 chars, 12 bytes


def test_size_cap_file_checked_before_reading(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "big.yaml", "name: " + "x" * 100 + "\n")
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 50)
    d = one_error(load_spec, "big.yaml")
    assert where(d) == ("YL005", 1, 1) and d.loc.file == "big.yaml"


def test_non_utf8_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin.yaml").write_bytes("name: ok\ncomment: caf\xe9\n".encode("latin-1"))
    d = one_error(load_spec, "latin.yaml")
    assert where(d) == ("YL009", 2, 13) and "UTF-8" in d.message


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffname: x\n".encode("utf-8"))
    assert load_spec(path).data == {"name": "x"}


def test_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = one_error(load_spec, "nope.yaml")
    assert where(d) == ("YL009", 1, 1) and "nope.yaml" in d.message


def test_empty_directory(tmp_path):
    assert one_error(load_spec, tmp_path).code == "YL009"


# ---------------------------------------------------------------- files, directories, includes

def test_file_paths_relative_to_cwd_else_as_given(tmp_path, monkeypatch):
    write(tmp_path, "spec/main.yaml", "name: x\n")
    monkeypatch.chdir(tmp_path)
    assert load_spec("spec/main.yaml").positions[("name",)] == Location("spec/main.yaml", 1, 7)
    assert load_spec(tmp_path / "spec" / "main.yaml").files == ["spec/main.yaml"]
    monkeypatch.chdir(tmp_path / "spec")
    outside = str(tmp_path / "other.yaml")
    write(tmp_path, "other.yaml", "name: y\n")
    assert load_spec(outside).files == [outside]


def test_directory_merge(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "spec/b_orders.yaml", """
        entities:
          orders: {columns: {id: {type: bigint}}}
        relations:
          - orders.user -> users
          - orders.shop -> shops
        """)
    write(tmp_path, "spec/a_main.yaml", """
        name: shop
        extensions: [citext]
        entities:
          users:
            columns: {id: {type: bigint}}
        relations:
          - users.org -> orgs
        """)
    write(tmp_path, "spec/c.yml", "enums:\n  status: [a, b]\nextensions: [pgcrypto]\n")
    write(tmp_path, "spec/notes.txt", "not: yaml: at all\n")
    write(tmp_path, "spec/sub/ignored.yaml", "name: other\n")
    spec = load_spec("spec")
    assert spec.files == ["spec/a_main.yaml", "spec/b_orders.yaml", "spec/c.yml"]
    assert list(spec.data) == ["name", "extensions", "entities", "relations", "enums"]
    assert list(spec.data["entities"]) == ["users", "orders"]
    assert spec.data["extensions"] == ["citext", "pgcrypto"]
    assert spec.data["relations"] == ["users.org -> orgs", "orders.user -> users", "orders.shop -> shops"]
    # positions of merged entries keep pointing into their own file; list indexes are shifted
    assert spec.key_positions[("entities", "orders")] == Location("spec/b_orders.yaml", 2, 3)
    assert spec.positions[("entities", "orders", "columns", "id", "type")] == Location("spec/b_orders.yaml", 2, 33)
    assert spec.positions[("relations", 0)] == Location("spec/a_main.yaml", 7, 5)
    assert spec.positions[("relations", 2)] == Location("spec/b_orders.yaml", 5, 5)
    assert spec.positions[("extensions", 1)] == Location("spec/c.yml", 3, 14)
    assert spec.key_positions[("entities",)] == Location("spec/a_main.yaml", 3, 1)
    assert spec.positions[()] == Location("spec/a_main.yaml", 1, 1)


def test_merge_conflicts_name_both_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "d/a.yaml", """
        name: shop
        entities:
          users: {}
        relations: []
        """)
    write(tmp_path, "d/b.yaml", """
        entities:
          orders: {}

          users: {}
        name: other
        relations: {x: 1}
        """)
    diags = errors(load_spec, "d")
    assert [(d.loc.file, *where(d)) for d in diags] == [
        ("d/b.yaml", "YL002", 4, 3), ("d/b.yaml", "YL002", 5, 1), ("d/b.yaml", "YL002", 6, 1)]
    assert diags[0].message == "'users' in 'entities' is defined in both d/a.yaml:3 and d/b.yaml:4"
    assert diags[1].message == "top-level 'name' is defined in both d/a.yaml:1 and d/b.yaml:5"
    assert "d/a.yaml:4" in diags[2].message and "d/b.yaml:6" in diags[2].message


def test_errors_from_several_files_are_collected(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "d/a.yaml", "a: 1\na: 2\nb: 1\nb: 2\n")
    write(tmp_path, "d/b.yaml", "x: [\n")
    write(tmp_path, "d/c.yaml", "ok: 1\n")
    diags = errors(load_spec, "d")
    assert [(d.loc.file, *where(d)) for d in diags] == [
        ("d/a.yaml", "YL002", 2, 1), ("d/a.yaml", "YL002", 4, 1), ("d/b.yaml", "YL001", 2, 1)]


def test_includes_with_globs_nested_and_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "main.yaml", """
        name: shop
        include:
          - tables/*.yaml
          - enums.yaml
        entities:
          base: {}
        """)
    write(tmp_path, "tables/users.yaml", "entities:\n  users: {}\n")
    write(tmp_path, "tables/orders.yaml", "include: [../more/*.yml]\nentities:\n  orders: {}\n")
    write(tmp_path, "more/x.yml", "extensions: [citext]\n")
    write(tmp_path, "enums.yaml", "enums:\n  status: [a]\n")
    spec = load_spec("main.yaml")
    assert spec.files == ["main.yaml", "tables/orders.yaml", "more/x.yml", "tables/users.yaml", "enums.yaml"]
    assert "include" not in spec.data
    assert not any(p and p[0] == "include" for p in [*spec.positions, *spec.key_positions])
    assert list(spec.data["entities"]) == ["base", "orders", "users"]
    assert spec.data["extensions"] == ["citext"] and spec.data["enums"] == {"status": ["a"]}
    assert spec.key_positions[("entities", "users")] == Location("tables/users.yaml", 2, 3)


def test_include_single_string_directory_and_diamond(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "main.yaml", "include: [parts, parts/shared.yaml]\nname: x\n")
    write(tmp_path, "parts/a.yaml", "include: shared.yaml\nentities: {a: {}}\n")
    write(tmp_path, "parts/shared.yaml", "enums: {e: [x]}\n")
    spec = load_spec("main.yaml")
    assert spec.files == ["main.yaml", "parts/a.yaml", "parts/shared.yaml"]  # shared loaded once
    assert spec.data == {"name": "x", "entities": {"a": {}}, "enums": {"e": ["x"]}}


def test_include_matching_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "main.yaml", "name: x\ninclude:\n  - tables/*.yaml\n  - nope.yaml\n")
    diags = errors(load_spec, "main.yaml")
    assert [(d.loc.file, *where(d)) for d in diags] == [("main.yaml", "YL007", 3, 5), ("main.yaml", "YL007", 4, 5)]
    assert "'tables/*.yaml' matches no file" in diags[0].message


def test_include_cycle(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", "include: [b.yaml]\nname: a\n")
    write(tmp_path, "b.yaml", "entities: {}\ninclude: [a.yaml]\n")
    d = one_error(load_spec, "a.yaml")
    assert (d.loc.file, *where(d)) == ("b.yaml", "YL007", 2, 11)
    assert d.message == "include cycle: a.yaml -> b.yaml -> a.yaml"


def test_include_must_be_list_of_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", "include: {x: 1}\n")
    write(tmp_path, "b.yaml", "include: [{x: 1}]\n")
    assert where(one_error(load_spec, "a.yaml")) == ("YL007", 1, 10)
    assert where(one_error(load_spec, "b.yaml")) == ("YL007", 1, 11)


def test_load_yaml_text_keeps_include_key():
    assert load_yaml_text("include: [x.yaml]\n", "s.yaml").data == {"include": ["x.yaml"]}


# ---------------------------------------------------------------- bigger input (smoke, no timing)

def test_large_spec_smoke():
    lines = ["name: big", "entities:"]
    for e in range(300):
        lines += [f"  t{e}:", "    columns:"]
        for c in range(10):
            lines += [f"      c{c}:", "        type: text", "        nullable: no", "        default: ~"]
    spec = load_yaml_text("\n".join(lines) + "\n", "big.yaml")
    assert len(spec.data["entities"]) == 300
    assert spec.data["entities"]["t299"]["columns"]["c9"] == {"type": "text", "nullable": "no", "default": None}
    assert spec.positions[("entities", "t299", "columns", "c9", "default")].line == len(lines)
