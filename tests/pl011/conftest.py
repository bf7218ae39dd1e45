"""Fixtures for the PL011 tests: a realized, reset UART on a MemoryChardev, BQL held."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import bql
import pytest
from bql.chardev import MemoryChardev
from pl011 import PL011State

OUTPUTS = ("combined", "rx", "tx", "rt", "ms", "e")


@dataclass
class Board:
    """A PL011 wired as a test board would: backend and one IRQLine per output."""

    uart: PL011State
    backend: MemoryChardev
    lines: dict[str, bql.IRQLine]

    def read(self, offset: int) -> int:
        return self.uart.read(offset, 4)

    def write(self, offset: int, value: int) -> None:
        self.uart.write(offset, value, 4)

    def levels(self) -> dict[str, bool]:
        return {name: line.level for name, line in self.lines.items()}


def make_board(uart: PL011State, backend: MemoryChardev) -> Board:
    lines = {name: bql.IRQLine() for name in OUTPUTS}
    for n, name in enumerate(OUTPUTS):
        uart.connect_irq(n, lines[name])
    uart.realize()
    uart.reset()
    return Board(uart, backend, lines)


@pytest.fixture
def board(bql_held: None) -> Iterator[Board]:
    """A PL011 after realize() and reset(), its six outputs on IRQLines; BQL held."""
    backend = MemoryChardev()
    yield make_board(PL011State(chardev=backend), backend)
