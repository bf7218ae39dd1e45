"""What bqlint owns in its cache folder: the tag that marks it, and `bqlint clean`.

bqlint writes a `CACHEDIR.TAG`, a `.gitignore` and per build a folder of entries
(`<build>/facts.json`, `<build>/results/xx/<key>.json`, `.tmp-*` files while writing).
`clean` removes exactly those and nothing else: another tool's files in the folder, a
symbolic link found in it, the link the folder itself may be, and a folder bqlint did not
create all stay (crash7 #2). The tag says whether bqlint made the folder or took over one
that existed (empty, or reached through a symbolic link), so `clean` knows which it may remove.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import stat
from pathlib import Path
from typing import NoReturn

from bqlint.cache_files import read_regular

# The Cache Directory Tagging Specification's signature, so backup tools skip the folder.
_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55\n"
# The folder was made by bqlint: `clean` removes it once it holds nothing else.
CREATED_TAG = _SIGNATURE + "# This directory is a bqlint cache; `bqlint clean` removes it.\n"
# The folder existed (or is reached through a link): `clean` removes bqlint's entries only.
ADOPTED_TAG = (
    _SIGNATURE + "# This directory holds a bqlint cache; `bqlint clean` removes bqlint's entries and keeps the folder.\n"
)

BUILD_FOLDER = re.compile(r"[0-9][0-9A-Za-z.+!]*-[0-9a-f]{16}")
_BUCKET = re.compile(r"[0-9a-f]{2}")
_RESULT = re.compile(r"[0-9a-f]{64}\.json")
_SHOWN = 5  # foreign entries named in `clean`'s message
_TAG_BYTES = 4096  # more than either tag, or the `.gitignore`, holds


def cache_tag(directory: Path) -> str | None:
    """Return the bqlint tag of `directory`, or None when it is not a bqlint cache."""
    # Read only a small regular file: a FIFO there must not hang `check` or `clean` (crash8 #3).
    data = read_regular(directory, ["CACHEDIR.TAG"], _TAG_BYTES)
    return next((tag for tag in (CREATED_TAG, ADOPTED_TAG) if data == tag.encode()), None)


def is_cache_directory(directory: Path) -> bool:
    """Return whether `directory` is a bqlint cache (made or taken over by bqlint)."""
    return cache_tag(directory) is not None


def only_bqlint_entries(directory: Path) -> bool:
    """Return whether `directory` holds only what bqlint writes (a restore that lost its
    tag): such a folder may be taken over, one holding anything else may not."""
    for entry in directory.iterdir():
        if entry.name == ".gitignore":
            if not _is_our_gitignore(entry):
                return False
        elif not (_is_real_dir(entry) and BUILD_FOLDER.fullmatch(entry.name)):
            if not (_is_regular_file(entry) and entry.name.startswith(".tmp-")):
                return False
    return True


def build_folders(directory: Path) -> list[Path]:
    """Return the build folders (real folders, never links) in the cache at `directory`."""
    return [e for e in _listing(directory) if BUILD_FOLDER.fullmatch(e.name) and _is_real_dir(e)]


def build_entries(build: Path) -> list[Path]:
    """Return the files bqlint wrote in one build folder (its facts index, findings entries
    and temporary files a killed run left), never another file or a link."""
    found = [e for e in _listing(build) if _is_ours_in_build(e.name) and _is_regular_file(e)]
    results = build / "results"
    if _is_real_dir(results):
        for bucket in _listing(results):
            if _BUCKET.fullmatch(bucket.name) and _is_real_dir(bucket):
                found.extend(e for e in _listing(bucket) if _is_ours_in_bucket(e.name) and _is_regular_file(e))
    return found


def _listing(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _is_ours_in_build(name: str) -> bool:
    return name == "facts.json" or name.startswith(".tmp-")


def _is_ours_in_bucket(name: str) -> bool:
    return bool(_RESULT.fullmatch(name)) or name.startswith(".tmp-")


class CacheNotRemoved(Exception):
    """The cache could not be removed (a read-only mount, no permission); `str()` says why."""


@dataclasses.dataclass(frozen=True, slots=True)
class Cleaned:
    """What `clean` did: whether the folder went, and why it stayed."""

    folder_removed: bool
    link_target: Path | None = None  # the folder is a symbolic link to this
    adopted: bool = False  # bqlint did not create the folder
    mount_point: bool = False
    left: tuple[str, ...] = ()  # names of entries bqlint did not write, kept

    def describe(self, directory: Path) -> str:
        """Say on one line what was removed and what was left, and why."""
        if self.folder_removed:
            return f"Removed {directory}"
        if self.link_target is not None:
            kept = f"kept the link (to {self.link_target}) and the folder it points to"
        elif self.adopted:
            kept = "kept the folder, which bqlint did not create"
        elif self.mount_point:
            kept = "kept the folder, a mount point"
        else:
            kept = "kept the folder"
        if self.left:
            names = ", ".join(self.left[:_SHOWN]) + (", ..." if len(self.left) > _SHOWN else "")
            count = len(self.left)
            kept += f"; left {count} {'entry' if count == 1 else 'entries'} that bqlint did not write: {names}"
        return f"Removed the bqlint cache in {directory}; {kept}"


class _Remover:
    """Delete bqlint's own entries; remember what else is there and the first failure."""

    def __init__(self) -> None:
        self.removed = 0
        self.left: list[Path] = []
        self.problem: OSError | None = None

    def unlink(self, path: Path) -> None:
        if self.problem is not None:
            return
        try:
            os.unlink(path)
        except FileNotFoundError:
            return  # another clean got there first
        except OSError as exc:
            self.problem = exc
            return
        self.removed += 1

    def rmdir_if_empty(self, folder: Path) -> bool:
        if self.problem is not None:
            return False
        try:
            os.rmdir(folder)
        except FileNotFoundError:
            return True
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                self.problem = exc
            return False
        return True

    def entries(self, folder: Path) -> list[Path]:
        if self.problem is not None:
            return []
        try:
            return sorted(folder.iterdir())
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.problem = exc
            return []

    def clear_build(self, build: Path) -> None:
        """Remove one build folder's entries, then the folder when nothing else is in it."""
        for entry in self.entries(build):
            if entry.name == "results" and _is_real_dir(entry):
                self._clear_results(entry)
            elif _is_ours_in_build(entry.name) and _is_regular_file(entry):
                self.unlink(entry)
            else:
                self.left.append(entry)
        self.rmdir_if_empty(build)

    def _clear_results(self, results: Path) -> None:
        for bucket in self.entries(results):
            if not (_BUCKET.fullmatch(bucket.name) and _is_real_dir(bucket)):
                self.left.append(bucket)
                continue
            for entry in self.entries(bucket):
                if _is_ours_in_bucket(entry.name) and _is_regular_file(entry):
                    self.unlink(entry)
                else:
                    self.left.append(entry)
            self.rmdir_if_empty(bucket)
        self.rmdir_if_empty(results)


def clean(directory: Path) -> Cleaned | None:
    """Remove the bqlint cache at `directory`; None when there is none (anything else is
    left alone).

    Only bqlint's own entries go. The folder itself goes when it is then empty, bqlint
    created it and it is not a symbolic link (whose target is never touched beyond bqlint's
    entries). Raise CacheNotRemoved when one of bqlint's entries cannot be removed; the
    `CACHEDIR.TAG` goes last, so a cache removed in part is still recognised, and removed,
    by the next `clean`.
    """
    tag = cache_tag(directory)
    if tag is None:
        return None
    remover = _Remover()
    for entry in remover.entries(directory):
        if entry.name == "CACHEDIR.TAG":
            continue
        if BUILD_FOLDER.fullmatch(entry.name) and _is_real_dir(entry):
            remover.clear_build(entry)
        elif entry.name == ".gitignore" and _is_our_gitignore(entry):
            remover.unlink(entry)
        elif entry.name.startswith(".tmp-") and _is_regular_file(entry):
            remover.unlink(entry)
        else:
            remover.left.append(entry)
    if remover.problem is None:
        remover.unlink(directory / "CACHEDIR.TAG")
    if remover.problem is not None:
        _refuse(directory, remover)
    link_target = Path(os.readlink(directory)) if directory.is_symlink() else None
    adopted = tag == ADOPTED_TAG
    left = tuple(sorted(str(p.relative_to(directory)) for p in remover.left))
    if left or adopted or link_target is not None:
        return Cleaned(False, link_target, adopted, left=left)
    try:
        directory.rmdir()
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            return Cleaned(False, mount_point=True)
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):  # a run wrote into it meanwhile
            return Cleaned(False, left=tuple(sorted(e.name for e in _Remover().entries(directory))))
        remover.problem = exc
        _refuse(directory, remover)
    return Cleaned(True)


def _refuse(directory: Path, remover: _Remover) -> NoReturn:
    problem = remover.problem
    assert problem is not None
    reason = problem.strerror or type(problem).__name__
    count = remover.removed
    if count:
        removed = f"{count} of its files {'was' if count == 1 else 'were'} removed"
        raise CacheNotRemoved(f"cannot remove all of the cache {directory}: {reason}; {removed}, the rest is still there")
    raise CacheNotRemoved(f"cannot remove the cache {directory}: {reason}; it is still there")


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _is_our_gitignore(path: Path) -> bool:
    return read_regular(path.parent, [path.name], _TAG_BYTES) == b"*\n"
