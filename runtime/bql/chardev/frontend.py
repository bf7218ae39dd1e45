"""The device side of a character device (`CharFrontend`) and the backend contract (`Chardev`).

As in QEMU, the frontend and the backend call each other synchronously: a device's
`write_all()` or `accept_input()` may run the device's own `can_receive` / `receive` /
`event` handlers before it returns. A device therefore ends its `BqlRefCell` borrow
before calling either, or the re-entrant handler's borrow raises `BorrowError`:

>>> import bql
>>> from bql.chardev import CharFrontend, MemoryChardev
>>> class Receiver(bql.Device):
...     def __init__(self, chardev: MemoryChardev) -> None:
...         super().__init__()
...         self.chr = CharFrontend(chardev)
...         self.rx = bql.BqlRefCell(bytearray())
...         self.room = bql.BqlCell(0)
...     def realize(self) -> None:
...         super().realize()
...         self.chr.enable_handlers(self.room.get, self.receive)
...     def receive(self, data: bytes) -> None:
...         with self.rx.borrow_mut() as rx:
...             rx.extend(data)
...     def open_fifo(self) -> None:
...         with self.rx.borrow_mut() as rx:
...             rx.clear()
...             self.room.set(16)
...             self.chr.accept_input()  # wrong: re-enters receive() while rx is borrowed
>>> backend = MemoryChardev()
>>> dev = Receiver(backend)
>>> bql.lock()
>>> dev.realize()
>>> backend.feed(b"hi")  # no room yet: queued
0
>>> dev.open_fifo()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bql.errors.BorrowError: cannot borrow_mut() BqlRefCell[bytearray]: it is already mutably borrowed by borrow_mut() at ... in open_fifo
>>> bql.unlock()

The fix is to end the borrow first: ``with ...: rx.clear()``, then ``self.room.set(16)``
and ``self.chr.accept_input()`` after the block.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from ..in_place import InPlaceRefused
from ..twins import not_held_error, unrecorded
from ..lock import _HELD, STATE

__all__ = ["CharFrontend", "Chardev", "Event"]

CanReceive = Callable[[], int]
Receive = Callable[[bytes], None]
EventHandler = Callable[["Event"], None]


class Event(enum.IntEnum):
    """Backend events delivered to a frontend's `event` handler (QEMU's QEMUChrEvent)."""

    BREAK = 0
    OPENED = 1
    MUX_IN = 2
    MUX_OUT = 3
    CLOSED = 4


def _check_held(operation: str) -> None:
    if STATE.checks and not getattr(_HELD, "held", False):
        raise not_held_error(  # the BQL006 twin (bql.twins)
            f"CharFrontend.{operation}() without the BQL held by this thread"
        )


class CharFrontend(InPlaceRefused):
    """A device's end of a character device; with no backend, output is discarded.

    Like every cell, its operations need the BQL (``bqlint`` counts them as cell
    operations, BQL006): they run the device's handlers.

    >>> import bql
    >>> from bql.chardev import CharFrontend
    >>> fe = CharFrontend()
    >>> with bql.locked():
    ...     fe.write_all(b"lost")
    4
    >>> fe.write_all(b"x")
    Traceback (most recent call last):
    ...
    bql.errors.BqlNotHeldError: CharFrontend.write_all() without the BQL held by this thread
    """

    __slots__ = ("_backend", "_can_receive", "_event", "_receive")

    def __init__(self, backend: Chardev | None = None) -> None:
        """Attach to `backend` (a backend serves one frontend); needs no BQL."""
        self._backend = backend
        self._can_receive: CanReceive | None = None
        self._receive: Receive | None = None
        self._event: EventHandler | None = None
        if backend is not None:
            backend.attach(self)

    @property
    def backend(self) -> Chardev | None:
        """The backend this frontend is attached to, if any."""
        return self._backend

    def enable_handlers(
        self,
        can_receive: CanReceive | None,
        receive: Receive | None,
        event: EventHandler | None = None,
    ) -> None:
        """Register the device's input handlers; `None` handlers disable input.

        `can_receive()` says how many bytes the device can take now, `receive(data)` takes
        them, `event(Event)` is told of breaks and (dis)connections. A backend with its
        own I/O thread then offers input it already holds again, from that thread.

        >>> import bql
        >>> from bql.chardev import CharFrontend, MemoryChardev
        >>> got = []
        >>> backend = MemoryChardev()
        >>> fe = CharFrontend(backend)
        >>> with bql.locked():
        ...     fe.enable_handlers(lambda: 1, got.append)
        ...     backend.feed(b"ab")
        2
        >>> got
        [b'a', b'b']
        """
        _check_held("enable_handlers")
        self._can_receive = can_receive
        self._receive = receive
        self._event = event
        if self._backend is not None:
            self._backend.update_read_handler()

    def write_all(self, data: bytes) -> int:
        """Send `data` to the backend and return its length; may run handlers re-entrantly.

        >>> import bql
        >>> from bql.chardev import CharFrontend, MemoryChardev
        >>> backend = MemoryChardev()
        >>> with bql.locked():
        ...     CharFrontend(backend).write_all(b"ok")
        2
        >>> backend.output
        bytearray(b'ok')
        """
        _check_held("write_all")
        if isinstance(data, int):  # bytes(5) would be five NUL bytes
            raise TypeError(f"write_all() takes bytes, not an int; to send one byte write bytes([{data}])"[:120])
        data = bytes(data)
        if self._backend is not None:
            self._backend.write(data)
        return len(data)

    def accept_input(self) -> None:
        """Tell the backend the device can take more input; may run handlers re-entrantly.

        >>> import bql
        >>> from bql.chardev import CharFrontend, MemoryChardev
        >>> room, got = [0], []
        >>> backend = MemoryChardev()
        >>> fe = CharFrontend(backend)
        >>> with bql.locked():
        ...     fe.enable_handlers(lambda: room[0], got.append)
        ...     backend.feed(b"x")
        ...     room[0] = 1
        ...     fe.accept_input()
        0
        >>> got
        [b'x']
        """
        _check_held("accept_input")
        if self._backend is not None:
            self._backend.accept_input()

    def send_break(self, enable: bool) -> None:
        """Start (`True`) or stop (`False`) sending a break condition.

        >>> import bql
        >>> from bql.chardev import CharFrontend, MemoryChardev
        >>> backend = MemoryChardev()
        >>> with bql.locked():
        ...     CharFrontend(backend).send_break(True)
        >>> backend.breaks
        [True]
        """
        _check_held("send_break")
        if self._backend is not None:
            self._backend.set_break(bool(enable))

    def __repr__(self) -> str:
        return f"CharFrontend({self._backend!r})"


class Chardev:
    """Base class of backends: what a frontend calls, and delivery to the frontend.

    A backend calls the `be_*` methods (QEMU's ``qemu_chr_be_*``) with the BQL held.
    """

    def __init__(self) -> None:
        """Create a backend without a frontend."""
        self._frontend: CharFrontend | None = None

    @property
    def frontend(self) -> CharFrontend | None:
        """The frontend attached to this backend, if any."""
        return self._frontend

    def attach(self, frontend: CharFrontend) -> None:
        """Attach `frontend`: input goes to the frontend attached last.

        A board that builds a second device on the same backend (a migration target, a
        replugged device) takes the input over; the earlier frontend's output still
        reaches the backend.
        """
        self._frontend = frontend

    def write(self, data: bytes) -> None:
        """Take output from the frontend (called under the BQL)."""
        raise NotImplementedError

    def accept_input(self) -> None:
        """Deliver queued input the frontend can now take (called under the BQL)."""

    def update_read_handler(self) -> None:
        """Note that the frontend registered or changed its handlers (called under the BQL).

        QEMU's ``chr_update_read_handler``: a backend that reads input on its own thread
        and may hold some that no handler could take must offer it again, or it waits
        until the peer sends more. It must not call the handlers from here: the device
        is usually still being realized, and its reset would drop what they took. A
        backend that only delivers when called (`MemoryChardev`) has nothing to do.
        """

    def set_break(self, enable: bool) -> None:
        """Start or stop a break condition on the line (called under the BQL)."""

    def be_can_write(self) -> int:
        """Return how many bytes the frontend's device can take now (0 without handlers)."""
        fe = self._frontend
        if fe is None or fe._can_receive is None or fe._receive is None:
            return 0
        return max(0, int(fe._can_receive()))

    def be_write(self, data: bytes) -> None:
        """Hand `data` to the frontend's `receive` handler."""
        fe = self._frontend
        if fe is not None and fe._receive is not None:
            fe._receive(data)

    def be_event(self, event: Event) -> None:
        """Tell the frontend's `event` handler about `event`."""
        fe = self._frontend
        if fe is not None and fe._event is not None:
            fe._event(event)

    def deliver(self, pending: bytearray) -> int:
        """Move bytes from `pending` to the frontend while it can take them; return the count.

        The chunk is removed from `pending` before `receive` runs, so a re-entrant
        `accept_input()` from the handler sees only what is still queued. When `receive`
        raises, the bytes the device did not take stay queued, in order: as many as its
        room did not shrink by (a handler that failed before storing anything loses
        nothing; one that failed after, in an interrupt sink, is not fed them twice).
        """
        delivered = 0
        while pending:
            room = self.be_can_write()
            if room <= 0:
                break
            chunk = bytes(pending[:room])
            del pending[:room]
            try:
                self.be_write(chunk)
            except BaseException:
                pending[:0] = chunk[self._taken(room, len(chunk)) :]
                raise
            delivered += len(chunk)
        return delivered

    @unrecorded  # a probe of ours, not a call the program made
    def _taken(self, room: int, size: int) -> int:
        """How many of `size` bytes a `receive` that raised took: what its room shrank by."""
        try:
            left = self.be_can_write()
        except Exception:  # the device cannot say: keep every byte
            return 0
        return max(0, min(size, room - left))
