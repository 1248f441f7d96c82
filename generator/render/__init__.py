"""The one Jinja2 environment: template lookup (user overrides first, then the project's
templates/), filters for quoting, and rendering. Templates only loop and interpolate."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from generator.model.naming import quote_ident, quote_literal

PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "_templates"   # in a wheel (see setup.py)
CHECKOUT_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
BUILTIN_TEMPLATES = PACKAGED_TEMPLATES if PACKAGED_TEMPLATES.is_dir() else CHECKOUT_TEMPLATES


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def oneline(text: str) -> str:
    """Text safe inside an SQL line comment (`-- …`): no line breaks or other control characters."""
    text = str(text)
    if _CONTROL.search(text) is None:  # the common case: nothing to replace
        return text
    return "".join(ch if ord(ch) >= 32 and ord(ch) != 127 else " " for ch in text)


def _template_dirs(override: str | None) -> list[str]:
    return ([override] if override else []) + [str(BUILTIN_TEMPLATES)]


@lru_cache(maxsize=8)
def environment(override: str | None = None):
    """A cached environment per override dir, so templates compile once per process. gen's own
    templates are not looked at again (no stat per docs page); a user's overrides are, so an
    edit of one reaches the next build of a long-running process (`--watch`)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs(override)),
        auto_reload=override is not None,
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
