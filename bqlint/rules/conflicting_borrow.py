"""BQL003 conflicting-borrow

Conflicting borrow of a BqlRefCell that is already borrowed.
"""

from __future__ import annotations

from bqlint.rules import Rule


class ConflictingBorrow(Rule):
    code = "BQL003"
    name = "conflicting-borrow"
    summary = "Conflicting borrow of a BqlRefCell that is already borrowed"
