"""Many threads, one BQL: nothing is lost, and a thread without the BQL is refused."""

from __future__ import annotations

import threading

import bql
import pytest

THREADS = 8
INCREMENTS = 10_000


def run_threads(target) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker() -> None:
        try:
            start.wait()
            target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_increments_through_a_cell_under_the_bql_lose_nothing():
    count = bql.BqlCell(0)

    def increment() -> None:
        for _ in range(INCREMENTS):
            with bql.locked():
                # read and write separately, so a missing lock would lose updates
                value = count.get()
                count.set(value + 1)

    assert run_threads(increment) == []
    with bql.locked():
        assert count.get() == THREADS * INCREMENTS


def test_increments_through_a_refcell_under_the_bql_lose_nothing():
    counters = bql.BqlRefCell({"n": 0})
    per_thread = (
        INCREMENTS // 5
    )  # a borrow costs more than get/set; the race is the same

    def increment() -> None:
        for _ in range(per_thread):
            with bql.locked(), counters.borrow_mut() as c:
                c["n"] = c["n"] + 1

    assert run_threads(increment) == []
    with bql.locked():
        assert counters.borrow()["n"] == THREADS * per_thread


def test_a_thread_without_the_bql_is_refused_while_another_holds_it(bql_held):
    cell = bql.BqlCell(0)
    refcell = bql.BqlRefCell([0])
    irq = bql.InterruptSource()
    outcomes: list[str] = []

    def intruder() -> None:
        for op in (
            cell.get,
            lambda: cell.set(1),
            refcell.borrow,
            refcell.borrow_mut,
            irq.raise_,
        ):
            try:
                op()
                outcomes.append("ran")
            except bql.BqlNotHeldError:
                outcomes.append("refused")

    thread = threading.Thread(target=intruder)
    thread.start()
    thread.join()
    assert outcomes == ["refused"] * 5
    assert cell.get() == 0


def test_borrows_held_by_the_holder_block_release_but_not_other_threads_reads():
    cell = bql.BqlRefCell(0)
    seen: list[object] = []
    bql.lock()
    guard = cell.borrow_mut()
    with pytest.raises(bql.BqlUnlockError):
        bql.unlock()

    def reader() -> None:
        try:
            cell.borrow()
        except bql.BqlError as exc:
            seen.append(type(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    thread.join()
    assert seen == [
        bql.BqlNotHeldError
    ]  # refused for not holding the BQL, not a borrow error
    guard.release()
    bql.unlock()


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
def test_another_thread_cannot_enter_a_guard_and_end_its_borrow(bql_held, kind):
    # rt14 #15: its `__exit__` would have ended the owner's borrow, without the BQL.
    from bql.errors import ThreadMismatchError

    cell = bql.BqlRefCell([0])
    guard = getattr(cell, kind)()
    outcome: list[BaseException | str] = []

    def other() -> None:
        try:
            with guard:
                outcome.append("entered")
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    (error,) = outcome
    assert type(error) is ThreadMismatchError
    assert str(error) == (
        f"with through a {kind}() guard by a thread that does not hold the BQL: "
        "a guard may only be used by the thread that took it"
    )
    assert guard[0] == 0  # the owner's borrow goes on
    with pytest.raises(bql.BorrowError):
        cell.borrow_mut()
    guard.release()
