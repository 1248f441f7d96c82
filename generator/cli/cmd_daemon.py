"""`gen daemon start|stop|status`: a resident gen process for this user and installation. While it
runs, every `gen` command is handed to it (a worker forked from warm imports runs it, on the
caller's terminal); the server lives in generator.cli.daemon, the hand-over in generator.launch."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

from generator import resident
from generator.cli import command_parser
from generator.diagnostics import EXIT_ENVIRONMENT, EXIT_FINDINGS, EXIT_OK, Diagnostic, GenError

EXAMPLES = ("  gen daemon start                    # later `gen` commands skip ~0.3 s of start and imports\n"
            "  gen daemon start --idle-minutes 0   # never stop on its own\n"
            "  gen daemon status                   # pid, commands served (exit 1: none running)\n"
            "  gen daemon stop\n"
            "  GEN_DAEMON=0 gen build spec/app.yaml   # this command without the daemon")


def register(sub) -> None:
    p = command_parser(sub, "daemon", "Keep a warm gen process that runs later commands (start, stop, status).",
                       EXAMPLES)
    dsub = p.add_subparsers(dest="daemon_command", metavar="ACTION")
    start = command_parser(dsub, "start", "Start the daemon (nothing to do when it runs already).", EXAMPLES)
    start.add_argument("--idle-minutes", type=float, default=60.0, metavar="M",
                       help="stop after M minutes without a command (default 60; 0: never)")
    start.set_defaults(func=run_start)
    command_parser(dsub, "stop", "Stop the daemon (commands it is running finish).", EXAMPLES).set_defaults(func=run_stop)
    command_parser(dsub, "status", "Say whether the daemon runs: pid, socket, commands served.",
                   EXAMPLES).set_defaults(func=run_status)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def _env_error(message: str, hint: str) -> GenError:
    return GenError([Diagnostic("DM001", message, name="daemon", hint=hint)], exit_code=EXIT_ENVIRONMENT)


def _ask(path: str, op: str, timeout: float = 5.0) -> bytes | None:
    """One request without a terminal to hand over (status, stop); None when no daemon answers."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(path)
        conn.sendall(resident.frame(json.dumps({"op": op}).encode()))
        return conn.makefile("rb").readline() or None
    except OSError:
        return None
    finally:
        conn.close()


def _private_dir(path: str) -> str:
    folder = os.path.dirname(path)
    if not os.path.exists(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    problem = resident.private_dir_problem(folder)
    if problem:
        raise _env_error(f"the daemon's directory cannot be used: {problem}",
                         f"remove it or set {resident.DIR_ENV} to a directory only you can enter (mode 700)")
    if len(path.encode()) > resident.MAX_SOCKET_PATH:
        raise _env_error(f"the socket path is {len(path.encode())} bytes, over the {resident.MAX_SOCKET_PATH} "
                         f"a Unix socket allows: {path}", f"set {resident.DIR_ENV} to a shorter directory")
    return path


def run_start(args) -> int:
    from generator.cli.ui import say
    path = _private_dir(resident.socket_path())
    running = _ask(path, "status")
    if running:
        say(f"gen daemon runs already (pid {json.loads(running)['pid']}, {path})")
        return EXIT_OK
    log = path[: -len(".sock")] + ".log"
    code = "import sys; from generator.cli.daemon import main; main()"
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        # started beside this gen's package, so that `-c` imports this gen (as `python -m generator` did)
        home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        proc = subprocess.Popen([sys.executable, "-c", code, path, str(max(args.idle_minutes, 0.0) * 60), home],
                                cwd=home, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                                close_fds=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = _ask(path, "status")
        if answer:
            say(f"gen daemon started (pid {json.loads(answer)['pid']}, {path})")
            return EXIT_OK
        if proc.poll() not in (None, 0):   # 0: another daemon, starting at the same time, answers soon
            said = open(log).read().strip().splitlines()
            raise _env_error(f"the daemon ended at its start (exit {proc.returncode}): "
                             f"{said[-1] if said else 'no message'}", f"its log: {log}")
        time.sleep(0.05)
    raise _env_error(f"the daemon did not start within 60 s (its log: {log})", "read the log; run without it meanwhile")


def run_stop(args) -> int:
    from generator.cli.ui import say
    path = resident.socket_path()
    if _ask(path, "stop") is None:
        say("gen daemon is not running")
        return EXIT_OK
    deadline = time.monotonic() + 10
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    say("gen daemon stopped")
    return EXIT_OK


def run_status(args) -> int:
    from generator.cli.ui import say
    path = resident.socket_path()
    answer = _ask(path, "status")
    if not answer:
        say(f"gen daemon is not running ({path})")
        return EXIT_FINDINGS
    state = json.loads(answer)
    up = time.time() - state["started"]
    say(f"gen daemon runs: pid {state['pid']}, up {up:.0f} s, {state['served']} commands served, {path}")
    return EXIT_OK
