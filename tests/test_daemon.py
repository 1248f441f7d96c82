"""`gen daemon`: a resident process whose forked workers run commands on the caller's terminal.
Each test starts a real daemon in a private directory of its own and compares what a command does
through it with what the same command does cold (GEN_DAEMON=0)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from generator import resident

ROOT = Path(__file__).resolve().parent.parent
SPEC = """\
spec: 1
name: shop
entities:
  orders:
    columns:
      id: uuid pk
      title: text!
      total: numeric(12,2)
"""


@pytest.fixture
def daemon_dir():
    # sun_path holds 107 bytes: pytest's tmp_path can be longer than a socket path may be
    folder = tempfile.mkdtemp(prefix="gd", dir="/tmp")
    yield folder
    env = _env(folder, ROOT)
    subprocess.run([sys.executable, "-m", "generator", "daemon", "stop"], env=env, capture_output=True, timeout=60)
    shutil.rmtree(folder, ignore_errors=True)


def _env(folder: str, code_root: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("GEN_DAEMON", "NO_COLOR", "FORCE_COLOR")}
    env.update(GEN_DAEMON_DIR=folder, PYTHONPATH=str(code_root), GEN_CACHE_DIR="off", **extra)
    return env


def _gen(args, env, cwd, **kw):
    return subprocess.run([sys.executable, "-m", "generator", *args], env=env, cwd=cwd, capture_output=True,
                          timeout=120, **kw)


def _served(env, cwd) -> int | None:
    """Commands the daemon ran so far (None: no daemon answers)."""
    got = _gen(["daemon", "status"], env, cwd)
    if got.returncode:
        return None
    return int(got.stdout.decode().split(" commands served")[0].rsplit(" ", 1)[1])


def _tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_command_through_the_daemon_does_what_it_does_cold(daemon_dir, tmp_path):
    env = _env(daemon_dir, ROOT)
    started = _gen(["daemon", "start"], env, tmp_path)
    assert started.returncode == 0, started.stderr.decode()
    assert _served(env, tmp_path) == 0
    (tmp_path / "shop.yaml").write_text(SPEC)
    cold_env = dict(env, GEN_DAEMON="0")
    for umask in (0o022, 0o077):   # the worker takes the caller's umask: the files' modes match
        for name, run_env in (("warm", env), ("cold", cold_env)):
            got = _gen(["build", "shop.yaml", "--out", f"{name}{umask:o}"], run_env, tmp_path,
                       preexec_fn=lambda m=umask: os.umask(m))
            assert got.returncode == 0, got.stderr.decode()
        assert _tree(tmp_path / f"warm{umask:o}") == _tree(tmp_path / f"cold{umask:o}")
        assert len(_tree(tmp_path / f"warm{umask:o}")) > 5
    assert _served(env, tmp_path) == 2   # the two warm builds went through the daemon


def test_exit_codes_diagnostics_and_the_callers_environment(daemon_dir, tmp_path):
    env = _env(daemon_dir, ROOT)
    assert _gen(["daemon", "start"], env, tmp_path).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.replace("title: text!", "title: txet!"))
    cases = [(["validate", "bad.yaml"], {}), (["validate", "bad.yaml"], {"FORCE_COLOR": "1"}),
             (["validate", "bad.yaml", "--format", "json"], {}), (["build", "--no-such-option"], {}),
             (["--help"], {}), (["validate", "missing.yaml"], {"NO_COLOR": "1"})]
    for args, extra in cases:
        warm = _gen(args, dict(env, **extra), tmp_path)
        cold = _gen(args, dict(env, GEN_DAEMON="0", **extra), tmp_path)
        assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr), args
    assert _served(env, tmp_path) == len(cases)
    colored = _gen(["validate", "bad.yaml"], dict(env, FORCE_COLOR="1"), tmp_path)
    assert colored.returncode == 2 and b"\x1b[" in colored.stderr and b"bad.yaml:" in colored.stderr


def test_a_changed_gen_is_not_run_by_the_old_daemon(daemon_dir, tmp_path):
    """The daemon fingerprints gen's code and templates as the build cache does; after an edit it
    refuses the command (which then runs cold, with the new code) and ends."""
    code = tmp_path / "code"
    shutil.copytree(ROOT / "generator", code / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", code / "templates")
    env = _env(daemon_dir, code)
    assert _gen(["daemon", "start"], env, tmp_path).returncode == 0
    (tmp_path / "shop.yaml").write_text(SPEC)
    assert _gen(["build", "shop.yaml", "--out", "a", "--target", "sql"], env, tmp_path).returncode == 0
    assert _served(env, tmp_path) == 1
    template = code / "templates" / "sql" / "script.sql.j2"
    assert template.is_file()
    template.write_text("-- edited template\n" + template.read_text())
    got = _gen(["build", "shop.yaml", "--out", "b", "--target", "sql"], env, tmp_path)
    assert got.returncode == 0, got.stderr.decode()
    assert (tmp_path / "b" / "shop" / "schema.sql").read_text().startswith("-- edited template\n")
    assert _served(env, tmp_path) is None   # the stale daemon ended
    # commands that reach the daemon together as it ends all run (here): none fails for it
    assert _gen(["daemon", "start"], env, tmp_path).returncode == 0
    template.write_text("-- edited again\n" + template.read_text())
    procs = [subprocess.Popen([sys.executable, "-m", "generator", "validate", "shop.yaml"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(12)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and b"ok" in out and not err, err.decode()


def test_ctrl_c_reaches_the_worker(daemon_dir, tmp_path):
    env = _env(daemon_dir, ROOT)
    assert _gen(["daemon", "start"], env, tmp_path).returncode == 0
    (tmp_path / "shop.yaml").write_text(SPEC)
    proc = subprocess.Popen([sys.executable, "-m", "generator", "build", "shop.yaml", "--out", "out", "--target",
                             "sql", "--watch"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "out" / "shop" / "schema.sql").is_file():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        assert _served(env, tmp_path) == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0   # as a cold watcher stopped by Ctrl-C
        assert b"watching" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_directory_others_can_enter_is_not_used(tmp_path):
    folder = tempfile.mkdtemp(prefix="gd", dir="/tmp")
    try:
        os.chmod(folder, 0o755)
        env = _env(folder, ROOT)
        got = _gen(["daemon", "start"], env, tmp_path)
        assert got.returncode == 3 and b"DM001" in got.stderr and b"mode 755" in got.stderr
        # a socket someone else put there is never talked to: the command runs here
        path = os.path.join(folder, os.path.basename(_socket_path(env)))
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        listener.settimeout(0.1)
        (tmp_path / "shop.yaml").write_text(SPEC)
        got = _gen(["validate", "shop.yaml"], env, tmp_path)
        assert got.returncode == 0 and b"ok" in got.stdout
        with pytest.raises(socket.timeout):
            listener.accept()
        listener.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _socket_path(env) -> str:
    got = subprocess.run([sys.executable, "-c", "from generator import resident; print(resident.socket_path())"],
                         env=env, cwd="/", capture_output=True, text=True, check=True)
    return got.stdout.strip()


def test_stop_and_the_idle_timeout(daemon_dir, tmp_path):
    env = _env(daemon_dir, ROOT)
    assert _gen(["daemon", "start"], env, tmp_path).returncode == 0
    again = _gen(["daemon", "start"], env, tmp_path)
    assert again.returncode == 0 and b"runs already" in again.stdout
    stopped = _gen(["daemon", "stop"], env, tmp_path)
    assert stopped.returncode == 0 and b"stopped" in stopped.stdout
    assert _served(env, tmp_path) is None and not os.path.exists(_socket_path(env))
    assert _gen(["daemon", "status"], env, tmp_path).returncode == 1
    assert _gen(["daemon", "start", "--idle-minutes", "0.02"], env, tmp_path).returncode == 0
    deadline = time.monotonic() + 30
    while _served(env, tmp_path) is not None:
        assert time.monotonic() < deadline, "the idle daemon did not stop"
        time.sleep(0.5)
    assert not os.path.exists(_socket_path(env))


def test_the_socket_name_is_per_installation(tmp_path):
    """Two checkouts (or virtualenvs) never share a daemon."""
    code = tmp_path / "other"
    shutil.copytree(ROOT / "generator", code / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "GEN_DAEMON_DIR": "/tmp/x"}
    mine, other = _socket_path(dict(env, PYTHONPATH=str(ROOT))), _socket_path(dict(env, PYTHONPATH=str(code)))
    assert mine != other and mine.startswith("/tmp/x/daemon-") and other.startswith("/tmp/x/daemon-")
    assert json.dumps(resident.frame(b"abc").hex()) == '"00000003616263"'


def _daemon_pid(env, cwd) -> int:
    got = _gen(["daemon", "status"], env, cwd)
    return int(got.stdout.decode().split("pid ")[1].split(",")[0])


def _workers(daemon_pid: int) -> list[int]:
    kids = Path(f"/proc/{daemon_pid}/task/{daemon_pid}/children").read_text().split()
    return [int(k) for k in kids]


def test_a_bad_request_leaves_no_file_of_the_caller_open(daemon_dir, tmp_path):
    """A request cut off or garbled after its file descriptors arrived: the daemon closes them (it
    must not keep a caller's pipe or terminal open), and serves the next command."""
    env = _env(daemon_dir, ROOT)
    assert _gen(["daemon", "start"], env, tmp_path).returncode == 0
    for body in (b"\x00\x00\x01\x00{", b"\x00\x00\x00\x03{{{", b"\x7f\x00\x00\x00", b"\x00\x00\x00\x02[]"):
        r, w = os.pipe()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(_socket_path(env))
            conn.sendmsg([body], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(memoryview(
                __import__("array").array("i", [r, w, w]))))])
            conn.shutdown(socket.SHUT_WR)
            assert conn.makefile("rb").readline() == b""
        os.close(w)
        import select
        assert select.select([r], [], [], 10)[0] and os.read(r, 1) == b"", body   # EOF: no one holds it
        os.close(r)
    (tmp_path / "shop.yaml").write_text(SPEC)
    assert _gen(["validate", "shop.yaml"], env, tmp_path).returncode == 0
    assert _served(env, tmp_path) == 1


def test_the_caller_and_its_worker_end_together(daemon_dir, tmp_path):
    """A caller killed with SIGKILL takes its worker with it; a worker killed by a signal ends its
    caller by the same signal (a shell sees what it sees cold); two starts at once make one daemon."""
    env = _env(daemon_dir, ROOT)
    starts = [subprocess.Popen([sys.executable, "-m", "generator", "daemon", "start"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE) for _ in range(2)]
    said = [p.communicate(timeout=120)[0] for p in starts]
    assert [p.returncode for p in starts] == [0, 0]
    daemon = _daemon_pid(env, tmp_path)
    assert all(f"pid {daemon},".encode() in s for s in said), said
    (tmp_path / "shop.yaml").write_text(SPEC)
    for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGHUP):
        proc = subprocess.Popen([sys.executable, "-m", "generator", "build", "shop.yaml", "--out", "out",
                                 "--target", "sql", "--watch"], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not _workers(daemon):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == -sig
        assert b"gen:" not in proc.stderr.read()
        while _workers(daemon):   # the worker is gone (and reaped)
            assert time.monotonic() < deadline + 30, sig
            time.sleep(0.05)
    deadline = time.monotonic() + 30
    while _processes_naming(_socket_path(env)) != [daemon]:   # the second start's daemon gave way
        assert time.monotonic() < deadline, _processes_naming(_socket_path(env))
        time.sleep(0.2)


def _processes_naming(word: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if word.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:   # ended meanwhile
            pass
    return found


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to listen as another user")
def test_a_socket_of_another_user_hears_nothing(tmp_path):
    """The directory is ours, but the socket in it leads to another user's listener (a symlink, or
    a directory swapped between the check and the connect): gen asks the kernel who listens and
    sends it nothing, not even the environment."""
    folder, public = tempfile.mkdtemp(prefix="gd", dir="/tmp"), tempfile.mkdtemp(prefix="gp", dir="/tmp")
    try:
        os.chmod(public, 0o777)
        env = _env(folder, ROOT, SECRET_TOKEN="hunter2")
        listener = subprocess.Popen(
            [sys.executable, "-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); "
             "s.listen(1); print('ready', flush=True); c,_=s.accept(); c.settimeout(5); "
             "print(repr(c.recv(1 << 20)), flush=True)", os.path.join(public, "s")],
            user=65534, group=65534, stdout=subprocess.PIPE, text=True)
        assert listener.stdout.readline() == "ready\n"
        os.symlink(os.path.join(public, "s"), _socket_path(env))
        (tmp_path / "shop.yaml").write_text(SPEC)
        got = _gen(["validate", "shop.yaml"], env, tmp_path)
        assert got.returncode == 0 and b"ok" in got.stdout   # run here, at once
        heard = listener.communicate(timeout=30)[0]
        assert heard.strip() == "b''" and "hunter2" not in heard
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)
