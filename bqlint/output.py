"""Standard output of the CLI: what a full disk, a closed pipe or a narrow encoding does to it.

None of these is a bug in bqlint: a write that fails is one line on stderr and exit 2, a reader
that closed the pipe ends the run quietly (as `cat` or `grep` do), and a report is written
whatever the stream's encoding can hold (machine formats as UTF-8, text with replacements).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import sys
from collections.abc import Iterator
from typing import NoReturn, TextIO

# Errors of a write to a stream (no file name: the stream was opened by the shell).
_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF, errno.EPIPE})


def replace_unencodable() -> None:
    """Let text written to stdout replace what its encoding cannot hold (`?`), not raise."""
    if isinstance(sys.stdout, io.TextIOWrapper) and sys.stdout.errors == "strict":
        sys.stdout.reconfigure(errors="replace")


def write_utf8(text: str, stream: TextIO) -> None:
    """Write a machine-readable document (JSON, SARIF, XML, workflow commands) or source code
    fixed through stdin as UTF-8 bytes, whatever the stream's encoding (`PYTHONIOENCODING=cp1252`):
    those formats are UTF-8, and code must not lose a character. Bytes that were not UTF-8 in
    a file name or in stdin (kept as lone surrogates) are written back as they came."""
    write_whole(text, stream, "utf-8", "surrogateescape")


def write_text(text: str, stream: TextIO) -> None:
    """Write a text report in the stream's own encoding, replacing what it cannot hold."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    write_whole(text, stream, encoding, getattr(stream, "errors", None) or "replace")


def write_whole(text: str, stream: TextIO, encoding: str, errors: str) -> None:
    """Write `text` to `stream` as bytes, all of it or an OSError.

    A reader that closes a pipe while a large write waits on it makes write(2) return a short
    count, which Python's buffered stream drops without an error; the rest of the report
    would be lost silently. So the bytes go through the descriptor, in a loop: the write after
    a short one fails with EPIPE, and the run ends as for a closed pipe (`output_failures`).
    """
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # no descriptor underneath (a test's StringIO)
        fd = -1
    buffer = getattr(stream, "buffer", None)
    if fd < 0:
        if buffer is None:
            stream.write(text)
            stream.flush()
        else:
            stream.flush()
            buffer.write(text.encode(encoding, errors))
            buffer.flush()
        return
    stream.flush()  # what was written as text goes first
    write_all(fd, text.encode(encoding, errors))


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to descriptor `fd`, however many writes it takes."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@contextlib.contextmanager
def output_failures() -> Iterator[None]:
    """Turn a failed write to stdout into a clean end of the run (see the module docstring)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _WRITE_ERRORS:
            raise
        if exc.errno == errno.EPIPE:
            _closed_pipe()
        _silence_stdout()
        with contextlib.suppress(OSError, ValueError):
            print(f"error: cannot write to standard output: {exc.strerror or exc}", file=sys.stderr, flush=True)
        sys.exit(2)


def _closed_pipe() -> NoReturn:
    """End as a program killed by SIGPIPE, as `cat` and `grep` do (the shell sees 141)."""
    _silence_stdout()
    if hasattr(signal, "SIGPIPE"):
        sys.stderr.flush()
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    sys.exit(2)  # no SIGPIPE (Windows): the run did not deliver its report


def _silence_stdout() -> None:
    """Point stdout at the null device: Python's flush at exit would fail again, and say so."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
