"""What a command works on, from its flags first, then gen.toml, then the environment: the
spec(s), the migrations directory and its layout, the application's database URL
(`--database-url`, `database_url`, `$DATABASE_URL`) and the scratch server that verify may
create and drop databases on (`--scratch-url`, `scratch_database_url`,
`$GEN_SCRATCH_DATABASE_URL`; never the application's URL)."""
from __future__ import annotations

import argparse

from generator.cli import config as cfg
from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError

URL_HELP = "postgresql://user@host:port/dbname (default: database_url of gen.toml, else $DATABASE_URL)"
SCRATCH_HELP = ("a superuser URL of a throw-away server to create scratch databases on (default: "
                "scratch_database_url of gen.toml, else $GEN_SCRATCH_DATABASE_URL, else an embedded "
                "PostgreSQL started for the run; $DATABASE_URL is never used)")


def add_database_url(p: argparse.ArgumentParser, help: str = URL_HELP) -> None:
    p.add_argument("--database-url", metavar="URL", default=None, help=help)


def add_scratch_url(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scratch-url", metavar="URL", default=None, help=SCRATCH_HELP)


def database_url(args, code: str = "MG018") -> str:
    """The application's database: the flag, else gen.toml's database_url, else $DATABASE_URL."""
    if getattr(args, "database_url", None):
        return args.database_url
    setting = cfg.current().database_url()
    if setting.value:
        return setting.value
    where = f"{setting.source} needs ${', $'.join(setting.missing)}, which is not set" \
        if setting.source != f"${cfg.DATABASE_ENV}" else "$DATABASE_URL is not set"
    raise GenError([Diagnostic(code, f"no database URL: {where}", name="db.url",
                               hint="pass --database-url postgresql://user@host:port/dbname, set DATABASE_URL "
                                    "(a .env file beside gen.toml works too), or database_url in gen.toml")],
                   EXIT_BAD_INPUT)


def scratch_url(args) -> str | None:
    """A server for scratch databases, only when named for that purpose; None: embedded."""
    if getattr(args, "scratch_url", None):
        return args.scratch_url
    return cfg.current().scratch_url().value


def specs(given: list[str] | None) -> list[str]:
    if given:
        return list(given)
    config = cfg.current()
    if config.specs:
        return list(config.specs)
    raise GenError([Diagnostic("CF005", "no spec given", name="config",
                               hint="name the spec (e.g. spec/app.yaml), or list them in gen.toml: "
                                    "specs = [\"spec/app.yaml\"]")], EXIT_BAD_INPUT)


def one_spec(given: str | None) -> str:
    if given:
        return given
    config = cfg.current()
    if len(config.specs) == 1:
        return config.specs[0]
    if config.specs:
        raise GenError([Diagnostic("CF005", f"{config.path.name} names {len(config.specs)} specs: say which",
                                   name="config", hint="pass --spec " + " | ".join(config.specs))], EXIT_BAD_INPUT)
    raise GenError([Diagnostic("MG019", "name the spec (--spec) or the migrations directory (--dir)",
                               name="migrate.dir", hint="or list the spec in gen.toml: specs = [\"spec/app.yaml\"]")],
                   EXIT_BAD_INPUT)


def migrations_dir(args, name: str | None):
    """The migrations directory (a MigrationDir): --dir, else gen.toml's `migrations` (with
    {name}) or the layout's default (gen: migrations/<name>; supabase: supabase/migrations)."""
    from generator.migrate.files import MigrationDir
    config = cfg.current()
    layout = config.layout if config.path else None
    if getattr(args, "dir", None):
        return MigrationDir(args.dir, layout)
    if name is None:
        raise GenError([Diagnostic("MG019", "name the spec (--spec) or the migrations directory (--dir)",
                                   name="migrate.dir")], EXIT_BAD_INPUT)
    return MigrationDir(config.migrations_dir(name), config.layout)


def out_dir(given: str | None) -> str:
    return given or cfg.current().out or "out"
