"""BqlRefCell borrows and their guards: conflicts, release, proxying, use after release."""

from __future__ import annotations

import array
import collections
import copy
import math
import pickle
import threading
import types
import sys
from typing import Any

import bql
import pytest
from bql.errors import SharedBorrowWriteError


class Regs:
    def __init__(self) -> None:
        self.lcr = 0
        self.fifo = [0, 0, 0]

    def reset(self) -> None:
        self.lcr = 0
        self.fifo = [0, 0, 0]

    def total(self) -> int:
        return self.lcr + sum(self.fifo)


def STATE_LIVE() -> dict[object, object]:
    """Return the registry of live borrows (bql.lock.STATE.live)."""
    from bql.lock import STATE

    return dict(STATE.live)


def here() -> int:
    """Return the caller's line number."""
    return sys._getframe(1).f_lineno


def test_shared_borrows_coexist(bql_held):
    cell = bql.BqlRefCell(Regs())
    a, b = cell.borrow(), cell.borrow()
    assert a.lcr == b.lcr == 0
    a.release()
    b.release()


def test_borrow_mut_while_borrowed_names_where_the_live_borrow_was_taken(bql_held):
    cell = bql.BqlRefCell(Regs())
    reader = cell.borrow()
    line = here() - 1
    with pytest.raises(bql.BorrowError) as info:
        cell.borrow_mut()
    message = str(info.value)
    assert (
        "cannot borrow_mut() BqlRefCell[Regs]: it is already borrowed by borrow()"
        in message
    )
    assert f"{__file__}:{line} in test_borrow_mut_while_borrowed_names" in message
    reader.release()
    cell.borrow_mut().release()


def test_borrow_while_mutably_borrowed_names_the_mutable_borrow(bql_held):
    cell = bql.BqlRefCell(Regs())

    def take_it():
        return cell.borrow_mut()

    line = take_it.__code__.co_firstlineno + 1
    writer = take_it()
    with pytest.raises(
        bql.BorrowError, match="already mutably borrowed by borrow_mut()"
    ) as info:
        cell.borrow()
    assert f"{__file__}:{line} in take_it" in str(info.value)
    writer.release()


def test_conflict_lists_every_live_shared_borrow(bql_held):
    cell = bql.BqlRefCell(0)
    a, b = cell.borrow(), cell.borrow()
    with pytest.raises(bql.BorrowError) as info:
        cell.borrow_mut()
    # Both were taken on one line: that place once, with how many borrows it holds.
    assert str(info.value).count("borrow() at") == 1
    assert "in test_conflict_lists_every_live_shared_borrow (2 borrows) (bqlint: BQL003" in str(info.value)
    a.release()
    b.release()


def test_try_forms_return_none_instead_of_raising(bql_held):
    cell = bql.BqlRefCell(0)
    with cell.borrow_mut():
        assert cell.try_borrow() is None
        assert cell.try_borrow_mut() is None
    with cell.borrow():
        assert cell.try_borrow_mut() is None
        other = cell.try_borrow()
        assert other is not None
        other.release()
    guard = cell.try_borrow_mut()
    assert guard is not None
    guard.release()


def test_try_forms_are_live_borrows(bql_held):
    cell = bql.BqlRefCell(0)
    guard = cell.try_borrow_mut()
    with pytest.raises(bql.BorrowError, match=r"by try_borrow_mut\(\) at"):
        cell.borrow()
    with pytest.raises(bql.BqlUnlockError):
        bql.unlock()
    guard.release()


@pytest.mark.parametrize(
    "method", ["borrow", "borrow_mut", "try_borrow", "try_borrow_mut"]
)
def test_borrowing_without_the_bql_is_refused(method):
    cell = bql.BqlRefCell(0)
    with pytest.raises(
        bql.BqlNotHeldError, match=rf"BqlRefCell\.{method}\(\) without the BQL"
    ):
        getattr(cell, method)()


def test_release_ends_the_borrow_early(bql_held):
    cell = bql.BqlRefCell(0)
    guard = cell.borrow_mut()
    guard.release()
    cell.borrow_mut().release()


def test_second_release_raises(bql_held):
    guard = bql.BqlRefCell(0).borrow()
    guard.release()
    with pytest.raises(bql.BorrowReleasedError, match="already released"):
        guard.release()


def test_release_inside_with_block_is_fine(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as regs:
        regs.lcr = 1
        regs.release()  # type: ignore[attr-defined]
        cell.borrow().release()
    assert cell.borrow().lcr == 1


def test_with_block_ends_the_borrow_even_on_error(bql_held):
    cell = bql.BqlRefCell(0)
    with pytest.raises(KeyError), cell.borrow_mut():
        raise KeyError("x")
    cell.borrow_mut().release()


def test_a_dropped_guard_ends_its_borrow(bql_held):
    cell = bql.BqlRefCell([1])
    cell.borrow_mut().append(2)  # a temporary borrow lives for its expression
    guard = cell.borrow_mut()
    del guard
    with cell.borrow() as items:
        assert list(items) == [1, 2]


def test_a_guard_left_in_a_returning_function_is_dropped(bql_held):
    cell = bql.BqlRefCell(Regs())

    def read_lcr() -> int:
        regs = cell.borrow()
        return regs.lcr

    assert read_lcr() == 0
    cell.borrow_mut().release()


@pytest.mark.parametrize(
    "use",
    [
        lambda g: g.lcr,
        lambda g: g.total(),
        lambda g: g.value,
        lambda g: g.fifo,
        lambda g: len(g),
        lambda g: iter(g),
        lambda g: 1 in g,
        lambda g: g[0],
        lambda g: g.__enter__(),
    ],
    ids=["attr", "method", "value", "field", "len", "iter", "contains", "item", "with"],
)
@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
def test_any_use_after_release_raises(bql_held, kind, use):
    guard = getattr(bql.BqlRefCell(Regs()), kind)()
    guard.release()
    with pytest.raises(
        bql.BorrowReleasedError,
        match=f"through a {kind}\\(\\) guard that was already released",
    ):
        use(guard)


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
def test_writes_after_release_raise(bql_held, kind):
    cell = bql.BqlRefCell([1])
    with getattr(cell, kind)() as guard:
        pass
    with pytest.raises(bql.BorrowReleasedError):
        guard.x = 1
    with pytest.raises(bql.BorrowReleasedError):
        guard[0] = 1
    with pytest.raises(bql.BorrowReleasedError):
        del guard[0]
    with pytest.raises(bql.BorrowReleasedError):
        del guard.x


def test_shared_borrow_reads_attributes_items_and_methods(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow() as regs:
        assert regs.lcr == 0
        assert regs.total() == 0
        assert regs.fifo[1] == 0
    with bql.BqlRefCell({"a": 1}).borrow() as mapping:
        assert mapping["a"] == 1
        assert "a" in mapping
        assert len(mapping) == 1
        assert list(mapping) == ["a"]
        assert mapping.get("b", 2) == 2  # the inner dict's own get()


@pytest.mark.parametrize(
    "write",
    [
        lambda g: setattr(g, "lcr", 1),
        lambda g: delattr(g, "lcr"),
        lambda g: g.__setitem__(0, 1),
        lambda g: g.__delitem__(0),
        lambda g: setattr(g, "value", Regs()),
    ],
    ids=["setattr", "delattr", "setitem", "delitem", "value"],
)
def test_writing_through_a_shared_borrow_raises(bql_held, write):
    cell = bql.BqlRefCell(Regs())
    with (
        cell.borrow() as regs,
        pytest.raises(
            SharedBorrowWriteError,
            match=r"through a shared borrow\(\); use borrow_mut\(\)",
        ) as info,
    ):
        write(regs)
    assert isinstance(info.value, bql.BorrowError)
    assert isinstance(info.value, (AttributeError, TypeError))
    assert cell.borrow().lcr == 0


def test_exclusive_borrow_writes_through(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as regs:
        regs.lcr = 5
        regs.fifo[0] = 1
        regs.fifo.append(2)
        del regs.fifo
        regs.fifo = [7]
    with cell.borrow() as regs:
        assert regs.lcr == 5
        assert regs.fifo == [7]
        assert regs.total() == 12


def test_methods_called_through_an_exclusive_borrow_mutate_the_value(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as regs:
        regs.lcr = 3
        regs.reset()
    assert cell.borrow().lcr == 0


def test_a_method_that_writes_its_self_raises_through_a_shared_borrow(bql_held):
    # SPEC §3.1 BQL004: "calling through it a method that mutates its self" (guard_objects).
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as regs:
        regs.lcr = 3
    with cell.borrow() as regs, pytest.raises(SharedBorrowWriteError) as info:
        regs.reset()
    assert (info.value.rule, info.value.row) == ("BQL004", here() - 1)
    assert cell.borrow().lcr == 3
    with cell.borrow_mut() as regs:
        regs.reset()
    assert cell.borrow().lcr == 0


@pytest.mark.parametrize(
    "write",
    [
        lambda regs: regs.fifo.append(1),
        lambda regs: regs.fifo.__setitem__(0, 1),
        lambda regs: regs.fifo.__delitem__(0),
        lambda regs: regs.fifo.__iadd__([1]),
        lambda regs: regs.table["a"].append(1),
        lambda regs: regs.table.update(b=[]),
    ],
    ids=["append", "setitem", "delitem", "iadd", "nested-append", "dict-update"],
)
def test_containers_reached_through_a_shared_borrow_are_read_only(bql_held, write):
    # SPEC §2.2 "Writing through a BqlRef raises": also into a list or dict field.
    value = Regs()
    value.table = {"a": [0]}  # type: ignore[attr-defined]
    cell = bql.BqlRefCell(value)
    with cell.borrow() as regs, pytest.raises(SharedBorrowWriteError) as info:
        write(regs)
    assert info.value.rule == "BQL004"
    assert (value.fifo, value.table) == ([0, 0, 0], {"a": [0]})  # type: ignore[attr-defined]
    with cell.borrow() as regs:  # reads see the values, and compare as the containers do
        assert regs.fifo == [0, 0, 0] and list(regs.fifo) == [0, 0, 0] and len(regs.fifo) == 3
        assert regs.fifo[1:] == [0, 0] and regs.table["a"] == [0] and regs.table.get("b") is None
        assert copy.deepcopy(regs.fifo) == [0, 0, 0] and type(copy.copy(regs.fifo)) is list
        tail = regs.fifo[1:]  # a slice is a new list, the reader's own
        tail.append(9)
    with cell.borrow_mut() as regs:  # an exclusive borrow writes
        write(regs)


class Nested:
    def __init__(self) -> None:
        self.n = 0
        self.items = [1]
        self.arr = array.array("i", [1])
        self.buf = memoryview(bytearray(b"ab"))
        self.rows = [[0], [0]]
        self.d = {"k": [0]}


def _write_each_row(regs: Any) -> None:
    for row in regs.rows:
        row.append(1)


@pytest.mark.parametrize(
    "write",
    [
        lambda regs: setattr(regs.value, "n", 3),
        lambda regs: regs.value.items.append(5),
        lambda regs: regs.arr.append(9),
        lambda regs: regs.arr.__setitem__(0, 9),
        lambda regs: regs.buf.__setitem__(0, 9),
        _write_each_row,
        lambda regs: regs.d.get("k").append(2),
        lambda regs: next(iter(regs.d.values())).append(2),
        lambda regs: next(iter(regs.d.items()))[1].append(2),
        lambda regs: regs.rows.copy()[0].append(6),
        lambda regs: regs.rows[:][0].append(6),
        lambda regs: copy.copy(regs.rows)[0].append(6),
        lambda regs: (regs.rows + [])[0].append(6),
        lambda regs: next(reversed(regs.rows)).append(6),
    ],
    ids=[
        "value-setattr", "value-append", "array-append", "array-setitem", "memoryview-setitem",
        "iterated-row", "dict-get", "dict-values", "dict-items", "list-copy", "slice", "copy-copy",
        "concatenation", "reversed",
    ],
)  # fmt: skip
def test_every_way_into_a_shared_borrow_is_read_only(bql_held, write):
    # rt14 #07: `.value`, array.array and memoryview fields, and what iterating, get(),
    # values(), items() or a shallow copy hands out were raw: writes went through.
    cell = bql.BqlRefCell(Nested())
    before = repr(vars(cell._value))
    with cell.borrow() as regs, pytest.raises(SharedBorrowWriteError) as info:
        write(regs)
    assert info.value.rule == "BQL004"
    message = str(info.value)
    assert message.startswith("cannot ") and "through a shared borrow(); use borrow_mut()" in message
    assert repr(vars(cell._value)) == before
    with cell.borrow() as regs:  # reads still work, and give the values
        assert regs.value.n == 0 and regs.arr[0] == 1 and bytes(regs.arr) == bytes(array.array("i", [1]))
        assert [list(row) for row in regs.rows] == [[0], [0]] and regs.d.get("k") == [0]
        assert bytes(regs.buf) == b"ab" and list(regs.rows.copy()) == [[0], [0]]
        mine = regs.rows.copy()  # the copy itself is the reader's own
        mine.append([1])
    with cell.borrow_mut() as regs:  # an exclusive borrow writes
        write(regs)


def test_iterating_a_shared_guard_hands_out_read_only_items(bql_held):
    cell = bql.BqlRefCell([[0], [1]])
    with cell.borrow() as rows, pytest.raises(SharedBorrowWriteError):
        for row in rows:
            row.append(2)
    assert cell.borrow().value == [[0], [1]]


@pytest.mark.parametrize(
    ("value", "call"),
    [
        ([1, 2], lambda g: g.append(3)),
        ([2, 1], lambda g: g.sort()),
        ({"a": 1}, lambda g: g.update(b=2)),
        ({"a": 1}, lambda g: g.setdefault("b", 2)),
        ({1}, lambda g: g.add(2)),
        (bytearray(b"ab"), lambda g: g.extend(b"c")),
        (collections.OrderedDict(a=1, b=2), lambda g: g.move_to_end("a")),
        (collections.Counter(a=5), lambda g: g.subtract("a")),
        (collections.defaultdict(int), lambda g: g.__missing__("new")),
    ],
    ids=[
        "list.append", "list.sort", "dict.update", "dict.setdefault", "set.add", "bytearray.extend",
        "OrderedDict.move_to_end", "Counter.subtract", "defaultdict.__missing__",
    ],
)
def test_in_place_methods_of_a_container_through_a_shared_borrow_raise(bql_held, value, call):
    # SPEC §2.2 "Writing through a BqlRef raises": a built-in container's in-place method
    # is a write (bqlint's BQL004 names the same methods); reads still work.
    cell = bql.BqlRefCell(value)
    before = copy.copy(value)
    for _ in range(2):  # the first read of a name, then the learned one
        with cell.borrow() as guard, pytest.raises(SharedBorrowWriteError, match=r"through a shared borrow") as info:
            call(guard)
        # The function holding the guard passed it to the lambda that wrote: that call's row.
        assert (info.value.rule, info.value.row) == ("BQL004", here() - 2)
    assert cell.borrow().value == before  # type: ignore[attr-defined]
    with cell.borrow() as guard:
        assert guard.copy() == before
    with cell.borrow_mut() as guard:
        call(guard)
    assert cell.borrow().value != before  # type: ignore[attr-defined]


def test_reading_a_missing_key_of_a_defaultdict_through_a_shared_borrow_raises(bql_held):
    # A defaultdict inserts the key it is asked for: through a BqlRef, a write (SPEC §2.2).
    class Regs:
        def __init__(self) -> None:
            self.seen = collections.defaultdict(int, a=1)
            self.counts = collections.Counter(a=5)

    cell = bql.BqlRefCell(Regs())
    with cell.borrow() as regs:
        assert (regs.seen["a"], "new" in regs.seen, regs.seen.get("new")) == (1, False, None)
        row = here() + 2
        with pytest.raises(SharedBorrowWriteError) as info:
            regs.seen["new"]
        assert str(info.value) == (
            "cannot read a missing key of a defaultdict (it inserts it) through a shared"
            f" borrow(); use borrow_mut() (bqlint: BQL004 at {__file__}:{row})"
        )
        assert (regs.counts["a"], regs.counts["new"]) == (5, 0)  # a Counter inserts nothing
        with pytest.raises(SharedBorrowWriteError):
            regs.counts.subtract("a")
        with pytest.raises(SharedBorrowWriteError):
            regs.seen.__missing__("new")
    with cell.borrow_mut() as regs:
        assert (dict(regs.seen), dict(regs.counts)) == ({"a": 1}, {"a": 5})
        assert regs.seen["new"] == 0  # an exclusive borrow may insert
    plain = bql.BqlRefCell(collections.defaultdict(list))
    with plain.borrow() as seen, pytest.raises(SharedBorrowWriteError):
        seen["new"]
    assert plain.borrow().value == {}


def test_value_gets_and_replaces_the_whole_inner_value(bql_held):
    cell = bql.BqlRefCell([1])
    with cell.borrow() as items:
        assert items.value == [1]  # type: ignore[attr-defined]
    guard = cell.borrow_mut()
    guard.value = [2, 3]
    assert guard.value == [2, 3]
    guard.release()
    assert cell.borrow().value == [2, 3]
    with cell.borrow_mut() as items:
        items[0] = 9
    assert cell.borrow().value == [9, 3]


class _TimerRegs:
    def __init__(self) -> None:
        self.value = 0xFFFF  # a register named `value` (SP804's TimerXValue)
        self.load = 0


@pytest.mark.parametrize("checks", [True, False])
def test_an_inner_value_with_its_own_value_field_is_reached_through_it(bql_held, checks):
    # SPEC §2.2: a guard gives attribute access to the inner value; `.value` reaches the
    # whole value only when the inner value has no `value` attribute of its own.
    bql.set_checks(checks)
    try:
        cell = bql.BqlRefCell(_TimerRegs())
        with cell.borrow_mut() as regs:
            regs.value = 5
            regs.load = 7
            assert regs.value == 5
        guard = cell.borrow_mut()
        guard.value -= 1
        guard.release()
        with cell.borrow() as regs:
            assert (regs.value, regs.load) == (4, 7)
            assert isinstance(cell.borrow().value, int)
    finally:
        bql.set_checks(True)


def test_items_through_an_exclusive_borrow(bql_held):
    cell = bql.BqlRefCell({"a": 1})
    with cell.borrow_mut() as mapping:
        mapping["b"] = 2
        del mapping["a"]
    assert cell.borrow().value == {"b": 2}


def test_guard_is_truthy_even_around_an_empty_value(bql_held):
    cell = bql.BqlRefCell([])
    guard = cell.try_borrow()
    assert guard  # `if guard := cell.try_borrow():` must work for empty values
    guard.release()


def test_guards_cannot_be_copied(bql_held):
    with (
        bql.BqlRefCell([1]).borrow() as guard,
        pytest.raises(TypeError, match="cannot be copied"),
    ):
        copy.copy(guard)


def test_reprs(bql_held):
    cell = bql.BqlRefCell([1])
    assert repr(cell) == "BqlRefCell([1])"
    guard = cell.borrow_mut()
    assert repr(guard) == "BqlRefMut([1])"
    assert repr(cell) == "BqlRefCell(<mutably borrowed>)"
    guard.release()
    assert repr(guard) == "BqlRefMut(released)"


def test_with_checks_off_borrows_are_untracked():
    bql.set_checks(False)
    cell = bql.BqlRefCell([1])
    a = cell.borrow_mut()
    b = cell.borrow_mut()  # no conflict detection
    a.append(2)
    assert b.value == [1, 2]
    with cell.borrow() as ro, pytest.raises(SharedBorrowWriteError):
        ro[0] = 0
    a.release()
    with pytest.raises(bql.BorrowReleasedError):
        a.release()
    assert cell.try_borrow_mut() is not None


UNTRACKED = "taken with checks off, alive when they were switched on"


def test_a_borrow_mut_taken_with_checks_off_is_tracked_once_they_are_on(bql_held):
    # rt15 #08: the guard must not let a conflicting borrow, or an unlock, through.
    cell = bql.BqlRefCell([0])
    bql.set_checks(False)
    first = cell.borrow_mut()
    switched = here() + 1
    bql.set_checks(True)
    site = f"borrow_mut() {UNTRACKED} at {__file__}:{switched} in {sys._getframe().f_code.co_name}"
    for attempt in (cell.borrow_mut, cell.borrow):
        with pytest.raises(bql.BorrowError) as info:
            attempt()
        assert str(info.value).startswith(
            f"cannot {attempt.__name__}() BqlRefCell[list]: it is already mutably borrowed by {site}"
        )
    assert (cell.try_borrow_mut(), cell.try_borrow()) == (None, None)
    with pytest.raises(bql.BqlUnlockError) as unlock_info:
        bql.unlock()
    assert str(unlock_info.value) == (
        f"cannot release the BQL while 1 borrow is alive: {site} (bqlint: BQL002 at {__file__}:{switched + 10})"
    )
    assert bql.is_locked()
    first.append(1)
    first.release()
    with cell.borrow_mut() as items:
        assert items == [0, 1]


def test_shared_borrows_taken_with_checks_off_are_tracked_once_they_are_on(bql_held):
    cell = bql.BqlRefCell(1)
    bql.set_checks(False)
    with cell.borrow() as a:
        b = cell.borrow()
        bql.set_checks(True)
        switched = here() - 1
        with pytest.raises(bql.BorrowError) as info:
            cell.borrow_mut()
        assert str(info.value) == (
            f"cannot borrow_mut() BqlRefCell[int]: it is already borrowed by borrow() {UNTRACKED} at"
            f" {__file__}:{switched} in {sys._getframe().f_code.co_name} (2 borrows)"
            f" (bqlint: BQL003 at {__file__}:{switched + 3})"
        )
        assert cell.borrow() == a == b == 1  # shared borrows still coexist
    with pytest.raises(bql.BorrowError):  # `b` is still alive
        cell.borrow_mut()
    b.release()
    assert cell._borrows == 0
    cell.borrow_mut().release()


def test_checks_cannot_go_on_over_conflicting_borrows_taken_with_them_off(bql_held):
    cell = bql.BqlRefCell(0)
    bql.set_checks(False)
    first, second = cell.borrow_mut(), cell.borrow_mut()
    with pytest.raises(bql.BorrowError) as info:
        bql.set_checks(True)
    assert str(info.value).startswith(
        "cannot switch checks on: BqlRefCell[int] has conflicting borrows alive"
        " (borrow_mut(), borrow_mut()), some taken with checks off; release them first"
    )
    assert not bql.checks_enabled()
    assert STATE_LIVE() == {}  # nothing half registered
    second.release()
    bql.set_checks(True)
    with pytest.raises(bql.BorrowError):
        cell.borrow()
    first.release()
    cell.borrow().release()


def test_a_dropped_guard_taken_with_checks_off_does_not_count(bql_held):
    cell = bql.BqlRefCell(0)
    bql.set_checks(False)
    cycle: list[object] = [cell.borrow_mut()]
    cycle.append(cycle)  # only garbage refers to the guard now
    del cycle
    bql.set_checks(True)
    cell.borrow_mut().release()


def test_guard_taken_with_checks_on_is_released_correctly_after_switching_off(bql_held):
    cell = bql.BqlRefCell(0)
    guard = cell.borrow_mut()
    bql.set_checks(False)
    guard.release()
    bql.set_checks(True)
    cell.borrow_mut().release()


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
def test_operators_comparisons_and_conversions_go_to_the_value(bql_held, kind):
    with getattr(bql.BqlRefCell(6), kind)() as n:
        assert n == 6
        assert n != 7
        assert 5 < n <= 6
        assert (n + 1, 1 + n, n - 1, 10 - n, n * 2, n // 4, 13 % n) == (
            7,
            7,
            5,
            4,
            12,
            1,
            1,
        )
        assert (n / 4, 2**n, n << 1, n & 3, n | 1, n ^ 2) == (1.5, 64, 12, 2, 7, 4)
        assert (divmod(n, 4), -n, abs(-n), ~n, +n) == ((1, 2), -6, 6, -7, 6)
        assert (int(n), float(n), hex(n), round(n), f"{n:>3}", str(n)) == (
            6,
            6.0,
            "0x6",
            6,
            "  6",
            "6",
        )
        assert hash(n) == hash(6)
        assert [0] * 7 == [0] * (n + 1)


class _Scalar:
    def __init__(self) -> None:
        self.calls = 0

    def __pow__(self, exponent: int, modulo: int | None = None) -> tuple[str, int, int | None]:
        return ("pow", exponent, modulo)

    def __rpow__(self, base: int) -> tuple[str, int]:
        return ("rpow", base)

    def __trunc__(self) -> int:
        return 7

    def __floor__(self) -> int:
        return 6

    def __ceil__(self) -> int:
        return 8

    def __bytes__(self) -> bytes:
        return b"scalar"

    def __reversed__(self) -> list[str]:
        return ["own"]

    def __call__(self, x: int) -> int:
        self.calls += 1
        return x * 2


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
def test_every_value_protocol_goes_through_a_guard(bql_held, kind):
    # The guard stands for its value: reversed(), three-argument pow(), math.trunc/floor/
    # ceil, bytes() and calls give what the value itself gives.
    wide = 10**20 + 1  # exact: not through float()
    with getattr(bql.BqlRefCell(wide), kind)() as n:
        assert (math.trunc(n), math.floor(n), math.ceil(n), pow(n, 2, 7)) == (wide, wide, wide, 2)
        assert (pow(n, 2), 3 ** bql.BqlRefCell(3).borrow()) == (wide**2, 27)
    with getattr(bql.BqlRefCell({"a": 1, "b": 2}), kind)() as mapping:
        assert list(reversed(mapping)) == ["b", "a"]
    with getattr(bql.BqlRefCell([1, 2, 3]), kind)() as items:
        assert list(reversed(items)) == [3, 2, 1]
    cell = bql.BqlRefCell(_Scalar())
    with getattr(cell, kind)() as scalar:
        assert (pow(scalar, 2, 5), scalar**2, 2**scalar) == (("pow", 2, 5), ("pow", 2, None), ("rpow", 2))
        assert (math.trunc(scalar), math.floor(scalar), math.ceil(scalar)) == (7, 6, 8)
        assert (bytes(scalar), list(reversed(scalar))) == (b"scalar", ["own"])
        if kind == "borrow_mut":
            assert scalar(4) == 8
    with getattr(bql.BqlRefCell(len), kind)() as function:
        assert function([1, 2]) == 2
    holder = bql.BqlRefCell(types.SimpleNamespace(scalar=_Scalar()))
    with getattr(holder, kind)() as regs:  # through a borrow(), regs.scalar is a view
        assert (pow(regs.scalar, 2, 5), 2**regs.scalar) == (("pow", 2, 5), ("rpow", 2))


def test_calling_through_a_shared_borrow_cannot_write_the_value(bql_held):
    cell = bql.BqlRefCell(_Scalar())
    with cell.borrow() as scalar, pytest.raises(SharedBorrowWriteError, match=r"^cannot set \.calls"):
        scalar(4)  # __call__ writes its self: refused before writing
    with cell.borrow_mut() as scalar:
        assert (scalar(4), scalar.calls) == (8, 1)


def test_reversed_through_a_shared_borrow_hands_out_read_only_items(bql_held):
    cell = bql.BqlRefCell([[1], [2]])
    with cell.borrow() as rows:
        last = next(reversed(rows))
        assert last == [2]
        with pytest.raises(SharedBorrowWriteError):
            last.append(3)
    assert cell.borrow().value == [[1], [2]]


def test_protocols_through_a_released_guard_raise(bql_held):
    guard = bql.BqlRefCell(_Scalar()).borrow_mut()
    guard.release()
    for use in (lambda: reversed(guard), lambda: guard(1), lambda: pow(guard, 2, 5), lambda: math.trunc(guard)):
        with pytest.raises(bql.BorrowReleasedError):
            use()


def test_two_guards_compare_by_value(bql_held):
    a, b = bql.BqlRefCell([1]), bql.BqlRefCell([1])
    with a.borrow() as x, b.borrow() as y:
        assert x == y
        assert x == [1]


def test_in_place_operators_through_an_exclusive_borrow_update_the_cell(bql_held):
    count = bql.BqlRefCell(1)
    with count.borrow_mut() as n:
        n += 4
        n *= 2
        n -= 1
        assert n == 9
        n.release()  # type: ignore[attr-defined] - n is still the guard
    assert count.borrow().value == 9
    items = bql.BqlRefCell([1])
    with items.borrow_mut() as lst:
        lst += [2]
    assert items.borrow().value == [1, 2]


def test_in_place_operators_through_a_shared_borrow_raise(bql_held):
    count = bql.BqlRefCell(1)
    with count.borrow() as n, pytest.raises(SharedBorrowWriteError, match="in place"):
        n += 1
    assert count.borrow().value == 1


def test_operators_after_release_raise(bql_held):
    guard = bql.BqlRefCell(1).borrow()
    guard.release()
    for use in (
        lambda: guard == 1,
        lambda: guard + 1,
        lambda: 1 + guard,
        lambda: int(guard),
    ):
        with pytest.raises(bql.BorrowReleasedError):
            use()


# A cell hands out again the guards it released last, when nothing else refers to them
# (bql.ref_cell._ref_guard): these tests pin down that reuse is never visible.


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
def test_a_released_guard_still_referenced_is_never_handed_out_again(bql_held, kind):
    cell = bql.BqlRefCell(Regs())
    kept = []
    for _ in range(5):
        with getattr(cell, kind)() as regs:
            assert regs.lcr == 0
        kept.append(regs)
    assert len({id(guard) for guard in kept}) == len(kept)
    for guard in kept:
        assert repr(guard) == f"{type(guard).__name__}(released)"
        with pytest.raises(bql.BorrowReleasedError, match="already released"):
            guard.lcr
        with pytest.raises(bql.BorrowReleasedError):
            guard.__enter__()
        with pytest.raises(bql.BorrowReleasedError):
            guard.release()


def test_the_guard_of_the_last_block_stays_released_while_the_next_block_runs(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as first:
        first.lcr = 1
    with cell.borrow_mut() as second:
        assert second is not first
        second.lcr = 2
        with pytest.raises(bql.BorrowReleasedError):
            first.lcr = 3
    with pytest.raises(bql.BorrowReleasedError):
        second.lcr = 4
    assert cell.borrow().lcr == 2


def test_a_free_released_guard_is_handed_out_again(bql_held):
    cell = bql.BqlRefCell(Regs())

    def write(value: int) -> None:
        with cell.borrow_mut() as regs:
            regs.lcr = value

    write(1)
    pooled = id(cell._mut_new)  # the cell keeps it alive, so the id stays its own
    guard = cell.borrow_mut()
    assert id(guard) == pooled
    guard.lcr = 2  # live again
    with pytest.raises(bql.BorrowError):
        cell.borrow()
    guard.release()
    assert cell.borrow().lcr == 2


def test_reused_guards_keep_the_borrow_registry_exact(bql_held):
    from bql.lock import STATE

    cell = bql.BqlRefCell([0])
    kept = []
    for step in range(12):
        if step % 3 == 0:
            with cell.borrow() as a, cell.borrow() as b:
                assert cell._borrows == 2
                assert len(STATE.live) == 2
            kept.append(a)
        elif step % 3 == 1:
            with cell.borrow_mut() as items:
                items[0] += 1
                assert cell._borrows == -1
                assert cell.try_borrow() is None
        else:
            guard = cell.borrow_mut()
            guard[0] += 1
            guard.release()
        assert cell._borrows == 0
        assert not STATE.live
    assert cell.borrow().value == [8]
    assert all(repr(guard) == "BqlRef(released)" for guard in kept)


def test_a_guard_dropped_live_after_reuse_still_ends_its_borrow(bql_held):
    cell = bql.BqlRefCell([1])
    for _ in range(3):
        with cell.borrow_mut() as items:
            items.append(2)
    cell.borrow_mut().append(3)  # dropped live at the end of the statement
    guard = cell.borrow_mut()
    del guard
    with cell.borrow() as items:
        assert list(items) == [1, 2, 2, 2, 3]


# The first read of a name through a guard installs a property for it on the guard
# classes (bql.guard_reads._learn): later reads take that path, with the same checks.


class Other:
    def __init__(self) -> None:
        self.only_here = 1


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
def test_a_name_read_before_reads_the_same_way_after(bql_held, kind):
    cell = bql.BqlRefCell(Regs())
    for _ in range(2):  # the second read goes through the installed property
        with getattr(cell, kind)() as regs:
            assert regs.lcr == 0
            assert regs.total() == 0
    other = getattr(bql.BqlRefCell(Other()), kind)()
    with pytest.raises(AttributeError, match="'Other' object has no attribute 'lcr'"):
        other.lcr
    assert not hasattr(other, "total")
    other.release()
    with pytest.raises(bql.BorrowReleasedError, match=r"reading \.lcr through a"):
        regs.lcr
    assert callable(regs.release)  # the guard's own names are never shadowed


def test_a_name_read_before_is_still_refused_to_another_thread(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as regs:
        regs.fifo  # learned here
    guard = cell.borrow_mut()
    errors: list[BaseException] = []

    def use() -> None:
        try:
            guard.fifo
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert [type(e) for e in errors] == [bql.errors.ThreadMismatchError]
    assert guard.fifo == [0, 0, 0]
    guard.release()


def test_writes_through_a_shared_borrow_still_raise_for_a_name_read_before(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow() as regs:
        assert regs.lcr == 0
        assert regs.lcr == 0
        with pytest.raises(SharedBorrowWriteError):
            regs.lcr = 1
        with pytest.raises(SharedBorrowWriteError):
            del regs.lcr
    with cell.borrow_mut() as regs:
        regs.lcr = 5
        del regs.fifo
    assert cell.borrow().lcr == 5


@pytest.mark.parametrize("how", [copy.copy, copy.deepcopy])
def test_a_copied_cell_gets_none_of_the_guards_kept_for_reuse(bql_held, how):
    cell = bql.BqlRefCell([1])
    for _ in range(2):
        with cell.borrow_mut() as items:
            items.append(2)
    twin = how(cell)
    for _ in range(3):  # the original's kept guards move on
        with cell.borrow_mut() as items:
            items.append(3)
    for _ in range(3):
        with twin.borrow_mut() as items:
            assert items.value is twin._value
            assert cell.try_borrow_mut() is not None  # the original is not borrowed
        with twin.borrow() as items:  # a shared guard's value is a read-only view (rt14 #07)
            assert items.value._target is twin._value


# Each cell hands out guards of classes made for it (bql.guard_cells._CELL_CLASSES), whose
# `with` methods and writes reach the cell directly; a guard released for good takes the
# plain class back. These tests pin down that neither is visible.


def test_a_cells_guards_are_plain_guards_to_their_users(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as regs:
        assert isinstance(regs, bql.BqlRefMut)
        assert type(regs).__name__ == "BqlRefMut"
        assert repr(regs).startswith("BqlRefMut(<")
    with cell.borrow() as regs:
        assert isinstance(regs, bql.BqlRef) and not isinstance(regs, bql.BqlRefMut)
        assert type(regs).__name__ == "BqlRef"
    assert repr(regs) == "BqlRef(released)"


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
def test_a_guard_released_for_good_refuses_every_use(bql_held, kind):
    cell = bql.BqlRefCell(Regs())
    kept = []
    for _ in range(4):  # every guard stays referenced: the first ones leave the pool
        with getattr(cell, kind)() as regs:
            pass
        kept.append(regs)
    for guard in kept:
        with pytest.raises(bql.BorrowReleasedError), guard:
            pass
        guard.__exit__(None, None, None)  # leaving a block twice ends nothing more
        with pytest.raises((bql.BorrowReleasedError, SharedBorrowWriteError)) as info:
            guard.lcr = 9
        assert isinstance(info.value, bql.BorrowReleasedError)
    with cell.borrow_mut() as regs, pytest.raises(bql.BorrowError):
        cell.borrow()  # the leftover exits did not end this borrow
    assert cell.borrow().lcr == 0
    assert cell._borrows == 0


def test_a_cell_borrowed_before_still_pickles(bql_held):
    cell = bql.BqlRefCell([1])
    with cell.borrow_mut() as items:
        items.append(2)
    with cell.borrow() as items:
        pass
    twin = pickle.loads(pickle.dumps(cell))
    with twin.borrow_mut() as items:
        items.append(3)
    assert (cell.borrow().value, twin.borrow().value) == ([1, 2], [1, 2, 3])


def test_guards_of_a_copied_cell_write_to_the_copy(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as regs:
        regs.lcr = 1
    twin = copy.deepcopy(cell)
    with twin.borrow_mut() as regs:
        regs.lcr = 2
        assert cell.try_borrow_mut() is not None  # the original is not borrowed
    with pytest.raises(bql.BorrowError):
        with twin.borrow():
            twin.borrow_mut()
    assert (cell.borrow().lcr, twin.borrow().lcr) == (1, 2)


def test_switching_checks_reaches_the_guards_of_cells_borrowed_before(bql_held):
    cell = bql.BqlRefCell(Regs())
    with cell.borrow_mut() as regs:  # the cell's guard class exists from here
        regs.lcr = 1
    guard = cell.borrow_mut()
    errors: list[BaseException] = []

    def write(value: int) -> None:
        try:
            guard.lcr = value
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    def in_thread(value: int) -> None:
        thread = threading.Thread(target=write, args=(value,))
        thread.start()
        thread.join()

    in_thread(2)
    assert [type(e) for e in errors] == [bql.errors.ThreadMismatchError]
    bql.set_checks(False)  # checks off: only release is checked
    in_thread(3)
    assert len(errors) == 1 and guard.lcr == 3
    bql.set_checks(True)
    in_thread(4)
    assert [type(e) for e in errors] == [bql.errors.ThreadMismatchError] * 2
    guard.release()
    with pytest.raises(bql.BorrowReleasedError):
        guard.lcr = 5
    assert cell.borrow().lcr == 3


def test_a_guard_its_own_thread_uses_after_releasing_the_bql_is_not_held():
    # conf9 F3: with checks off the BQL can be released over a borrow; once checks are on
    # again, using the guard is a use without the BQL (no thread holds it), not a use by
    # another thread.
    cell = bql.BqlRefCell({"a": 1})
    bql.set_checks(False)
    try:
        bql.lock()
        guard = cell.borrow()
        bql.unlock()
        bql.set_checks(True)
        with pytest.raises(bql.BqlNotHeldError, match="without the BQL held"):
            guard["a"]
    finally:
        bql.set_checks(False)
        guard.release()
        bql.set_checks(True)
