"""CLI conventions: NO_COLOR/FORCE_COLOR, --quiet/--verbose, progress, an internal error as exit 4
with one line (the traceback only with --debug), shell completion run in real bash/zsh/fish, and
`gen fmt` (canonical layout, comments kept, same model, idempotent, --check)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from generator.cli import main
from generator.cli.cmd_completion import script
from generator.pipeline import load_schema
from generator.spec.fmt import format_text

ROOT = Path(__file__).resolve().parent.parent
BAD = "spec: 1\nname: x\nentities:\n  a:\n    columns: {id: uuid pk}\n    policies: [ownr]\n"


def gen(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    for key in ("NO_COLOR", "FORCE_COLOR"):
        if env is None or key not in env:
            full.pop(key, None)
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=120)


# -- colour ------------------------------------------------------------------------------------

@pytest.mark.parametrize("env, coloured", [({}, False), ({"FORCE_COLOR": "1"}, True),
                                           ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
                                           ({"FORCE_COLOR": "0"}, False)])
def test_colour_follows_no_color_and_force_color(tmp_path, env, coloured):
    (tmp_path / "bad.yaml").write_text(BAD)
    done = gen("validate", "bad.yaml", cwd=tmp_path, env=env)
    assert done.returncode == 2 and "RS031" in done.stderr
    assert ("\033[" in done.stderr) == coloured


# -- quiet, verbose, progress ----------------------------------------------------------------

def test_quiet_prints_only_findings_and_verbose_shows_progress(tmp_path):
    spec = ROOT / "spec" / "commerce.yaml"
    quiet = gen("build", str(spec), "--out", str(tmp_path), "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    loud = gen("-v", "build", str(spec), "--out", str(tmp_path), "--check")
    assert loud.returncode == 0 and "up to date" in loud.stdout
    assert re.search(r"^\[\s*\d+\.\d+s\] gen build: 1 spec\(s\) \(check only\)$", loud.stderr, re.M)
    (tmp_path / "commerce" / "schema.sql").write_text("stale")
    stale = gen("build", str(spec), "--out", str(tmp_path), "--check", "-q")
    assert stale.returncode == 1 and "stale or missing" in stale.stdout   # findings survive --quiet


# -- internal errors ---------------------------------------------------------------------------

def test_an_internal_error_is_exit_4_with_one_line_and_the_traceback_only_with_debug(tmp_path, monkeypatch, capsys):
    import generator.pipeline as pipeline

    def broken(*args, **kwargs):
        raise ZeroDivisionError("simulated bug")
    monkeypatch.setattr(pipeline, "build", broken)
    spec = str(ROOT / "spec" / "commerce.yaml")
    assert main(["build", spec, "--out", str(tmp_path)]) == 4
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "internal error: ZeroDivisionError" in err and "please report" in err and "--debug" in err
    assert main(["build", spec, "--out", str(tmp_path), "--debug"]) == 4
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "simulated bug" in err


def test_the_ownr_typo_is_exit_2_with_a_location_in_every_format(tmp_path):
    (tmp_path / "bad.yaml").write_text(BAD)
    for fmt in ("human", "json", "github"):
        done = gen("validate", "bad.yaml", "--format", fmt, cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "RS031" in done.stdout + done.stderr and "ownr" in done.stdout + done.stderr
    human = gen("validate", "bad.yaml", cwd=tmp_path).stderr
    assert human.startswith("bad.yaml:6:16: error RS031") and "did you mean 'owner'?" in human


# -- shell completion --------------------------------------------------------------------------

def _bash_complete(words: list[str], shell: str = "bash") -> list[str]:
    program = (f"{script(shell)}\nCOMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
               "_gen_complete; printf '%s\\n' \"${COMPREPLY[@]}\"")
    argv = ["bash", "-c", program] if shell == "bash" else ["zsh", "-f", "-c", program]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completion_offers_commands_options_and_choices():
    assert {"build", "validate", "migrate", "fmt", "completion"} <= set(_bash_complete(["gen", ""]))
    assert {"--check", "--target", "--out"} <= set(_bash_complete(["gen", "build", "--"]))
    assert set(_bash_complete(["gen", "migrate", ""])) >= {"new", "up", "down", "status", "verify"}
    assert "--allow-destructive" in _bash_complete(["gen", "migrate", "new", "--a"])
    assert set(_bash_complete(["gen", "build", "x.yaml", "--format", ""])) == {"human", "json", "github"}
    assert "typescript" in _bash_complete(["gen", "build", "--target", "ty"])
    assert set(_bash_complete(["gen", "completion", ""])) >= {"bash", "zsh", "fish"}
    assert "spec" in _bash_complete(["gen", "validate", "sp"])           # files


def _need(shell: str) -> None:
    if not shutil.which(shell):
        pytest.fail(f"{shell} is needed to check `gen completion {shell}` (setup.sh installs it)", pytrace=False)


def test_zsh_completion_loads_and_completes():
    _need("zsh")
    done = subprocess.run(["zsh", "-f", "-c", script("zsh") + "\nprint ok"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert {"build", "fmt"} <= set(_bash_complete(["gen", ""], shell="zsh"))


def test_fish_completion_loads_and_completes(tmp_path):
    _need("fish")
    (tmp_path / "gen.fish").write_text(script("fish"))
    def complete(line: str) -> list[str]:
        done = subprocess.run(["fish", "--no-config", "-c", f"source {tmp_path / 'gen.fish'}; complete -C '{line}'"],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return [row.split("\t")[0] for row in done.stdout.splitlines()]
    assert {"build", "validate", "fmt"} <= set(complete("gen "))
    assert {"--check", "--target"} <= set(complete("gen build --"))
    assert {"new", "up", "status"} <= set(complete("gen migrate "))
    assert {"human", "json", "github"} <= set(complete("gen validate x --format "))


def test_completion_command_prints_each_script():
    for shell in ("bash", "zsh", "fish"):
        done = gen("completion", shell)
        assert done.returncode == 0 and "gen" in done.stdout and "build" in done.stdout


# -- gen fmt -----------------------------------------------------------------------------------

MESSY = """# yaml-language-server: $schema=./gen.schema.json
entities:   
  # the people
  users:
    columns:
      id: uuid pk
      email: text! unique   # login


    traits: [timestamps]
    description: People.
  posts:
    policies: [owner]
    owner: user_id
    columns:
      id: uuid pk
      user_id: uuid! -> users cascade
    description: |
      keep   
      this  
name: messy
# the language version
spec: 1
traits:
  timestamps:
    columns: {created_at: timestamptz! = now()}
    description: When.
"""


def _comments(text: str) -> Counter:
    return Counter(line.split("#", 1)[1] for line in text.splitlines() if "#" in line)


def fmt_specs() -> list[Path]:
    return sorted((ROOT / "spec").glob("*.yaml")) + sorted((ROOT / "tests" / "specs" / "verify").glob("*.yaml"))


@pytest.mark.parametrize("path", fmt_specs(), ids=lambda p: p.name)
def test_fmt_keeps_the_model_and_comments_and_is_idempotent(path, tmp_path):
    text = path.read_text()
    once = format_text(text, path.name)
    assert format_text(once, path.name) == once
    assert _comments(once) == _comments(text)
    (tmp_path / path.name).write_text(once)
    assert load_schema(tmp_path / path.name) == load_schema(path)


def test_fmt_puts_keys_in_the_documented_order_and_keeps_block_scalars(tmp_path):
    (tmp_path / "messy.yaml").write_text(MESSY)
    once = format_text(MESSY, "messy.yaml")
    assert format_text(once, "messy.yaml") == once and _comments(once) == _comments(MESSY)
    top = [line.split(":")[0] for line in once.splitlines() if re.match(r"^[a-z]", line)]
    assert top == ["spec", "name", "traits", "entities"]
    users = once.split("  users:\n")[1].split("\n  posts:")[0]
    assert [line.split(":")[0].strip() for line in users.splitlines() if re.match(r"^    [a-z]", line)] == \
        ["description", "traits", "columns"]
    assert "# the language version\nspec: 1\n" in once and "  # the people\n  users:" in once
    assert "      keep   \n      this  \n" in once          # a block scalar's spaces are content
    assert "entities:\n" in once and "\n\n\n" not in once     # other trailing spaces and blank runs go
    (tmp_path / "formatted.yaml").write_text(once)
    assert load_schema(tmp_path / "formatted.yaml") == load_schema(tmp_path / "messy.yaml")


def test_cli_md_lists_the_key_order_fmt_uses():
    """docs/cli.md names every key in the order `gen fmt` puts it (the JSON Schema's order)."""
    from generator.spec.fmt import NESTED_ORDER, TOP_ORDER
    text = (ROOT / "docs" / "cli.md").read_text()
    for label, order in (("top level", TOP_ORDER), ("inside each entity", NESTED_ORDER[("entities", "*")]),
                         ("inside each trait", NESTED_ORDER[("traits", "*")])):
        listed = re.search(rf"  - {label}: (.*?)[;.]\n", text, re.S).group(1)
        assert re.findall(r"`(\w+)`", listed) == order, label


def test_fmt_command_check_and_write(tmp_path):
    (tmp_path / "messy.yaml").write_text(MESSY)
    check = gen("fmt", "messy.yaml", "--check", cwd=tmp_path)
    assert check.returncode == 1 and "messy.yaml: not formatted" in check.stdout
    assert (tmp_path / "messy.yaml").read_text() == MESSY
    assert gen("fmt", "messy.yaml", cwd=tmp_path).returncode == 0
    assert gen("fmt", "messy.yaml", "--check", cwd=tmp_path).returncode == 0
    (tmp_path / "broken.yaml").write_text("spec: [\n")
    bad = gen("fmt", "broken.yaml", cwd=tmp_path)
    assert bad.returncode == 2 and "broken.yaml:" in bad.stderr and "Traceback" not in bad.stderr
