"""Device sources for the --fix tests: a BqlCell field rebound outside construction (BQL007,
fixed to `.set(...)`), with room for other code in the method and between the lines."""

from __future__ import annotations

HEADER = """\
import bql
from bql import BqlCell


class Gpio(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.level = BqlCell(0)

    def write(self, value: int) -> None:
"""


def device(*body: str, newline: str = "\n") -> str:
    """Return a device module whose `write` method holds `body` (one statement a line)."""
    lines = HEADER.rstrip("\n").split("\n") + [f"        {line}" for line in body]
    return newline.join(lines) + newline
