"""Shapes whose analysis used to grow without bound: every run ends, bounded, and says what
it left out (SPEC §3.1.2: termination, always; a bound reached is never a finding)."""

from __future__ import annotations

from pathlib import Path

from bqlint.analysis.cfg_blocks import MIN_BLOCK_BUDGET
from tests.robustness.conftest import rows

HEAD = """import bql


class Dev(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])
        self.log = []

"""


def nested_finally(levels: int) -> str:
    body = "    def m(self) -> None:\n        g = self.regs.borrow_mut()\n"
    for i in range(levels):
        indent = "    " * (i + 2)
        body += f"{indent}try:\n{indent}    bql.unlock()\n{indent}finally:\n"
    return HEAD + body + "    " * (levels + 2) + "g.release()\n"


def test_nested_finally_past_the_budget_skips_the_function_and_says_so(tmp_path: Path, check) -> None:
    (tmp_path / "dev.py").write_text(nested_finally(14))  # each level doubles the graph
    report = check("dev.py")
    assert report.diagnostics == []
    assert [(p.name, why.split(":")[0]) for p, why in report.skipped] == [("dev.py", "`Dev.m()` was not analysed")]
    assert f"{MIN_BLOCK_BUDGET:,} blocks" in report.skipped[0][1]


def test_nested_finally_within_the_budget_is_analysed(tmp_path: Path, check) -> None:
    (tmp_path / "dev.py").write_text(nested_finally(3))
    report = check("dev.py")
    assert report.skipped == []
    assert [(code, row) for _, code, row, _ in rows(report)] == [("BQL002", 13), ("BQL002", 16), ("BQL002", 19)]


def test_deeply_nested_lambdas_in_a_device_method_are_read_once(tmp_path: Path, check) -> None:
    text = HEAD + "    def m(self) -> None:\n        f = " + "lambda: " * 60 + "self.log.append(1)\n"
    (tmp_path / "dev.py").write_text(text)
    assert [(code, row) for _, code, row, _ in rows(check("dev.py"))] == [("BQL001", 11)]


def test_one_guard_bound_and_released_in_many_branches(tmp_path: Path, check) -> None:
    arms = "".join(
        f"        if v == {i}:\n            g = self.regs.borrow_mut()\n        elif v == -{i}:\n            g.release()\n"
        for i in range(300)
    )
    text = HEAD + "    def m(self, v: int) -> None:\n        g = None\n" + arms + "        g.release()\n"
    (tmp_path / "dev.py").write_text(text)
    found = rows(check("dev.py"))
    # Each borrow after the first conflicts with the guard an earlier arm may still hold, and
    # each release from the third arm on (and the last) may follow an earlier release: one
    # finding per row, the same on every run.
    assert len([r for r in found if r[1] == "BQL003"]) == 299
    assert len([r for r in found if r[1] == "BQL005"]) == 299
    assert found == rows(check("dev.py"))
