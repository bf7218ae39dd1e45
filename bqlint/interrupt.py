"""Ctrl-C: end the run at once with exit status 130 and one line on stderr; SIGTERM and
SIGHUP (`timeout`, a cancelled CI job, a closed terminal) the same way, with 128 + the signal.

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
# Signals that stop a run as Ctrl-C does, with their message (SIGHUP is not on Windows).
STOPS = {
    getattr(signal, name): message
    for name, message in (("SIGTERM", "terminated"), ("SIGHUP", "hung up"))
    if hasattr(signal, name)
}


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised as Ctrl-C raises KeyboardInterrupt, so the same clean-up runs."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def interrupted(number: int = signal.SIGINT) -> NoReturn:
    """Stop the worker processes, say so on stderr, and exit 128 + `number` (130 for Ctrl-C)
    without finalizing."""
    stop_workers()
    message = f"error: {STOPS[number]}" if number in STOPS else MESSAGE
    with contextlib.suppress(OSError, ValueError):
        os.write(2, f"{message}\n".encode())
    # Neither stdout's buffer nor the interpreter's shutdown: a report cut by Ctrl-C is not
    # completed, and shutdown would stop the analysis thread mid-parse (see above).
    os._exit(128 + number)


def signal_of(interrupt: KeyboardInterrupt) -> int:
    """Return the signal that raised `interrupt`."""
    return interrupt.number if isinstance(interrupt, Terminated) else signal.SIGINT


@contextlib.contextmanager
def stops_interrupt() -> Iterator[None]:
    """While the block runs, make SIGTERM and SIGHUP raise Terminated in the main thread, as
    Ctrl-C raises KeyboardInterrupt. A signal that is ignored (`nohup`) or handled by someone
    else is left so; the handlers are put back when the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in STOPS}
    for number, handler in previous.items():
        if handler == signal.SIG_DFL:
            signal.signal(number, _raise_terminated)
    try:
        yield
    finally:
        for number, handler in previous.items():
            if handler is not None:
                signal.signal(number, handler)


def _raise_terminated(number: int, frame: object) -> None:
    raise Terminated(number)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold Ctrl-C (and SIGTERM, SIGHUP under `stops_interrupt`) back while a file is
    written: it is raised when the block ends, so the file holds all of one text or the
    other and no temporary file is left. Only the main thread gets signals; elsewhere (or
    with handlers that are not these) the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    ours = {signal.SIGINT: signal.default_int_handler} | {number: _raise_terminated for number in STOPS}
    previous = {number: handler for number, handler in ours.items() if signal.getsignal(number) is handler}
    if not previous:
        yield
        return
    held: list[int] = []
    for number in previous:
        signal.signal(number, lambda caught, frame: held.append(caught))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if held:
        raise KeyboardInterrupt if held[0] == signal.SIGINT else Terminated(held[0])


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
    for number in STOPS:  # a worker ends on these at once: the pool's own clean-up sends SIGTERM
        if signal.getsignal(number) is _raise_terminated:
            signal.signal(number, signal.SIG_DFL)
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
    except KeyboardInterrupt as interrupt:
        interrupted(signal_of(interrupt))
