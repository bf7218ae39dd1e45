"""BQL002 borrow-across-unlock

BqlRefCell borrow alive where the BQL may be released.
"""

from __future__ import annotations

from bqlint.rules import Rule


class BorrowAcrossUnlock(Rule):
    code = "BQL002"
    name = "borrow-across-unlock"
    summary = "BqlRefCell borrow alive where the BQL may be released"
