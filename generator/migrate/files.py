"""The versioned migrations directory: `<version>_<slug>.up.sql` / `.down.sql` pairs, model
snapshots (`.snapshot.json`) and `gen.sum`, a chained sha256 of every file (like atlas.sum)
that makes an edited, added or deleted file visible before anything runs."""
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

    def transactional(self, text: str | None = None) -> bool:
        return NO_TRANSACTION not in (text if text is not None else self.up_text()).splitlines()


class MigrationDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.is_dir() and any(self._files())

    def _files(self) -> list[Path]:
        if not self.path.is_dir():
            return []
        return sorted((p for p in self.path.iterdir() if p.is_file() and NAME.match(p.name)), key=lambda p: p.name)

    def migrations(self) -> list[Migration]:
        by_version: dict[str, dict[str, Path]] = {}
        slugs: dict[str, str] = {}
        for p in self._files():
            m = NAME.match(p.name)
            by_version.setdefault(m["version"], {})[m["kind"]] = p
            slugs[m["version"]] = m["slug"]
        return [Migration(v, slugs[v], kinds["up.sql"], kinds.get("down.sql"))
                for v, kinds in sorted(by_version.items()) if "up.sql" in kinds]

    def last_snapshot(self) -> tuple[Path, Schema] | None:
        from generator.migrate.snapshot import from_json
        snaps = [p for p in self._files() if p.name.endswith(".snapshot.json")]
        if not snaps:
            return None
        return snaps[-1], from_json(snaps[-1].read_text(encoding="utf-8"), str(snaps[-1]))

    def last_version(self) -> str | None:
        names = [NAME.match(p.name)["version"] for p in self._files()]
        return names[-1] if names else None

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
        (self.path / SUM_FILE).write_text(self.sum_text(), encoding="utf-8")

    def check_sum(self) -> None:
        """Stop (MG010) when gen.sum is missing or does not match the files on disk."""
        sum_path = self.path / SUM_FILE
        if not self.exists():
            return
        if not sum_path.exists():
            raise _sum_error(f"{sum_path} is missing", "restore it from version control; it is written by "
                             "`gen migrate new`")
        recorded = _parse_sum(sum_path.read_text(encoding="utf-8"))
        actual = dict(self.sums())
        for name in sorted(set(recorded) | set(actual)):
            if name not in actual:
                raise _sum_error(f"{self.path / name} is listed in {SUM_FILE} ({recorded[name]}) but was deleted",
                                 "restore the file: migrations are append-only once shared")
            if name not in recorded:
                raise _sum_error(f"{self.path / name} is not in {SUM_FILE} (its chained checksum is {actual[name]})",
                                 "write migrations with `gen migrate new`, not by hand")
            if recorded[name] != actual[name]:
                raise _sum_error(f"{self.path / name} does not match {SUM_FILE}: recorded {recorded[name]}, "
                                 f"file now {actual[name]} (this file or one before it was edited)",
                                 "restore the edited file; to change the schema write a new migration")


def _parse_sum(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines()[1:]:
        if line.strip():
            name, _, value = line.rpartition(" ")
            out[name] = value
    return out


def _sum_error(message: str, hint: str) -> GenError:
    return GenError([Diagnostic("MG010", message, name="migrate.checksum", hint=hint)], EXIT_FINDINGS)
