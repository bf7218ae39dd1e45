"""The injected bugs of fixtures/pl011_broken/ are real bugs: the `bql` runtime trips on
each one that shows at run time, with the error its docstring names.

bqlint catches them statically (tests/test_fixtures.py checks the markers); here each
broken device is loaded and driven the way a board would until the bug fires. A guard
returned from an accessor does not fail by itself: the test shows the hazard it creates
instead.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import bql
import pytest
from bql.chardev import Chardev, MemoryChardev
from bql.errors import CellRebindingError, FieldMutationError
from pl011.registers import RegisterOffset as R

BROKEN = Path(__file__).resolve().parents[2] / "fixtures" / "pl011_broken"
FILES = sorted(BROKEN.glob("*.py"))


def load(name: str) -> ModuleType:
    path = BROKEN / name
    spec = importlib.util.spec_from_file_location(f"pl011_broken_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def board(name: str, backend: MemoryChardev | None = None) -> tuple[Any, MemoryChardev]:
    backend = backend if backend is not None else MemoryChardev()
    uart = load(name).PL011State(chardev=backend)
    for n in range(6):
        uart.connect_irq(n, bql.IRQLine())
    uart.realize()
    return uart, backend


def test_there_are_8_to_12_variants_each_with_one_bug_and_a_docstring() -> None:
    assert 8 <= len(FILES) <= 12
    for path in FILES:
        text = path.read_text()
        assert text.startswith('"""PL011 with one injected bug'), path.name
        assert len(re.findall(r"# expect: BQL00\d", text)) == 1, path.name


CASES: dict[str, tuple[type[Exception], Callable[[Any, MemoryChardev], object]]] = {
    "update_inside_borrow.py": (bql.BorrowError, lambda u, b: u.write(R.IMSC, 0x10, 4)),
    "reset_update_inside_borrow.py": (bql.BorrowError, lambda u, b: u.reset()),
    "update_two_calls_deep.py": (bql.BorrowError, lambda u, b: b.feed(b"x")),
    "accept_input_inside_borrow.py": (
        bql.BorrowError,
        lambda u, b: (b.feed(b"ab"), u.read(R.DR, 4)),
    ),
    "write_through_shared_borrow.py": (
        bql.BorrowError,
        lambda u, b: u.write(R.IMSC, 0x10, 4),
    ),
    "borrow_across_unlocked.py": (
        bql.BqlUnlockError,
        lambda u, b: u.write(R.DR, 0x41, 4),
    ),
    "borrow_across_releasing_helper.py": (
        bql.BqlUnlockError,
        lambda u, b: u.write(R.LCR_H, 0x1, 4),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_runtime_catches_the_injected_bug(bql_held: None, name: str) -> None:
    error, trigger = CASES[name]
    uart, backend = board(name)
    if name != "reset_update_inside_borrow.py":
        uart.reset()
    with pytest.raises(error):
        trigger(uart, backend)


def test_write_all_inside_borrow_conflicts_with_an_echoing_backend(
    bql_held: None,
) -> None:
    uart, _ = board("write_all_inside_borrow.py", MemoryChardev(echo=True))
    uart.reset()
    with pytest.raises(bql.BorrowError, match="already mutably borrowed"):
        uart.write(R.DR, 0x41, 4)


class LoopbackCable(Chardev):
    """A backend that hands what the device sends straight back to its handlers, in
    the sender's thread and without taking the BQL (as a synchronous QEMU backend
    runs in whatever context called it)."""

    def write(self, data: bytes) -> None:
        if self.be_can_write():
            self.be_write(data)


def test_write_all_outside_the_bql_runs_handlers_without_it(bql_held: None) -> None:
    # Caught by CharFrontend's own BQL check, and without it by the handlers' cells
    # that this backend runs.
    uart = load("cell_op_inside_unlocked.py").PL011State(chardev=LoopbackCable())
    uart.realize()
    uart.reset()
    with pytest.raises(bql.BqlNotHeldError):
        uart.write(R.DR, 0x41, 4)


def test_returned_guard_keeps_the_borrow_alive_across_a_write(bql_held: None) -> None:
    uart, _ = board("guard_returned.py")
    uart.reset()
    regs = uart.registers()
    with pytest.raises(bql.BorrowError):
        uart.write(R.IMSC, 0x10, 4)
    regs.release()


def test_rebound_cell_is_refused_by_the_bql007_twin(bql_held: None) -> None:
    uart = load("cell_rebinding.py").PL011State()
    with pytest.raises(CellRebindingError, match="cannot rebind `clock`") as info:
        uart.clock_hz = 48_000_000
    assert (info.value.rule, info.value.row) == ("BQL007", 58)
    assert uart.clock_hz == 24_000_000


def test_plain_field_mutated_outside_any_cell_is_refused_by_the_bql001_twin(bql_held: None) -> None:
    uart, _ = board("field_assigned_on_self.py")
    uart.reset()
    with pytest.raises(FieldMutationError, match="`logged_disabled_uart`") as info:
        uart.write(R.DR, 0x41, 4)
    assert (info.value.rule, info.value.row) == ("BQL001", 80)
    assert info.value.path == str(BROKEN / "field_assigned_on_self.py")
