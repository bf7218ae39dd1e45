"""Ctrl-C anywhere in the runtime's own bookkeeping (issue 9, blind crash3 row 1).

A `KeyboardInterrupt` can be raised between any two bytecodes of the main thread. Here it
is raised, through `sys.settrace`, at the k-th line the `bql` package executes during one
scenario, for every k in turn (until the scenario runs to its end without reaching k).
After the exception has left `with bql.locked():`, for every k:

1. the thread does not hold the BQL, and `bql.is_locked()` says so;
2. another thread can take the BQL (the lock is not left held by nobody);
3. the cell can be borrowed again, exclusively (no borrow is left counted);
4. nothing was reported as "Exception ignored" (by a finalizer);
5. what left the block is the `KeyboardInterrupt`, not another error.

A value cell also holds one of the values the scenario stored (replace, take and update
are all or nothing). Each scenario runs a few hundred times: about a second in all.
"""

from __future__ import annotations

import dis
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import pytest

import bql
bql_lock = importlib.import_module("bql.lock")

BQL_DIR = os.path.dirname(bql.__file__) + os.sep
WAIT_S = 2.0
# A scenario runs far fewer bytecodes than this; more means the enumeration never ends.
MAX_POINTS = 5_000


@dataclass
class Injection:
    """Raise KeyboardInterrupt at the `k`-th line (or bytecode) executed inside `bql`.

    Lines are where a tracer can raise, as p27 does. Bytecodes (`opcodes`) are finer
    than any signal: CPython 3.11 runs a signal handler only at a function's start, a
    backward jump and after a call, while every bytecode is a point here.
    """

    k: int
    opcodes: bool = False
    seen: int = 0
    where: str = ""

    def tracer(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if not frame.f_code.co_filename.startswith(BQL_DIR):
            return None
        frame.f_trace_opcodes = self.opcodes
        return self.local

    def local(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if event == ("opcode" if self.opcodes else "line") and not self.where and not _finalizer_return(frame):
            self.seen += 1
            if self.seen == self.k:
                name = os.path.basename(frame.f_code.co_filename)
                self.where = f"{frame.f_code.co_name}() in {name}:{frame.f_lineno} (byte {frame.f_lasti})"
                raise KeyboardInterrupt(f"injected at event {self.k}")
        return self.local


def _finalizer_return(frame: FrameType) -> bool:
    """Whether `frame` is a guard's `__del__` at its last bytecode, the `return`.

    Nothing raised there can be caught by the function, and a finalizer cannot pass it
    on: CPython reports it as ignored. No signal is handled at a `return` (3.11 looks for
    them at a function's start, a backward jump and after a call), so Ctrl-C cannot land
    there; only the bytecode tracer can.
    """
    code = frame.f_code
    return code is GUARD_DEL and code.co_code[frame.f_lasti] == dis.opmap["RETURN_VALUE"]


GUARD_DEL = vars(importlib.import_module("bql.guard_base"))["guard_del"].__code__


@dataclass
class Outcome:
    """What one injection point left behind: the problems found, if any."""

    k: int
    where: str
    problems: list[str] = field(default_factory=list)


def _flush() -> None:
    """A Python call: where a KeyboardInterrupt made pending again (by a finalizer) is raised."""


def run_once(scenario: Callable[[], None], k: int, opcodes: bool = False) -> Outcome | None:
    """Run `scenario` with the injection at `k`; None when it ran to its end before k."""
    unraisable: list[str] = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = lambda args: unraisable.append(f"{args.exc_type.__name__} in {args.object!r}")
    injection = Injection(k, opcodes)
    escaped: BaseException | None = None
    old_trace = sys.gettrace()
    sys.settrace(injection.tracer)
    try:
        scenario()
        _flush()
    except BaseException as error:  # noqa: BLE001 - what escaped is checked below
        escaped = error
    finally:
        sys.settrace(old_trace)
    try:
        _flush()
    except KeyboardInterrupt as error:  # delivered again after the trace was off
        escaped = escaped or error
    sys.unraisablehook = old_hook
    if not injection.where:
        assert escaped is None, f"the scenario failed without an injection: {escaped!r}"
        return None
    outcome = Outcome(k, injection.where)
    if not isinstance(escaped, KeyboardInterrupt):
        outcome.problems.append(f"escaped {escaped!r} instead of the KeyboardInterrupt")
    del escaped
    outcome.problems += [f"Exception ignored: {text}" for text in unraisable]
    outcome.problems += check_state()
    return outcome


CELL = bql.BqlRefCell([0])
VALUE = bql.BqlCell(0, default=0)
VALUES_STORED = {0, 1, 2, 3}


def check_state() -> list[str]:
    """Check properties 1 to 3 (and the value cell); put things right for the next run."""
    if bql.is_locked() or bql_lock._LOCK._is_owned():
        bql_lock.reset_for_tests()
        CELL._borrows = 0
        return ["the thread still holds the BQL"]
    problems = []
    found: dict[str, str] = {}

    def other_thread() -> None:
        try:
            with bql.locked():
                guard = CELL.try_borrow_mut()
                found["cell"] = "free" if guard is not None else "still borrowed"
                if guard is not None:
                    guard.release()
                found["value"] = "ok" if VALUE.get() in VALUES_STORED else f"value {VALUE.get()!r}"
        except Exception as error:  # noqa: BLE001 - reported as the problem
            found["cell"] = f"{type(error).__name__}: {error}"

    thread = threading.Thread(target=other_thread, daemon=True)
    thread.start()
    thread.join(WAIT_S)
    if thread.is_alive():
        problems.append("another thread cannot take the BQL")
    elif found.get("cell") != "free":
        problems.append(f"the cell: {found.get('cell')}")
    elif found.get("value") != "ok":
        problems.append(f"the value cell: {found.get('value')}")
    if problems:
        bql_lock.reset_for_tests()
        CELL._borrows = 0
    with bql.locked():
        VALUE.set(0)
    return problems


def enumerate_points(scenario: Callable[[], None], opcodes: bool = False) -> Iterator[Outcome]:
    """Yield the outcome of an injection at every line (bytecode) the scenario runs in `bql`."""
    for k in range(1, MAX_POINTS):
        outcome = run_once(scenario, k, opcodes)
        if outcome is None:
            return
        yield outcome
    raise AssertionError(f"the scenario ran more than {MAX_POINTS} lines of bql")


# The scenarios: one `with bql.locked():` round each, as a device's caller would run it.


def borrow_mut_and_unlocked() -> None:
    """The round of blind crash3's p27."""
    with bql.locked():
        with CELL.borrow_mut() as items:
            items[0] += 1
        with bql.unlocked():
            pass


def shared_borrows() -> None:
    with bql.locked():
        with CELL.borrow() as items:
            assert items[0] >= 0
        first = CELL.borrow()
        second = CELL.borrow()
        first.release()
        second.release()


def try_borrows() -> None:
    with bql.locked():
        guard = CELL.try_borrow_mut()
        assert guard is not None
        guard[0] += 1
        guard.release()
        shared = CELL.try_borrow()
        assert shared is not None
        with shared:
            assert shared[0] >= 0


def released_early() -> None:
    with bql.locked():
        guard = CELL.borrow_mut()
        guard[0] += 1
        guard.release()
        with bql.unlocked():
            pass


def dropped_live_guards() -> None:
    """Guards dropped while live: their `__del__` ends the borrow."""
    with bql.locked():
        guard = CELL.borrow_mut()
        del guard
        shared = CELL.borrow()
        shared = None  # noqa: F841 - dropping it is the point
        CELL.borrow()  # dropped at once


def value_cell_operations() -> None:
    with bql.locked():
        VALUE.set(1)
        assert VALUE.get() == 1
        VALUE.replace(2)
        VALUE.take()
        VALUE.update(lambda n: n + 3)


def guard_left_alive() -> None:
    """A guard alive when the block is left by another exception (ended, with a note)."""
    with bql.locked():
        guard = CELL.borrow_mut()
        guard[0] += 1
        raise ValueError("the device failed")


def nested_in_a_thread_free_of_borrows() -> None:
    """Lock and unlock by hand inside the block, as `@bql.without_bql` does."""
    with bql.locked():
        bql.unlock()
        try:
            pass
        finally:
            bql.lock()


SCENARIOS = [
    borrow_mut_and_unlocked,
    shared_borrows,
    try_borrows,
    released_early,
    dropped_live_guards,
    value_cell_operations,
    nested_in_a_thread_free_of_borrows,
]


@pytest.fixture(autouse=True)
def default_sigint() -> None:
    # A guard's finalizer delivers Ctrl-C again through the SIGINT handler.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# Every bytecode of every scenario takes a few seconds more: a few in CI, all with this set.
ALL_OPCODES = os.environ.get("BQL_INTERRUPT_OPCODES") == "1"
OPCODE_SCENARIOS = SCENARIOS if ALL_OPCODES else [borrow_mut_and_unlocked, dropped_live_guards, value_cell_operations]


def assert_all_good(outcomes: list[Outcome]) -> None:
    bad = [f"k={o.k} at {o.where}: {'; '.join(o.problems)}" for o in outcomes if o.problems]
    assert not bad, f"{len(bad)} of {len(outcomes)} injection points:\n" + "\n".join(bad)
    assert len(outcomes) > 10  # the scenario reached the runtime


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_every_line_is_a_safe_place_for_ctrl_c(scenario):
    assert_all_good(list(enumerate_points(scenario)))


@pytest.mark.parametrize("scenario", OPCODE_SCENARIOS, ids=lambda s: s.__name__)
def test_every_bytecode_is_a_safe_place_for_ctrl_c(scenario):
    assert_all_good(list(enumerate_points(scenario, opcodes=True)))


# Ending a borrow left alive searches the collector's objects, each time: bytecodes too only
# with BQL_INTERRUPT_OPCODES=1.
@pytest.mark.parametrize("opcodes", [False, True] if ALL_OPCODES else [False], ids=["lines", "bytecodes"][: 1 + ALL_OPCODES])
def test_a_guard_left_alive_is_ended_at_every_injection_point(opcodes):
    assert_all_good(list(enumerate_points(_expecting_value_error(guard_left_alive), opcodes)))


def _expecting_value_error(scenario: Callable[[], None]) -> Callable[[], None]:
    """The scenario with its own ValueError (no injection reached) taken as its normal end."""

    def run() -> None:
        try:
            scenario()
        except ValueError as error:
            assert error.__notes__, "the live borrow is named in a note"

    return run


def test_a_keyboard_interrupt_in_a_guard_finalizer_is_delivered_after_it():
    """CPython drops what a finalizer raises: the guard's catches Ctrl-C, ends the borrow,
    and makes SIGINT pending again, so that it is raised in the code that dropped it."""
    cell = bql.BqlRefCell(0)
    unraisable: list[object] = []
    old_hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    injection = Injection(1)  # the first line the finalizer runs
    try:
        with bql.locked():
            guard = cell.borrow_mut()
            sys.settrace(injection.tracer)
            with pytest.raises(KeyboardInterrupt):
                try:
                    del guard
                finally:
                    sys.settrace(None)
                _flush()
            assert cell.try_borrow_mut() is not None
    finally:
        sys.unraisablehook = old_hook
    assert injection.where.startswith("guard_del() in guard_base.py")
    assert unraisable == []
