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
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a stream without bytes underneath (a test's StringIO)
        stream.write(text)
        stream.flush()
        return
    stream.flush()  # what was written as text goes first
    buffer.write(text.encode("utf-8", "surrogateescape"))
    buffer.flush()


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
