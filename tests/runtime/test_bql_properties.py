"""Property tests: borrow counts stay consistent under any sequence of borrow operations."""

from __future__ import annotations

import bql
import hypothesis.strategies as st
from bql.lock import STATE
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule


class BorrowMachine(RuleBasedStateMachine):
    """Model: the list of live guards and their kinds; the cell must agree with it."""

    def __init__(self) -> None:
        super().__init__()
        bql.lock()
        self.cell = bql.BqlRefCell([0])
        self.live: list[tuple[str, object]] = []  # (kind, guard)
        self.released: list[object] = []

    def mutably_borrowed(self) -> bool:
        return any(kind == "mut" for kind, _ in self.live)

    @rule()
    def borrow(self) -> None:
        if self.mutably_borrowed():
            try:
                self.cell.borrow()
            except bql.BorrowError:
                return
            raise AssertionError("borrow() succeeded during a mutable borrow")
        self.live.append(("shared", self.cell.borrow()))

    @rule()
    def borrow_mut(self) -> None:
        if self.live:
            try:
                self.cell.borrow_mut()
            except bql.BorrowError:
                return
            raise AssertionError("borrow_mut() succeeded during another borrow")
        self.live.append(("mut", self.cell.borrow_mut()))

    @rule()
    def try_borrow(self) -> None:
        guard = self.cell.try_borrow()
        assert (guard is None) == self.mutably_borrowed()
        if guard is not None:
            self.live.append(("shared", guard))

    @rule()
    def try_borrow_mut(self) -> None:
        guard = self.cell.try_borrow_mut()
        assert (guard is None) == bool(self.live)
        if guard is not None:
            self.live.append(("mut", guard))

    @precondition(lambda self: self.live)
    @rule(index=st.integers(min_value=0))
    def release(self, index: int) -> None:
        _kind, guard = self.live.pop(index % len(self.live))
        guard.release()  # type: ignore[attr-defined]
        self.released.append(guard)

    @precondition(lambda self: self.released)
    @rule(index=st.integers(min_value=0))
    def release_again(self, index: int) -> None:
        guard = self.released[index % len(self.released)]
        try:
            guard.release()  # type: ignore[attr-defined]
        except bql.BorrowReleasedError:
            return
        raise AssertionError("a released guard released again")

    @rule()
    def write_through_the_exclusive_borrow(self) -> None:
        for kind, guard in self.live:
            if kind == "mut":
                guard[0] += 1  # type: ignore[index]

    @rule()
    def unlock_attempt(self) -> None:
        try:
            with bql.unlocked():
                pass
        except bql.BqlUnlockError as exc:
            assert len(exc.borrows) == len(self.live)
        else:
            assert not self.live
        assert bql.is_locked()

    @invariant()
    def counts_agree(self) -> None:
        shared = sum(kind == "shared" for kind, _ in self.live)
        expected = -1 if self.mutably_borrowed() else shared
        assert self.cell._borrows == expected
        assert len(STATE.live) == len(self.live)

    def teardown(self) -> None:
        for _kind, guard in self.live:
            guard.release()  # type: ignore[attr-defined]
        bql.unlock()


BorrowMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
test_borrow_counts = BorrowMachine.TestCase
