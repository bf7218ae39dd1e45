"""What a bus or a migration stream can hand the PL011 that it never should (blind crash3)."""

from __future__ import annotations

import enum

import pytest

from tests.pl011.conftest import Board


@pytest.mark.parametrize("size", [0, 3, 8, -1, "4"])
def test_an_access_size_the_bus_never_makes_is_a_value_error_and_changes_nothing(board: Board, size: object) -> None:
    board.backend.feed(b"AB")
    before = board.uart.save_state()
    with pytest.raises(ValueError, match="access size must be 1, 2 or 4 bytes"):
        board.uart.read(0x0, size)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="access size must be 1, 2 or 4 bytes"):
        board.uart.write(0x30, 0x301, size)  # type: ignore[arg-type]
    assert board.uart.save_state() == before


class Hostile(int):
    """An int whose own methods all fail: only its value may be read."""

    def __le__(self, other: object) -> bool:
        raise RuntimeError("hostile")

    def __and__(self, other: object) -> int:
        raise RuntimeError("hostile")

    def __int__(self) -> int:
        raise RuntimeError("hostile")


class Bits(enum.IntFlag):
    RXIM = 0x10


def test_int_subclasses_in_a_state_are_stored_as_plain_ints(board: Board) -> None:
    state = board.uart.save_state()
    state["int_enabled"] = Bits.RXIM
    state["lcr"] = Hostile(0x70)
    state["read_fifo"] = [Hostile(0x41), *state["read_fifo"][1:]]
    board.uart.load_state(state)
    saved = board.uart.save_state()
    assert (saved["int_enabled"], saved["lcr"], saved["read_fifo"][0]) == (0x10, 0x70, 0x41)
    assert {type(saved[key]) for key in ("int_enabled", "lcr")} == {int}
    assert type(saved["read_fifo"][0]) is int
    assert board.read(0x038) == 0x10  # IMSC reads back
