"""Run a function in a child forked from this process and take its answer back (pickled through a
pipe). The child starts with this process's memory, so it needs no arguments sent; a child that
fails in any way answers nothing, and the caller does the work itself (so its errors surface as
they would without the fork)."""
from __future__ import annotations

import os
import pickle
import signal
import sys


def can_fork() -> bool:
    return hasattr(os, "fork")


class Pending:
    """A forked child's answer, collected once with `answer()`."""

    def __init__(self, fn):
        sys.stdout.flush(), sys.stderr.flush()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:                                       # the child: compute, send, leave
            code = 1
            try:
                os.close(r)
                data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(w, "wb") as f:
                    f.write(data)
                code = 0
            except BaseException:                          # the caller does the work itself
                pass
            finally:
                os._exit(code)
        os.close(w)
        self.pid, self.fd = pid, r

    def answer(self):
        """The child's value, or None when it did not finish well."""
        with os.fdopen(self.fd, "rb") as f:
            data = f.read()
        _, status = os.waitpid(self.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            return pickle.loads(data)
        except Exception:
            return None

    def cancel(self) -> None:
        """Stop the child and reap it (this process is failing; its answer is not wanted)."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        os.close(self.fd)
        os.waitpid(self.pid, 0)


def spread(work, parts: list) -> list:
    """[work(part) for part in parts]: parts[1:] in forked children, parts[0] in this process
    meanwhile; a child that failed is redone here (its error then surfaces as without the fork).
    Every child is reaped, also when this process's own part raises (the children are stopped)."""
    children = [_fork(work, part) for part in parts[1:]]
    try:
        first = work(parts[0])
    except BaseException:
        for child in children:
            child.cancel()
        raise
    answers = [child.answer() for child in children]
    return [first] + [got if got is not None else work(part) for got, part in zip(answers, parts[1:])]


def _fork(work, part) -> Pending:
    return Pending(lambda: work(part))
