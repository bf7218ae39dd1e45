"""BQL004 write-through-shared-borrow

Write through a shared borrow() guard.
"""

from __future__ import annotations

from bqlint.rules import Rule


class WriteThroughSharedBorrow(Rule):
    code = "BQL004"
    name = "write-through-shared-borrow"
    summary = "Write through a shared borrow() guard"
