"""The six outputs and QEMU's IRQMASK: 0 combined, 1 RX, 2 TX, 3 RT, 4 MS, 5 E."""

from __future__ import annotations

import bql
import pytest
from pl011.registers import RegisterOffset as R

from .conftest import OUTPUTS, Board

ALL = 0x7FF


def load_interrupts(board: Board, level: int, enabled: int) -> None:
    """Set RIS/IMSC through migration: nothing in QEMU's model raises RT or E itself."""
    state = board.uart.save_state()
    board.uart.load_state({**state, "int_level": level, "int_enabled": enabled})


@pytest.mark.parametrize(
    ("bits", "raised"),
    [
        (0x010, {"combined", "rx"}),
        (0x020, {"combined", "tx"}),
        (0x040, {"combined", "rt"}),
        (0x001, {"combined", "ms"}),  # RI
        (0x002, {"combined", "ms"}),  # CTS
        (0x004, {"combined", "ms"}),  # DCD
        (0x008, {"combined", "ms"}),  # DSR
        (0x080, {"combined", "e"}),  # FE
        (0x100, {"combined", "e"}),  # PE
        (0x200, {"combined", "e"}),  # BE
        (0x400, {"combined", "e"}),  # OE
    ],
    ids=lambda v: hex(v) if isinstance(v, int) else None,
)
def test_each_interrupt_bit_drives_its_line_and_the_combined_one(
    board: Board, bits: int, raised: set[str]
) -> None:
    load_interrupts(board, bits, ALL)
    assert {name for name, level in board.levels().items() if level} == raised


def test_a_masked_interrupt_drives_no_line(board: Board) -> None:
    load_interrupts(board, ALL, 0)
    assert not any(board.levels().values())
    board.write(R.IMSC, 0x40)  # unmask RT only
    assert {n for n, v in board.levels().items() if v} == {"combined", "rt"}


def test_tx_interrupt_rises_on_a_dr_write_and_falls_on_icr(board: Board) -> None:
    board.write(R.IMSC, 0x20)
    board.write(R.DR, ord("!"))
    assert board.lines["tx"].level and board.lines["combined"].level
    board.write(R.ICR, 0x20)
    assert not board.lines["tx"].level and not board.lines["combined"].level


def test_rx_interrupt_follows_imsc(board: Board) -> None:
    board.backend.feed(b"x")
    assert not board.lines["rx"].level
    board.write(R.IMSC, 0x10)
    assert board.lines["rx"].level
    board.write(R.IMSC, 0)
    assert not board.lines["rx"].level


def test_combined_line_stays_high_while_any_source_is_pending(board: Board) -> None:
    board.write(R.IMSC, 0x30)
    board.write(R.DR, 0)
    board.backend.feed(b"y")
    assert board.lines["combined"].edges == 1
    board.write(R.ICR, 0x20)
    assert board.lines["combined"].level
    board.read(R.DR)
    assert not board.lines["combined"].level


def test_received_break_is_no_error_interrupt_as_in_qemu(board: Board) -> None:
    board.write(R.IMSC, 0x7FF)
    board.backend.feed_break()
    assert board.read(R.RIS) == 0x10  # RX only: QEMU never raises BE/FE/PE/OE
    assert not board.lines["e"].level


def test_outputs_are_numbered_in_qemu_order(board: Board) -> None:
    assert len(board.uart.irq_outputs()) == len(OUTPUTS) == 6


def test_a_looped_back_write_raises_rx_before_tx(bql_held: None) -> None:
    # QEMU's pl011_write_txdata(): the character comes back in (INT_RX, update), then
    # INT_TX is set and the lines updated again; a sink reading RIS when the combined
    # line rises sees RX alone.
    from bql.chardev import MemoryChardev
    from pl011.device import PL011State

    seen: list[int] = []
    uart = PL011State(chardev=MemoryChardev())
    uart.connect_irq(0, bql.IRQLine(on_change=lambda level: seen.append(uart.read(R.RIS, 4)) if level else None))
    uart.realize()
    uart.reset()
    uart.write(R.IMSC, 0x30, 4)
    uart.write(R.CR, 0x381, 4)  # UARTEN, TXE, RXE, LBE
    uart.write(R.DR, ord("x"), 4)
    assert seen == [0x10]
    assert uart.read(R.RIS, 4) & 0x30 == 0x30
