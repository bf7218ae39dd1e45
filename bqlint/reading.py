"""Read a file as Python would, before parsing: regular files only, decoded like an import.

A path is stat'ed before it is opened and opened without blocking, so a FIFO or a device
named `*.py` never stalls a run. Bytes are decoded as `importlib.util.decode_source` does
(PEP 263 cookie, byte-order mark, else UTF-8). What fails is BQL998 (SPEC §3.1), with the reason.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path

from bqlint.paths import resolved

# The most of one file that is read. The largest Python sources in the wild (generated
# Unicode tables, protobuf and Qt resource modules) are a few MB, CPython's largest about
# 1 MB; a file 10x beyond those is a data dump named `.py`, which would cost several times
# its size in memory to decode and parse, and under a memory limit end the whole run with
# MemoryError, losing every other file's findings (crash13 #09). It is BQL998 instead.
MAX_SOURCE_BYTES = 32 * 1024 * 1024

# File types by stat mode, for the reason given when a path is not a regular file.
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class UnreadableSource(Exception):
    """A file that cannot be read or decoded as Python source; `str()` is the reason."""


@dataclass(frozen=True, slots=True)
class DecodedSource:
    """The text of a file and how it was encoded, so that a fix can write it back the same way.

    `encoding` is the codec name `tokenize.detect_encoding` gives: `"utf-8-sig"` when the
    file starts with a byte-order mark (encoding with it writes the mark back), else the
    cookie's codec (`"iso-8859-1"`, …) or `"utf-8"`.
    """

    text: str
    encoding: str = "utf-8"
    bom: bool = False


def safe_resolve(path: Path) -> Path:
    """Return `path` resolved, or made absolute when resolving fails (a symlink loop)."""
    try:
        return resolved(path)
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def read_source_bytes(path: Path, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """Return the bytes of the regular file `path`, of at most `limit` bytes; raise
    UnreadableSource otherwise (a bigger file, one that memory cannot hold)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        reason = "it does not exist (removed, or a dangling symlink)"
        raise UnreadableSource(f"cannot read this file: {reason}") from None
    except OSError as exc:
        raise UnreadableSource(f"cannot read this file: {_os_reason(exc)}") from None
    _require_regular(info.st_mode)
    _require_size(info.st_size, limit)
    try:
        # O_NONBLOCK: should the path become a FIFO after the stat, opening it does not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UnreadableSource("cannot read this file: it was removed while bqlint ran") from None
    except OSError as exc:
        raise UnreadableSource(f"cannot read this file: {_os_reason(exc)}") from None
    try:
        _require_regular(os.fstat(fd).st_mode)
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(limit + 1)  # one more: a file that grew since the stat is seen
    except OSError as exc:
        raise UnreadableSource(f"cannot read this file: {_os_reason(exc)}") from None
    except MemoryError:
        raise UnreadableSource("cannot read this file: not enough memory to read it") from None
    finally:
        os.close(fd)
    _require_size(len(data), limit)
    return data


def _require_size(size: int, limit: int) -> None:
    if size > limit:
        raise UnreadableSource(
            f"cannot read this file: it is larger than {_size(limit)}, the most bqlint reads of"
            " one file; a Python source is far smaller (exclude a generated file)"
        )


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _require_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    raise UnreadableSource(f"cannot read this file: not a regular file ({kind})")


def _os_reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def decode_source(data: bytes) -> DecodedSource:
    """Decode `data` as Python source; raise UnreadableSource when Python could not."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        message = str(exc.msg or exc)
        if message.startswith("invalid or missing encoding declaration"):
            # No cookie and the first lines are not UTF-8: say which byte, not "missing declaration".
            message = _utf8_reason(data) or message
        elif data.startswith(codecs.BOM_UTF8):
            message = _bom_reason(data) or message
        raise UnreadableSource(f"cannot decode this file: {message}") from None
    try:
        text = data.decode(encoding)
    except MemoryError:
        raise UnreadableSource("cannot decode this file: not enough memory to decode it") from None
    except LookupError as exc:  # a cookie naming a codec that is not a text encoding (`hex`)
        reason = f"the coding cookie names no text encoding: {exc}"
        raise UnreadableSource(f"cannot decode this file: {reason}") from None
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        codec = "UTF-8" if encoding.startswith("utf-8") else encoding
        reason = f"byte 0x{data[exc.start]:02x} on line {row} is not valid {codec}"
        raise UnreadableSource(f"cannot decode this file: {reason}") from None
    return DecodedSource(text, encoding, encoding == "utf-8-sig")


class UndecodedText(str):
    """Standard input Python could not decode: its bytes as text (not UTF-8 bytes kept as
    lone surrogates, so `--fix` echoes them back unchanged) and why it could not be decoded."""

    problem: UnreadableSource


def stdin_text(data: bytes) -> str:
    """Return standard input decoded as Python decodes source (cookie, BOM, UTF-8).

    What Python cannot decode comes back as an `UndecodedText`, so that the engine reports it
    as the same file would be (BQL998, `stdin_source`, crash7 #6), never reads it wrongly.
    """
    try:
        return decode_source(data).text
    except UnreadableSource as exc:
        text = UndecodedText(data.decode("utf-8", "surrogateescape"))
        text.problem = exc
        return text


def stdin_source(text: str) -> DecodedSource | UnreadableSource:
    """Return what `stdin_text` made of standard input: its text, or why it cannot be decoded."""
    if isinstance(text, UndecodedText):
        return text.problem
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return decode_source(text.encode("utf-8", "surrogateescape"))
        except UnreadableSource as exc:
            return exc
        except UnicodeEncodeError as exc:  # a lone surrogate from an editor: no file can hold it
            row = text.count("\n", 0, exc.start) + 1
            code = ord(text[exc.start])
            return UnreadableSource(f"cannot decode this file: U+{code:04X} on line {row} is a lone surrogate")
    return DecodedSource(text)


def _bom_reason(data: bytes) -> str | None:
    """Return CPython's reason for rejecting a byte-order mark with the coding cookie of its
    first two lines ("encoding problem: iso-8859-1 with BOM"), where `tokenize` says less."""
    head = b"".join(io.BytesIO(data).readlines()[:2])
    try:
        compile(head, "<bqlint>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        if exc.msg and exc.msg.startswith("encoding problem"):
            return str(exc.msg)
    except ValueError:  # a NUL byte in the first lines
        pass
    return None


def _utf8_reason(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        return f"byte 0x{data[exc.start]:02x} on line {row} is not valid UTF-8"
    return None
