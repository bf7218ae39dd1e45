"""Ctrl-C: end the run at once with exit status 130 and one line on stderr.

The analysis runs on a second thread (bqlint.deepstack) and in forked workers (`--jobs`);
Python delivers SIGINT to the main thread only, which is then waiting for that thread.
Letting the KeyboardInterrupt end the interpreter normally is not safe: finalization stops a
daemon thread that is inside libcst's native parser by unwinding its stack, which the native
code cannot unwind through, and the process dies with SIGABRT ("Fatal Python error: Aborted").
So the run ends with `os._exit` instead, after the workers are killed. Writes of fixed files,
reports and baselines happen on the main thread, and their own clean-up (a temporary file
removed, the original kept) has run by the time the interrupt reaches here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import NoReturn

EXIT_STATUS = 130  # 128 + SIGINT, what a shell reports for a program stopped by Ctrl-C
MESSAGE = "error: interrupted"
ORPHAN_POLL_SECONDS = 0.1


def interrupted() -> NoReturn:
    """Stop the worker processes, say so on stderr, and exit 130 without finalizing."""
    stop_workers()
    with contextlib.suppress(OSError, ValueError):
        os.write(2, f"{MESSAGE}\n".encode())
    # Neither stdout's buffer nor the interpreter's shutdown: a report cut by Ctrl-C is not
    # completed, and shutdown would stop the analysis thread mid-parse (see above).
    os._exit(EXIT_STATUS)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold Ctrl-C back while a file is overwritten in place: it is raised when the block
    ends, so the file holds all of one text or the other. Only the main thread gets signals;
    elsewhere (or with a handler that is not Python's) the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield
        return
    held: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: held.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


def stop_workers() -> None:
    """Kill the `--jobs` worker processes this process started (none when there are none)."""
    if "multiprocessing" not in sys.modules:
        return
    import multiprocessing

    with contextlib.suppress(Exception):
        for child in multiprocessing.active_children():
            with contextlib.suppress(Exception):
                child.kill()
            with contextlib.suppress(Exception):
                child.join(1)


def ignore_in_worker(parent: int) -> None:
    """In a worker process: leave Ctrl-C to the parent, which stops the workers itself (a
    KeyboardInterrupt in a waiting worker would print a traceback of its own), and end when
    the parent is gone: the analysis thread may start a fresh worker (after the ones it had
    were killed) in the moment before the parent exits. `parent` is the parent's process id,
    taken before the fork: the parent may be gone already when this runs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(parent,), name="bqlint-orphan-watch", daemon=True).start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_SECONDS)
    os._exit(EXIT_STATUS)


def entry() -> None:
    """The `bqlint` command: the CLI, with Ctrl-C during start-up (imports) handled too."""
    try:
        from bqlint.cli import main

        main()
    except KeyboardInterrupt:
        interrupted()
