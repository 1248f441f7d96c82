"""`gen import --database-url URL | --sql FILE... -o SPEC`: read a database (or SQL files run on
a throw-away PostgreSQL) into a spec; lists what the spec language cannot hold."""
from __future__ import annotations

import json
import sys

from generator.cli import add_format, add_server, command_parser
from generator.diagnostics import EXIT_BAD_INPUT, EXIT_OK, Diagnostic, GenError

EXAMPLES = """  gen import --database-url postgresql://me@localhost/app -o spec/app.yaml
  gen import --database-url "$DATABASE_URL" --schema public --schema billing -o spec/app.yaml
  gen import --sql schema.sql -o spec/app.yaml              # on pgserver's PostgreSQL 16
  gen import --sql a.sql b.sql --server pg15 -o spec/app.yaml  # Debian's 15 with contrib (pg_trgm, citext ...)
  gen import --sql schema.sql -o -                          # print the spec instead of writing it"""


def register(sub) -> None:
    p = command_parser(sub, "import", "Import an existing database or SQL schema into a spec.", EXAMPLES)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--database-url", metavar="URL", help="a PostgreSQL to read, never changed (default: "
                     "database_url of gen.toml, else $DATABASE_URL)")
    src.add_argument("--sql", nargs="+", metavar="FILE", help="SQL files, applied in order to a scratch database")
    p.add_argument("--schema", action="append", metavar="NAME",
                   help="a schema to import (repeat; default: every user schema except Supabase's own)")
    add_server(p)
    p.add_argument("--name", help="the spec's name (default: the file or database name)")
    p.add_argument("-o", "--output", required=True, metavar="SPEC", help="spec file to write ('-': print it)")
    add_format(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from generator.cli.ui import progress
    from generator.importer import import_database, import_sql, write_spec

    progress("gen import: reading " + ("the database" if not args.sql else
                                       f"{len(args.sql)} SQL file(s) on a scratch PostgreSQL"))
    if not args.sql:
        from generator.cli import project as opts
        result = import_database(opts.database_url(args, "IM004"), args.schema, args.name)
    else:
        result = import_sql(args.sql, args.server, name=args.name or _stem(args.output), schemas=args.schema)
    progress(f"gen import: {len(result.spec.get('entities', {}))} entities read; writing {args.output}")
    if args.output == "-":
        sys.stdout.write(result.text)
    else:
        try:
            write_spec(args.output, result.text)
        except OSError as e:
            raise GenError([Diagnostic("IM003", f"cannot write {args.output}: {e}", name="import.output",
                                       hint="choose a writable path")], EXIT_BAD_INPUT) from None
    summary = {"output": args.output, "name": result.spec["name"], "flavor": result.flavor, "schemas": result.schemas,
               "entities": len(result.spec.get("entities", {})), "not_represented": [x.line() for x in result.losses],
               "notes": result.notes}
    if args.format == "json":
        print(json.dumps(summary, indent=2), file=sys.stdout if args.output != "-" else sys.stderr)
    elif args.output != "-":
        print(f"{args.output}: {summary['entities']} entities ({result.flavor}; schemas {', '.join(result.schemas)}), "
              f"{len(result.losses)} item(s) not representable (listed at the top of the file)")
    return EXIT_OK


def _stem(output: str) -> str | None:
    if output == "-":
        return None
    from pathlib import Path
    return Path(output).stem
