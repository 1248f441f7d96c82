"""`gen review BASE HEAD`: the pull-request comment for a spec change (generator.review does the
work); this module parses, writes -o, prints and returns the verdict's exit code."""
from __future__ import annotations

from pathlib import Path

from generator.cli import add_server, command_parser

FORMATS = ("markdown", "json", "github")


def register(sub) -> None:
    from generator.review_flags import DEFAULT_FAIL_ON, FLAG_KINDS
    p = command_parser(sub, "review", "One pull-request comment from the base and head specs: migration with locks "
                       "and lints, access-matrix diff, ER diagram and docs diff, ORM impact, risk flags and a verdict.",
                       "  gen review git:main:spec/app.yaml spec/app.yaml                 # Markdown on stdout\n"
                       "  gen review git:main:spec/app.yaml spec/app.yaml -o review.md    # and review.erd.svg\n"
                       "  gen review old.yaml new.yaml --format json\n"
                       "  gen review git:main:spec/app.yaml spec/app.yaml --format github -o review.md  # CI\n"
                       "  gen review old.yaml new.yaml --verify        # prove the access matrix on PostgreSQL\n"
                       "  gen review old.yaml new.yaml --fail-on cross-tenant,destructive\n"
                       "exit codes: 0 pass or review, 1 a flag of --fail-on is raised, 2 bad input, 3 environment")
    p.add_argument("base", metavar="BASE", help="the spec before: a file, a directory or git:<ref>:<path>")
    p.add_argument("head", metavar="HEAD", help="the spec after (same forms)")
    p.add_argument("--format", choices=FORMATS, default="markdown",
                   help="markdown: the comment; json: everything as data (docs/review.schema.json); github: "
                        "annotations on the spec lines (with -o, the comment goes to the file)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the comment (or the JSON) to FILE; the ER diagram "
                   "is written beside it as <FILE stem>.erd.svg when Graphviz is installed")
    p.add_argument("--fail-on", metavar="FLAGS", default=None,
                   help="flags that make the verdict fail and gen exit 1, comma separated, or none/all "
                        f"(default: {','.join(DEFAULT_FAIL_ON)}); flags: {', '.join(k.name for k in FLAG_KINDS)}")
    p.add_argument("--verify", action="store_true", help="prove the head's access matrix on a scratch PostgreSQL "
                   "(gen verify's roles and fixture rows) and mark each changed cell proven or disproven")
    p.add_argument("--database-url", metavar="URL", help="with --verify: a superuser URL of a throw-away server to "
                   "create the scratch database on (overrides --server)")
    add_server(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from generator.output import write_file_atomic
    from generator.review import github, json_out, markdown, review

    from generator.cli.ui import progress_callback
    step = progress_callback()
    r = review(args.base, args.head, args.fail_on, args.database_url, args.verify,
               (lambda msg: step(f"gen review: {msg}")) if step else None, args.server)
    text = json_out.render(r) if args.format == "json" else markdown.render(r)
    if args.output:
        write_file_atomic(Path(args.output), text)
        svg = _svg(r)
        if svg is not None:
            write_file_atomic(Path(args.output).with_suffix(".erd.svg"), svg)
    if args.format == "github":
        print(github.render(r), end="")
    elif not args.output:
        print(text, end="")
    return r.verdict.exit_code


def _svg(r) -> str | None:
    from generator.targets.erd_graphviz import dot_program, render_svg
    program = dot_program()
    if program is None or not r.datamodel.dot:
        return None
    return render_svg(r.datamodel.dot, program)
