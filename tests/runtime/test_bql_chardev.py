"""CharFrontend and MemoryChardev: delivery under the BQL, flow control, re-entrancy."""

from __future__ import annotations

import threading

import bql
import pytest
from bql.chardev import Chardev, CharFrontend, Event, MemoryChardev


class Receiver(bql.Device):
    """Takes at most `room` bytes; records what it got and whether the BQL was held."""

    def __init__(self, backend: MemoryChardev | None = None) -> None:
        super().__init__()
        self.chr = CharFrontend(backend)
        self.rx = bql.BqlRefCell(bytearray())
        self.room = bql.BqlCell(1)
        self.held = bql.BqlRefCell([])
        self.events = bql.BqlRefCell([])

    def realize(self) -> None:
        super().realize()
        self.chr.enable_handlers(self.can_receive, self.receive, self.event)

    def can_receive(self) -> int:
        return self.room.get() - len(self.rx.borrow().value)

    def receive(self, data: bytes) -> None:
        with self.rx.borrow_mut() as rx:
            rx.extend(data)
        self.held.borrow_mut().append(bql.is_locked())

    def event(self, event: Event) -> None:
        self.events.borrow_mut().append(event)

    def drain(self) -> bytes:
        with self.rx.borrow_mut() as rx:
            data = bytes(rx)
            rx.clear()
        self.chr.accept_input()  # after the borrow has ended
        return data

    def drain_wrong(self) -> bytes:
        with self.rx.borrow_mut() as rx:
            data = bytes(rx)
            rx.clear()
            self.chr.accept_input()  # re-enters receive() while rx is borrowed
        return data


def test_frontend_without_backend_discards_output_and_has_no_input(bql_held):
    fe = CharFrontend()
    assert fe.backend is None
    assert fe.write_all(b"abc") == 3
    fe.accept_input()
    fe.send_break(True)


@pytest.mark.parametrize(
    "call",
    [
        lambda fe: fe.write_all(b"x"),
        lambda fe: fe.accept_input(),
        lambda fe: fe.send_break(True),
        lambda fe: fe.enable_handlers(None, None),
    ],
    ids=["write_all", "accept_input", "send_break", "enable_handlers"],
)
def test_frontend_operations_need_the_bql(call):
    backend = MemoryChardev()
    with pytest.raises(
        bql.BqlNotHeldError, match=r"CharFrontend\.\w+\(\) without the BQL"
    ):
        call(CharFrontend(backend))
    assert (backend.output, backend.breaks) == (b"", [])


def test_frontend_operations_are_unchecked_with_checks_off():
    bql.set_checks(False)
    backend = MemoryChardev()
    fe = CharFrontend(backend)
    fe.enable_handlers(None, None)
    assert fe.write_all(b"x") == 1
    fe.send_break(True)
    assert (backend.output, backend.breaks) == (b"x", [True])


def test_handlers_run_re_entrantly_without_the_bql_refuse_their_cells():
    class Loopback(Chardev):
        """Delivers output straight back, on the caller's thread, BQL or not."""

        def write(self, data: bytes) -> None:
            self.deliver(bytearray(data))

    dev = Receiver(Loopback())
    with bql.locked():
        dev.realize()
    # A backend calling the handlers on a thread without the BQL: their cells refuse.
    with pytest.raises(bql.BqlNotHeldError, match="without the BQL"):
        dev.chr.backend.write(b"x")


def test_feed_delivers_what_fits_and_the_rest_on_accept_input(bql_held):
    backend = MemoryChardev()
    dev = Receiver(backend)
    dev.realize()
    assert backend.feed(b"abc") == 1
    assert backend.pending == b"bc"
    assert dev.drain() == b"a"  # accept_input delivered "b"
    assert backend.pending == b"c"
    assert dev.drain() == b"b"
    assert dev.drain() == b"c"
    assert backend.pending == b""


def test_input_before_handlers_is_queued(bql_held):
    backend = MemoryChardev()
    dev = Receiver(backend)
    assert backend.feed(b"x") == 0
    dev.realize()
    dev.chr.accept_input()
    assert dev.rx.borrow().value == b"x"


class ReadHandlerLog(Chardev):
    """Records each `update_read_handler()` call and whether the BQL was held for it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[bool] = []

    def write(self, data: bytes) -> None:
        pass

    def update_read_handler(self) -> None:
        self.calls.append(bql.is_locked())


def test_registering_handlers_tells_the_backend_under_the_bql(bql_held):
    # A backend with its own I/O thread uses it to offer input it holds again (QEMU's
    # chr_update_read_handler); without it that input waits for the peer's next write.
    backend = ReadHandlerLog()
    frontend = CharFrontend(backend)
    frontend.enable_handlers(lambda: 1, lambda data: None)
    frontend.enable_handlers(None, None)
    assert backend.calls == [True, True]


def test_registering_handlers_does_not_deliver_from_a_memory_backend(bql_held):
    # Delivery stays the board's call (accept_input()): from inside realize() it would
    # reach a device not yet reset.
    dev = Receiver(backend := MemoryChardev())
    backend.feed(b"a")
    dev.realize()
    assert backend.pending == b"a"
    dev.chr.accept_input()
    assert dev.drain() == b"a"


def test_disabling_handlers_stops_delivery(bql_held):
    backend = MemoryChardev()
    dev = Receiver(backend)
    dev.realize()
    dev.chr.enable_handlers(None, None)
    assert backend.feed(b"x") == 0
    assert backend.pending == b"x"


def test_feed_from_a_thread_without_the_bql_delivers_under_the_bql():
    backend = MemoryChardev()
    dev = Receiver(backend)
    with bql.locked():
        dev.realize()
        dev.room.set(16)
    thread = threading.Thread(target=backend.feed, args=(b"hi",))
    thread.start()
    thread.join()
    backend.feed(b"!")  # this thread does not hold it either
    with bql.locked():
        assert dev.rx.borrow().value == b"hi!"
        assert dev.held.borrow().value == [True, True]


def test_feed_by_the_holder_delivers_directly(bql_held):
    backend = MemoryChardev()
    dev = Receiver(backend)
    dev.realize()
    backend.feed(b"k")
    assert dev.held.borrow().value == [True]
    assert bql.is_locked()


def test_output_records_every_byte_written(bql_held):
    backend = MemoryChardev()
    fe = CharFrontend(backend)
    assert fe.write_all(b"he") == 2
    assert fe.write_all(bytearray(b"llo")) == 3
    assert backend.output == b"hello"


def test_breaks_sent_are_recorded(bql_held):
    backend = MemoryChardev()
    fe = CharFrontend(backend)
    fe.send_break(True)
    fe.send_break(False)
    assert backend.breaks == [True, False]


def test_received_breaks_and_events_reach_the_event_handler(bql_held):
    backend = MemoryChardev()
    dev = Receiver(backend)
    dev.realize()
    backend.feed_break()
    backend.feed_event(Event.CLOSED)
    assert dev.events.borrow().value == [Event.BREAK, Event.CLOSED]


def test_accept_input_with_a_live_borrow_is_a_borrow_error(bql_held):
    backend = MemoryChardev()
    dev = Receiver(backend)
    dev.realize()
    backend.feed(b"ab")
    with pytest.raises(
        bql.BorrowError,
        match=r"already mutably borrowed by borrow_mut\(\) at .* in drain_wrong",
    ):
        dev.drain_wrong()


def test_write_all_can_reenter_the_device_handlers(bql_held):
    backend = MemoryChardev(echo=True)
    dev = Receiver(backend)
    dev.realize()
    dev.room.set(8)
    with dev.rx.borrow(), pytest.raises(bql.BorrowError):
        dev.chr.write_all(b"x")  # echo re-enters receive(), which needs borrow_mut
    dev.chr.write_all(b"y")
    assert dev.rx.borrow().value.endswith(b"y")


def test_input_goes_to_the_frontend_attached_last(bql_held):
    backend = MemoryChardev()
    first, second = Receiver(backend), Receiver(backend)
    first.realize()
    second.realize()
    backend.feed(b"x")
    assert (first.rx.borrow().value, second.rx.borrow().value) == (b"", b"x")
    first.chr.write_all(b"a")
    second.chr.write_all(b"b")
    assert backend.output == b"ab"


def test_a_chunk_whose_handler_raises_stays_queued_in_order(bql_held):
    from bql.chardev import CharFrontend, MemoryChardev

    backend = MemoryChardev()
    got: list[bytes] = []
    failures = [ValueError("once")]

    def receive(data: bytes) -> None:
        if failures:
            raise failures.pop()
        got.append(data)

    CharFrontend(backend).enable_handlers(lambda: 4, receive)
    with pytest.raises(ValueError, match="once"):
        backend.feed(b"abcdef")
    assert backend.pending == b"abcdef"
    backend.accept_input()
    assert b"".join(got) == b"abcdef"


def test_bytes_a_raising_handler_stored_are_not_delivered_again(bql_held):
    # conf9 F4: the device stored the byte, then its interrupt sink raised; the byte must
    # not reach it a second time. What its room shrank by is what it took.
    from bql.chardev import CharFrontend, MemoryChardev

    backend = MemoryChardev()
    fifo = bytearray()
    failures = [RuntimeError("sink")]

    def receive(data: bytes) -> None:
        fifo.extend(data[:1])  # takes one byte, then fails
        if failures:
            raise failures.pop()
        fifo.extend(data[1:])

    CharFrontend(backend).enable_handlers(lambda: 8 - len(fifo), receive)
    with pytest.raises(RuntimeError, match="sink"):
        backend.feed(b"QRS")
    assert bytes(fifo) == b"Q" and backend.pending == b"RS"
    backend.accept_input()
    assert bytes(fifo) == b"QRS"


def test_pl011_byte_is_not_received_twice_when_its_interrupt_sink_raises(bql_held):
    import pl011
    from bql.chardev import MemoryChardev

    backend = MemoryChardev()
    uart = pl011.PL011State(backend)
    uart.realize()
    uart.write(0x2C, 0x10, 4)  # LCR_H: FIFOs on
    uart.write(0x38, 0x10, 4)  # IMSC: RX interrupt enabled
    calls = []

    def sink(level: bool) -> None:
        calls.append(level)
        if level and len(calls) == 1:
            raise RuntimeError("board sink failed")

    uart.connect_irq(1, bql.IRQLine(sink))  # the RX interrupt's own line
    with pytest.raises(RuntimeError, match="board sink"):
        backend.feed(b"Q")
    backend.accept_input()
    assert backend.pending == b""
    assert uart.read(0x00, 4) & 0xFF == ord("Q")
    assert uart.read(0x18, 4) & 0x10  # RXFE: nothing more was received


def test_write_all_refuses_an_int(bql_held):
    from bql.chardev import CharFrontend, MemoryChardev

    backend = MemoryChardev()
    with pytest.raises(TypeError, match=r"bytes\(\[5\]\)"):
        CharFrontend(backend).write_all(5)  # type: ignore[arg-type]
    assert backend.output == b""


def test_the_room_probe_after_a_failed_receive_records_no_twin(bql_held):
    # r66: the probe of the device's room after `receive` raised must not show up as a
    # runtime error of the program (the crosscheck records every twin, caught or not).
    from bql.chardev import CharFrontend, MemoryChardev
    from bql.twins import on_twin

    seen: list[str | None] = []
    stop = on_twin(lambda error, frame: seen.append(error.rule))
    cell = bql.BqlRefCell(bytearray())
    held: list[object] = []

    def can_receive() -> int:
        with cell.borrow() as fifo:
            return 4 - len(fifo)

    def receive(data: bytes) -> None:
        held.append(cell.borrow_mut())  # still borrowed when the probe runs
        raise ValueError("after taking the registers")

    backend = MemoryChardev()
    CharFrontend(backend).enable_handlers(can_receive, receive)
    try:
        with pytest.raises(ValueError, match="after taking"):
            backend.feed(b"ab")
    finally:
        stop()
        for guard in held:
            guard.release()  # type: ignore[attr-defined]
    assert seen == [] and backend.pending == b"ab"
