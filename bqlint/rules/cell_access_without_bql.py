"""BQL006 cell-access-without-bql

Cell operation where the BQL is known not to be held.
"""

from __future__ import annotations

from bqlint.rules import Rule


class CellAccessWithoutBql(Rule):
    code = "BQL006"
    name = "cell-access-without-bql"
    summary = "Cell operation where the BQL is known not to be held"
