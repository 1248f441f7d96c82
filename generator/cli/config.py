"""The project configuration: `gen.toml` (or `[tool.gen]` in pyproject.toml), found from the
current directory upwards, plus a `.env` file beside it. Names the specs, the out and migrations
directories, the layout (gen or supabase) and the database URLs, with `${VAR}` / `${VAR:-default}`
interpolation. Command-line flags win over the file, the file over the environment's defaults."""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from generator.diagnostics import EXIT_BAD_INPUT, Diagnostic, GenError, Location

FILE = "gen.toml"
PYPROJECT = "pyproject.toml"
DATABASE_ENV = "DATABASE_URL"
SCRATCH_ENV = "GEN_SCRATCH_DATABASE_URL"
KEYS = {"specs": list, "out": str, "migrations": str, "layout": str, "database_url": str,
        "scratch_database_url": str, "env_file": str}
LAYOUT_DIRS = {"gen": "migrations/{name}", "supabase": "supabase/migrations"}
_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")


@dataclass
class Setting:
    """A URL setting after interpolation: its value (None when unset) and where it came from."""
    value: str | None
    source: str
    missing: list[str] = field(default_factory=list)     # ${VARS} it needs that are not set


@dataclass
class Config:
    path: Path | None = None                 # gen.toml / pyproject.toml, None when there is none
    specs: list[str] = field(default_factory=list)
    out: str | None = None
    migrations: str | None = None
    layout: str = "gen"
    raw: dict = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def here(self, value: str) -> str:
        """A path from the file, relative to the file's directory, shown relative to the cwd."""
        path = Path(value) if Path(value).is_absolute() else self.root / value
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)

    def database_url(self) -> Setting:
        return self._url("database_url", DATABASE_ENV)

    def scratch_url(self) -> Setting:
        return self._url("scratch_database_url", SCRATCH_ENV)

    def _url(self, key: str, env: str) -> Setting:
        if key in self.raw:
            value, missing = interpolate(self.raw[key])
            return Setting(value if not missing else None, f"{self.path.name} {key} ({self.raw[key]})", missing)
        value = os.environ.get(env) or None
        return Setting(value, f"${env}", [] if value else [env])

    def migrations_dir(self, name: str) -> str:
        pattern = self.migrations or LAYOUT_DIRS[self.layout]
        return self.here(pattern.replace("{name}", name))


def interpolate(text: str) -> tuple[str, list[str]]:
    """`${VAR}` and `${VAR:-default}` from the environment; returns (text, unset names)."""
    missing: list[str] = []

    def one(m: re.Match) -> str:
        value = os.environ.get(m["name"])
        if value:
            return value
        if m["default"] is not None:
            return m["default"]
        missing.append(m["name"])
        return ""
    return _VAR.sub(one, text), missing


def _bad(message: str, path: Path, hint: str = "", line: int | None = None, col: int | None = None,
         code: str = "CF001") -> GenError:
    return GenError([Diagnostic(code, message, name="config", hint=hint,
                                loc=Location(str(path), line or 1, col or 1))], EXIT_BAD_INPUT)


def _line_of(path: Path, key: str) -> int | None:
    """The line where `key = ...` is written (tomllib does not keep positions)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    return next((i for i, line in enumerate(lines, 1) if pattern.match(line)), None)


def find(start: Path) -> tuple[Path, dict] | None:
    """The nearest gen.toml, or pyproject.toml with a [tool.gen] table, from `start` upwards."""
    for directory in [start, *start.parents]:
        own = directory / FILE
        if own.is_file():
            return own, _read(own)
        project = directory / PYPROJECT
        if project.is_file():
            tool = _read(project).get("tool", {})
            if isinstance(tool, dict) and "gen" in tool:
                return project, tool["gen"]
    return None


def _read(path: Path) -> dict:
    import tomllib   # only where there is a file to read (~4 ms of imports)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        raise _bad(f"{path.name} is not valid TOML: {str(exc).split(' (at line')[0]}", path,
                   "see docs/config.md", int(m[1]) if m else None, int(m[2]) if m else None) from None
    except OSError as exc:
        raise _bad(f"cannot read {path}: {exc.strerror}", path) from None


def _checked(path: Path, raw: dict) -> dict:
    for key, value in raw.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            raise _bad(f"unknown key '{key}' in {path.name}", path,
                       f"did you mean '{close[0]}'?" if close else "keys: " + ", ".join(KEYS),
                       _line_of(path, key), code="CF002")
        if not isinstance(value, KEYS[key]) or (key == "specs" and not all(isinstance(v, str) for v in value)):
            kind = "a list of strings" if KEYS[key] is list else "a string"
            raise _bad(f"'{key}' in {path.name} must be {kind}", path, line=_line_of(path, key), code="CF003")
    if raw.get("layout", "gen") not in LAYOUT_DIRS:
        raise _bad(f"layout '{raw['layout']}' in {path.name} is not one of: gen, supabase", path,
                   line=_line_of(path, "layout"), code="CF003")
    return raw


def load_env(path: Path) -> list[str]:
    """Read KEY=VALUE lines of a .env file into the environment, never overriding a variable
    that is already set. Returns the names it set."""
    if not path.is_file():
        return []
    added = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _ENV_LINE.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        value = m["value"]
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        if m["key"] not in os.environ:
            os.environ[m["key"]] = value
            added.append(m["key"])
    return added


def load(explicit: str | None = None, start: Path | None = None) -> Config:
    """The configuration for this run: `explicit` (--config / $GEN_CONFIG) or the nearest file;
    its .env (or the cwd's, without a file) is loaded into the environment first."""
    start = start or Path.cwd()
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise _bad(f"config file {explicit} does not exist", path, "pass an existing gen.toml")
        data = _read(path)
        found = (path, data.get("tool", {}).get("gen", {}) if path.name == PYPROJECT else data)
    else:
        found = find(start)
    if found is None:
        load_env(start / ".env")
        return Config()
    path, raw = found[0], _checked(found[0], dict(found[1]))
    config = Config(path=path, raw=raw, layout=raw.get("layout", "gen"), out=raw.get("out"),
                    migrations=raw.get("migrations"))
    load_env(config.root / raw.get("env_file", ".env"))
    config.specs = [config.here(s) for s in raw.get("specs", [])]
    config.out = config.here(config.out) if config.out else None
    return config


_CURRENT: list = [None, None]          # [explicit path, loaded Config]


def current() -> Config:
    """The configuration of this run (--config, $GEN_CONFIG or the nearest file), loaded on
    first use."""
    if _CURRENT[1] is None:
        _CURRENT[1] = load(_CURRENT[0] or os.environ.get("GEN_CONFIG"))
    return _CURRENT[1]


def reset(explicit: str | None = None) -> None:
    """Forget the loaded configuration (a new CLI run); `explicit` is --config."""
    _CURRENT[:] = [explicit, None]
