"""`and`/`or` chains as long as CPython compiles (about 200,000 terms) are analysed without
RecursionError: libcst nests them to the left one level per operator, and the analysis walks
them in a loop. The recursion budget is lowered here so that a chain of a few thousand terms
proves it (the recursive walk needed three frames per term and failed at 50,000 terms).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint import deepstack
from tests.robustness.conftest import DEVICE, rows

TERMS = 12_000


@pytest.mark.parametrize(
    "chain",
    [
        " and ".join(["x"] * TERMS),
        " or ".join(["g.rx"] * TERMS),
        " and ".join(["x", "x or self.regs.borrow().rx"] * (TERMS // 2)),
    ],
    ids=["and", "or-of-guard-reads", "mixed-with-temporary-borrows"],
)
def test_long_boolean_chain_in_a_borrow(tmp_path: Path, check, monkeypatch: pytest.MonkeyPatch, chain: str) -> None:
    monkeypatch.setattr(deepstack, "RECURSION_LIMIT", 10_000)
    text = DEVICE.replace("y = x", f"y = {chain}")
    compile(text, "dev.py", "exec", dont_inherit=True)  # CPython accepts it
    (tmp_path / "dev.py").write_text(text)
    report = check("dev.py")
    expected = [("dev.py", "BQL002", 12, 13)]
    if "borrow()" in chain:  # the first temporary borrow of the chain conflicts with `g`
        expected.insert(0, ("dev.py", "BQL003", 11, len("            y = x and x or ") + 1))
    assert rows(report) == expected
    assert report.internal_errors == [] and report.not_analysed == []
