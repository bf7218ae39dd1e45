"""A borrow ends with its function, also when the function ends by raising (SPEC §3.1),
although the traceback keeps the function's frame, and its guard, alive (blind conf9 F2)."""

from __future__ import annotations

import bql
import pytest


class Boom(Exception):
    pass


def _raise_with(cell: bql.BqlRefCell[list[int]], kind: str) -> None:
    guard = getattr(cell, kind)()
    del kind
    raise Boom(guard)  # the guard stays in this frame's locals, and in the exception


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut", "try_borrow", "try_borrow_mut"])
def test_a_function_that_raised_holds_no_borrow_in_the_handler(bql_held, kind):
    cell = bql.BqlRefCell([1])
    try:
        _raise_with(cell, kind)
    except Boom:
        with cell.borrow_mut() as value:
            value[0] = 2
        assert cell.try_borrow_mut() is not None
    with cell.borrow() as value:
        assert value[0] == 2


def test_the_bql_can_be_released_in_the_handler(bql_held):
    cell = bql.BqlRefCell([1])
    try:
        _raise_with(cell, "borrow_mut")
    except Boom:
        with bql.unlocked():
            pass


def test_a_guard_the_handling_function_holds_too_stays_borrowed(bql_held):
    cell = bql.BqlRefCell([1])
    guard = cell.borrow_mut()

    def fail(g: object) -> None:
        raise Boom(g)

    try:
        fail(guard)
    except Boom:
        with pytest.raises(bql.BorrowError):
            cell.borrow()
    guard.release()


def test_without_an_exception_a_conflict_is_still_an_error(bql_held):
    cell = bql.BqlRefCell([1])
    guard = cell.borrow_mut()
    with pytest.raises(bql.BorrowError):
        cell.borrow()
    guard.release()
