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
    children: dict[int, socket.socket] = {}   # a running worker -> its caller's connection
    last = time.monotonic()
    while True:
        # while workers run, wake often to tell a caller promptly that its worker was killed
        ready, _, _ = select.select([listener, *children.values()], [], [], 0.1 if children else 1.0)
        _reap(children)
        _kill_orphans(children, ready)
        if idle_seconds and not children and time.monotonic() - last > idle_seconds:
            break
        if listener not in ready:
            if not _still_ours(path, ino):
                break   # removed or replaced (a cleaned /tmp, another daemon's start after a crash)
            continue
        conn, _ = listener.accept()
        try:
            verdict = _handle(conn, listener, stamp, state, children)
        except Exception as exc:   # one bad request must not end the daemon
            print(f"gen daemon: request failed: {exc!r}", file=sys.stderr, flush=True)
            verdict = None
        if verdict != "ran":
            conn.close()
        if verdict == "exit":
            break
        if verdict == "ran":
            last = time.monotonic()   # idle means no command: `gen daemon status` does not keep it up
    listener.close()
    if _still_ours(path, ino):
        os.unlink(path)
    for conn in children.values():   # running workers finish and answer their callers themselves
        conn.close()


def _still_ours(path: str, ino: int) -> bool:
    try:
        return os.stat(path).st_ino == ino
    except OSError:
        return False


def _reap(children: dict[int, socket.socket]) -> None:
    """Forget ended workers; a worker killed by a signal could not say so: tell its caller which."""
    for pid in list(children):
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        if done:
            conn = children.pop(pid)
            if os.WIFSIGNALED(status):
                try:
                    conn.sendall(f"signal {os.WTERMSIG(status)}\n".encode())
                except OSError:
                    pass
            conn.close()


def _kill_orphans(children: dict[int, socket.socket], ready: list) -> None:
    """A caller sends nothing after its request, so its connection turning readable means it ended
    (killed with SIGKILL, say): its worker is killed too, as that cold process would have been."""
    for pid, conn in children.items():
        if conn in ready:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    """The request's header and the file descriptors sent with it; they are closed again when the
    request is bad (the daemon must never hold a caller's terminal or pipe open)."""
    conn.settimeout(10)
    fds: list[int] = []
    try:
        data, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(_FDS * 4))
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) - len(payload) % 4]))
        for fd in fds:
            os.set_inheritable(fd, False)   # a worker's subprocesses get its stdio, not these copies
        return _header(conn, data), fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def _header(conn: socket.socket, data: bytes) -> dict:
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
    request = json.loads(bytes(body))
    if not isinstance(request, dict):
        raise ValueError("not a request")
    return request


def _handle(conn, listener, stamp: str, state: dict, children: dict) -> str | None:
    if resident.peer_uid(conn) != os.getuid():
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
            for fd in _LOCK:
                os.close(fd)
            for other in children.values():
                other.close()
            _worker(conn, fds, request)   # never returns
        children[pid] = conn
        state["served"] += 1
        return "ran"
    finally:
        for fd in fds:
            os.close(fd)


def _worker(conn: socket.socket, fds: list[int], request: dict) -> None:
    code = 4
    try:
        os.setpgid(0, 0)   # its own group, as a cold command has: forwarded signals reach its children too
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
    for fd in set(fds) - {0, 1, 2}:
        os.close(fd)
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
    if not _lock(path):
        sys.exit(0)   # another daemon for this socket is starting or running: it answers
    serve(path, idle)


_LOCK: list[int] = []   # the daemon's lock file, held for its life (workers close their copy)


def _lock(path: str) -> bool:
    """Hold `<socket>.lock`: one daemon per socket, even when two `gen daemon start` race."""
    import fcntl
    fd = os.open(path + ".lock", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    for _ in range(40):   # a daemon that is ending (stopped, stale) lets go within moments
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _LOCK.append(fd)
            return True
        except OSError:
            time.sleep(0.05)
    os.close(fd)
    return False
