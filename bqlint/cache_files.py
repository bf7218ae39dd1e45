"""Reading and writing inside the cache folder without trusting what is there.

A cache can be restored from CI storage or planted by hand, so its contents are input: an
entry may be a FIFO (opening it would wait forever), a link to `/dev/zero` or a huge file
(reading it whole would take all memory), and a folder inside it may be a symbolic link to
someone else's folder (writing through it would put entries there, crash8 #3, #8).
Entries are read only when they are regular files no bigger than a bound, reached through
real folders: opened relative to the cache folder's descriptor, each step with
`O_NOFOLLOW` and `O_NONBLOCK`, then checked with `fstat`. The cache folder itself may be a
link (a shared folder, as ruff follows one); nothing below it is followed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BY_DESCRIPTOR = os.open in os.supports_dir_fd


def read_regular(directory: Path, parts: Sequence[str], limit: int) -> bytes | None:
    """Return the bytes of the file `directory/parts...`, or None unless it is a regular
    file of at most `limit` bytes reached through real folders (no link below `directory`)."""
    try:
        fd = _open_below(directory, parts)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # the file may grow after the fstat: never read past the bound
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        return None
    except OSError:
        return None
    finally:
        os.close(fd)


def _open_below(directory: Path, parts: Sequence[str]) -> int:
    """Open `directory/parts...` for reading, following no link below `directory`."""
    flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC
    if not _BY_DESCRIPTOR:
        path = directory.joinpath(*parts)
        if linked_folder(directory, path.parent) is not None:
            raise OSError("a link or a file where a folder should be")
        return os.open(path, flags)
    current = os.open(directory, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=current)
            os.close(current)
            current = inner
        return os.open(parts[-1], flags, dir_fd=current)
    finally:
        os.close(current)


def linked_folder(directory: Path, folder: Path) -> Path | None:
    """Return the first existing path from below `directory` down to `folder` that is not a
    real folder (a symbolic link, a file), or None when all of them are real folders or not
    there yet (then they are bqlint's to make)."""
    try:
        relative = folder.relative_to(directory)
    except ValueError:
        return folder
    current = directory
    for part in relative.parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return None
        except OSError:
            return current
        if not stat.S_ISDIR(mode):
            return current
    return None
