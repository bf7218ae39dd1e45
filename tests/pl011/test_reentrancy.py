"""Re-entrancy: backends and IRQ sinks that call straight back into the device.

Each case is the QEMU story of SPEC §1: device -> chardev (or IRQ sink) -> device
callback. With a borrow still alive across the call out, the callback's own borrow
would raise `bql.BorrowError`; the device ends every borrow first.
"""

from __future__ import annotations

import bql
from bql.chardev import MemoryChardev
from pl011 import PL011State
from pl011.registers import RegisterOffset as R

from .conftest import make_board


def test_write_all_that_echoes_synchronously_does_not_conflict(bql_held: None) -> None:
    backend = MemoryChardev(echo=True)  # write_all() -> can_receive()/receive() at once
    board = make_board(PL011State(chardev=backend), backend)
    board.write(R.LCR_H, 0x70)
    for char in b"echo":
        board.write(R.DR, char)
    assert backend.output == b"echo"
    assert bytes(board.read(R.DR) for _ in range(4)) == b"echo"


def test_accept_input_that_delivers_synchronously_does_not_conflict(
    bql_held: None,
) -> None:
    backend = MemoryChardev()
    board = make_board(PL011State(chardev=backend), backend)
    backend.feed(b"0123")  # one character fits; the DR read's accept_input() delivers
    assert bytes(board.read(R.DR) for _ in range(4)) == b"0123"


def test_irq_sink_that_reads_the_device_from_its_callback(bql_held: None) -> None:
    backend = MemoryChardev()
    uart = PL011State(chardev=backend)
    seen: list[tuple[bool, int]] = []

    def on_change(level: bool) -> None:  # an interrupt controller reading MIS at once
        seen.append((level, uart.read(R.MIS, 4)))

    make_board(uart, backend)
    uart.connect_irq(0, bql.IRQLine(on_change=on_change))
    uart.write(R.IMSC, 0x10, 4)
    backend.feed(b"x")
    uart.read(R.DR, 4)
    assert seen == [(True, 0x10), (False, 0)]


def test_irq_sink_that_services_the_uart_from_its_callback(bql_held: None) -> None:
    # A handler that drains the FIFO while the line is being raised: the DR read runs
    # update() and accept_input() again, inside the outer receive().
    backend = MemoryChardev()
    uart = PL011State(chardev=backend)
    drained = bytearray()

    def handler(level: bool) -> None:
        if level:
            while not uart.read(R.FR, 4) & 0x10:
                drained.append(uart.read(R.DR, 4))

    make_board(uart, backend)
    uart.connect_irq(1, bql.IRQLine(on_change=handler))
    uart.write(R.IMSC, 0x10, 4)
    backend.feed(b"abc")
    # Each DR read returns only after its accept_input() delivered the next character
    # and the nested handler read it, so the appends come out innermost first.
    assert drained == b"cba"
    assert backend.pending == b""


def test_break_sent_to_a_backend_that_feeds_back_a_break(bql_held: None) -> None:
    class BreakLoop(MemoryChardev):
        def set_break(self, enable: bool) -> None:
            super().set_break(enable)
            if enable:
                self.feed_break()  # re-enters event() under the same BQL

    backend = BreakLoop()
    board = make_board(PL011State(chardev=backend), backend)
    board.write(R.LCR_H, 0x1)
    assert board.read(R.DR) == 0x400
