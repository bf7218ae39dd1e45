"""Standard streams the shell closed (`2>&-`, `>&-`, `<&-`): Python sets them to None.

A closed stderr is a request for silence: warnings go nowhere and the run goes on. A closed
stdout fails the first write of a report as a write to a closed descriptor does (exit 2,
as for a full disk: `output`). A closed stdin is an error only for what reads it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import BinaryIO

from bqlint.config import ConfigError


class ClosedStream(io.TextIOBase):
    """Stands for a standard output the shell closed: every write fails with EBADF."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def isatty(self) -> bool:
        return False


class DiscardingStream(io.TextIOBase):
    """Stands for a standard error the shell closed: what is written is dropped."""

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return False


def cover_closed_streams() -> None:
    """Put stand-ins where Python found a standard stream closed, and keep its descriptor
    from being reused: a file opened later (a source rewritten in place) would otherwise
    become descriptor 1 or 2 and receive what is meant for stdout or stderr."""
    for fd, stream in ((0, sys.stdin), (1, sys.stdout), (2, sys.stderr)):
        if stream is None:
            _reserve(fd)
    if sys.stdout is None:
        sys.stdout = ClosedStream()
    if sys.stderr is None:
        sys.stderr = DiscardingStream()


def is_closed(stream: object) -> bool:
    """Whether `stream` is the stand-in for a standard output the shell closed."""
    return isinstance(stream, ClosedStream)


def stdin_bytes() -> BinaryIO:
    """Return standard input as bytes; a ConfigError (exit 2) when the shell closed it."""
    if sys.stdin is None:
        raise ConfigError(f"cannot read standard input: {os.strerror(errno.EBADF)}")
    return sys.stdin.buffer


def _reserve(fd: int) -> None:
    """Open the null device as `fd` when no file is open there."""
    try:
        os.fstat(fd)
        return  # taken already (by a file opened at start-up): left as it is
    except OSError:
        pass
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
