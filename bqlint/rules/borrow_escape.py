"""BQL005 borrow-escape

Borrow guard used after release, returned, yielded or stored.
"""

from __future__ import annotations

from bqlint.rules import Rule


class BorrowEscape(Rule):
    code = "BQL005"
    name = "borrow-escape"
    summary = "Borrow guard used after release, returned, yielded or stored"
