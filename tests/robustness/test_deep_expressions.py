"""Long expression chains that CPython compiles are analysed without RecursionError, and the
findings around them are still right (the analysis runs on a deep-stack thread)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.conftest import DEVICE, rows

CHAINS = {
    "binary-operators": " + ".join(["x"] * 500),
    "string-concatenation": " ".join(['"a"'] * 1000),
    "attributes": "x" + ".a" * 1000,
    "and": " and ".join(["x"] * 1000),
    "calls": "x" + "()" * 1000,
    "subscripts": "x" + "[0]" * 1000,
    "conditional-expressions": " if x else ".join(["x"] * 1000),
}


@pytest.mark.parametrize("chain", CHAINS.values(), ids=list(CHAINS))
def test_long_chain_in_a_borrowing_method_keeps_the_finding(tmp_path: Path, check, chain: str) -> None:
    text = DEVICE.replace("y = x", f"y = {chain}")
    compile(text, "dev.py", "exec", dont_inherit=True)  # CPython accepts it
    (tmp_path / "dev.py").write_text(text)
    report = check("dev.py")
    assert rows(report) == [("dev.py", "BQL002", 12, 13)]
    assert report.internal_errors == [] and report.not_analysed == []


def test_long_chain_as_a_borrow_receiver_is_analysed(tmp_path: Path, check) -> None:
    # The conflicting borrow is the innermost argument of 150 nested calls (the tokenizer allows 200).
    chain = "f(" * 150 + "self.regs.borrow()" + ")" * 150
    text = DEVICE.replace("y = x", f"y = {chain}")
    (tmp_path / "dev.py").write_text(text)
    assert rows(check("dev.py")) == [("dev.py", "BQL003", 11, 317), ("dev.py", "BQL002", 12, 13)]
