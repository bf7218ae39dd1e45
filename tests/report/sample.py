"""Hand-built reports for the renderer tests, so they do not depend on the analysis."""

from __future__ import annotations

from pathlib import Path

from bqlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Related, Span
from bqlint.engine import Report
from bqlint.report import RenderOptions

ROOT = Path("/project")
DEV = ROOT / "pkg" / "dev.py"
BUS = ROOT / "pkg" / "bus.py"

DEV_SOURCE = """\
import bql

from pkg.bus import update


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        self.regs = bql.BqlRefCell(Regs())
        self.level = bql.BqlCell(0)

    def write(self, offset: int, value: int, size: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs.dr = value
            update()

    def reset(self) -> None:
        self.level = 3
"""

BUS_SOURCE = """\
import bql


def update() -> None:
    bql.unlock()
"""


def span(path: Path, row: int, col: int, end_row: int, end_col: int) -> Span:
    return Span(path, Position(row, col), Position(end_row, end_col))


BORROW_ACROSS_UNLOCK = Diagnostic(
    code="BQL002",
    name="borrow-across-unlock",
    message="`self.regs` is still borrowed where `update()` may release the BQL",
    span=span(DEV, 14, 13, 14, 21),
    related=(
        Related("mutable borrow of `self.regs` starts here", span(DEV, 12, 14, 12, 36)),
        Related("`update()` calls `bql.unlock()` here", span(BUS, 5, 5, 5, 17)),
    ),
    help="end the `with` block before calling `update()`",
    scope="Uart.write",
)

CELL_REBINDING = Diagnostic(
    code="BQL007",
    name="cell-rebinding",
    message="cell field `self.level` is rebound outside construction",
    span=span(DEV, 17, 9, 17, 19),
    related=(Related("the cell is constructed here", span(DEV, 9, 22, 9, 37)),),
    help="call `self.level.set(3)` instead",
    fix=Fix(
        "replace the assignment with `self.level.set(3)`",
        Applicability.SAFE,
        (Edit("self.level.set(3)", Position(17, 9), Position(17, 23)),),
    ),
    scope="Uart.reset",
)

SYNTAX_ERROR = Diagnostic(
    code="BQL999",
    name="syntax-error",
    message="cannot parse: expected `:`, 100% sure, line\nbreak",
    span=span(ROOT / "broken, file.py", 1, 1, 1, 1),
)

SOURCES = {DEV: DEV_SOURCE, BUS: BUS_SOURCE, ROOT / "broken, file.py": "def f(\n"}
OPTIONS = RenderOptions(color=False, cwd=ROOT, root=ROOT)


def sample_report() -> Report:
    """Return three findings in two files, one with a fix and one in another file's chain."""
    diagnostics = sorted([BORROW_ACROSS_UNLOCK, CELL_REBINDING, SYNTAX_ERROR], key=Diagnostic.sort_key)
    return Report(diagnostics, dict(SOURCES), files_checked=3)


def empty_report() -> Report:
    return Report([], {}, files_checked=2)
