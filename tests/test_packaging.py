"""Packaging as a user meets it: the wheel carries templates/ and the JSON Schema; installed in a
fresh virtualenv (no system site-packages) it runs init, build, verify and migrate in an empty
folder; and the lowest dependency versions pyproject.toml declares pass the core tests."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "generator", "templates",
           "spec/gen.schema.json")
PIP_TIMEOUT = 900   # seconds: only stops a hung install


def clean_env(**extra: str) -> dict:
    """The environment without anything that would make Python import the checkout instead."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", NO_COLOR="1", **extra)
    return env


def run(argv: list, cwd: Path, env: dict | None = None, timeout: int = PIP_TIMEOUT) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env or clean_env(), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{' '.join(map(str, argv))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def make_venv(path: Path) -> Path:
    """A fresh virtualenv that does not see this interpreter's site-packages; returns its bin/."""
    run([sys.executable, "-m", "venv", path], path.parent)
    bin_ = path / ("Scripts" if os.name == "nt" else "bin")
    out = run([bin_ / "python", "-c", "import sys; print(sys.prefix != sys.base_prefix)"], path.parent)
    assert out.strip() == "True"
    return bin_


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built by pip from a copy of the tracked sources (no build/ left in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for rel in SOURCES:
        if (ROOT / rel).is_dir():
            shutil.copytree(ROOT / rel, src / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, src / rel)
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, src], src)
    (found,) = dist.glob("gen_schema-*.whl")
    return found


def test_the_wheel_carries_every_template_the_json_schema_and_the_license(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*")
                       if p.is_file())
    assert templates and all(f"generator/_templates/{t}" in names for t in templates)
    with zipfile.ZipFile(wheel) as z:
        assert z.read("generator/_data/gen.schema.json") == (ROOT / "spec" / "gen.schema.json").read_bytes()
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta and "License-File: LICENSE" in meta
    assert re.search(r"^Requires-Dist: pgserver>=0\.1\.4; ", meta, re.M), "pgserver must be a default dependency"
    assert "Provides-Extra: dev" in meta


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Path:
    """bin/ of a fresh virtualenv holding only the wheel and its dependencies."""
    bin_ = make_venv(tmp_path_factory.mktemp("wheelenv") / "venv")
    run([bin_ / "python", "-m", "pip", "install", "-q", wheel], wheel.parent)
    return bin_


def test_from_the_wheel_init_build_verify_and_migrate_work_in_an_empty_folder(installed, tmp_path):
    gen = installed / "gen"
    where = run([installed / "python", "-c", "import generator; print(generator.__file__)"], tmp_path)
    assert str(installed.parent) in where, "the venv must import the installed wheel, not the checkout"
    assert "wrote spec/app.yaml" in run([gen, "init"], tmp_path)
    built = run([gen, "build", "spec/app.yaml"], tmp_path)
    assert "out/app:" in built
    for rel in ("schema.sql", "rls.sql", "seed.sql", "prisma/schema.prisma", "prisma.config.ts", "drizzle/schema.ts",
                "types/database.ts", "models/app_models.py", "docs/README.md", "erd.mmd"):
        assert (tmp_path / "out" / "app" / rel).is_file(), rel
    assert run([gen, "build", "spec/app.yaml", "--check"], tmp_path).count("up to date") == 1
    verified = run([gen, "verify", "spec/app.yaml"], tmp_path, timeout=600)
    assert re.search(r"^spec/app\.yaml: verified: [1-9]\d* passed, 0 failed", verified, re.M), verified
    run([gen, "migrate", "new", "init", "--spec", "spec/app.yaml"], tmp_path)
    assert sorted(p.suffix for p in (tmp_path / "migrations" / "app").iterdir())
    assert "verified" in run([gen, "migrate", "verify", "--spec", "spec/app.yaml"], tmp_path, timeout=600)


def test_the_wheel_builds_the_committed_examples_byte_for_byte(installed, tmp_path):
    """Templates from the wheel, not the checkout: the committed out/ is what the wheel writes."""
    specs = sorted((ROOT / "spec").glob("*.yaml"))
    out = run([installed / "gen", "build", *specs, "--check", "--out", ROOT / "out"], tmp_path)
    assert out.count("up to date") == len(specs), out


def test_the_wheels_gen_daemon_runs_the_wheels_commands(installed, tmp_path):
    """The console script hands commands to a daemon of the same installation; the checkout's
    daemon (another installation) is never used by the wheel's gen."""
    import tempfile
    folder = tempfile.mkdtemp(prefix="gd", dir="/tmp")   # a socket path must stay under 108 bytes
    env = clean_env(GEN_DAEMON_DIR=folder, GEN_CACHE_DIR="off")
    env.pop("GEN_DAEMON", None)
    gen = installed / "gen"
    try:
        assert "started" in run([gen, "daemon", "start"], tmp_path, env)
        specs = sorted((ROOT / "spec").glob("*.yaml"))
        out = run([gen, "build", *specs, "--check", "--out", ROOT / "out"], tmp_path, env)
        assert out.count("up to date") == len(specs), out
        assert "1 commands served" in run([gen, "daemon", "status"], tmp_path, env)
        checkout = subprocess.run([sys.executable, "-m", "generator", "daemon", "status"], cwd=ROOT, capture_output=True,
                                  env={**env, "PYTHONPATH": str(ROOT)}, text=True)
        assert checkout.returncode == 1 and "not running" in checkout.stdout   # another installation's socket
    finally:
        subprocess.run([str(gen), "daemon", "stop"], cwd=tmp_path, env=env, capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


# -- lowest declared versions ---------------------------------------------------------------------

LOWEST = ROOT / "tests" / "lowest-requirements.txt"
LOWEST_SUBSET = ["tests/test_loader.py", "tests/test_resolve.py", "tests/test_spec_errors.py",
                 "tests/test_build.py", "tests/test_normalize.py", "tests/test_diff.py"]


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOWEST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"\[.*\]", "", name).lower()] = version
    return pins


def test_the_lowest_pins_are_the_declared_lower_bounds():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = _pins()
    for dep in deps:
        m = re.match(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?>=([0-9.]+)", dep)
        assert m, f"{dep}: declare a lower bound"
        pinned = pins.get(m.group(1).lower(), "")
        assert _release(pinned) == _release(m.group(3)), f"{dep}: pin {m.group(1)}=={m.group(3)} in {LOWEST.name}"


def _release(version: str) -> tuple[int, ...]:
    """2.6 and 2.6.0 are one release."""
    parts = [int(p) for p in version.split(".")] if version else []
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def test_the_core_tests_pass_on_the_lowest_declared_versions(tmp_path):
    bin_ = make_venv(tmp_path / "venv")
    run([bin_ / "python", "-m", "pip", "install", "-q", "-r", LOWEST], tmp_path)
    versions = run([bin_ / "python", "-m", "pip", "list", "--format", "freeze"], tmp_path).lower()
    for name, version in _pins().items():
        assert f"{name}=={version}" in versions, name
    env = clean_env(PYTHONPATH=str(ROOT))
    for key in ("GEN_TEST_DATABASE_URL", "GEN_SHARED"):
        if key in os.environ:
            env[key] = os.environ[key]
    out = run([bin_ / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *LOWEST_SUBSET], ROOT, env)
    assert re.search(r"\d+ passed", out) and " failed" not in out
