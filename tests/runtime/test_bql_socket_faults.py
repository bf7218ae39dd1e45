"""SocketChardev under faults: a peer faster than the device, a BQL holder that died.

While the device takes nothing, the backend holds at most `max_pending` bytes and stops
reading, so the peer's writes block; once the device drains the buffer with
`accept_input()`, reading resumes and every byte arrives, in order. An I/O thread that
finds the BQL held by a thread that exited stops with an error naming it.
"""

from __future__ import annotations

import importlib
import os
import random
import select
import socket
import tempfile
import threading
from collections.abc import Iterator

import bql
import pytest
from bql.chardev import CharFrontend, SocketChardev

bql_lock = importlib.import_module("bql.lock")

WAIT_S = 10  # upper bound for the I/O thread; never a timing assertion
MAX_PENDING = 1000
# Far more than the kernel buffers of a socket pair hold: a backend that reads without
# bound lets the peer send all of it without ever blocking.
UNBOUNDED = 16 * 1024 * 1024
CHUNK = 64 * 1024


class Progress:
    """How many bytes a device received, to wait on without the BQL."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = threading.Condition()

    def add(self, n: int) -> None:
        with self.changed:
            self.count += n
            self.changed.notify_all()

    def wait_for(self, n: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= n, timeout)

    def wait(self, timeout: float) -> None:
        with self.changed:
            self.changed.wait(timeout)


class Sink(bql.Device):
    """Takes input only when told it has room."""

    def __init__(self, backend: SocketChardev) -> None:
        super().__init__()
        self.chr = CharFrontend(backend)
        self.room = bql.BqlCell(0)
        self.rx = bql.BqlRefCell(bytearray())
        self.progress = Progress()

    def realize(self) -> None:
        super().realize()
        self.chr.enable_handlers(self.room.get, self.receive)

    def receive(self, data: bytes) -> None:
        with self.rx.borrow_mut() as rx:
            rx.extend(data)
        self.progress.add(len(data))


def pattern(n: int) -> bytes:
    """`n` pseudo-random bytes: a lost, repeated or swapped chunk shows."""
    return random.Random(n).randbytes(n)


@pytest.fixture
def backend() -> Iterator[SocketChardev]:
    folder = tempfile.mkdtemp(prefix="bql-", dir="/tmp")  # short: AF_UNIX paths are
    path = os.path.join(folder, "sock")
    with SocketChardev(path, max_pending=MAX_PENDING) as chardev:
        yield chardev
    os.rmdir(folder)


def send_until_pushed_back(peer: socket.socket, backend: SocketChardev, data: bytes) -> int:
    """Send `data` without blocking until the backend has paused and the socket is full.

    Return how many bytes were sent; stop at the end of `data` if it never pushes back.
    """
    peer.setblocking(False)
    sent = 0
    while sent < len(data):
        try:
            sent += peer.send(data[sent : sent + CHUNK])
            assert backend.pending <= backend.max_pending
            continue
        except BlockingIOError:
            pass
        if backend.paused:
            # Full: nothing reads any more. Confirm the socket stays unwritable.
            _, writable, _ = select.select([], [peer], [], 0.2)
            if not writable:
                break
        else:
            select.select([], [peer], [], 0.05)
    return sent


def test_a_full_buffer_stops_reading_and_the_socket_pushes_back(backend):
    dev = Sink(backend)
    with bql.locked():
        dev.realize()
    data = pattern(UNBOUNDED)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
        peer.connect(backend.address)
        sent = send_until_pushed_back(peer, backend, data)
        assert sent < len(data), "the backend read without bound: no push back"
        assert backend.paused
        assert backend.pending == MAX_PENDING
        assert dev.progress.count == 0
        peer.setblocking(True)
        peer.settimeout(WAIT_S)
        # Give the device room: the buffer drains and the I/O thread reads again.
        with bql.locked():
            dev.room.set(len(data))
            dev.chr.accept_input()
        rest = data[sent : sent + 4 * CHUNK]
        peer.sendall(rest)
        total = sent + len(rest)
        assert dev.progress.wait_for(total, WAIT_S)
    with bql.locked(), dev.rx.borrow() as rx:
        assert bytes(rx) == data[:total]
    assert not backend.paused


def test_a_slow_device_gets_every_byte_in_order_through_a_small_buffer(backend):
    dev = Sink(backend)
    with bql.locked():
        dev.realize()
    data = pattern(50_000)
    stop = threading.Event()

    def slow_guest() -> None:
        """Take 16 bytes at a time, as a PL011 FIFO does, until told to stop."""
        while not stop.is_set():
            with bql.locked():
                dev.room.set(16)
                dev.chr.accept_input()
                dev.room.set(0)
            dev.progress.wait(0.01)

    guest = threading.Thread(target=slow_guest, daemon=True)
    guest.start()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
            peer.settimeout(WAIT_S)
            peer.connect(backend.address)
            peer.sendall(data)
            assert dev.progress.wait_for(len(data), 6 * WAIT_S)
    finally:
        stop.set()
        guest.join(WAIT_S)
    with bql.locked(), dev.rx.borrow() as rx:
        assert bytes(rx) == data


@pytest.mark.parametrize(("value", "error"), [(0, ValueError), (1.5, TypeError)])
def test_max_pending_must_be_a_positive_int(value, error):
    with pytest.raises(error, match="max_pending"):
        SocketChardev(port=0, max_pending=value)


def test_the_io_thread_reports_a_bql_holder_that_exited(backend, monkeypatch):
    dev = Sink(backend)
    with bql.locked():
        dev.realize()
    reported: list[BaseException | None] = []
    done = threading.Event()

    def excepthook(args: threading.ExceptHookArgs) -> None:
        reported.append(args.exc_value)
        done.set()

    monkeypatch.setattr(threading, "excepthook", excepthook)
    leaker = threading.Thread(target=bql.lock, name="leaker")
    leaker.start()
    leaker.join(WAIT_S)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
        peer.connect(backend.address)  # the I/O thread needs the BQL to report it
        peer.sendall(b"x")
        assert done.wait(WAIT_S)
    (error,) = reported
    assert isinstance(error, bql.BqlError)
    assert "'leaker'" in str(error)
    assert "exited without releasing it" in str(error)


class Leaky(Sink):
    """A buggy device whose handler lets a guard escape (BQL005): its borrow stays alive."""

    def __init__(self, backend: SocketChardev) -> None:
        super().__init__(backend)
        self.kept: list[object] = []

    def receive(self, data: bytes) -> None:
        self.kept.append(self.rx.borrow_mut())
        self.progress.add(len(data))


def test_a_handler_stranding_a_borrow_does_not_kill_the_io_thread(backend, monkeypatch):
    # rt14 #02: the I/O thread reports the live borrow, ends it, releases the BQL, goes on.
    dev = Leaky(backend)
    with bql.locked():
        dev.realize()
        dev.room.set(64)
    reported: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: reported.append(args.exc_value))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
        peer.connect(backend.address)
        peer.sendall(b"x")
        assert dev.progress.wait_for(1, WAIT_S)
        assert bql_lock.acquire(WAIT_S)  # a poisoned BQL raises here, never hangs
        try:
            assert isinstance(dev.kept[0], bql.BqlRefMut)
            with pytest.raises(bql.BorrowReleasedError):
                dev.kept[0].append(1)
        finally:
            bql.unlock()
        peer.sendall(b"y")  # the I/O thread still serves the peer
        assert dev.progress.wait_for(2, WAIT_S)
    assert backend._thread.is_alive()
    (error, *_) = reported
    assert type(error) is bql.BqlUnlockError
    assert str(error).startswith("cannot release the BQL while 1 borrow is alive: borrow_mut() at ")
    assert " in receive" in str(error)
