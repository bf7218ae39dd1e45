"""BQL100 unused-suppression

Suppression comment that suppresses nothing.
"""

from __future__ import annotations

from bqlint.rules import Rule


class UnusedSuppression(Rule):
    code = "BQL100"
    name = "unused-suppression"
    summary = "Suppression comment that suppresses nothing"
