"""A borrow ends with its function, also when the function ends by raising (SPEC §3.1),
although the traceback keeps the function's frame, and its guard, alive (blind conf9 F2)."""

from __future__ import annotations

import gc
import sys

import bql
import pytest


ALREADY_MUTABLY = r"^cannot borrow_mut\(\) BqlRefCell\[list\]: it is already mutably"


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


def _fail_with(guard: object) -> None:
    raise Boom("device error")


class Holder:
    def __init__(self, guard: object) -> None:
        self.guard = guard


@pytest.mark.parametrize(
    "keep",
    [lambda g: (g,), lambda g: {"g": g}, Holder],
    ids=["tuple", "dict", "object"],
)
def test_a_guard_the_running_function_keeps_in_a_container_stays_borrowed(bql_held, keep):
    # rt14 #08: the helper's unwound frame holds the guard, and so does the caller, only
    # not as a direct local: its borrow goes on, in the handler and after.
    cell = bql.BqlRefCell([0])
    kept = keep(cell.borrow_mut())
    guard = kept[0] if isinstance(kept, tuple) else kept["g"] if isinstance(kept, dict) else kept.guard
    try:
        _fail_with(guard)
    except Boom:
        del guard
        with pytest.raises(bql.BorrowError, match=ALREADY_MUTABLY):
            cell.borrow_mut()
        with pytest.raises(bql.BqlUnlockError, match=r"^cannot release the BQL while 1 borrow is alive"):
            bql.unlock()
    assert bql.is_locked()
    guard = kept[0] if isinstance(kept, tuple) else kept["g"] if isinstance(kept, dict) else kept.guard
    guard[0] = 2  # still the caller's live borrow
    guard.release()
    assert cell.borrow().value == [2]


def test_a_guard_passed_unpacked_from_a_tuple_stays_borrowed(bql_held):
    # rt14 #08, the report's shape: `helper(*guards)`.
    cell = bql.BqlRefCell([0])
    guards = (cell.borrow_mut(),)
    try:
        _fail_with(*guards)
    except Boom:
        with pytest.raises(bql.BorrowError):
            cell.borrow_mut()
    guards[0][0] = 2
    guards[0].release()


def test_del_ends_a_borrow_after_the_runtime_located_an_error(bql_held):
    # rt14 #06: locating the BQL004 twin read the frames' locals; on CPython < 3.13 that
    # leaves a copy in each frame, which must not keep the deleted guard alive.
    cell, other = bql.BqlRefCell([0]), bql.BqlRefCell([0])
    g = cell.borrow_mut()
    r = other.borrow()
    with pytest.raises(bql.BorrowError):
        r[0] = 1  # a write through a shared guard
    r.release()
    del g
    cell.borrow_mut().release()  # the borrow ended at `del`
    with bql.unlocked():
        pass


# rt14 #04: a function that has returned holds no borrow (SPEC §3.1), even when a
# reference cycle (`except E as e: err = e`) keeps its frame alive until the collector runs.

_kept: list[object] = []


def _bump_in_a_cycle(cell: bql.BqlRefCell[list[int]]) -> None:
    g = cell.borrow_mut()
    g[0] += 1
    try:
        int("x")
    except ValueError as e:
        err = e  # noqa: F841 - a cycle: err, its traceback, this frame
    _kept.append(sys._getframe())  # (and so this frame outlives the call for sure)


@pytest.fixture
def no_collector():
    gc.disable()
    try:
        yield
    finally:
        _kept.clear()
        gc.enable()


def test_a_borrow_of_a_returned_function_kept_by_a_cycle_ends(bql_held, no_collector):
    cell = bql.BqlRefCell([0])
    _bump_in_a_cycle(cell)
    cell.borrow_mut().release()  # no BorrowError
    _bump_in_a_cycle(cell)
    with bql.unlocked():  # no BqlUnlockError
        pass
    assert cell.borrow().value == [2]


def test_a_borrow_a_returned_function_left_elsewhere_still_counts(bql_held, no_collector):
    cell = bql.BqlRefCell([0])

    def escape() -> None:
        g = cell.borrow_mut()
        _kept.append(g)  # an escaped guard (BQL005): not the function's any more

    escape()
    with pytest.raises(bql.BorrowError, match=ALREADY_MUTABLY):
        cell.borrow_mut()
    assert cell.try_borrow_mut() is None
    _kept.pop().release()


def test_a_borrow_of_a_suspended_generator_still_counts(bql_held, no_collector):
    cell = bql.BqlRefCell([0])

    def holds():
        g = cell.borrow_mut()
        yield
        g.release()

    gen = holds()
    next(gen)
    with pytest.raises(bql.BorrowError):
        cell.borrow_mut()
    with pytest.raises(StopIteration):
        next(gen)
    cell.borrow_mut().release()


_MODULE_LEVEL = """
g = cell.borrow_mut()
r = other.borrow()
try:
    r[0] = 1  # a write through a shared guard: the error is located through the frames
except bql.BorrowError:
    pass
r.release()
"""


def test_locating_an_error_leaves_a_module_namespace_alone(bql_held):
    # rt14 #06's fix takes guards out of the copy of a function's variables only: a
    # module's (or class body's, or exec's) namespace is the real one.
    namespace = {"bql": bql, "cell": bql.BqlRefCell([0]), "other": bql.BqlRefCell([0])}
    exec(compile(_MODULE_LEVEL, "<module-level>", "exec"), namespace)
    assert isinstance(namespace["g"], bql.BqlRefMut)
    namespace["g"].release()
