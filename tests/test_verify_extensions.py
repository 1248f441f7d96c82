"""Extensions: a spec needing a contrib extension verifies on a server that has it (Debian's
PostgreSQL 15 with contrib), and is an environment error (exit 3) where it is missing."""
from __future__ import annotations

import json

from generator.cli import main

SPEC = """spec: 1
name: contrib
extensions: [citext, pg_trgm]
entities:
  people:
    columns:
      id: uuid pk
      email: citext! unique
      name: text!
    indexes:
      - {columns: [name], using: gin, ops: gin_trgm_ops}
"""


def test_contrib_extensions_verify_on_debian_postgres(tmp_path, pg15_url, capsys):
    spec = tmp_path / "contrib.yaml"
    spec.write_text(SPEC)
    code = main(["verify", str(spec), "--database-url", pg15_url, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0, [r for r in data["results"] if r["status"] == "fail"]
    unique = [r for r in data["results"] if r["check"] == "unique" and "email" in r["object"]]
    assert unique and unique[0]["status"] == "pass"


def test_missing_extension_is_an_environment_error(tmp_path, pg_url, capsys):
    spec = tmp_path / "contrib.yaml"
    spec.write_text(SPEC)
    code = main(["verify", str(spec), "--database-url", pg_url])
    err = capsys.readouterr().err
    assert code == 3 and "VF002" in err and "citext" in err
