"""Write fixed text back to a file only while it still holds what was analysed: under a lock,
in the file's own encoding, through a temporary file and an atomic rename that keeps its mode.

A file with more than one hard link is rewritten in place instead, so that every name of it
sees the fix (a rename would give this name a new file and leave the others the old text).
The trade-off: a reader may see the file half-written, and a crash mid-write leaves it so;
the fixed text is therefore first written and synced to a temporary file beside it, which a
crash leaves behind, and which is kept and named in the message when a write fails and the
old text cannot be put back either (a failed write is otherwise undone).

Used by `--fix` and `--add-noqa`; anything that stops a write raises NotWritten for that file
alone, so the CLI can report it and go on with the others.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import stat
import tempfile
import time
import tokenize
from collections.abc import Iterator
from pathlib import Path

from bqlint.interrupt import deferred
from bqlint.output import write_all

try:
    import fcntl
except ImportError:  # Windows: the content check alone guards the write
    fcntl = None  # type: ignore[assignment]

# How long to wait for another bqlint that is writing the same file (it takes milliseconds).
LOCK_TIMEOUT = 30.0
_LOCK_POLL = 0.01


class NotWritten(Exception):
    """The file was left as it is on disk; the message says why (`changed on disk`)."""


def source_encoding(data: bytes) -> str:
    """Return the codec Python reads `data` with: its BOM (`utf-8-sig`), PEP 263 cookie, or UTF-8.

    Raises SyntaxError for an unknown cookie or a BOM that contradicts the cookie.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return encoding


def encode_source(text: str, encoding: str) -> bytes:
    """Return `text` as the bytes of a file in `encoding` (`utf-8-sig` writes the BOM back)."""
    return codecs.encode(text, encoding)


def write_if_unchanged(path: Path, analysed: str, fixed: str) -> None:
    """Replace `path` by `fixed` if its content is still exactly `analysed`, else NotWritten
    (unless it is exactly `fixed` already).

    The text is written in the encoding the file is read with (cookie and BOM kept); line
    endings are those of `fixed`, which keeps the file's own.
    """
    try:
        with _locked(path) as fd:
            data, info = _read_regular(fd)
            encoding = _encoding_of(data)
            try:
                expected = encode_source(analysed, encoding)
            except UnicodeEncodeError:
                raise NotWritten("changed on disk") from None
            if data != expected:
                with contextlib.suppress(UnicodeEncodeError):
                    if data == encode_source(fixed, encoding):
                        return  # already fixed: another name of the file (a hard link), another run
                raise NotWritten("changed on disk")
            if not _is_writable(path, info):
                raise NotWritten("read-only")
            try:
                new = encode_source(fixed, encoding)
            except UnicodeEncodeError as exc:
                raise NotWritten(f"the fixed text cannot be written in {encoding} ({exc.reason})") from None
            if info.st_nlink > 1:
                rewrite_in_place(path, fd, data, new)
            else:
                replace_atomically(path, new, info)
    except FileNotFoundError:
        raise NotWritten("no longer exists") from None
    except OSError as exc:
        raise NotWritten(f"cannot be written: {exc.strerror or exc}") from None


def write_atomically(path: Path, data: bytes) -> None:
    """Make the file `path` names hold `data`, so that a failed write (a full disk, Ctrl-C)
    leaves the old file whole: for reports (`--output-file`).

    A regular file, or none yet, is replaced through `replace_atomically` (a symlink keeps
    naming the file it named). What cannot be renamed over, a device or a pipe, is written
    directly; the file stdout or stderr is open on (`/dev/stdout`) through that descriptor:
    a new file there would not be the one the shell reads.
    """
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    stream = _standard_output_on(info) if info is not None else None
    if stream is not None:  # after what the run wrote there, before its summary
        write_all(stream, data)
    elif info is not None and not stat.S_ISREG(info.st_mode):
        with open(path, "wb") as file:
            file.write(data)
    else:
        replace_atomically(Path(os.path.realpath(path)), data, info)


def _standard_output_on(info: os.stat_result) -> int | None:
    """Return 1 or 2 when stdout or stderr is open on the file `info` describes, else None."""
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            stream = os.fstat(fd)
            if (stream.st_dev, stream.st_ino) == (info.st_dev, info.st_ino):
                return fd
    return None


def replace_atomically(path: Path, data: bytes, info: os.stat_result | None) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`.

    A reader sees the old file or the new one, never a part; the mode (and, where allowed,
    the owner) of the old file, `info`, is kept; a new file (`info` None) gets the mode the
    umask gives. The temporary file is removed on any failure.
    """
    with deferred():  # Ctrl-C and SIGTERM wait: the temporary file is renamed or removed
        temporary = _temporary_copy(path, data)
        try:
            if info is not None and hasattr(os, "chown") and os.stat(temporary).st_uid != info.st_uid:
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.chown(temporary, info.st_uid, info.st_gid)
            # After chown, which clears set-id bits.
            os.chmod(temporary, stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def rewrite_in_place(path: Path, held: int, old: bytes, new: bytes) -> None:
    """Overwrite the file open as `held` (named `path`) with `new`, keeping its inode.

    `new` is first written and synced to a temporary file beside `path`. If writing the file
    fails, `old` is written back and the temporary file removed; if that fails too, the
    temporary file is kept and NotWritten names it.
    """
    with deferred():  # Ctrl-C and SIGTERM wait: the file is never left half-written
        _rewrite_from_backup(path, held, old, new)


def _rewrite_from_backup(path: Path, held: int, old: bytes, new: bytes) -> None:
    backup = _temporary_copy(path, new)
    keep = False
    try:
        out = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            if not _same_inode(out, held):
                raise NotWritten("changed on disk")  # the name was given to another file meanwhile
            try:
                _overwrite(out, new)
            except OSError as exc:
                try:
                    _overwrite(out, old)
                except OSError:
                    keep = True  # the only whole copy of the fixed text
                    reason = exc.strerror or str(exc)
                    raise NotWritten(f"partly written ({reason}); the fixed text is in {backup}") from None
                raise
        finally:
            os.close(out)
    finally:
        if not keep:
            with contextlib.suppress(OSError):
                os.unlink(backup)


def _temporary_copy(path: Path, data: bytes) -> str:
    """Write `data` to a new temporary file beside `path`, synced; return its name.

    The name is `.XXXXXXXX.bqlint-tmp` whatever `path` is called: one built from the name
    would be too long for the file system when the name is (a legal 255-byte one)."""
    handle, temporary = tempfile.mkstemp(prefix=".", suffix=".bqlint-tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _umask() -> int:
    mask = os.umask(0o022)  # read by setting it: there is no other way before Python 3.13
    os.umask(mask)
    return mask


def _overwrite(fd: int, data: bytes) -> None:
    """Make the file open as `fd` hold exactly `data`, synced."""
    os.lseek(fd, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.ftruncate(fd, len(data))
    os.fsync(fd)


def _same_inode(a: int, b: int) -> bool:
    first, second = os.fstat(a), os.fstat(b)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _encoding_of(data: bytes) -> str:
    """Return the encoding of `data`; NotWritten when Python could not decode it."""
    try:
        encoding = source_encoding(data)
        data.decode(encoding)
    except SyntaxError as exc:  # a bad cookie, or a BOM against it, or bad UTF-8 in line 1-2
        raise NotWritten(f"cannot be decoded ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise NotWritten(f"cannot be decoded ({exc.encoding}: {exc.reason} at byte {exc.start})") from None
    except LookupError:  # a cookie naming a codec that is not a text encoding (`hex`)
        raise NotWritten(f"cannot be decoded (`{encoding}` is not a text encoding)") from None
    return encoding


def _is_writable(path: Path, info: os.stat_result) -> bool:
    """A file nobody may write is read-only, for root too (as editors treat it)."""
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        return False
    return os.access(path, os.W_OK)


def _read_regular(fd: int) -> tuple[bytes, os.stat_result]:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise NotWritten("is no longer a regular file")
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks), info


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    """Open `path` for reading and hold an exclusive lock on it while the block runs.

    Concurrent bqlint runs lock the same file; the second one in then finds the content
    changed. The lock is taken on the open file, so it is re-taken when the path was
    replaced while waiting for it.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        fd = os.open(path, flags)  # O_NONBLOCK: a FIFO put in its place must not block
        try:
            if fcntl is not None:
                _lock(fd, deadline)
                if not _same_file(fd, path):
                    if time.monotonic() > deadline:
                        raise NotWritten("changed on disk")
                    continue  # replaced while waiting: lock what the path names now
            yield fd
            return
        finally:
            os.close(fd)


# flock() is not supported everywhere (some network and FUSE file systems): there the
# content check alone guards the write, as on Windows.
_NO_LOCKS = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.ENOSYS})


def _lock(fd: int, deadline: float) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno in _NO_LOCKS:
                return
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
        if time.monotonic() > deadline:
            raise NotWritten("locked by another process")
        time.sleep(_LOCK_POLL)


def _same_file(fd: int, path: Path) -> bool:
    now = os.lstat(path)  # FileNotFoundError when deleted meanwhile: never re-created
    held = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
