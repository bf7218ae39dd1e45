"""Run-time twins (SPEC §2.3.1): each error names its bqlint rule and the row bqlint reports."""

from __future__ import annotations

import sys
import threading

import bql
import pytest
from bql.errors import (
    CellRebindingError,
    FieldMutationError,
    SharedBorrowWriteError,
    ThreadMismatchError,
)

FILE = __file__


def here() -> int:
    """Return the caller's line number."""
    return sys._getframe(1).f_lineno


def assert_twin(error: bql.BqlError, rule: str, row: int) -> None:
    assert (error.rule, error.path, error.row) == (rule, FILE, row)
    assert str(error).endswith(f" (bqlint: {rule} at {FILE}:{row})")


class Regs:
    def __init__(self) -> None:
        self.level = 0


class Uart(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.count = bql.BqlCell(0)
        self.logged = False

    def realize(self) -> None:
        super().realize()
        self.logged = False  # realize() may still set the device up

    def reset(self) -> None:
        self.logged = False  # and so may reset()

    def log(self) -> None:
        self.logged = True

    def forget(self) -> None:
        del self.logged

    def replace_count(self) -> None:
        self.count = bql.BqlCell(1)

    def update(self) -> int:
        with self.regs.borrow() as regs:
            return regs.level

    def write(self, value: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs.level = value
            self.update()


def test_conflicting_borrow_is_bql003_at_the_call_in_the_holder(bql_held):
    uart = Uart()
    with pytest.raises(bql.BorrowError) as info:
        uart.write(1)
    assert_twin(info.value, "BQL003", Uart.write.__code__.co_firstlineno + 3)


def test_direct_conflict_is_bql003_at_the_second_borrow(bql_held):
    cell = bql.BqlRefCell(Regs())
    guard = cell.borrow_mut()
    with pytest.raises(bql.BorrowError) as info:
        cell.borrow()
    assert_twin(info.value, "BQL003", here() - 1)
    guard.release()


def test_recursion_is_bql003_at_the_recursive_call_of_the_holder(bql_held):
    cell = bql.BqlRefCell(Regs())
    rows = []

    def visit(depth: int) -> None:
        with cell.borrow_mut():
            if depth:
                rows.append(here() + 1)
                visit(depth - 1)

    with pytest.raises(bql.BorrowError) as info:
        visit(1)
    assert_twin(info.value, "BQL003", rows[0])


def test_unlock_over_a_borrow_is_bql002_at_the_line_running_in_the_holder(bql_held):
    cell = bql.BqlRefCell(Regs())

    def wait() -> None:
        with bql.unlocked():
            pass

    with cell.borrow():
        with pytest.raises(bql.BqlUnlockError) as info:
            wait()
        row = here() - 1
    assert_twin(info.value, "BQL002", row)


def _take(cell: bql.BqlRefCell[Regs]) -> bql.BqlRefMut[Regs]:
    return cell.borrow_mut()  # the guard escapes: the caller holds the borrow


def test_a_borrow_returned_by_a_helper_is_held_by_the_caller(bql_held):
    # SPEC §2.3.1: the row is the line running in the function that holds the borrow; the
    # helper that took it has returned, so that is the caller with the guard in a local.
    cell = bql.BqlRefCell(Regs())
    guard = _take(cell)
    with pytest.raises(bql.BorrowError) as conflict:
        cell.borrow()
    assert_twin(conflict.value, "BQL003", here() - 1)
    with pytest.raises(bql.BqlUnlockError) as unlock:
        bql.unlock()
    assert_twin(unlock.value, "BQL002", here() - 1)
    guard.release()


def test_a_returned_borrow_kept_in_a_container_is_held_by_the_function_keeping_it(bql_held):
    cell = bql.BqlRefCell(Regs())
    holder = [_take(cell)]
    with pytest.raises(bql.BorrowError) as conflict:
        cell.borrow()
    assert_twin(conflict.value, "BQL003", here() - 1)
    holder[0].release()


class _Box:
    guard: object = None


def test_a_returned_borrow_nobody_holds_is_located_where_it_was_taken(bql_held):
    cell = bql.BqlRefCell(Regs())
    box = _Box()
    box.guard = _take(cell)  # in another object's attribute: only the site is known
    with pytest.raises(bql.BorrowError) as conflict:
        cell.borrow()
    assert_twin(conflict.value, "BQL003", _take.__code__.co_firstlineno + 1)
    box.guard.release()  # type: ignore[attr-defined]


def test_releases_bql_call_over_a_borrow_is_bql002_at_the_call(bql_held):
    @bql.releases_bql
    def drain() -> None:
        pass

    with bql.BqlRefCell(Regs()).borrow_mut():
        with pytest.raises(bql.BqlUnlockError) as info:
            drain()
        row = here() - 1
    assert_twin(info.value, "BQL002", row)


def test_cell_operation_without_the_bql_is_bql006_at_the_operation():
    cell = bql.BqlCell(0)
    with pytest.raises(bql.BqlNotHeldError) as info:
        cell.get()
    assert_twin(info.value, "BQL006", here() - 1)
    irq = bql.InterruptSource()
    with pytest.raises(bql.BqlNotHeldError) as info:
        irq.pulse()
    assert_twin(info.value, "BQL006", here() - 1)


def test_requires_bql_call_without_the_bql_is_bql006_at_the_call():
    with pytest.raises(bql.BqlNotHeldError) as info:
        Uart().realize()  # its super().realize() is the @requires_bql one
    assert_twin(info.value, "BQL006", Uart.realize.__code__.co_firstlineno + 1)


def test_unlock_by_a_non_holder_is_no_rule_twin():
    with pytest.raises(bql.BqlNotHeldError) as info:
        bql.unlock()
    assert info.value.rule is None and "(bqlint:" not in str(info.value)


def test_use_after_release_is_bql005_at_the_use(bql_held):
    with bql.BqlRefCell(Regs()).borrow_mut() as regs:
        pass
    with pytest.raises(bql.BorrowReleasedError) as info:
        regs.level = 2
    assert_twin(info.value, "BQL005", here() - 1)
    with pytest.raises(bql.BorrowReleasedError) as info:
        regs.release()  # type: ignore[attr-defined]
    assert_twin(info.value, "BQL005", here() - 1)


def test_write_through_a_shared_borrow_is_bql004_at_the_write(bql_held):
    with bql.BqlRefCell(Regs()).borrow() as regs:
        with pytest.raises(SharedBorrowWriteError) as info:
            regs.level = 1
        assert_twin(info.value, "BQL004", here() - 1)


def test_rebinding_a_cell_field_of_a_realized_device_is_bql007(bql_held):
    uart = Uart()
    uart.realize()
    with pytest.raises(CellRebindingError) as info:
        uart.replace_count()
    assert_twin(info.value, "BQL007", Uart.replace_count.__code__.co_firstlineno + 1)


def test_a_device_method_rebinding_a_cell_before_realize_is_bql007():
    with pytest.raises(CellRebindingError, match="cannot rebind `count` of Uart") as info:
        Uart().replace_count()
    assert_twin(info.value, "BQL007", Uart.replace_count.__code__.co_firstlineno + 1)


class Counter(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.count = bql.BqlCell(0)
        self.irq = bql.InterruptSource()

    def bump(self) -> None:
        self.count += 1  # type: ignore[operator]

    def shift_irq(self) -> None:
        self.irq <<= 1  # type: ignore[operator]

    def bump_local(self) -> None:
        count = self.count
        count += 1  # type: ignore[operator]


def test_an_augmented_assignment_of_a_cell_field_is_bql007(bql_held):
    """SPEC §3.1.1: BQL007 covers `+=`-style updates; the cell's in-place operator is where
    the run time sees the statement (the store that follows is never reached)."""
    counter = Counter()
    counter.realize()
    with pytest.raises(CellRebindingError, match="cannot rebind `count` of a realized Counter") as info:
        counter.bump()
    assert_twin(info.value, "BQL007", Counter.bump.__code__.co_firstlineno + 1)
    with pytest.raises(CellRebindingError, match="cannot rebind `irq`") as info:
        counter.shift_irq()
    assert_twin(info.value, "BQL007", Counter.shift_irq.__code__.co_firstlineno + 1)
    assert counter.count.get() == 0


def test_an_augmented_assignment_of_a_local_cell_is_a_type_error(bql_held):
    """Not a field: Python's own error, as for any object without arithmetic."""
    counter = Counter()
    counter.realize()
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+="):
        counter.bump_local()
    cell = bql.BqlCell(1)
    with pytest.raises(TypeError):
        cell -= 1  # type: ignore[operator]


def test_assigning_a_plain_field_of_a_realized_device_is_bql001(bql_held):
    uart = Uart()
    uart.realize()
    uart.reset()
    with pytest.raises(FieldMutationError, match="cannot assign `logged` of a realized Uart in log") as info:
        uart.log()
    assert_twin(info.value, "BQL001", Uart.log.__code__.co_firstlineno + 1)
    with pytest.raises(FieldMutationError, match="cannot delete `logged`") as info:
        uart.forget()
    assert_twin(info.value, "BQL001", Uart.forget.__code__.co_firstlineno + 1)
    assert uart.logged is False


class BqlCellSnapshot:
    """Not a cell, though its name starts like one."""


class Recorder(bql.Device):
    """`last` is a plain field whose annotation only looks like a cell's; `spare` is a cell
    field that holds no cell yet."""

    last: BqlCellSnapshot | None
    spare: bql.BqlCell[int] | None

    def __init__(self) -> None:
        super().__init__()
        self.last = None
        self.spare = None

    def record(self) -> None:
        self.last = BqlCellSnapshot()

    def fill(self) -> None:
        self.spare = None


def test_a_field_is_a_cell_field_by_the_names_its_annotation_is_made_of(bql_held):
    recorder = Recorder()
    recorder.realize()
    with pytest.raises(FieldMutationError, match="cannot assign `last`") as info:
        recorder.record()
    assert_twin(info.value, "BQL001", Recorder.record.__code__.co_firstlineno + 1)
    recorder.fill()  # a cell field (BQL007's, not BQL001's): not refused while it holds no cell
    assert recorder.spare is None


class SlottedGpio(bql.Device):
    """A `__slots__` entry stores a plain field: bqlint's BQL001 applies to it after realize."""

    __slots__ = ("latched",)

    def __init__(self) -> None:
        super().__init__()
        self.latched = 0

    def latch(self, value: int) -> None:
        self.latched = value


def test_assigning_a_slot_of_a_realized_device_is_bql001(bql_held):
    gpio = SlottedGpio()
    gpio.realize()
    with pytest.raises(FieldMutationError, match="cannot assign `latched` of a realized SlottedGpio") as info:
        gpio.latch(1)
    assert_twin(info.value, "BQL001", SlottedGpio.latch.__code__.co_firstlineno + 1)
    assert gpio.latched == 0


class SlottedCounter(bql.Device):
    """A cell held in a `__slots__` entry is a cell field: rebinding it is BQL007."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        super().__init__()
        self.count = bql.BqlCell(0)

    def replace_count(self) -> None:
        self.count = bql.BqlCell(1)

    def bump(self) -> None:
        self.count += 1  # type: ignore[operator]

    def drop(self) -> None:
        del self.count


@pytest.mark.parametrize("method", ["replace_count", "bump", "drop"])
def test_rebinding_a_cell_in_a_slot_is_bql007(bql_held, method):
    counter = SlottedCounter()
    counter.realize()
    with pytest.raises(CellRebindingError, match="cannot rebind `count` of a realized SlottedCounter") as info:
        getattr(counter, method)()
    assert_twin(info.value, "BQL007", getattr(SlottedCounter, method).__code__.co_firstlineno + 1)
    assert counter.count.get() == 0


class Keypad(bql.Device):
    """Writes in code written inside methods: bqlint's BQL001 rows, and construction's."""

    def __init__(self) -> None:
        super().__init__()
        self.last = 0
        self.forget = lambda: setattr(self, "last", 0)  # made in __init__: construction

        def remember(key: int) -> None:
            self.last = key

        self.remember = remember

    def nested(self) -> None:
        def inner() -> None:
            self.last = 9

        inner()

    def via_lambda(self) -> None:
        f = lambda key: setattr(self, "last", key)  # noqa: E731 - the form under test
        f(3)

    def comprehension(self) -> None:
        [setattr(self, "last", key) for key in (1,)]


def test_writes_in_code_nested_in_a_method_are_that_methods_bql001(bql_held):
    pad = Keypad()
    pad.realize()
    pad.forget()  # callbacks made in construction stay free, as bqlint reports nothing
    pad.remember(4)
    assert pad.last == 4
    rows = {
        pad.nested: Keypad.nested.__code__.co_firstlineno + 2,
        pad.via_lambda: Keypad.via_lambda.__code__.co_firstlineno + 1,
        pad.comprehension: Keypad.comprehension.__code__.co_firstlineno + 1,
    }
    for method, row in rows.items():
        with pytest.raises(FieldMutationError, match=f"in {method.__name__}\\(\\)") as info:
            method()
        assert_twin(info.value, "BQL001", row)
    assert pad.last == 4  # the refused writes wrote nothing


def _recursive(cell: bql.BqlRefCell[list[int]], depth: int) -> None:
    if depth == 0:
        guard = cell.borrow_mut()
        try:
            _recursive(cell, 1)
        finally:
            guard.release()
    else:
        cell.borrow()


def test_bql003_in_recursion_is_at_the_call_of_the_activation_holding_the_guard(bql_held):
    with pytest.raises(bql.BorrowError) as info:
        _recursive(bql.BqlRefCell([0]), 0)
    assert_twin(info.value, "BQL003", _recursive.__code__.co_firstlineno + 4)


def test_guards_a_comprehension_made_are_held_by_the_function_keeping_them(bql_held):
    cell = bql.BqlRefCell([0])
    guards = [c.borrow_mut() for c in [cell]]
    with pytest.raises(bql.BorrowError) as info:
        cell.borrow()
    assert_twin(info.value, "BQL003", here() - 1)
    with pytest.raises(bql.BqlUnlockError) as unlock:
        bql.unlock()
    assert_twin(unlock.value, "BQL002", here() - 1)
    for guard in guards:
        guard.release()
    shared = list(c.borrow() for c in [cell])
    with pytest.raises(bql.BqlUnlockError) as unlock:
        bql.unlock()
    assert_twin(unlock.value, "BQL002", here() - 1)
    shared[0].release()


class Stream(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.fifo = bql.BqlRefCell([1, 2])

    def drain(self):  # type: ignore[no-untyped-def]
        with self.fifo.borrow() as fifo:
            for byte in list(fifo):
                yield byte


def test_bql002_with_a_paused_generator_holding_a_borrow_is_at_its_yield(bql_held):
    stream = Stream()
    reader = stream.drain()
    next(reader)
    with pytest.raises(bql.BqlUnlockError) as info:
        bql.unlock()
    assert_twin(info.value, "BQL002", Stream.drain.__code__.co_firstlineno + 3)
    reader.close()


def test_plain_fields_stay_free_where_bqlint_reports_nothing(bql_held):
    uart = Uart()
    uart.log()  # not realized yet
    uart.realize()
    uart.board_note = "set by the board"  # not through self: bqlint does not report it
    with bql.BqlRefCell(0).borrow_mut():
        pass
    bql.set_checks(False)
    uart.log()  # checks off: not policed


def test_a_guard_used_by_another_thread_raises(bql_held):
    guard = bql.BqlRefCell(Regs()).borrow_mut()
    errors: list[BaseException] = []

    def use() -> None:
        for action in (lambda: guard.level, lambda: setattr(guard, "level", 1), guard.release):
            try:
                action()
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert [type(e) for e in errors] == [ThreadMismatchError] * 3
    assert "a guard may only be used by the thread that took it" in str(errors[0])
    guard.level = 2  # the thread that took it still may
    guard.release()


def test_recorders_see_each_twin_as_it_is_made(bql_held):
    seen: list[str | None] = []
    stop = bql.twins.on_twin(lambda error, frame: seen.append(error.rule))
    try:
        guard = bql.BqlRefCell(0).borrow_mut()
        guard.release()
        try:
            guard.release()
        except bql.BorrowReleasedError:
            pass  # caught by the code under test, still recorded
    finally:
        stop()
    assert seen == ["BQL005"]


def test_a_cell_operation_under_without_bql_is_bql006_in_the_without_bql_function(bql_held):
    level = bql.BqlCell(0)

    def helper() -> int:
        return level.get()

    rows = []

    @bql.without_bql
    def worker() -> int:
        rows.append(here() + 1)
        return helper()  # bqlint: BQL006 at this call, where the BQL is known not held

    with pytest.raises(bql.BqlNotHeldError) as info:
        worker()
    assert_twin(info.value, "BQL006", rows[0])


def test_a_cell_operation_in_a_thread_is_bql006_in_the_thread_target():
    level = bql.BqlCell(0)
    errors: list[bql.BqlError] = []

    def helper() -> None:
        level.set(1)

    def target() -> None:
        try:
            helper()
        except bql.BqlError as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    assert_twin(errors[0], "BQL006", target.__code__.co_firstlineno + 2)


def test_a_call_where_this_function_released_the_bql_is_bql006_at_the_call(bql_held):
    # SPEC §3.1.1 "BQL006 through calls": after `unlock()` / inside `unlocked()`, the call
    # that leads to the cell operation, in the function that released the BQL.
    level = bql.BqlCell(0)

    def helper() -> int:
        return level.get()

    with bql.unlocked():
        with pytest.raises(bql.BqlNotHeldError) as inside:
            helper()
        row = here() - 1
    assert_twin(inside.value, "BQL006", row)
    bql.unlock()
    try:
        with pytest.raises(bql.BqlNotHeldError) as after:
            helper()
        row = here() - 1
    finally:
        bql.lock()
    assert_twin(after.value, "BQL006", row)


def test_a_helper_that_releases_the_bql_itself_is_where_bql006_is(bql_held):
    # The innermost place the BQL is known not held wins: a `@without_bql` function that
    # took the BQL back calls a helper that releases it for a cell operation.
    level = bql.BqlCell(0)
    rows = []

    def helper() -> None:
        with bql.unlocked():
            rows.append(here() + 1)
            level.get()

    @bql.without_bql
    def worker() -> None:
        with bql.locked():
            helper()

    with pytest.raises(bql.BqlNotHeldError) as info:
        worker()
    assert_twin(info.value, "BQL006", rows[0])


def test_a_shared_guard_passed_to_a_helper_that_writes_is_bql004_at_the_call(bql_held):
    # bqlint reports the call in the function holding the guard (BQL004 through a parameter).
    cell = bql.BqlRefCell(Regs())

    def clear(regs: Regs) -> None:
        regs.level = 0

    with cell.borrow() as regs:
        with pytest.raises(SharedBorrowWriteError) as info:
            clear(regs)
        row = here() - 1
    assert_twin(info.value, "BQL004", row)


def test_a_released_guard_passed_to_a_helper_is_bql005_at_the_call(bql_held):
    cell = bql.BqlRefCell(Regs())

    def level_of(regs: Regs) -> int:
        return regs.level

    guard = cell.borrow()
    guard.release()
    with pytest.raises(bql.BorrowReleasedError) as info:
        level_of(guard)
    assert_twin(info.value, "BQL005", here() - 1)


class Cached:
    def __init__(self) -> None:
        self.a = 1
        self._memo: int | None = None

    @property
    def memo(self) -> int:
        if self._memo is None:
            self._memo = self.a + 1
        return self._memo

    @property
    def doubled(self) -> int:
        return self.a * 2


def test_a_property_getter_writing_its_self_through_a_shared_guard_is_bql004(bql_held):
    """SPEC §3.1.2: a property read is a call to its getter; one that writes its `self`
    through a `borrow()` writes through the guard, as a method would."""
    cell = bql.BqlRefCell(Cached())
    with cell.borrow() as shared:
        assert shared.doubled == 2
        row = here() + 2
        with pytest.raises(SharedBorrowWriteError) as info:
            shared.memo
    assert_twin(info.value, "BQL004", row)
    with cell.borrow_mut() as exclusive:
        assert exclusive.memo == 2
    with cell.borrow() as shared:
        assert shared.memo == 2  # computed already: a read
