"""The GitHub Action (action.yml) and the pre-commit hooks (.pre-commit-hooks.yaml), exercised as a
user's CI would: the action's script steps run in bash with GitHub's variables laid out; the hooks
run by the real pre-commit against a local hooks repository. Each passes on a good spec, and fails
with an annotation or message on a broken spec and on stale artifacts."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "generator", "templates",
           "spec/gen.schema.json", ".pre-commit-hooks.yaml", "action.yml")
TIMEOUT = 900   # only stops a hung install


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, "NO_COLOR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def sh(argv, cwd: Path, env=None, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env or clean_env(), capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    if check:
        assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done


def copy_sources(dest: Path) -> Path:
    for rel in SOURCES:
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest / rel)
    return dest


def project(dest: Path) -> Path:
    """A user's repository: one spec and its committed artifacts."""
    (dest / "spec").mkdir(parents=True)
    shutil.copy(ROOT / "spec" / "commerce.yaml", dest / "spec" / "commerce.yaml")
    shutil.copytree(ROOT / "out" / "commerce", dest / "out" / "commerce")
    return dest


def break_spec(dest: Path) -> int:
    """Misspell `columns` of the first entity; returns the line."""
    path = dest / "spec" / "commerce.yaml"
    lines = path.read_text().split("\n")
    line = next(i for i, text in enumerate(lines) if text.strip() == "columns:")
    lines[line] = lines[line].replace("columns:", "colums:")
    path.write_text("\n".join(lines))
    return line + 1


# -- the GitHub Action -----------------------------------------------------------------------------

def _expand(text: str, inputs: dict, action_path: Path) -> str:
    text = text.replace("${{ github.action_path }}", str(action_path))
    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: str(inputs[m.group(1)]), text)


def run_action(action_path: Path, workspace: Path, runner_temp: Path, skip: tuple = (),
               **overrides) -> list[tuple[str, subprocess.CompletedProcess]]:
    """Run the composite action's steps as GitHub's runner does: bash, inputs substituted,
    GITHUB_PATH honoured between steps; stops at the first failing step. Steps named in `skip`
    are left out (the install, once it has run in this runner temp)."""
    action = yaml.safe_load((action_path / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    inputs = {k: v.get("default", "") for k, v in action["inputs"].items()} | overrides
    github_path = runner_temp / "github_path"
    github_path.touch()
    done = []
    for step in action["runs"]["steps"]:
        if step["name"] in skip:
            continue
        condition = step.get("if")
        if condition:
            m = re.fullmatch(r"inputs\.([\w-]+) == '(.*)'", condition.strip())
            assert m, f"unsupported condition {condition}"
            if str(inputs[m.group(1)]) != m.group(2):
                continue
        assert step["shell"] == "bash" and "uses" not in step
        extra = [p for p in github_path.read_text().splitlines() if p]
        env = clean_env(RUNNER_TEMP=str(runner_temp), GITHUB_PATH=str(github_path), GITHUB_ACTIONS="true",
                        PATH=os.pathsep.join(extra + [os.environ["PATH"]]))
        cwd = workspace / _expand(step.get("working-directory", "."), inputs, action_path)
        result = sh(["bash", "-e", "-c", _expand(step["run"], inputs, action_path)], cwd, env, check=False)
        done.append((step["name"], result))
        if result.returncode != 0:
            break
    return done


@pytest.fixture(scope="module")
def action_env(tmp_path_factory):
    """The action's checkout and runner temp, with its install step already run once."""
    action_path = copy_sources(tmp_path_factory.mktemp("action"))
    runner_temp = tmp_path_factory.mktemp("runner")
    workspace = project(tmp_path_factory.mktemp("ws"))
    steps = run_action(action_path, workspace, runner_temp, python=sys.executable)
    return action_path, runner_temp, steps


def test_the_action_passes_on_a_good_spec(action_env):
    _, _, steps = action_env
    assert [name for name, _ in steps] == ["Install gen", "gen validate", "gen build --check"]
    assert all(r.returncode == 0 for _, r in steps), [(n, r.stdout, r.stderr) for n, r in steps]
    assert "out/commerce: up to date" in steps[2][1].stdout


def test_the_action_annotates_a_broken_spec_and_stale_artifacts(action_env, tmp_path):
    action_path, runner_temp, _ = action_env
    broken = project(tmp_path / "broken")
    line = break_spec(broken)
    steps = run_action(action_path, broken, runner_temp, skip=("Install gen",), python=sys.executable)
    name, result = steps[-1]
    assert name == "gen validate" and result.returncode == 2
    assert re.search(rf"^::error file=spec/commerce\.yaml,line={line},col=\d+,title=SP001::unknown key 'colums'",
                     result.stdout + result.stderr, re.M), result.stdout + result.stderr
    stale = project(tmp_path / "stale")
    (stale / "out" / "commerce" / "schema.sql").write_text("-- edited by hand\n")
    name, result = run_action(action_path, stale, runner_temp, skip=("Install gen",), python=sys.executable)[-1]
    assert name == "gen build --check" and result.returncode == 1
    assert "::error file=out/commerce/schema.sql,title=gen build --check::out/commerce/schema.sql is stale" \
        in result.stdout


class FakeGitHub:
    """GitHub's issue-comments API, in a thread: what gen's review mode posts and patches."""

    def __init__(self):
        import http.server
        import json
        import threading
        comments, calls = {}, []
        self.comments, self.calls = comments, calls

        class Handler(http.server.BaseHTTPRequestHandler):
            def _reply(self, data, code=200):
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self):
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

            def do_GET(self):
                calls.append(("GET", self.path, self.headers.get("Authorization")))
                self._reply([{"id": i, "body": b} for i, b in comments.items()])

            def do_POST(self):
                calls.append(("POST", self.path, self.headers.get("Authorization")))
                ident = 100 + len(comments)
                comments[ident] = self._body()["body"]
                self._reply({"id": ident}, 201)

            def do_PATCH(self):
                calls.append(("PATCH", self.path, self.headers.get("Authorization")))
                comments[int(self.path.rsplit("/", 1)[1])] = self._body()["body"]
                self._reply({})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()


def test_the_action_review_mode_comments_once_and_fails_on_a_cross_tenant_widening(action_env, tmp_path,
                                                                                    monkeypatch):
    import json
    action_path, runner_temp, _ = action_env
    ws = tmp_path / "ws"
    (ws / "spec").mkdir(parents=True)
    spec = ws / "spec" / "chatapp.yaml"
    shutil.copy(ROOT / "spec" / "chatapp.yaml", spec)
    git(ws, "init", "-q")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "base")
    git(ws, "branch", "base")
    spec.write_text(spec.read_text().replace(
        "      created_by: uuid -> users set null\n\n  agent_packages:",
        "      created_by: uuid -> users set null\n    policies:\n      - tenant_isolation\n"
        "      - {name: agents_read_all, for: select, using: \"true\"}\n\n  agent_packages:", 1))
    github = FakeGitHub()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    for k, v in (("GITHUB_API_URL", github.url), ("GITHUB_REPOSITORY", "acme/app"), ("GITHUB_EVENT_PATH", str(event))):
        monkeypatch.setenv(k, v)
    inputs = {"python": sys.executable, "mode": "review", "base-ref": "base", "token": "t0k", "specs": "spec/chatapp.yaml",
              "check-artifacts": "false"}
    try:
        first = run_action(action_path, ws, runner_temp, skip=("Install gen",), **inputs)
        second = run_action(action_path, ws, runner_temp, skip=("Install gen",), **inputs)
    finally:
        github.close()
    assert [name for name, _ in first] == ["gen validate", "gen review"]
    name, result = first[-1]
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::error file=spec/chatapp.yaml," in result.stdout and "title=RV007::chatapp_agents: other tenant may " \
        "now SELECT" in result.stdout
    assert "comment 100 created on pull request #7" in result.stdout
    assert "comment 100 updated on pull request #7" in second[-1][1].stdout
    assert [m for m, _, _ in github.calls] == ["GET", "POST", "GET", "PATCH"]
    assert all(auth == "Bearer t0k" for _, _, auth in github.calls)
    [body] = github.comments.values()
    assert body.startswith("<!-- gen-review -->") and "**another tenant** may now SELECT" in body


# -- pre-commit ------------------------------------------------------------------------------------

def git(cwd: Path, *args: str) -> str:
    env = clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
                    GIT_COMMITTER_EMAIL="t@example.com")
    return sh(["git", *args], cwd, env).stdout.strip()


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory) -> tuple[Path, str]:
    repo = copy_sources(tmp_path_factory.mktemp("hooks"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hooks")
    return repo, git(repo, "rev-parse", "HEAD")


def precommit(hooks: tuple[Path, str], user: Path, home: Path) -> subprocess.CompletedProcess:
    if not (user / ".git").exists():
        git(user, "init", "-q")
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks[0]}\n    rev: {hooks[1]}\n    hooks:\n      - id: gen-validate\n"
        "      - id: gen-build-check\n")
    git(user, "add", "-A")
    return sh([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"], user,
              clean_env(PRE_COMMIT_HOME=str(home)), check=False)


def test_pre_commit_hooks_pass_then_fail_on_a_broken_spec_and_on_stale_artifacts(hooks_repo, tmp_path):
    home = tmp_path / "pre-commit-home"
    good = precommit(hooks_repo, project(tmp_path / "good"), home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"^gen validate\.+Passed$", good.stdout, re.M) and re.search(r"^gen build --check\.+Passed$",
                                                                               good.stdout, re.M)
    broken = project(tmp_path / "broken")
    line = break_spec(broken)
    bad = precommit(hooks_repo, broken, home)
    assert bad.returncode == 1 and re.search(r"^gen validate\.+Failed$", bad.stdout, re.M)
    assert f"spec/commerce.yaml:{line}:" in bad.stdout and "SP001" in bad.stdout
    stale = project(tmp_path / "stale")
    (stale / "out" / "commerce" / "schema.sql").write_text("-- edited by hand\n")
    old = precommit(hooks_repo, stale, home)
    assert old.returncode == 1 and re.search(r"^gen build --check\.+Failed$", old.stdout, re.M)
    assert "out/commerce: stale or missing (1): schema.sql" in old.stdout
