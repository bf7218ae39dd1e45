"""Helpers for the robustness tests: run the engine or the CLI on files written as bytes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bqlint.cli import main
from bqlint.config import Settings
from bqlint.engine import Report, run

# A device method that holds a borrow across an unlock: BQL002 on row 12.
DEVICE = """import bql


class Dev(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(0)

    def m(self, x):
        with self.regs.borrow_mut() as g:
            y = x
            bql.unlock()
        return y
"""


def rows(report: Report) -> list[tuple[str, str, int, int]]:
    """Return (file name, code, row, column) of every diagnostic."""
    return [(d.path.name, d.code, d.span.start.row, d.span.start.column) for d in report.diagnostics]


def messages(report: Report) -> dict[str, str]:
    return {d.path.name: d.message for d in report.diagnostics}


@pytest.fixture
def check(tmp_path: Path) -> Callable[..., Report]:
    """Run the engine on files of tmp_path; `context` names files read only as context."""

    def go(*names: str, context: tuple[str, ...] = ()) -> Report:
        return run(
            Settings(root=tmp_path),
            [tmp_path / n for n in names],
            context=[tmp_path / n for n in context],
        )

    return go


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `bqlint ARGS` in tmp_path, in-process, stdout and stderr apart."""
    monkeypatch.chdir(tmp_path)

    def go(*args: str) -> Result:
        return CliRunner().invoke(main, ["check", "--no-cache", *args], catch_exceptions=False)

    return go
