"""The versioned migrations directory: `<version>_<slug>.up.sql` / `.down.sql` pairs, model
snapshots (`.snapshot.json`) and `gen.sum`, a chained sha256 of every file (like atlas.sum)
that makes an edited, added or deleted file visible before anything runs.

Two layouts: gen's keeps everything in one directory; Supabase's keeps the up scripts as
`supabase/migrations/<version>_<name>.sql` (what the Supabase CLI runs) and gen's other files
(down scripts, snapshots, gen.sum) beside it in `supabase/gen/`."""
from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import EXIT_FINDINGS, Diagnostic, GenError
from generator.model import Schema

SUM_FILE = "gen.sum"
NAME = re.compile(r"^(?P<version>\d{14})_(?P<slug>[a-z0-9_]+)\.(?P<kind>up\.sql|down\.sql|snapshot\.json)$")
SUPABASE_UP = re.compile(r"^(?P<version>\d{14})_(?P<slug>[A-Za-z0-9_-]+)\.(?P<kind>sql)$")
LAYOUTS = ("gen", "supabase")
HAND_WRITTEN = "-- gen:hand-written"
SUPABASE_FLAVOR = "-- gen:flavor supabase"       # needs auth.uid() & co: the shim on plain PostgreSQL
NO_TRANSACTION = "-- gen:no-transaction"
IRREVERSIBLE = "-- gen:irreversible"
DATA_NOT_RESTORED = "gen:data-not-restored"        # in a down script's header notes


def checksum(content: bytes) -> str:
    """One file's checksum as the history table records it."""
    return "h1:" + base64.b64encode(hashlib.sha256(content).digest()).decode()


@dataclass(frozen=True)
class Migration:
    version: str
    slug: str
    up: Path
    down: Path | None

    @property
    def name(self) -> str:
        return f"{self.version}_{self.slug}"

    def up_text(self) -> str:
        return self.up.read_bytes().decode("utf-8")

    def up_checksum(self) -> str:
        return checksum(self.up.read_bytes())

    def head(self, lines: int = 8) -> list[str]:
        return self.up_text().splitlines()[:lines]

    def transactional(self, text: str | None = None) -> bool:
        return NO_TRANSACTION not in (text if text is not None else self.up_text()).splitlines()


def as_dir(directory: "str | Path | MigrationDir") -> "MigrationDir":
    return directory if isinstance(directory, MigrationDir) else MigrationDir(directory)


def detect_layout(path: Path) -> str:
    """supabase when the directory holds `<version>_<name>.sql` files (or is supabase/migrations
    and still empty), else gen."""
    if path.is_dir():
        names = [p.name for p in path.iterdir() if p.is_file()]
        if any(NAME.match(n) for n in names):
            return "gen"
        if any(SUPABASE_UP.match(n) for n in names):
            return "supabase"
    return "supabase" if (path.name, path.parent.name) == ("migrations", "supabase") else "gen"


class MigrationDir:
    def __init__(self, path: str | Path, layout: str | None = None):
        self.path = Path(path)
        self.layout = layout or detect_layout(self.path)
        self.meta = self.path if self.layout == "gen" else self.path.parent / "gen"

    def up_path(self, name: str) -> Path:
        return self.path / (f"{name}.up.sql" if self.layout == "gen" else f"{name}.sql")

    def down_path(self, name: str) -> Path:
        return self.meta / f"{name}.down.sql"

    def snapshot_path(self, name: str) -> Path:
        return self.meta / f"{name}.snapshot.json"

    @property
    def sum_path(self) -> Path:
        return self.meta / SUM_FILE

    def mkdir(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.meta.mkdir(parents=True, exist_ok=True)

    def exists(self) -> bool:
        return any(self._files())

    @staticmethod
    def parse(p: Path) -> re.Match | None:
        return NAME.match(p.name) or SUPABASE_UP.match(p.name)

    def _files(self) -> list[Path]:
        """Every migration file of the layout (ups, downs, snapshots), sorted by name."""
        found: dict[str, Path] = {}
        for directory in dict.fromkeys((self.path, self.meta)):
            if directory.is_dir():
                for p in directory.iterdir():
                    if p.is_file() and self._mine(p):
                        found[p.name] = p
        return [found[n] for n in sorted(found)]

    def _mine(self, p: Path) -> bool:
        if self.layout == "gen":
            return NAME.match(p.name) is not None
        if p.parent == self.path and SUPABASE_UP.match(p.name):
            return True
        m = NAME.match(p.name)
        return p.parent == self.meta and m is not None and m["kind"] != "up.sql"

    def migrations(self) -> list[Migration]:
        by_version: dict[str, dict[str, Path]] = {}
        slugs: dict[str, str] = {}
        for p in self._files():
            m = self.parse(p)
            kind = "up.sql" if m["kind"] == "sql" else m["kind"]
            by_version.setdefault(m["version"], {})[kind] = p
            if kind == "up.sql" or m["version"] not in slugs:
                slugs[m["version"]] = m["slug"]
        return [Migration(v, slugs[v], kinds["up.sql"], kinds.get("down.sql"))
                for v, kinds in sorted(by_version.items()) if "up.sql" in kinds]

    def files_of(self, version: str) -> list[Path]:
        """Every file (up, down, snapshot) of one version."""
        return [p for p in self._files() if self.parse(p)["version"] == version]

    def last_snapshot(self) -> tuple[Path, Schema] | None:
        from generator.migrate.snapshot import from_json
        snaps = [p for p in self._files() if p.name.endswith(".snapshot.json")]
        if not snaps:
            return None
        return snaps[-1], from_json(snaps[-1].read_text(encoding="utf-8"), str(snaps[-1]))

    def snapshot_at(self, version: str) -> tuple[Path, Schema] | None:
        """The snapshot written with `version` (the last part of a `migrate new`), if any."""
        from generator.migrate.snapshot import from_json
        for p in self._files():
            if p.name.endswith(".snapshot.json") and self.parse(p)["version"] == version:
                return p, from_json(p.read_text(encoding="utf-8"), str(p))
        return None

    def last_version(self) -> str | None:
        names = [self.parse(p)["version"] for p in self._files()]
        return max(names) if names else None

    # ------------------------------------------------------------ gen.sum

    def sums(self) -> list[tuple[str, str]]:
        """(file name, chained h1 checksum) for every migration file, in order."""
        h, out = hashlib.sha256(), []
        for p in self._files():
            h.update(p.name.encode() + b"\0" + p.read_bytes())
            out.append((p.name, "h1:" + base64.b64encode(h.copy().digest()).decode()))
        return out

    def sum_text(self) -> str:
        sums = self.sums()
        total = sums[-1][1] if sums else "h1:"
        return total + "\n" + "".join(f"{name} {value}\n" for name, value in sums)

    def write_sum(self) -> None:
        self.meta.mkdir(parents=True, exist_ok=True)
        self.sum_path.write_text(self.sum_text(), encoding="utf-8")

    def recorded_sums(self) -> dict[str, str]:
        return _parse_sum(self.sum_path.read_text(encoding="utf-8")) if self.sum_path.exists() else {}

    def check_sum(self) -> None:
        """Stop (MG010) when gen.sum is missing or does not match the files on disk."""
        sum_path = self.sum_path
        if not self.exists():
            return
        if not sum_path.exists():
            raise _sum_error(f"{sum_path} is missing", "restore it from version control; it is written by "
                             "`gen migrate new`")
        recorded = _parse_sum(sum_path.read_text(encoding="utf-8"))
        actual = dict(self.sums())
        where = {p.name: p for p in self._files()}
        for name in sorted(set(recorded) | set(actual)):
            if name not in actual:
                raise _sum_error(f"{self.path / name} is listed in {sum_path} ({recorded[name]}) but was deleted",
                                 "restore the file (migrations are append-only once shared); to drop a migration "
                                 "that was never applied use `gen migrate rm`")
            if name not in recorded:
                raise _sum_error(f"{where[name]} is not in {sum_path} (its chained checksum is {actual[name]})",
                                 "write migrations with `gen migrate new` (`--empty` for hand-written SQL); "
                                 "to adopt this file run `gen migrate hash`")
            if recorded[name] != actual[name]:
                raise _sum_error(f"{where[name]} does not match {sum_path}: recorded {recorded[name]}, "
                                 f"file now {actual[name]} (this file or one before it was edited)",
                                 "restore the edited file and write a new migration; if you edited a migration "
                                 "that was never applied on purpose, run `gen migrate hash`")


def _parse_sum(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines()[1:]:
        if line.strip():
            name, _, value = line.rpartition(" ")
            out[name] = value
    return out


def _sum_error(message: str, hint: str) -> GenError:
    return GenError([Diagnostic("MG010", message, name="migrate.checksum", hint=hint)], EXIT_FINDINGS)
