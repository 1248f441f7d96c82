"""The one Jinja2 environment: template lookup (user overrides first, then the project's
templates/), filters for quoting, and rendering. Templates only loop and interpolate."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from generator.model.naming import quote_ident, quote_literal

BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def oneline(text: str) -> str:
    """Text safe inside an SQL line comment (`-- …`): no line breaks or other control characters."""
    return "".join(ch if ord(ch) >= 32 and ord(ch) != 127 else " " for ch in str(text))


def _template_dirs(override: str | None) -> list[str]:
    dirs = [override] if override else []
    if BUILTIN_TEMPLATES.is_dir():
        dirs.append(str(BUILTIN_TEMPLATES))
    else:  # installed as a wheel: templates ship inside the package
        dirs.append(str(Path(__file__).resolve().parent.parent / "_templates"))
    return dirs


@lru_cache(maxsize=8)
def environment(override: str | None = None):
    """A cached environment per override dir, so templates compile once per process."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs(override)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ident"] = quote_ident
    env.filters["literal"] = quote_literal
    env.filters["oneline"] = oneline
    return env


def render_template(name: str, override: str | None = None, **context) -> str:
    return environment(override).get_template(name).render(**context)
