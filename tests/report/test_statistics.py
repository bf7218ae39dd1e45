from __future__ import annotations

import json

from bqlint.engine import Report
from bqlint.report.statistics import render_statistics
from tests.report.sample import BORROW_ACROSS_UNLOCK, CELL_REBINDING, SOURCES


def _report() -> Report:
    return Report([BORROW_ACROSS_UNLOCK, CELL_REBINDING, CELL_REBINDING], dict(SOURCES))


def test_statistics_are_sorted_by_count_and_mark_fixable_codes():
    assert render_statistics(_report()).splitlines() == [
        "2  BQL007  [*] cell-rebinding",
        "1  BQL002  [ ] borrow-across-unlock",
    ]


def test_statistics_as_json():
    rows = json.loads(render_statistics(_report(), as_json=True))
    assert rows[0] == {"code": "BQL007", "name": "cell-rebinding", "count": 2, "fixable": True}
