"""A temporary borrow lives while the call made on it runs (SPEC §3.1): its method holds
the guard until the call is done, so re-entering the cell from the call, or from its
arguments, is the BorrowError it is in Rust (blind r74)."""

from __future__ import annotations

import sys
from types import MethodType

import bql
import pytest


class Regs:
    def __init__(self, cell: bql.BqlRefCell[list[int]]) -> None:
        self.cell = cell
        self.value = 0

    def push(self, value: int) -> None:
        self.value = value
        with self.cell.borrow():  # re-enters the cell this object is read through
            pass


def test_a_method_called_on_a_temporary_borrow_holds_it(bql_held):
    other = bql.BqlRefCell([0])
    cell = bql.BqlRefCell(Regs(other))
    cell.borrow_mut().push(1)  # the method borrows another cell: fine
    regs = Regs(bql.BqlRefCell([0]))
    looped = bql.BqlRefCell(regs)
    regs.cell = looped  # type: ignore[assignment]
    for _ in range(2):  # the first read of a name and the learned one
        with pytest.raises(bql.BorrowError) as info:
            looped.borrow_mut().push(2)
        assert info.value.rule == "BQL003"
        assert info.value.row == sys._getframe().f_lineno - 2
    with looped.borrow_mut() as value:  # the borrow ended with the call
        assert value.value == 2


def test_the_arguments_are_evaluated_while_the_temporary_borrow_lives(bql_held):
    fifo = bql.BqlRefCell([7])
    with pytest.raises(bql.BorrowError):
        fifo.borrow_mut().append(fifo.borrow()[0])
    assert fifo.borrow().count(7) == 1
    fifo.borrow_mut().append(8)
    with fifo.borrow() as items:
        assert list(items) == [7, 8]


def test_a_named_guard_gives_its_methods_as_they_are(bql_held):
    cell = bql.BqlRefCell(Regs(bql.BqlRefCell([0])))
    with cell.borrow_mut() as regs:
        assert type(regs.push) is MethodType
    held = cell.borrow_mut().push  # a method of a temporary: it keeps the borrow
    assert held.__name__ == "push"
    assert cell.try_borrow_mut() is None
    del held
    assert cell.try_borrow_mut() is not None
