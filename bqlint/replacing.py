"""Write a whole output file (a baseline) so that a failed write keeps the old one.

`Path.write_text` truncates first: a full disk, a quota or a file-size limit then leaves a
truncated file where a good one was (crash13 #17). Here the data goes to a temporary file
beside the target and is renamed over it (`writing.replace_atomically`, as `--fix` does).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from bqlint.writing import replace_atomically


def replace_file(path: Path, data: bytes) -> None:
    """Make `path` hold exactly `data`; on OSError it still holds what it held before.

    A symbolic link is written through, as `open()` would. A target that is not a regular
    file (`/dev/stdout`, a FIFO) is written in place: there is nothing to keep, and its
    folder (`/dev`) is no place for a temporary file. A file with several hard links gets
    a new file under this name; its other names keep the old data.
    """
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except FileNotFoundError:
        _create(target, data)
        return
    if not stat.S_ISREG(info.st_mode):
        with open(target, "wb") as file:
            file.write(data)
    else:
        replace_atomically(target, data, info)


def _create(target: Path, data: bytes) -> None:
    """Write a file that does not exist yet, with the mode `open()` would give it.

    An empty placeholder is made first (its mode is 0o666 less the umask, which the
    temporary file, made 0o600, then takes over); it is removed again if the write fails.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    os.close(fd)
    try:
        replace_atomically(target, data, os.stat(target))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
