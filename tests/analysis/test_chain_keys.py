"""The key of each prefix of an attribute chain is computed once per function, not once per
prefix that contains it (a 2,978-long `g.rx.rx…` took 26 s, quadratic in its length)."""

from __future__ import annotations

import pytest

from bqlint.analysis import scope
from tests.analysis.helpers import flow_of

DEPTH = 300  # flow_of runs on the test thread, with its usual recursion limit


def test_an_attribute_chain_computes_each_prefix_key_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = [0]
    path_key = scope.FunctionScope._path_key

    def spy(self: scope.FunctionScope, expr):  # type: ignore[no-untyped-def]
        calls[0] += 1
        return path_key(self, expr)

    monkeypatch.setattr(scope.FunctionScope, "_path_key", spy)
    body = f"""
def m(self) -> None:
    with self.regs.borrow_mut() as g:
        x = g{'.rx' * DEPTH}
        bql.unlock()
"""
    result = flow_of(body, "m")
    assert [h.code for h in result.hazards] == ["BQL002"]
    assert calls[0] <= 4 * DEPTH  # about DEPTH²/2 = 45,000 before
