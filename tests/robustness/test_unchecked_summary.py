"""The closing summary never says "All checks passed!" when a file could not be checked: it
counts the files that met an internal error (crash4: a lone file whose analysis raised
printed the error on stderr and "All checks passed!" on stdout)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bqlint.rules.borrow_across_unlock import BorrowAcrossUnlock
from bqlint.rules.context import Finding, RuleContext
from tests.robustness.conftest import DEVICE


def _faulty(self: BorrowAcrossUnlock, ctx: RuleContext) -> Iterator[Finding]:
    raise KeyError("injected")


def test_a_lone_file_with_an_internal_error_is_counted_not_passed(tmp_path: Path, cli, monkeypatch) -> None:
    (tmp_path / "a.py").write_text(DEVICE)
    monkeypatch.setattr(BorrowAcrossUnlock, "check", _faulty)
    result = cli("a.py")
    assert result.exit_code == 2
    assert result.stdout == "Found 0 errors; 1 file could not be checked (internal error).\n"
    statistics = cli("--statistics", "a.py")
    assert statistics.exit_code == 2
    assert statistics.stdout == "No findings; 1 file could not be checked.\n"


def test_two_files_with_internal_errors_are_both_counted(tmp_path: Path, cli, monkeypatch) -> None:
    (tmp_path / "a.py").write_text(DEVICE)
    (tmp_path / "b.py").write_text(DEVICE)
    monkeypatch.setattr(BorrowAcrossUnlock, "check", _faulty)
    result = cli("--output-format", "concise", ".")
    assert result.exit_code == 2
    assert result.stdout == "Found 0 errors; 2 files could not be checked (internal error).\n"
