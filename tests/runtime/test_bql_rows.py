"""Run-time twins report the row where the named node starts, as bqlint does (SPEC §3.1),
also when CPython runs the statement on another line: multi-line `with` items, method calls
and attribute reads split over lines (blind conformance round conf6)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import bql
import pytest
from bql.crosscheck import static_findings

SOURCE = '''\
import bql
from bql.chardev import CharFrontend, MemoryChardev


class Regs:
    def __init__(self):
        self.x = 0

    def peek(self):
        return self.x


class Dev(bql.Device):
    def __init__(self):
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.level = bql.BqlCell(0)

    def with_items(self):
        with (
            self.regs.borrow_mut() as regs,
            bql.unlocked(),  # expect: BQL002
        ):
            regs.x = 1

    def single_item(self):
        with self.regs.borrow_mut():
            with (
                bql.unlocked()  # expect: BQL002
            ):
                pass

    def split_borrow(self):
        with self.regs.borrow_mut():
            (self.regs  # expect: BQL003
             .borrow())

    def split_use(self):
        with self.regs.borrow() as g:
            pass
        return (g  # expect: BQL005
                .peek())

    def split_read(self):
        with self.regs.borrow() as g:
            pass
        return (g  # expect: BQL005
                .x)

    def split_write(self):
        with self.regs.borrow() as g:
            (g  # expect: BQL004
             .x) = 3

    def split_cell_op(self):
        with bql.unlocked():
            return (self.level  # expect: BQL006
                    .get())
'''

CASES = ["with_items", "single_item", "split_borrow", "split_use", "split_read", "split_write", "split_cell_op"]


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, type]:
    path = tmp_path_factory.mktemp("rows") / "rows_dev.py"
    path.write_text(SOURCE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("rows_dev", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rows_dev"] = module
    spec.loader.exec_module(module)
    return path, module.Dev


def expected_rows() -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    method = ""
    for row, line in enumerate(SOURCE.splitlines(), start=1):
        if line.strip().startswith("def "):
            method = line.split("def ")[1].split("(")[0]
        if "# expect: " in line:
            found[method] = (line.split("# expect: ")[1].strip(), row)
    return found


@pytest.mark.parametrize("case", CASES)
def test_the_twin_row_is_where_the_node_starts(device: tuple[Path, type], case: str):
    path, dev_class = device
    rule, row = expected_rows()[case]
    dev = dev_class()
    call: Callable[[], object] = getattr(dev, case)
    with bql.locked():
        with pytest.raises(bql.BqlError) as info:
            call()
    error = info.value
    assert (error.rule, error.path, error.row) == (rule, str(path), row)
    assert str(error).endswith(f"(bqlint: {rule} at {path}:{row})")


def test_bqlint_reports_the_same_rows(device: tuple[Path, type]):
    path, _ = device
    found = {(rule, row) for rule, file, row in static_findings([str(path)]) if file == str(path)}
    assert found == set(expected_rows().values())
