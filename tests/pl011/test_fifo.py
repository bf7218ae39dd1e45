"""The receive FIFO: character mode, 16 entries, the trigger, beyond 16 as in QEMU."""

from __future__ import annotations

import bql
from bql.chardev import MemoryChardev
from hypothesis import given, settings
from hypothesis import strategies as st
from pl011 import PL011State
from pl011.registers import RegisterOffset as R

from .conftest import Board, make_board

FEN = 0x70  # 8-bit words, FIFOs enabled
RXFE, RXFF = 0x10, 0x40


def test_fifo_disabled_holds_one_character_and_the_rest_waits(board: Board) -> None:
    assert board.backend.feed(b"ab") == 1
    assert board.read(R.FR) & (RXFE | RXFF) == RXFF
    assert board.backend.pending == b"b"
    assert board.read(R.DR) == ord("a")  # the read lets the backend deliver "b"
    assert board.backend.pending == b""
    assert board.read(R.DR) == ord("b")
    assert board.read(R.FR) & (RXFE | RXFF) == RXFE


def test_fifo_disabled_keeps_its_character_in_slot_0(board: Board) -> None:
    for char in b"xyz":
        board.backend.feed(bytes([char]))
        assert board.read(R.DR) == char
        assert board.uart.save_state()["read_pos"] == 0


def test_fifo_fills_to_16_then_reports_full(board: Board) -> None:
    board.write(R.LCR_H, FEN)
    data = bytes(range(0x41, 0x41 + 20))
    assert board.backend.feed(data[:15]) == 15
    assert board.read(R.FR) & RXFF == 0
    assert board.backend.feed(data[15:]) == 1
    assert board.read(R.FR) & (RXFE | RXFF) == RXFF
    assert board.backend.pending == data[16:]


def test_input_beyond_16_is_held_back_and_arrives_in_order(board: Board) -> None:
    board.write(R.LCR_H, FEN)
    data = bytes(range(0x30, 0x30 + 40))
    board.backend.feed(data)
    received = bytes(board.read(R.DR) for _ in range(40))
    assert received == data
    assert board.read(R.FR) & RXFE


def test_rx_interrupt_rises_on_the_first_character_and_falls_when_empty(
    board: Board,
) -> None:
    board.write(R.LCR_H, FEN)
    board.write(R.IMSC, 0x10)
    board.backend.feed(b"abc")
    assert board.lines["rx"].level and board.lines["rx"].edges == 1
    board.read(R.DR)
    board.read(R.DR)
    assert board.lines["rx"].level
    board.read(R.DR)
    assert not board.lines["rx"].level


def test_reading_an_empty_fifo_returns_the_stale_entry(board: Board) -> None:
    board.write(R.LCR_H, FEN)
    board.backend.feed(b"q")
    assert board.read(R.DR) == ord("q")
    assert board.read(R.DR) == 0  # slot 1 never written
    board.write(R.LCR_H, 0)  # FEN off: position back to 0
    assert board.read(R.DR) == ord("q")
    assert board.read(R.FR) & RXFE


def test_fen_change_empties_the_fifo_and_resets_the_flags(board: Board) -> None:
    board.backend.feed(b"a")
    assert board.read(R.FR) == 0xC0  # RXFF | TXFE
    board.write(R.LCR_H, FEN)
    assert board.read(R.FR) == 0x90  # RXFE | TXFE: current QEMU resets FR too
    assert board.uart.save_state()["read_count"] == 0
    board.write(R.LCR_H, FEN | 0x2)  # no FEN change: FIFO untouched
    board.backend.feed(b"b")
    board.write(R.LCR_H, FEN)
    assert board.uart.save_state()["read_count"] == 1


def test_loopback_beyond_16_overwrites_the_oldest_entry(board: Board) -> None:
    # Loopback bypasses can_receive(); QEMU then writes slot (pos + count) % 16,
    # which is the oldest entry, and lets read_count reach 17.
    board.write(R.LCR_H, FEN)
    board.write(R.CR, 0x381)  # UARTEN | TXE | RXE | LBE
    for char in range(0x41, 0x41 + 17):
        board.write(R.DR, char)
    assert board.uart.save_state()["read_count"] == 17
    assert board.uart.can_receive() == 0
    received = [board.read(R.DR) for _ in range(17)]
    assert received[0] == 0x41 + 16  # "Q" overwrote "A"
    assert received[1:16] == list(range(0x42, 0x41 + 16))
    assert received[16] == 0x41 + 16  # the slot is read a second time
    assert board.read(R.FR) & RXFE


def test_loopback_in_character_mode_overwrites_the_held_character(board: Board) -> None:
    board.write(R.CR, 0x381)
    board.write(R.DR, ord("1"))
    board.write(R.DR, ord("2"))
    assert board.read(R.DR) == ord("2")
    assert board.read(R.FR) & RXFE == 0  # count was 2: one more read to empty
    assert board.read(R.DR) == ord("2")
    assert board.read(R.FR) & RXFE


@settings(max_examples=60, deadline=None)
@given(
    fen=st.booleans(),
    chunks=st.lists(st.binary(min_size=1, max_size=24), max_size=8),
    reads_between=st.lists(st.integers(0, 20), min_size=8, max_size=8),
)
def test_fifo_delivers_every_byte_once_in_order(
    fen: bool, chunks: list[bytes], reads_between: list[int]
) -> None:
    backend = MemoryChardev()
    with bql.locked():
        board = make_board(PL011State(chardev=backend), backend)
        board.write(R.LCR_H, FEN if fen else 0)
        received = bytearray()
        for chunk, reads in zip(chunks, reads_between, strict=False):
            backend.feed(chunk)
            for _ in range(reads):
                if board.read(R.FR) & RXFE:
                    break
                received.append(board.read(R.DR) & 0xFF)
        while not board.read(R.FR) & RXFE:
            received.append(board.read(R.DR) & 0xFF)
    assert bytes(received) == b"".join(chunks)
    assert backend.pending == b""
