"""Faults around the BQL: nothing hides the error, nothing strands the lock.

An exception leaving `with bql.locked():` with a guard still alive, a block that ends
with one, a thread that exits holding the BQL: each is reported, and the other threads
go on.
"""

from __future__ import annotations

import importlib
import sys
import threading

import bql
import pytest

bql_lock = importlib.import_module("bql.lock")

WAIT_S = 10  # upper bound for a thread that must finish; never a timing assertion


class Boom(Exception):
    pass


def leave_with_a_live_guard(cell: bql.BqlRefCell[list[int]]) -> bql.BqlRefMut[list[int]]:
    """Raise Boom out of `with bql.locked():` while a guard is alive; return the guard."""
    holder: list[bql.BqlRefMut[list[int]]] = []
    with pytest.raises(Boom) as info, bql.locked():
        guard = cell.borrow_mut()
        holder.append(guard)
        raise Boom("the original error")
    assert info.value.args == ("the original error",)
    # The traceback keeps the frame, and the guard in it, alive.
    assert info.tb is not None
    return holder[0]


def test_an_exception_leaving_locked_with_a_live_guard_propagates_unchanged():
    cell = bql.BqlRefCell([1])
    with pytest.raises(Boom) as info, bql.locked():
        guard = cell.borrow_mut()
        line = sys._getframe().f_lineno - 1
        raise Boom("the original error")
    assert type(info.value) is Boom
    assert str(info.value) == "the original error"
    (note,) = info.value.__notes__
    assert note.startswith("bql: left `with bql.locked():` while 1 borrow was alive")
    assert f"borrow_mut() at {__file__}:{line} in " in note
    del guard


def test_the_note_on_an_exception_leaving_locked_is_no_runtime_error_of_its_own():
    # r67: the live borrows become a note; a recorder (the crosscheck) must not see a
    # second BQL002 at the borrow's row, which no static rule reports.
    from bql.twins import on_twin

    seen: list[tuple[str | None, int | None]] = []
    stop = on_twin(lambda error, frame: seen.append((error.rule, error.row)))
    try:
        leave_with_a_live_guard(bql.BqlRefCell([1]))
    finally:
        stop()
    assert seen == []


def test_the_bql_is_released_when_an_exception_leaves_locked_with_a_live_guard():
    leave_with_a_live_guard(bql.BqlRefCell([1]))
    assert not bql.is_locked()
    # Another thread can take it: it is really released, not just forgotten.
    took: list[bool] = []

    def take_and_release() -> None:
        took.append(bql_lock.acquire(WAIT_S))
        bql.unlock()

    thread = threading.Thread(target=take_and_release)
    thread.start()
    thread.join(WAIT_S)
    assert took == [True]


def test_the_stranded_guard_is_released_and_the_cell_borrowable_again():
    cell = bql.BqlRefCell([1])
    guard = leave_with_a_live_guard(cell)
    with pytest.raises(bql.BorrowReleasedError):
        guard.append(2)
    with pytest.raises(bql.BorrowReleasedError):
        guard.release()
    with bql.locked():
        with cell.borrow_mut() as items:
            items.append(3)
        assert cell.borrow().value == [1, 3]


def test_every_stranded_guard_is_released_and_each_is_in_the_note():
    first, second = bql.BqlRefCell(1), bql.BqlRefCell(2)
    with pytest.raises(Boom) as info, bql.locked():
        a, b = first.borrow(), first.borrow()
        c = second.borrow_mut()
        raise Boom
    (note,) = info.value.__notes__
    assert "while 3 borrows were alive" in note
    # `a` and `b` were taken on one line: one place, with its count.
    assert note.count(" at ") == 2
    assert note.count("borrow() at ") == 1 and "(2 borrows)" in note
    for guard in (a, b, c):
        with pytest.raises(bql.BorrowReleasedError):
            guard.value  # noqa: B018 - the use is the test
    with bql.locked():
        first.borrow_mut().release()
        second.borrow_mut().release()


def test_a_thread_that_dies_of_the_exception_does_not_block_the_others():
    cell = bql.BqlRefCell([0])
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with bql.locked():
                guard = cell.borrow_mut()
                guard.append(1)
                raise Boom
        except Boom as exc:
            errors.append(exc)  # keeps the traceback, and so the guard, alive

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(WAIT_S)
    assert [type(e) for e in errors] == [Boom]
    with bql.locked():  # would wait for ever if the worker had kept the BQL
        assert cell.borrow().value == [0, 1]


def test_a_block_ending_normally_with_a_live_guard_raises_and_releases():
    cell = bql.BqlRefCell([1])
    with pytest.raises(bql.BqlUnlockError, match="1 borrow is alive") as info, bql.locked():
        guard = cell.borrow()
    assert not bql.is_locked()
    assert len(info.value.borrows) == 1
    assert info.value.__notes__[0].startswith("bql: left `with bql.locked():`")
    with pytest.raises(bql.BorrowReleasedError):
        guard[0]


def test_unlock_inside_locked_is_a_note_on_the_exception_not_a_replacement():
    with pytest.raises(Boom) as info, bql.locked():
        bql.unlock()
        raise Boom
    assert info.value.__notes__ == ["bql: bql.unlock() by a thread that does not hold the BQL"]


def test_unlock_inside_locked_without_an_exception_still_raises():
    with pytest.raises(bql.BqlNotHeldError), bql.locked():
        bql.unlock()


def test_unlock_with_a_live_borrow_still_unlocks_nothing(bql_held):
    cell = bql.BqlRefCell(0)
    guard = cell.borrow()
    with pytest.raises(bql.BqlUnlockError):
        bql.unlock()
    assert bql.is_locked()
    assert guard.value == 0  # not ended: only leaving `locked()` ends borrows
    guard.release()


def test_the_note_names_many_borrows_at_one_place_once():
    cell = bql.BqlRefCell(0)
    with pytest.raises(Boom) as info, bql.locked():
        guards = [cell.borrow() for _ in range(500)]
        raise Boom
    (note,) = info.value.__notes__
    assert note.endswith("in <listcomp> (500 borrows)")
    assert repr(guards[0]) == repr(guards[-1]) == "BqlRef(released)"
    with bql.locked():
        cell.borrow_mut().release()


# -- a thread that exits holding the BQL --------------------------------------------


def exit_holding_the_bql(name: str) -> threading.Thread:
    """Start a thread that takes the BQL and exits without releasing it; wait for it."""
    thread = threading.Thread(target=bql.lock, name=name)
    thread.start()
    thread.join(WAIT_S)
    assert not thread.is_alive()
    return thread


def test_lock_after_the_holder_exited_raises_naming_the_dead_thread():
    dead = exit_holding_the_bql("dies-holding-the-bql")
    with pytest.raises(bql.BqlError) as info:
        bql.lock()
    message = str(info.value)
    assert "'dies-holding-the-bql'" in message
    assert f"ident {dead.ident}" in message
    assert "exited without releasing it" in message
    assert not bql.is_locked()


def test_waiters_already_blocked_get_the_error_when_the_holder_exits():
    holding = threading.Event()
    leave = threading.Event()

    def holder() -> None:
        bql.lock()
        holding.set()
        leave.wait(WAIT_S)  # then exit, still holding the BQL

    outcomes: list[str] = []

    def waiter() -> None:
        try:
            bql.lock()
            outcomes.append("took the BQL")
        except bql.BqlError as exc:
            outcomes.append(str(exc))

    owner = threading.Thread(target=holder, name="holder-thread")
    owner.start()
    holding.wait(WAIT_S)
    waiters = [threading.Thread(target=waiter) for _ in range(3)]
    for thread in waiters:
        thread.start()
    leave.set()
    owner.join(WAIT_S)
    for thread in waiters:
        thread.join(WAIT_S)
    assert not any(thread.is_alive() for thread in waiters)
    assert len(outcomes) == 3
    assert all("'holder-thread'" in outcome for outcome in outcomes)


def test_acquire_with_a_timeout_raises_when_the_holder_exited():
    exit_holding_the_bql("gone")
    with pytest.raises(bql.BqlError, match="'gone'"):
        bql_lock.acquire(0.01)


def test_acquire_times_out_while_a_live_holder_keeps_the_bql():
    holding, leave = threading.Event(), threading.Event()

    def holder() -> None:
        with bql.locked():
            holding.set()
            leave.wait(WAIT_S)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(WAIT_S)
    try:
        assert bql_lock.acquire(0.01) is False
        assert bql_lock.acquire(3 * bql_lock.OWNER_CHECK_S) is False
    finally:
        leave.set()
        thread.join(WAIT_S)
    assert bql_lock.acquire(WAIT_S) is True
    bql.unlock()


def test_a_waiter_takes_the_bql_from_a_live_holder_that_releases_it_late():
    holding, leave = threading.Event(), threading.Event()

    def holder() -> None:
        with bql.locked():
            holding.set()
            leave.wait(WAIT_S)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(WAIT_S)
    timer = threading.Timer(3 * bql_lock.OWNER_CHECK_S, leave.set)
    timer.start()
    with bql.locked():  # waits several owner checks, each finding the holder alive
        assert bql.is_locked()
    thread.join(WAIT_S)
    timer.join(WAIT_S)


_RAW_THREAD_HOLDER = """
import _thread, threading, time
import bql

done = threading.Event()

def raw():
    bql.lock()  # leaks the BQL, then the thread exits
    done.set()

_thread.start_new_thread(raw, ())
done.wait(10)
time.sleep(0.2)
try:
    bql.lock()
except bql.BqlError as exc:
    print(type(exc).__name__, exc)
"""


def test_a_holder_thread_not_started_by_threading_is_seen_to_exit():
    # rt14 #01: its `_DummyThread` says it is alive for ever; waiters must not hang.
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", _RAW_THREAD_HOLDER], capture_output=True, text=True, timeout=30, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("BqlError the BQL is held by thread 'Dummy-")
    assert "which exited without releasing it" in result.stdout
