"""What a run asks of the file system about folders, asked once per folder.

A run resolves every file's path several times (discovery's exclusion patterns, reading,
the cache's names) and looks for `__init__.py` up every file's folder chain; on the standard
library that was thousands of `realpath` walks. Here a folder is resolved once, and a file
below it costs one `lstat` (to see whether the file itself is a symlink). Answers are the
same as `Path.resolve()`'s and `is_file()`'s; `forget()` drops them at the start of a run, so
a long-lived process (the language server) sees a changed tree.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

_RESOLVED: dict[Path, Path] = {}
_PACKAGE_FOLDER: dict[Path, bool] = {}
GIT_ROOTS: dict[Path, Path | None] = {}  # folder -> its git root (discovery.find_git_root)


def forget() -> None:
    """Drop what earlier runs learnt (called when a run starts)."""
    _RESOLVED.clear()
    _PACKAGE_FOLDER.clear()
    GIT_ROOTS.clear()


def resolved(path: Path) -> Path:
    """Return `path.resolve()`, raising what it raises, resolving each folder once."""
    known = _RESOLVED.get(path)
    if known is not None:
        return known
    if not path.is_absolute():
        return path.resolve()  # depends on the working directory: not remembered
    name = path.name
    if name in ("", ".", ".."):
        return _remember(path, path.resolve())
    parent = path.parent
    folder = _RESOLVED.get(parent)
    if folder is None:
        try:
            folder = _remember(parent, parent.resolve())
        except (OSError, RuntimeError):
            return _remember(path, path.resolve())  # a symlink loop: as resolve() decides
    candidate = folder / name
    try:
        if stat.S_ISLNK(os.lstat(candidate).st_mode):
            return _remember(path, path.resolve())
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return _remember(path, path.resolve())
        # Missing (or not below a folder): resolve() keeps such a name as it is, too.
    return _remember(path, candidate)


def _remember(path: Path, result: Path) -> Path:
    _RESOLVED[path] = result
    return result


def is_folder(path: Path) -> bool:
    """Return whether `path` is a folder; False for a name the file system cannot look up
    (`--stdin-filename` is a label, and may be longer than a file name can be)."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_package_folder(folder: Path) -> bool:
    """Return whether `folder / "__init__.py"` is a file (a regular package's folder)."""
    known = _PACKAGE_FOLDER.get(folder)
    if known is None:
        known = _PACKAGE_FOLDER[folder] = is_file(folder / "__init__.py")
    return known


def exists(path: Path) -> bool:
    """Return `path.exists()`, but False where `is_file` says False for a path it cannot look up."""
    return _looked_up(path.exists)


def is_file(path: Path) -> bool:
    """Return `path.is_file()`, but False for a path too long for the file system to look
    up (deeper than PATH_MAX) or in a folder bqlint may not search: nothing there can be
    opened by its name anyway (a file named there is BQL998 when it is read)."""
    return _looked_up(path.is_file)


def _looked_up(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except OSError as exc:
        if exc.errno in (errno.ENAMETOOLONG, errno.EACCES):
            return False
        raise
