"""A display holding a guard many times (`x = [g, g, ...]`) costs work in proportion to its
length (crash8 #9: 8,000 copies took 2.6 s, 24,000 took 19 s, 60,000 did not finish).

Each element is a snapshot of the guard under a name of its own, all dropped once the
display is built; dropping one asked whether any other name still held the borrow by
joining the borrows of every name alive. The work is counted (the guard names visited),
not timed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint.analysis import flow_state
from bqlint.config import load_settings
from bqlint.engine import run


def _display(n: int) -> str:
    return (
        "import bql\n\n\nclass D(bql.Device):\n    def __init__(self):\n"
        "        self.regs = bql.BqlRefCell(0)\n\n    def m(self):\n"
        "        with self.regs.borrow_mut() as g:\n"
        f"            x = [{', '.join(['g'] * n)}]\n"
        "            bql.unlock()\n"
    )


def _names_visited(tmp_path: Path, n: int, monkeypatch: pytest.MonkeyPatch) -> int:
    visited = [0]
    values = flow_state.NameMap.values

    def counting(self: flow_state.NameMap):  # type: ignore[no-untyped-def]
        for value in values(self):
            visited[0] += 1
            yield value

    monkeypatch.setattr(flow_state.NameMap, "values", counting)
    path = tmp_path / f"d{n}.py"
    path.write_text(_display(n))
    report = run(load_settings(tmp_path), [path])
    assert [(d.code, d.span.start.row) for d in report.diagnostics] == [("BQL002", 11)]
    return visited[0]


def test_names_visited_grow_linearly_with_the_display(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = _names_visited(tmp_path, 300, monkeypatch)
    large = _names_visited(tmp_path, 1200, monkeypatch)
    assert large <= 6 * small  # four times the length; the quadratic code visited 16 times
