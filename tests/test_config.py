"""One configuration: gen.toml (or [tool.gen] in pyproject.toml) with ${VAR} interpolation and a
.env beside it; DATABASE_URL for every command on the application's database; scratch databases
only on a server named for it. Run as real processes in a project directory (cwd and env are
part of what is tested)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOP = (Path(__file__).parent / "migrate" / "shop.yaml").read_text()
BOGUS = "postgresql://nobody@127.0.0.1:1/not_this_one?connect_timeout=2"


def gen(cwd: Path, *args, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DATABASE_URL", "GEN_SCRATCH_DATABASE_URL", "GEN_CONFIG", "GEN_ENV")}
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={**clean, "PYTHONPATH": str(ROOT), **env}, timeout=300)


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "shop.yaml").write_text(SHOP)
    return tmp_path


def test_gen_toml_and_env_name_the_spec_the_directory_and_the_database(project, fresh_db):
    (project / "gen.toml").write_text('specs = ["spec/shop.yaml"]\nmigrations = "db/{name}"\n'
                                      'database_url = "${APP_DATABASE}"\n')
    (project / ".env").write_text(f"# local settings\nexport APP_DATABASE='{fresh_db}'\n")
    sub = project / "spec"                         # found from a subdirectory too
    done = gen(sub, "migrate", "new", "init")
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (project / "db" / "shop").glob("*.up.sql")]
    done = gen(sub, "migrate", "up")
    assert done.returncode == 0 and "applied 1 migrations" in done.stdout, done.stderr
    assert gen(sub, "drift").returncode == 0
    done = gen(project, "migrate", "status", APP_DATABASE=BOGUS)   # the environment wins over .env
    assert done.returncode == 3 and "DB001" in done.stderr


def test_database_url_is_honoured_without_a_config(project, fresh_db):
    assert gen(project, "apply", "spec/shop.yaml", DATABASE_URL=fresh_db).returncode == 0
    done = gen(project, "drift", "spec/shop.yaml", DATABASE_URL=fresh_db)
    assert done.returncode == 0 and "in sync" in done.stdout
    done = gen(project, "seed", "spec/shop.yaml")
    assert done.returncode == 2 and "MG018" in done.stderr and "DATABASE_URL" in done.stderr


def test_scratch_databases_never_go_to_database_url(project, pg_url):
    assert gen(project, "migrate", "new", "init", "--spec", "spec/shop.yaml").returncode == 0
    done = gen(project, "migrate", "verify", "--spec", "spec/shop.yaml", DATABASE_URL=BOGUS,
               GEN_SCRATCH_DATABASE_URL=pg_url)
    assert done.returncode == 0 and "down to empty and up again" in done.stdout, done.stderr


def test_a_config_variable_that_is_not_set_is_named(project):
    (project / "gen.toml").write_text('specs = ["spec/shop.yaml"]\ndatabase_url = "${PROD_DATABASE}"\n')
    done = gen(project, "drift")
    assert done.returncode == 2 and "gen.toml database_url (${PROD_DATABASE}) needs $PROD_DATABASE" in done.stderr


def test_config_errors_point_into_the_file(project):
    (project / "gen.toml").write_text('specs = ["spec/shop.yaml"]\n\ndatabse_url = "x"\n')
    done = gen(project, "validate")
    assert done.returncode == 2 and "gen.toml:3:1" in done.stderr and "CF002" in done.stderr
    assert "did you mean 'database_url'" in done.stderr
    (project / "gen.toml").write_text('layout = "rails"\n')
    done = gen(project, "validate")
    assert done.returncode == 2 and "CF003" in done.stderr and "gen.toml:1:1" in done.stderr


def test_pyproject_tool_gen_and_the_supabase_layout(project):
    shutil.copy(ROOT / "spec" / "ai_chat.yaml", project / "spec" / "ai_chat.yaml")
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.gen]\nspecs = ["spec/ai_chat.yaml"]\n'
                                            'layout = "supabase"\nout = "generated"\n')
    done = gen(project, "migrate", "new", "init")
    assert done.returncode == 0, done.stderr
    ups = [p.name for p in (project / "supabase" / "migrations").iterdir()]
    assert len(ups) == 1 and ups[0].endswith("_init.sql")
    assert sorted(p.suffix for p in (project / "supabase" / "gen").iterdir()) == [".json", ".sql", ".sum"]
    done = gen(project, "build")
    assert done.returncode == 0 and (project / "generated" / "ai_chat" / "schema.sql").exists(), done.stderr
