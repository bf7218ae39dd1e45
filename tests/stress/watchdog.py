"""A watchdog for threaded tests: a thread that does not finish in time is a failure
that shows every thread's stack, never a hung test run."""

from __future__ import annotations

import faulthandler
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable


class Deadlock(AssertionError):
    """Threads were still running at the watchdog's deadline; the message has the stacks."""


def all_stacks() -> str:
    """Return the Python stack of every thread, named, plus faulthandler's own dump."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = []
    for ident, frame in sys._current_frames().items():
        stack = "".join(traceback.format_stack(frame))
        parts.append(f"--- thread {names.get(ident, '?')!r} (ident {ident})\n{stack}")
    # faulthandler writes straight to a file descriptor, without taking Python locks.
    with tempfile.TemporaryFile("w+") as dump:
        faulthandler.dump_traceback(dump, all_threads=True)
        dump.seek(0)
        parts.append("--- faulthandler\n" + dump.read())
    return "\n".join(parts)


def join_or_fail(threads: Iterable[threading.Thread], timeout: float) -> None:
    """Join `threads` within `timeout` seconds in all, or raise `Deadlock` with the stacks."""
    threads = list(threads)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    if stuck:
        raise Deadlock(f"still running after {timeout:g} s: {', '.join(stuck)}\n{all_stacks()}")
