"""SocketChardev: a real peer's input reaches the device's handlers under the BQL."""

from __future__ import annotations

import queue
import socket
import stat
import threading

import bql
import pytest
from bql.chardev import CharFrontend, Event, SocketChardev

from tests.waiting import WAIT_S, wait_until


class Device(bql.Device):
    def __init__(self, backend: SocketChardev) -> None:
        super().__init__()
        self.chr = CharFrontend(backend)
        self.rx = bql.BqlRefCell(bytearray())
        self.inbox: queue.Queue[object] = queue.Queue()

    def realize(self) -> None:
        super().realize()
        self.chr.enable_handlers(lambda: 64, self.receive, self.event)

    def receive(self, data: bytes) -> None:
        with self.rx.borrow_mut() as rx:  # a cell operation: needs the BQL
            rx.extend(data)
        self.inbox.put((data, bql.is_locked()))

    def event(self, event: Event) -> None:
        self.inbox.put(event)


def received(dev: Device, n: int) -> bytes:
    """Collect `n` bytes of input from the device's inbox, skipping events."""
    data = b""
    while len(data) < n:
        item = dev.inbox.get(timeout=WAIT_S)
        if isinstance(item, tuple):
            chunk, held = item
            assert held, "receive() ran without the BQL"
            data += chunk
    return data


def next_event(dev: Device) -> Event:
    while True:
        item = dev.inbox.get(timeout=WAIT_S)
        if isinstance(item, Event):
            return item


def recv_exactly(peer: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = peer.recv(n - len(data))
        assert chunk
        data += chunk
    return data


@pytest.fixture(params=["tcp", "unix"])
def backend(request, tmp_path):
    if request.param == "tcp":
        chardev = SocketChardev(port=0)
    else:
        chardev = SocketChardev(str(tmp_path / "uart.sock"))
    yield chardev
    chardev.close()


def connect(backend: SocketChardev) -> socket.socket:
    address = backend.address
    if isinstance(address, str):
        peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        peer.connect(address)
    else:
        peer = socket.create_connection(address)
    peer.settimeout(WAIT_S)
    return peer


def test_peer_input_reaches_the_device_under_the_bql(backend):
    dev = Device(backend)
    with bql.locked():
        dev.realize()
    with connect(backend) as peer:
        assert next_event(dev) is Event.OPENED
        peer.sendall(b"hello")
        assert received(dev, 5) == b"hello"
    with bql.locked():
        assert dev.rx.borrow().value == b"hello"


def test_device_output_goes_to_the_peer(backend):
    dev = Device(backend)
    with bql.locked():
        dev.realize()
    with connect(backend) as peer:
        assert backend.wait_connected(WAIT_S)
        with bql.locked():
            assert dev.chr.write_all(b"ok\n") == 3
        assert recv_exactly(peer, 3) == b"ok\n"


def test_survives_disconnect_and_reconnect(backend):
    dev = Device(backend)
    with bql.locked():
        dev.realize()
    with connect(backend) as peer:
        assert next_event(dev) is Event.OPENED
        peer.sendall(b"one")
        assert received(dev, 3) == b"one"
    assert next_event(dev) is Event.CLOSED
    with bql.locked():
        assert dev.chr.write_all(b"dropped") == 7  # nobody connected: dropped
    with connect(backend) as peer:
        assert next_event(dev) is Event.OPENED
        peer.sendall(b"two")
        assert received(dev, 3) == b"two"
        with bql.locked():
            dev.chr.write_all(b"back")
        assert recv_exactly(peer, 4) == b"back"


def test_input_waits_while_another_thread_holds_the_bql(backend):
    dev = Device(backend)
    with bql.locked():
        dev.realize()
    with connect(backend) as peer:
        assert next_event(dev) is Event.OPENED
        bql.lock()
        peer.sendall(b"z")
        with bql.unlocked():  # the I/O thread can deliver now
            assert received(dev, 1) == b"z"
        bql.unlock()


def test_close_stops_the_io_thread_and_removes_the_socket(tmp_path):
    path = tmp_path / "s.sock"
    backend = SocketChardev(str(path))
    thread = backend._thread
    with connect(backend):
        assert backend.wait_connected(WAIT_S)
    backend.close()
    assert not thread.is_alive()
    assert not path.exists()
    backend.close()  # idempotent


def test_close_while_holding_the_bql_does_not_deadlock():
    backend = SocketChardev(port=0)
    dev = Device(backend)
    with bql.locked():
        dev.realize()
        with connect(backend) as peer:
            peer.sendall(b"stuck")  # the I/O thread waits for the BQL we hold
            backend.close()
    assert not backend._thread.is_alive()


def test_context_manager_closes():
    with SocketChardev(port=0) as backend:
        thread = backend._thread
    assert not thread.is_alive()


def test_only_loopback_is_allowed():
    with pytest.raises(ValueError, match="loopback only"):
        SocketChardev(host="0.0.0.0")


def test_a_handler_that_raises_costs_neither_the_io_thread_nor_the_input(backend, monkeypatch):
    reported: list[BaseException | None] = []
    seen = threading.Event()

    def hook(args: threading.ExceptHookArgs) -> None:
        reported.append(args.exc_value)
        seen.set()

    monkeypatch.setattr("threading.excepthook", hook)
    dev = Device(backend)
    failures = [RuntimeError("device bug")]
    plain_receive = dev.receive

    def receive(data: bytes) -> None:
        if failures:
            raise failures.pop()
        plain_receive(data)

    with bql.locked():
        dev.chr.enable_handlers(lambda: 64, receive, dev.event)
    with connect(backend) as peer:
        assert next_event(dev) is Event.OPENED
        peer.sendall(b"AB")
        assert seen.wait(WAIT_S)  # reported the way an uncaught error in a thread is
        peer.sendall(b"CD")  # the I/O thread still reads: the failed chunk comes first
        assert received(dev, 4) == b"ABCD"
    assert [str(e) for e in reported] == ["device bug"]



def test_input_held_before_the_handlers_are_registered_is_delivered_then(backend):
    # A peer that types as soon as the socket exists, before the device is realized:
    # the I/O thread reads the input, finds no handler and keeps it. Registering the
    # handlers must get it delivered without the peer sending anything more.
    dev = Device(backend)
    with connect(backend) as peer:
        peer.sendall(b"early")
        assert wait_until(lambda: backend.pending == 5)  # read, and held: no handler
        with bql.locked():
            dev.realize()
            assert dev.inbox.empty()  # not from inside realize(): the I/O thread delivers
        assert received(dev, 5) == b"early"
        assert backend.pending == 0


def test_handlers_without_room_leave_held_input_to_accept_input(backend):
    room = [0]
    got: queue.Queue[bytes] = queue.Queue()
    frontend = CharFrontend(backend)
    with connect(backend) as peer:
        peer.sendall(b"later")
        assert wait_until(lambda: backend.pending == 5)
        with bql.locked():
            frontend.enable_handlers(lambda: room[0], got.put)
        with bql.locked():
            assert backend.pending == 5 and got.empty()  # offered or not: nothing taken
            room[0] = 64
            frontend.accept_input()
        assert got.get(timeout=WAIT_S) == b"later"


def test_the_unix_socket_path_appears_only_once_it_accepts_peers(tmp_path, monkeypatch):
    # A peer that connects as soon as the path is a socket must not be refused: it may
    # not become one before listen(). A stale file there is replaced only then.
    path = tmp_path / "uart.sock"
    path.write_bytes(b"")  # left by an earlier run
    socket_at_listen: list[bool] = []
    listen = socket.socket.listen

    def checking_listen(sock: socket.socket, *args: int) -> None:
        socket_at_listen.append(stat.S_ISSOCK(path.stat().st_mode))
        listen(sock, *args)

    monkeypatch.setattr(socket.socket, "listen", checking_listen)
    with SocketChardev(str(path)) as backend:
        assert socket_at_listen == [False]
        assert stat.S_ISSOCK(path.stat().st_mode)
        with connect(backend) as peer:
            assert backend.wait_connected(WAIT_S)
    assert list(tmp_path.iterdir()) == []  # removed, and no temporary name left behind


def test_held_input_is_delivered_once_the_device_has_room_without_accept_input(backend):
    # rt15 #01: QEMU's main loop asks can_receive() on every iteration; a device whose
    # room grows some other way than by accept_input() (a reset, a FIFO switched on, a
    # migration) gets the held input all the same.
    room = [0]
    got: queue.Queue[bytes] = queue.Queue()

    def receive(data: bytes) -> None:  # a one-character holding register
        room[0] -= len(data)
        got.put(data)

    frontend = CharFrontend(backend)
    with bql.locked():
        frontend.enable_handlers(lambda: room[0], receive)
    with connect(backend) as peer:
        peer.sendall(b"ab")
        assert wait_until(lambda: backend.pending == 2)
        with bql.locked():
            room[0] = 1  # no accept_input()
        assert got.get(timeout=WAIT_S) == b"a"
        with bql.locked():
            assert backend.pending == 1
            room[0] = 1  # emptied some other way than by taking input
        assert got.get(timeout=WAIT_S) == b"b"
        assert backend.pending == 0


def test_a_full_buffer_drained_without_accept_input_lets_reading_resume(tmp_path):
    room = [0]
    got: queue.Queue[bytes] = queue.Queue()
    with SocketChardev(str(tmp_path / "s.sock"), max_pending=4) as backend:
        frontend = CharFrontend(backend)
        with bql.locked():
            frontend.enable_handlers(lambda: room[0], got.put)
        with connect(backend) as peer:
            peer.sendall(b"0123456789")
            assert wait_until(lambda: backend.paused)
            with bql.locked():
                room[0] = 64  # no accept_input(): the I/O thread offers and reads again
            data = b""
            while len(data) < 10:
                data += got.get(timeout=WAIT_S)
            assert data == b"0123456789"


def test_a_second_peer_waits_until_the_first_disconnects(backend):
    # rt15 #02: QEMU's server socket stops listening while a peer is connected; the next
    # one waits in the backlog and is served afterwards, its input intact.
    dev = Device(backend)
    with bql.locked():
        dev.realize()
    first = connect(backend)
    assert next_event(dev) is Event.OPENED
    with connect(backend) as second:
        second.sendall(b"Z")
        first.sendall(b"1")
        assert received(dev, 1) == b"1"  # the first peer is still the one served
        second.setblocking(False)
        with pytest.raises(BlockingIOError):  # not accepted and closed: no EOF
            second.recv(1)
        second.settimeout(WAIT_S)
        first.close()
        assert next_event(dev) is Event.CLOSED
        assert next_event(dev) is Event.OPENED
        assert received(dev, 1) == b"Z"
        with bql.locked():
            dev.chr.write_all(b"hi")
        assert recv_exactly(second, 2) == b"hi"
    assert next_event(dev) is Event.CLOSED
