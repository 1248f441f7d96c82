"""The `gen` command's first step: when `gen daemon` runs for this installation, hand it the command
(the arguments, working directory, environment, umask and the terminal's three file descriptors),
forward Ctrl-C to its worker and exit with the worker's code; otherwise run the command here."""
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
        data = resident.frame(header.encode())
        fds = [sys.stdin.fileno(), sys.stdout.fileno(), sys.stderr.fileno()]
        sent = conn.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(_ints(fds)))])
        conn.sendall(data[sent:])
    except (OSError, ValueError, AttributeError):   # no daemon after all, a closed stdio: run here
        return None
    answers = conn.makefile("rb")
    try:
        first = answers.readline()
    except OSError as e:   # it has the request: running it here too could run it twice
        print(f"gen: the daemon took the command but did not start it ({e or 'no answer'} within "
              f"{ANSWER_SECONDS} s); `gen daemon stop`, or GEN_DAEMON=0 to run without it", file=sys.stderr)
        return 3
    if not first.startswith(b"pid "):
        return None   # "stale" (gen changed; the daemon ends) or "refused": nothing ran
    return _wait(conn, answers, int(first[4:]))


def _ints(fds: list[int]) -> bytes:
    import array
    return array.array("i", fds).tobytes()


def _wait(conn, answers, pid: int) -> int:
    """Forward the signals a terminal sends (the worker is not in its process group) and read the
    worker's exit code."""
    import signal

    def forward(sig, _frame):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)
    conn.settimeout(None)
    while True:
        try:
            line = answers.readline()
            break
        except InterruptedError:
            continue
    if line.startswith(b"exit "):
        return int(line[5:])
    print("gen: the daemon's worker ended without an exit code (killed?); "
          "GEN_DAEMON=0 runs a command without the daemon", file=sys.stderr)
    return 4
