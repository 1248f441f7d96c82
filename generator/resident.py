"""Where `gen daemon` listens and how the CLI talks to it: the socket's private directory, its name
per Python and gen installation, and the framing of one request. Imports nothing of gen (the CLI's
first step reads it before anything else is imported)."""
from __future__ import annotations

import os
import stat
import sys
import zlib

DISABLE_ENV = "GEN_DAEMON"     # GEN_DAEMON=0: never use a running daemon
DIR_ENV = "GEN_DAEMON_DIR"     # where the socket lives (default: $XDG_RUNTIME_DIR/gen or /tmp/gen-<uid>)
MAX_SOCKET_PATH = 107          # sun_path is 108 bytes on Linux, one of them the terminating NUL
MAX_HEADER = 1 << 22           # a request's header (argv, cwd, environment) is at most 4 MiB


def socket_dir() -> str:
    given = os.environ.get(DIR_ENV)
    if given:
        return given
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, "gen")
    return os.path.join("/tmp", f"gen-{os.getuid()}")


def socket_path() -> str:
    """One daemon per Python interpreter, gen installation and PYTHONPATH: a virtualenv or a
    checkout never talks to another's daemon."""
    here = os.path.dirname(os.path.abspath(__file__))
    libraries = os.environ.get("PYTHONPATH", "")   # another PYTHONPATH may import other libraries
    key = zlib.crc32(f"{sys.executable}\0{here}\0{sys.version}\0{libraries}".encode())
    return os.path.join(socket_dir(), f"daemon-{key:08x}.sock")


def private_dir_problem(path: str) -> str | None:
    """Why `path` may not hold the socket (None when it may): it must be a real directory owned by
    this user that nobody else can enter or write, or another local user could listen in our place
    and read the environment (database passwords) every command sends."""
    try:
        st = os.lstat(path)
    except OSError as e:
        return f"{path}: {e.strerror}"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a directory"
    if st.st_uid != os.getuid():
        return f"{path} is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o077:
        return f"{path} is open to other users (mode {stat.S_IMODE(st.st_mode):o}; it must be 700)"
    return None


def peer_uid(conn) -> int:
    """The user id of the process at the other end of a connected Unix socket (the kernel's word)."""
    import socket
    import struct
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def use_allowed() -> bool:
    return os.environ.get(DISABLE_ENV, "") not in ("0", "off", "no", "false")


def frame(header: bytes) -> bytes:
    return len(header).to_bytes(4, "big") + header
