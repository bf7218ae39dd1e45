"""Reading the language server's input: LSP's base protocol frames, never trusting their header.

A frame is header lines (`Content-Length: N` among them), an empty line, then N bytes of
JSON. The body is read in chunks as it arrives, so memory follows what the client sent, not
what its header announced; a frame announced above `MAX_MESSAGE_BYTES` is refused: it is
reported to the reader as `Refused` and its bytes are skipped as they arrive, after which the
next frame is read as usual. A header line is read up to `MAX_HEADER_LINE` bytes; the rest of
a longer one is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Far above any source file an editor sends, far below what would exhaust memory.
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
MAX_HEADER_LINE = 64 * 1024
CHUNK = 64 * 1024
# More digits than this announce more bytes than any stream carries (and would pass Python's
# limit on converting long digit strings).
_MAX_DIGITS = 18
# What a header line too long to keep reads as: not blank, and no header.
_DROPPED = b"(dropped)"


@dataclass(frozen=True)
class Refused:
    """A frame whose announced length is over the limit; its body is skipped."""

    length: int


class FrameReader:
    """Split a byte stream into frame bodies. `read(n)` returns at most n bytes, b"" at its end."""

    def __init__(self, read: Callable[[int], bytes], limit: int = MAX_MESSAGE_BYTES) -> None:
        self._read = read
        self._limit = limit
        self._buffer = bytearray()

    def frames(self) -> Iterator[bytes | Refused]:
        """Yield each frame's body, or `Refused` for one over the limit, until the stream ends."""
        while True:
            length = self._header()
            if length is None:
                return
            if length > self._limit:
                yield Refused(length)
                if not self._skip(length):
                    return
                continue
            body = self._take(length)
            if body is None:
                return
            yield body

    def _header(self) -> int | None:
        """Read header lines up to the empty line after a Content-Length; return that length,
        or None when the stream ends first. Lines that are not a valid length are ignored."""
        length: int | None = None
        while True:
            line = self._line()
            if line is None:
                return None
            if not line.strip():
                if length is not None:
                    return length
                continue
            name, colon, value = line.partition(b":")
            value = value.strip()
            if colon and length is None and name.strip().lower() == b"content-length" and value.isdigit():
                length = int(value) if len(value) <= _MAX_DIGITS else 10**_MAX_DIGITS

    def _line(self) -> bytes | None:
        """Return the next line (up to MAX_HEADER_LINE bytes of it), or None at the end."""
        dropping = False
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                return _DROPPED if dropping else line
            if len(self._buffer) > MAX_HEADER_LINE:
                self._buffer.clear()  # a runaway header line: not a header
                dropping = True
            if not self._fill():
                return None

    def _take(self, length: int) -> bytes | None:
        """Return the next `length` bytes, or None when the stream ends first."""
        while len(self._buffer) < length:
            if not self._fill(min(CHUNK, length - len(self._buffer))):
                return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return body

    def _skip(self, length: int) -> bool:
        """Drop the next `length` bytes as they arrive; False when the stream ends first."""
        dropped = min(length, len(self._buffer))
        del self._buffer[:dropped]
        while dropped < length:
            chunk = self._read(min(CHUNK, length - dropped))
            if not chunk:
                return False
            dropped += len(chunk)
        return True

    def _fill(self, size: int = CHUNK) -> bool:
        chunk = self._read(size)
        self._buffer += chunk
        return bool(chunk)
