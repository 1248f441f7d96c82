"""`gen daemon`'s server: one resident process with gen's modules imported and its templates
compiled, which forks a worker per command. The worker takes the caller's terminal (its three file
descriptors), environment, umask and working directory, and runs the same `main()` a cold `gen` runs,
so its answers are a cold run's; the ~0.3 s of interpreter start and imports is paid once."""
from __future__ import annotations

import gc
import io
import json
import os
import select
import signal
import socket
import struct
import sys
import time

from generator import resident

_FDS = 3   # stdin, stdout, stderr


def preload() -> None:
    """Import every module of gen a command may need and compile the built-in templates, so a
    worker forked from this process starts warm. A module that fails to import is left to the
    worker (which reports it as a cold run would)."""
    import importlib
    import pkgutil

    import generator
    for info in pkgutil.walk_packages(generator.__path__, "generator."):
        if info.name.endswith(("__main__", ".launch")) or info.name == __name__:
            continue
        try:
            importlib.import_module(info.name)
        except Exception:   # an optional dependency missing (e.g. a database driver): cold import later
            pass
    from generator.render import BUILTIN_TEMPLATES, environment
    env = environment(None)
    for path in sorted(BUILTIN_TEMPLATES.rglob("*")):
        if path.is_file():
            try:
                env.get_template(path.relative_to(BUILTIN_TEMPLATES).as_posix())
            except Exception:   # not a template (an asset beside them)
                pass


def code_stamp() -> str:
    """gen's code, templates and libraries as the build cache fingerprints them, read again now."""
    from generator import cache
    cache._code_stamp = None
    return cache.code_stamp()


def bind(path: str) -> socket.socket:
    """Listen at `path` unless a live daemon already does (then exit 0); a socket left by a dead
    daemon is replaced."""
    if os.path.exists(path):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
            sys.exit(0)
        except OSError:
            os.unlink(path)
        finally:
            probe.close()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old)
    listener.listen(64)
    return listener


def serve(path: str, idle_seconds: float) -> None:
    preload()
    stamp = code_stamp()
    listener = bind(path)
    ino = os.stat(path).st_ino
    state = {"pid": os.getpid(), "started": time.time(), "served": 0, "socket": path,
             "python": sys.executable, "gen": os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
             "idle_seconds": idle_seconds}
    gc.collect()
    gc.freeze()   # the workers share these pages; a collection in a worker must not touch them
    children: set[int] = set()
    last = time.monotonic()
    while True:
        ready, _, _ = select.select([listener], [], [], 1.0)
        _reap(children)
        if idle_seconds and not children and time.monotonic() - last > idle_seconds:
            break
        if not ready:
            if not _still_ours(path, ino):
                break   # removed or replaced (a cleaned /tmp, another daemon's start after a crash)
            continue
        conn, _ = listener.accept()
        try:
            verdict = _handle(conn, listener, stamp, state, children)
        except Exception as exc:   # one bad request must not end the daemon
            print(f"gen daemon: request failed: {exc!r}", file=sys.stderr, flush=True)
            verdict = None
        finally:
            conn.close()
        if verdict == "exit":
            break
        if verdict == "ran":
            last = time.monotonic()   # idle means no command: `gen daemon status` does not keep it up
    listener.close()
    if _still_ours(path, ino):
        os.unlink(path)


def _still_ours(path: str, ino: int) -> bool:
    try:
        return os.stat(path).st_ino == ino
    except OSError:
        return False


def _reap(children: set[int]) -> None:
    for pid in list(children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            children.discard(pid)


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    """The request's header and the file descriptors sent with it."""
    conn.settimeout(10)
    fds: list[int] = []
    data, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(_FDS * 4))
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) - len(payload) % 4]))
    if len(data) < 4:
        raise ValueError("short request")
    size = int.from_bytes(data[:4], "big")
    if size > resident.MAX_HEADER:
        raise ValueError("request too large")
    body = bytearray(data[4:])
    while len(body) < size:
        more = conn.recv(size - len(body))
        if not more:
            raise ValueError("request cut off")
        body += more
    conn.settimeout(None)
    return json.loads(bytes(body)), fds


def _handle(conn, listener, stamp: str, state: dict, children: set[int]) -> str | None:
    if _peer_uid(conn) != os.getuid():
        return None   # another user: the directory's mode keeps them out; this is the second lock
    request, fds = _receive(conn)
    try:
        op = request.get("op")
        if op == "status":
            conn.sendall((json.dumps(state) + "\n").encode())
            return None
        if op == "stop":
            conn.sendall(b"stopping\n")
            return "exit"
        if op != "run" or len(fds) != _FDS:
            conn.sendall(b"refused\n")
            return None
        if code_stamp() != stamp:   # gen, its templates or a library changed since this daemon started
            conn.sendall(b"stale\n")
            return "exit"
        pid = os.fork()
        if pid == 0:
            listener.close()
            _worker(conn, fds, request)   # never returns
        children.add(pid)
        state["served"] += 1
        return "ran"
    finally:
        for fd in fds:
            os.close(fd)


def _worker(conn: socket.socket, fds: list[int], request: dict) -> None:
    code = 4
    try:
        conn.sendall(f"pid {os.getpid()}\n".encode())
        _take_over(fds, request)
        code = _run(request["argv"])
    except BaseException as exc:   # noqa: BLE001 - a worker reports and ends, whatever happened
        try:
            print(f"gen daemon: the worker failed: {exc!r}", file=sys.stderr)
        except Exception:
            pass
    finally:
        try:
            import atexit
            atexit._run_exitfuncs()
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
            conn.sendall(f"exit {code}\n".encode())
        except Exception:
            pass
        os._exit(code)


def _take_over(fds: list[int], request: dict) -> None:
    """Become the caller's process: its terminal, signals as a cold process has them, environment,
    umask, working directory and arguments."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    stdio = request.get("stdio") or [["utf-8", "strict"], ["utf-8", "strict"], ["utf-8", "backslashreplace"]]
    unbuffered = bool(request.get("unbuffered"))
    sys.stdin = sys.__stdin__ = _text(0, "rb", stdio[0], line_buffering=False, write_through=False)
    sys.stdout = sys.__stdout__ = _text(1, "wb", stdio[1], line_buffering=unbuffered or os.isatty(1),
                                        write_through=unbuffered)
    sys.stderr = sys.__stderr__ = _text(2, "wb", stdio[2], line_buffering=True, write_through=unbuffered)
    os.environ.clear()
    os.environ.update(request["env"])
    if hasattr(time, "tzset"):
        time.tzset()
    os.umask(int(request["umask"]))
    os.chdir(request["cwd"])
    sys.argv = ["gen", *request["argv"]]
    from generator.cli.ui import UI
    UI._started = time.monotonic()


def _text(fd: int, mode: str, encoding: list, **buffering) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.open(fd, mode, closefd=False), encoding=encoding[0], errors=encoding[1], **buffering)


def _run(argv: list[str]) -> int:
    """What `generator.cli.run` does in a cold process, with the exit code returned."""
    from generator.cli import NO_GC_COMMANDS, main
    if argv[:1] and argv[0] in NO_GC_COMMANDS:
        gc.disable()
    try:
        return int(main(argv) or 0)
    except SystemExit as e:   # argparse: --help (0), a bad option (2)
        if e.code is None or isinstance(e.code, int):
            return int(e.code or 0)
        print(e.code, file=sys.stderr)
        return 1


def main() -> None:
    """Entry of the detached daemon process: `python -c ... <socket> <idle seconds> <gen's home>`."""
    path, idle, home = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    import generator
    mine = os.path.dirname(os.path.dirname(os.path.abspath(generator.__file__)))
    if mine != home:   # it would answer for another installation's commands
        print(f"gen daemon: imported gen from {mine}, not from {home}", file=sys.stderr)
        sys.exit(3)
    sys.path[:] = [os.path.abspath(entry) for entry in sys.path]   # workers change directory
    os.chdir("/")   # hold no caller's directory
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # its own session; `gen daemon stop` ends it
    serve(path, idle)
