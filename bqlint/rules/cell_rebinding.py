"""BQL007 cell-rebinding

Cell field rebound outside construction.
"""

from __future__ import annotations

from bqlint.diagnostics import Applicability
from bqlint.rules import Rule


class CellRebinding(Rule):
    code = "BQL007"
    name = "cell-rebinding"
    summary = "Cell field rebound outside construction"
    fix = Applicability.SAFE
