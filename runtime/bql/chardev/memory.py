"""An in-memory character backend for tests and examples: input is fed, output recorded.

Input handlers run under the BQL: `feed()` from a thread that holds it delivers
directly, from one that does not it takes the BQL for the delivery.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..lock import _HELD, locked
from .frontend import Chardev, Event

__all__ = ["MemoryChardev"]


@contextlib.contextmanager
def holding_bql() -> Iterator[None]:
    """Hold the BQL for the block: keep it if this thread holds it, else take it."""
    if getattr(_HELD, "held", False):
        yield
    else:
        with locked():
            yield


class MemoryChardev(Chardev):
    """A backend in memory: `feed()` queues input, `output` records every byte written.

    Attributes: `output` (a `bytearray` of everything the device wrote), `breaks` (each
    `send_break()` argument, in order), `echo` (when true, written bytes are fed back as
    input at once, inside `write_all()`: a loopback cable).

    >>> import bql
    >>> from bql.chardev import CharFrontend, MemoryChardev
    >>> got = []
    >>> backend = MemoryChardev(echo=True)
    >>> fe = CharFrontend(backend)
    >>> with bql.locked():
    ...     fe.enable_handlers(lambda: 8, got.append)
    ...     fe.write_all(b"ping")
    4
    >>> got, backend.output
    ([b'ping'], bytearray(b'ping'))
    """

    def __init__(self, *, echo: bool = False) -> None:
        """Create a backend with no input queued and no output."""
        super().__init__()
        self.output = bytearray()
        self.breaks: list[bool] = []
        self.echo = echo
        self._pending = bytearray()

    @property
    def pending(self) -> bytes:
        """The input queued but not yet delivered."""
        return bytes(self._pending)

    def feed(self, data: bytes) -> int:
        """Queue `data` and deliver what the device can take now; return the count delivered.

        >>> import bql
        >>> from bql.chardev import CharFrontend, MemoryChardev
        >>> got = []
        >>> backend = MemoryChardev()
        >>> fe = CharFrontend(backend)
        >>> with bql.locked():
        ...     fe.enable_handlers(lambda: 2 - sum(map(len, got)), got.append)
        >>> backend.feed(b"abc"), got, backend.pending
        (2, [b'ab'], b'c')
        """
        with holding_bql():
            self._pending += data
            return self.deliver(self._pending)

    def feed_event(self, event: Event) -> None:
        """Deliver `event` to the device's event handler.

        >>> import bql
        >>> from bql.chardev import CharFrontend, Event, MemoryChardev
        >>> events = []
        >>> backend = MemoryChardev()
        >>> fe = CharFrontend(backend)
        >>> with bql.locked():
        ...     fe.enable_handlers(lambda: 0, print, events.append)
        >>> backend.feed_event(Event.BREAK); events
        [<Event.BREAK: 0>]
        """
        with holding_bql():
            self.be_event(event)

    def feed_break(self) -> None:
        """Deliver a received break (`Event.BREAK`) to the device."""
        self.feed_event(Event.BREAK)

    def write(self, data: bytes) -> None:
        """Record output from the device (and feed it back when `echo` is on)."""
        self.output += data
        if self.echo:
            self.feed(data)

    def accept_input(self) -> None:
        """Deliver queued input the device can now take."""
        with holding_bql():
            self.deliver(self._pending)

    def set_break(self, enable: bool) -> None:
        """Record a break sent by the device."""
        self.breaks.append(enable)

    def __repr__(self) -> str:
        return f"MemoryChardev(output={bytes(self.output)!r}, pending={self.pending!r})"
