"""Borrow guards: what `BqlRefCell.borrow()` and `borrow_mut()` hand out.

A guard stands for the borrowed value: attribute and item access, operators, comparisons
and conversions go to it; a `with` block or `release()` ends the borrow, and a guard that
is dropped ends it too, as a Rust guard does at the end of its scope. A guard is always
true (so `if g := cell.try_borrow():` works) and its repr shows the guard. Split from `cell.py` because the proxying is its own
concept and the cells read better without it.

For speed, a cell keeps the last two guards of each kind it released and hands one out
again when nothing else refers to it any more (`ref_cell._ref_guard`): a borrow then creates
no object and no `__del__` runs. A kept guard is released all the same, and stays so for
whoever still holds it. The guards of a cell are of classes made for that cell, whose
`with` methods and attribute writes reach it without reading the guard (`new_mut`); to
their users they are `BqlRef` and `BqlRefMut`.

The guards live in five modules: this one (`BqlRef`, `BqlRefMut`), `guard_base.py` (what
they share, and the reuse pool), `guard_cells.py` (each cell's guard classes and the checks
switch), `guard_reads.py` (learned attribute reads) and `guard_operators.py` (operators).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import SharedBorrowWriteError
from .guard_base import _Guard, _holds_bql, _inner, _set_cell, cell_of, has_own_value
from .guard_operators import install_operators
from .guard_reads import read_through
from .guard_views import item_of, read_items, read_only
from .lock import _HELD, STATE, BorrowSite
from .twins import located_at_holder

if TYPE_CHECKING:
    from .cell import BqlRefCell

__all__ = ["BqlRef", "BqlRefMut"]

T = TypeVar("T")

_LIVE = STATE.live


class BqlRef(_Guard[T]):
    """A shared borrow of a `BqlRefCell`: read the value, never write through it.

    Writing an attribute or item through it raises `SharedBorrowWriteError` (a
    `BorrowError`), and so does changing in place a built-in container reached through it
    (`append`, `update`, `fifo[0] = x`, ...): such a field reads as a read-only view
    (`bql.guard_views`), and so does an object it reaches (`regs.sub.x = 1` raises). A
    method called through it runs on a read-only view of the value, so one that writes
    its `self` raises before writing (`bql.guard_objects`), as bqlint's BQL004 reports.

    >>> import bql
    >>> class Regs:
    ...     lcr = 0
    >>> bql.lock()
    >>> with bql.BqlRefCell(Regs()).borrow() as regs:
    ...     regs.lcr
    ...     regs.lcr = 1
    Traceback (most recent call last):
    ...
    bql.errors.SharedBorrowWriteError: cannot set .lcr through a shared borrow(); use borrow_mut()
    >>> bql.unlock()
    """

    __slots__ = ()

    @property
    def value(self) -> T:
        """The whole inner value as a read-only view (`bql.guard_views`), unless it has its
        own `value` attribute, which is then what this reads (read-only too)."""
        inner = _inner(self, "value")
        return read_only(inner.value if has_own_value(inner) else inner, self)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[Any]:
        return read_items(_inner(self, "iterating"), self)

    def __reversed__(self) -> Iterator[Any]:
        inner: Any = _inner(self, "reversed()")
        return read_items(reversed(inner), self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # A callable object runs on a read-only view of itself (`bql.guard_objects`).
        return read_only(_inner(self, "calling"), self)(*args, **kwargs)

    def _end(self, retire: bool = True) -> None:
        cell = self._cell
        try:
            if _LIVE.pop(id(self), None) is not None and cell is not None:
                cell._borrows -= 1
            _set_cell(self, None)
            if retire:
                _retire(self)
        except BaseException:  # Ctrl-C: see `end_torn`
            if cell is not None:
                end_torn(self, cell)
            raise

    def __enter__(self) -> T:
        cell = self._cell
        if cell is None or self is cell._ref_new or self is cell._ref_old:
            raise self._released("with")
        return entered_elsewhere(self) if not _holds_bql() else self  # type: ignore[return-value]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # _end() inlined: this is the hot path of every `with cell.borrow()` block. The
        # guard is released by entering its cell's pool, for reuse by the next borrow but
        # one (see `ref_cell._ref_guard`); the guard it pushes out is released for good.
        cell = self._cell
        if cell is not None and self is not cell._ref_new and self is not cell._ref_old:
            try:
                if _LIVE:  # empty with checks off: no lookup
                    try:
                        del _LIVE[id(self)]
                    except KeyError:  # taken with checks off
                        pass
                    else:
                        cell._borrows -= 1
                old = cell._ref_old
                if old is not None:
                    _retire(old)
                    _set_cell(old, None)
                cell._ref_old = cell._ref_new
                cell._ref_new = self
            except BaseException:  # Ctrl-C: the borrow ends all the same (`end_torn`)
                end_torn(self, cell)
                raise

    def __setattr__(self, name: str, value: Any) -> None:
        _inner(self, f"setting .{name}")
        raise located_at_holder(
            SharedBorrowWriteError(f"cannot set .{name} through a shared borrow(); use borrow_mut()"),
            "BQL004",
            self,
        )

    def __delattr__(self, name: str) -> None:
        _inner(self, f"deleting .{name}")
        raise located_at_holder(
            SharedBorrowWriteError(f"cannot delete .{name} through a shared borrow(); use borrow_mut()"),
            "BQL004",
            self,
        )

    def __getitem__(self, key: Any) -> Any:
        inner: Any = _inner(self, "reading an item")
        return item_of(inner, key, self)

    def __setitem__(self, key: Any, value: Any) -> None:
        _inner(self, "setting an item")
        raise located_at_holder(
            SharedBorrowWriteError("cannot set an item through a shared borrow(); use borrow_mut()"),
            "BQL004",
            self,
        )

    def __delitem__(self, key: Any) -> None:
        _inner(self, "deleting an item")
        raise located_at_holder(
            SharedBorrowWriteError("cannot delete an item through a shared borrow(); use borrow_mut()"),
            "BQL004",
            self,
        )


class BqlRefMut(_Guard[T]):
    """An exclusive borrow of a `BqlRefCell`: read and write the value through it.

    Attribute and item writes go to the inner value; assigning `value` replaces it whole.

    >>> import bql
    >>> bql.lock()
    >>> fifo = bql.BqlRefCell([0, 0])
    >>> with fifo.borrow_mut() as f:
    ...     f[0] = 5
    ...     f.append(6)
    >>> guard = fifo.borrow_mut()
    >>> guard.value = [9]
    >>> guard.release()
    >>> fifo.borrow().value
    [9]
    >>> guard[0]
    Traceback (most recent call last):
    ...
    bql.errors.BorrowReleasedError: reading an item through a borrow_mut() guard that was already released

    Operators go to the value; in-place ones store the result in the cell:

    >>> count = bql.BqlRefCell(1)
    >>> with count.borrow_mut() as n:
    ...     n += 1
    ...     n == 2, n * 10, f"{n:02d}"
    (True, 20, '02')
    >>> count.borrow().value
    2
    >>> bql.unlock()
    """

    __slots__ = ()
    _kind = "borrow_mut"

    @property
    def value(self) -> T:
        """The whole inner value; assign to it to replace the value in the cell. An inner
        value with its own `value` attribute is read and written through it instead."""
        inner = _inner(self, "value")
        return inner.value if has_own_value(inner) else inner  # type: ignore[no-any-return]

    @value.setter
    def value(self, new: T) -> None:
        inner = _inner(self, "value")
        if has_own_value(inner):
            inner.value = new
            return
        cell = self._cell
        assert cell is not None
        cell._value = new

    def _end(self, retire: bool = True) -> None:
        cell = self._cell
        try:
            if cell is not None and _LIVE.pop(cell, None) is not None:
                cell._borrows = 0
            _set_cell(self, None)
            if retire:
                _retire(self)
        except BaseException:  # Ctrl-C: see `end_torn`
            if cell is not None:
                end_torn(self, cell)
            raise

    def __enter__(self) -> T:
        cell = self._cell
        if cell is None or self is cell._mut_new or self is cell._mut_old:
            raise self._released("with")
        return entered_elsewhere(self) if not _holds_bql() else self  # type: ignore[return-value]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # _end() inlined: this is the hot path of every `with cell.borrow_mut()` block;
        # released into the cell's pool, as in `BqlRef.__exit__`.
        cell = self._cell
        if cell is not None and self is not cell._mut_new and self is not cell._mut_old:
            try:
                if _LIVE:  # empty with checks off: no lookup
                    try:
                        del _LIVE[cell]  # an exclusive borrow is registered under its cell
                    except KeyError:  # taken with checks off
                        pass
                    else:
                        cell._borrows = 0
                old = cell._mut_old
                if old is not None:
                    _retire(old)
                    _set_cell(old, None)
                cell._mut_old = cell._mut_new
                cell._mut_new = self
            except BaseException:  # Ctrl-C: the borrow ends all the same (`end_torn`)
                end_torn(self, cell)
                raise

    def __setattr__(self, name: str, value: Any) -> None:
        cell: Any = self._cell
        try:
            usable = (
                cell is not None
                and _HELD.held
                and self is not cell._mut_new
                and self is not cell._mut_old
            )
        except AttributeError:  # a thread that never took the BQL
            usable = False
        if not usable and (error := self._misuse(f"setting .{name}")) is not None:
            raise error
        if name == "value" and not has_own_value(cell._value):
            cell._value = value
        else:
            setattr(cell._value, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_inner(self, f"deleting .{name}"), name)

    def __setitem__(self, key: Any, value: Any) -> None:
        inner: Any = _inner(self, "setting an item")
        inner[key] = value

    def __delitem__(self, key: Any) -> None:
        inner: Any = _inner(self, "deleting an item")
        del inner[key]


_set_class = object.__setattr__


def entered_elsewhere(guard: _Guard[T]) -> _Guard[T]:
    """`with guard:` by a thread without the BQL: refused with checks on (the `with` would
    end the owner's borrow, without the BQL), allowed with them off."""
    if (error := guard._misuse("with")) is not None:
        raise error
    return guard


def _retire(guard: _Guard[Any]) -> None:
    """Give a guard released for good (its `_cell` is None) its kind's plain class."""
    base: type[_Guard[Any]] = BqlRefMut if isinstance(guard, BqlRefMut) else BqlRef
    if type(guard) is not base:
        _set_class(guard, "__class__", base)


def end_torn(guard: _Guard[Any] | None, cell: BqlRefCell[Any]) -> None:
    """Settle `cell` after a borrow of it, or the end of `guard`'s borrow, was cut short.

    An exception (Ctrl-C, raised between any two bytecodes of the main thread) can land
    between two steps of the bookkeeping: the registry entry, the count, the cell's pool
    of released guards. Whatever step it reached, afterwards `guard` (if any) is
    unregistered and released for good, the pool holds only distinct guards still bound
    to `cell`, and the count is what the registry says. A borrow cut short is undone
    (its caller never got the guard), a release cut short is finished. Slow: only for
    that fault.
    """
    if guard is not None:
        _LIVE.pop(cell if isinstance(guard, BqlRefMut) else id(guard), None)
        _retire(guard)
        _set_cell(guard, None)
    if cell._ref_old is not None and (cell_of(cell._ref_old) is not cell or cell._ref_old is cell._ref_new):
        cell._ref_old = None
    if cell._ref_new is not None and cell_of(cell._ref_new) is not cell:
        cell._ref_new = None
    if cell._mut_old is not None and (cell_of(cell._mut_old) is not cell or cell._mut_old is cell._mut_new):
        cell._mut_old = None
    if cell._mut_new is not None and cell_of(cell._mut_new) is not cell:
        cell._mut_new = None
    if cell in _LIVE:
        cell._borrows = -1
    else:
        cell._borrows = sum(1 for entry in _LIVE.values() if type(entry) is tuple and entry[0] is cell)


def is_live_guard(obj: object, live: Mapping[object, BorrowSite | str]) -> bool:
    """Whether `obj` is the guard of a borrow registered in `live` (`STATE.live`).

    A shared borrow is registered under its guard's id, an exclusive one under its cell;
    the released guards a cell keeps for reuse are neither.
    """
    if isinstance(obj, BqlRefMut):
        cell = obj._live_cell()
        return cell is not None and cell in live
    return isinstance(obj, BqlRef) and id(obj) in live and obj._live_cell() is not None


read_through(BqlRef, BqlRefMut)
install_operators(BqlRef, BqlRefMut)
