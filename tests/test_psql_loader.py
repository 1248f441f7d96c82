"""`gen import --sql` reads what psql reads: COPY ... FROM stdin with its data, psql meta-commands
and statements about other databases skipped and reported by line, statements that cannot run in
a transaction run alone, a new enum value usable by the next statement, SET lines kept for the
file, and every error at its file and line (after COPY data too)."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.db.connect import connect
from generator.diagnostics import GenError
from generator.importer import psql
from generator.importer.sqlsource import loaded_database, read_sql_files

SCRIPT = Path(__file__).parent / "sql" / "psql_script.sql"


def test_a_pg_dump_style_script_loads_with_its_data(pg_url):
    (f,) = read_sql_files([str(SCRIPT)])
    assert f.meta_lines == [4] and f.database_lines == [3]
    with loaded_database([str(SCRIPT)], base_url=pg_url) as loaded:
        with connect(loaded.url, autocommit=True) as conn:
            rows = conn.execute("SELECT id, m::text, note FROM t ORDER BY id").fetchall()
            index = conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_note_idx'::regclass").fetchone()
    assert rows == [(1, "happy", None), (2, "sad", 'it\'s; a "test"')]
    assert index == (True,)


def test_pieces_follow_psql():
    text = SCRIPT.read_text()
    kinds = [p.kind for p in psql.split(text)]
    assert kinds == ["sql", "sql", "database", "meta", "sql", "sql", "sql", "copy", "alone", "sql", "sql"]
    batches = psql.batches(text, psql.split(text))
    # the ADD VALUE ends its batch, so the CREATE TABLE using the value runs after it is committed
    assert [b.kind for b in batches] == ["sql", "database", "meta", "sql", "sql", "copy", "alone", "sql"]


def test_an_error_after_copy_data_names_its_line(pg_url, tmp_path):
    bad = tmp_path / "bad.sql"
    bad.write_text(SCRIPT.read_text() + "\nCREATE TABLE broken (id int,);\n")
    with pytest.raises(GenError) as info:
        with loaded_database([str(bad)], base_url=pg_url):
            pass
    (d,) = info.value.diagnostics
    assert d.code == "IM010" and d.loc.file == str(bad) and d.loc.line == 16
    assert 'syntax error at or near ")"' in d.message
