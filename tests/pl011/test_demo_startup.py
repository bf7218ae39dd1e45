"""`python -m pl011` start-up and shutdown: no input stalls, no missed wake-up, no hang.

Each test sets up the interleaving that used to go wrong instead of hoping for it: input
held by the backend before the UART exists, input delivered the moment the board lets
go of the BQL, an interrupt raised between the guest's look at the UART and its wait,
Ctrl-C landing as the guest thread starts.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections.abc import Iterator

import bql
import pytest
from bql.chardev import MemoryChardev, SocketChardev
from pl011 import PL011State
from pl011 import __main__ as demo

from tests.waiting import WAIT_S, wait_until


def output_of(backend: MemoryChardev) -> bytes:
    with bql.locked():
        return bytes(backend.output)


class Serving:
    """`demo.serve()` on its own thread, stopped and joined by `close()`."""

    def __init__(self, backend: MemoryChardev | SocketChardev) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=demo.serve, args=(backend, self.stop))
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive(), "serve() did not return once stopped"


@pytest.fixture
def socket_path() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="pl011-", dir="/tmp")  # short: AF_UNIX path limit
    yield os.path.join(folder, "uart.sock")
    os.rmdir(folder)


def test_input_typed_before_the_uart_exists_is_echoed(socket_path: str) -> None:
    with SocketChardev(socket_path) as backend, socket.socket(socket.AF_UNIX) as peer:
        peer.settimeout(WAIT_S)
        peer.connect(socket_path)
        peer.sendall(b"hello")
        # The I/O thread has read it and holds it: there is no device to take it yet.
        assert wait_until(lambda: backend.pending == 5)
        serving = Serving(backend)
        try:
            echoed = b""
            while len(echoed) < 5:
                chunk = peer.recv(5 - len(echoed))
                assert chunk, "the demo closed the connection"
                echoed += chunk
        finally:
            serving.close()
    assert echoed == b"hello"


class EagerChardev(MemoryChardev):
    """Delivers held input from another thread as soon as the handlers are registered.

    That thread waits for the BQL, which the board holds while it realizes the UART:
    it delivers the moment the board lets go, the earliest a real I/O thread could.
    """

    def __init__(self) -> None:
        super().__init__()
        self.delivered = threading.Event()

    def update_read_handler(self) -> None:
        def deliver() -> None:
            self.accept_input()  # takes the BQL: waits for the board
            self.delivered.set()

        threading.Thread(target=deliver, daemon=True).start()


def test_input_delivered_the_moment_the_board_releases_the_bql_is_echoed_in_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = EagerChardev()
    backend.feed(b"hello")  # no frontend yet: held
    guest = demo.run_guest

    def run_guest_after_delivery(*args: object) -> None:
        # The guest thread starts only after that delivery: the UART must already be
        # configured, or enabling the FIFO would empty it and the rest would wait.
        assert backend.delivered.wait(WAIT_S)
        guest(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(demo, "run_guest", run_guest_after_delivery)
    serving = Serving(backend)
    try:
        assert wait_until(lambda: output_of(backend) == b"hello"), output_of(backend)
    finally:
        serving.close()


def test_an_interrupt_raised_after_the_guest_looked_ends_its_next_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = MemoryChardev()
    uart = PL011State(chardev=backend)
    irq, stop = threading.Event(), threading.Event()
    uart.connect_irq(0, bql.IRQLine(on_change=lambda level: irq.set() if level else None))
    with bql.locked():
        demo.power_on(uart)
    echo_pending = demo.echo_pending
    late = [b"late"]

    def echo_then_input_arrives(uart: PL011State) -> int:
        echoed = echo_pending(uart)
        if late:  # after the guest's look, before its wait: the RX interrupt rises now
            backend.feed(late.pop())
        return echoed

    monkeypatch.setattr(demo, "echo_pending", echo_then_input_arrives)
    guest = threading.Thread(target=demo.run_guest, args=(uart, irq, stop))
    guest.start()
    try:
        assert wait_until(lambda: output_of(backend) == b"late"), output_of(backend)
    finally:
        stop.set()
        irq.set()
        guest.join(WAIT_S)
    assert not guest.is_alive()


def test_stop_wakes_the_guest_waiting_for_an_interrupt() -> None:
    backend = MemoryChardev()
    serving = Serving(backend)
    backend.feed(b"x")  # takes the BQL: once it is delivered the UART is configured
    assert wait_until(lambda: output_of(backend) == b"x")
    serving.close()  # the guest waits without a timeout: only the stop wakes it


def test_ctrl_c_as_the_guest_thread_starts_still_stops_the_guest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[threading.Thread] = []
    start = threading.Thread.start

    def start_then_ctrl_c(thread: threading.Thread) -> None:
        start(thread)
        if thread.name == "vcpu0":  # the signal lands once the guest runs
            started.append(thread)
            raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", start_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        demo.serve(MemoryChardev(), threading.Event())
    [guest] = started
    guest.join(WAIT_S)
    assert not guest.is_alive(), "the guest kept running after Ctrl-C"
