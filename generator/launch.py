"""The `gen` command's first step: when `gen daemon` runs for this installation, hand it the command
(the arguments, working directory, environment, umask and the terminal's three file descriptors),
forward the terminal's signals to its worker and end as the worker ended; otherwise run it here."""
from __future__ import annotations

import os
import sys

ANSWER_SECONDS = 30   # a daemon that accepted but does not fork a worker within this is stuck


def run() -> None:
    argv = sys.argv[1:]
    if argv[:1] != ["daemon"]:
        code = through_daemon(argv)
        if code is not None:
            sys.exit(code)
    from generator.cli import run as run_here
    run_here()


def through_daemon(argv: list[str]) -> int | None:
    """The command's exit code, run by the daemon; None when no daemon took it (none runs, it is
    another user's, or gen changed since it started), so the caller runs it: nothing has run yet."""
    from generator import resident
    if not resident.use_allowed():
        return None
    path = resident.socket_path()
    if not os.path.exists(path) or resident.private_dir_problem(os.path.dirname(path)):
        return None
    import json
    import socket
    try:
        mask = os.umask(0o022)
        os.umask(mask)
        header = json.dumps({"op": "run", "argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
                             "umask": mask, "unbuffered": bool(getattr(sys.stdout, "write_through", False)),
                             "stdio": [[s.encoding, s.errors] for s in (sys.stdin, sys.stdout, sys.stderr)]})
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(ANSWER_SECONDS)
        conn.connect(path)
        if resident.peer_uid(conn) != os.getuid():   # not our daemon (a swapped directory): tell it nothing
            conn.close()
            return None
        data = resident.frame(header.encode())
        fds = [sys.stdin.fileno(), sys.stdout.fileno(), sys.stderr.fileno()]
        sent = conn.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(_ints(fds)))])
        conn.sendall(data[sent:])
    except (OSError, ValueError, AttributeError):   # no daemon after all, a closed stdio: run here
        return None
    answers = conn.makefile("rb")
    try:
        first = answers.readline()
    except socket.timeout:   # it has the request and may still start it: running it here could run it twice
        print(f"gen: the daemon took the command but did not start it within {ANSWER_SECONDS} s; "
              "`gen daemon stop`, or GEN_DAEMON=0 to run without it", file=sys.stderr)
        return 3
    except OSError:   # reset: the daemon ended (stopped, idle, stale) with the request unread
        return None
    if not first.startswith(b"pid "):
        return None   # "stale" (gen changed; the daemon ends), "refused", or closed: nothing ran
    return _wait(conn, answers, int(first[4:]))


def _ints(fds: list[int]) -> bytes:
    import array
    return array.array("i", fds).tobytes()


def _wait(conn, answers, pid: int) -> int:
    """Forward the signals a terminal sends to the worker's process group (its own, outside this
    terminal's) and end as the worker ended: its exit code, or killed by the same signal."""
    import signal

    def forward(sig, _frame):
        _kill_group(pid, sig)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGCONT):
        signal.signal(sig, forward)
    signal.signal(signal.SIGTSTP, lambda sig, _frame: _suspend(pid))
    conn.settimeout(None)
    line = answers.readline()
    if line.startswith(b"exit "):
        return int(line[5:])
    if line.startswith(b"signal "):   # as a cold process killed by it: the shell sees the same status
        sig = int(line[7:])
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        return 128 + sig
    print("gen: the daemon's worker ended without an exit code (the daemon was killed?); "
          "GEN_DAEMON=0 runs a command without the daemon", file=sys.stderr)
    return 4


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except OSError:
        pass


def _suspend(pid: int) -> None:
    """Ctrl-Z: stop the worker's group, then this process; `fg` continues both (SIGCONT is forwarded)."""
    import signal
    _kill_group(pid, signal.SIGTSTP)
    signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTSTP)   # returns on `fg`, or at once if no shell can resume us
    signal.signal(signal.SIGTSTP, lambda sig, _frame: _suspend(pid))
    _kill_group(pid, signal.SIGCONT)
