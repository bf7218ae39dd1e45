"""`BqlRefCell`: larger state borrowed shared or exclusive, only while the BQL is held.

Part of the `bql` runtime (see `bql.cell` for the discipline); the guards it hands out
are in `guard.py`. `bql.cell` re-exports it, and `bql.set_checks(False)` swaps in the
unchecked twins below.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from types import CodeType
from typing import Any, Generic, TypeVar

from .errors import BorrowError
from .in_place import InPlaceRefused
from .guard import BqlRef, BqlRefMut, end_torn
from .guard_base import FREE_REFS
from .guard_cells import new_mut, new_ref
from .lock import _HELD, STATE, describe_site, describe_sites, live_sites
from .twins import attach_to_holder
from .unwound import end_finished_borrows, end_unwound_borrows
from .value_cell import not_held

__all__ = ["BqlRefCell", "UNCHECKED"]

T = TypeVar("T")

_LIVE = STATE.live
_getframe = sys._getframe
_refcount = sys.getrefcount


class BqlRefCell(InPlaceRefused, Generic[T]):
    """Larger state, borrowed shared (`borrow()`) or exclusive (`borrow_mut()`) under the BQL.

    >>> import bql
    >>> bql.lock()
    >>> regs = bql.BqlRefCell({"cr": 0})
    >>> with regs.borrow_mut() as r:
    ...     r["cr"] = 0x301
    >>> regs.borrow()["cr"]
    769
    >>> bql.unlock()
    """

    # `_ref_new`/`_ref_old` and `_mut_new`/`_mut_old`: the two guards of each kind this
    # cell released last (see `BqlRefMut.__exit__`), handed out again by the next borrow
    # when nothing else refers to them any more. `_site_code`/`_site_lasti`: where the
    # live exclusive borrow was taken (see `STATE.live`). `_ref_cls`/`_mut_cls`: the
    # guard classes made for this cell (see `guard._CELL_CLASSES`), None until needed.
    __slots__ = (
        "_borrows",
        "_mut_cls",
        "_mut_new",
        "_mut_old",
        "_ref_cls",
        "_ref_new",
        "_ref_old",
        "_site_code",
        "_site_lasti",
        "_value",
    )

    def __init__(self, value: T) -> None:
        """Create a cell holding `value`, not borrowed."""
        self._value = value
        # Live tracked borrows: n > 0 shared, -1 exclusive, 0 none.
        self._borrows = 0
        self._ref_new: BqlRef[T] | None = None
        self._ref_old: BqlRef[T] | None = None
        self._mut_new: BqlRefMut[T] | None = None
        self._mut_old: BqlRefMut[T] | None = None
        self._site_code: CodeType | None = None
        self._site_lasti = 0
        self._ref_cls: type[BqlRef[T]] | None = None
        self._mut_cls: type[BqlRefMut[T]] | None = None

    def borrow(self) -> BqlRef[T]:
        """Borrow the value for reading; any number of shared borrows may be alive at once.

        >>> import bql
        >>> bql.lock()
        >>> cell = bql.BqlRefCell([3])
        >>> a, b = cell.borrow(), cell.borrow()
        >>> a[0] + b[0]
        6
        >>> a.release(); b.release()
        >>> writer = cell.borrow_mut()
        >>> cell.borrow()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bql.errors.BorrowError: cannot borrow() BqlRefCell[list]: it is already mutably borrowed by borrow_mut() at <doctest ...>:1 in <module>
        >>> writer.release(); bql.unlock()
        """
        try:
            if not _HELD.held:
                raise not_held("BqlRefCell.borrow()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlRefCell.borrow()") from None
        if self._borrows < 0 and self._still_refuses(exclusive=False):
            raise self._conflict("borrow")
        guard = None
        try:
            # _ref_guard(), inlined: this is the hot path of every `with cell.borrow()` block.
            guard = self._ref_old
            if guard is not None and _refcount(guard) == FREE_REFS:
                self._ref_old = None
            else:
                guard = self._ref_new
                if guard is not None and _refcount(guard) == FREE_REFS:
                    self._ref_new = None
                else:
                    guard = new_ref(self)
            frame = _getframe(1)
            _LIVE[id(guard)] = (self, "borrow", frame.f_code, frame.f_lasti)
            self._borrows += 1
            return guard
        except BaseException:  # Ctrl-C: the borrow is undone (see `end_torn`)
            end_torn(guard, self)
            raise

    def borrow_mut(self) -> BqlRefMut[T]:
        """Borrow the value exclusively, for reading and writing.

        >>> import bql
        >>> bql.lock()
        >>> cell = bql.BqlRefCell([3])
        >>> with cell.borrow_mut() as items:
        ...     items.append(4)
        ...     cell.borrow_mut()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bql.errors.BorrowError: cannot borrow_mut() BqlRefCell[list]: it is already mutably borrowed by borrow_mut() at <doctest ...>:1 in <module>
        >>> bql.unlock()
        """
        try:
            if not _HELD.held:
                raise not_held("BqlRefCell.borrow_mut()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlRefCell.borrow_mut()") from None
        if self._borrows and self._still_refuses(exclusive=True):
            raise self._conflict("borrow_mut")
        guard = None
        try:
            # _mut_guard(), inlined: this is the hot path of every `with cell.borrow_mut()` block.
            guard = self._mut_old
            if guard is not None and _refcount(guard) == FREE_REFS:
                self._mut_old = None
            else:
                guard = self._mut_new
                if guard is not None and _refcount(guard) == FREE_REFS:
                    self._mut_new = None
                else:
                    guard = new_mut(self)
            frame = _getframe(1)
            self._site_code = frame.f_code
            self._site_lasti = frame.f_lasti
            _LIVE[self] = "borrow_mut"
            self._borrows = -1
            return guard
        except BaseException:  # Ctrl-C: the borrow is undone (see `end_torn`)
            end_torn(guard, self)
            raise

    def try_borrow(self) -> BqlRef[T] | None:
        """Borrow for reading, or return None where `borrow()` would raise `BorrowError`.

        >>> import bql
        >>> with bql.locked():
        ...     cell = bql.BqlRefCell(1)
        ...     with cell.borrow_mut():
        ...         print(cell.try_borrow())
        None
        """
        try:
            if not _HELD.held:
                raise not_held("BqlRefCell.try_borrow()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlRefCell.try_borrow()") from None
        if self._borrows < 0 and self._still_refuses(exclusive=False):
            return None
        guard = None
        try:
            guard = _ref_guard(self)
            frame = _getframe(1)
            _LIVE[id(guard)] = (self, "try_borrow", frame.f_code, frame.f_lasti)
            self._borrows += 1
            return guard
        except BaseException:  # as in `borrow()`
            end_torn(guard, self)
            raise

    def try_borrow_mut(self) -> BqlRefMut[T] | None:
        """Borrow exclusively, or return None where `borrow_mut()` would raise `BorrowError`.

        >>> import bql
        >>> with bql.locked():
        ...     cell = bql.BqlRefCell(1)
        ...     with cell.borrow():
        ...         print(cell.try_borrow_mut())
        None
        """
        try:
            if not _HELD.held:
                raise not_held("BqlRefCell.try_borrow_mut()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlRefCell.try_borrow_mut()") from None
        if self._borrows and self._still_refuses(exclusive=True):
            return None
        guard = None
        try:
            guard = _mut_guard(self)
            frame = _getframe(1)
            self._site_code = frame.f_code
            self._site_lasti = frame.f_lasti
            _LIVE[self] = "try_borrow_mut"
            self._borrows = -1
            return guard
        except BaseException:  # as in `borrow()`
            end_torn(guard, self)
            raise

    def _still_refuses(self, *, exclusive: bool) -> bool:
        """Whether a borrow (`exclusive`: a mutable one) is still refused once the borrows
        that only frames an exception unwound, or functions that have returned, hold are
        released (bql.unwound)."""
        end_unwound_borrows(self)
        if (self._borrows != 0 if exclusive else self._borrows < 0):
            end_finished_borrows(self)
        return self._borrows != 0 if exclusive else self._borrows < 0

    def _conflict(self, attempt: str) -> BorrowError:
        sites = [describe_site(s) for s in live_sites() if s[0] is self]
        state = "mutably borrowed" if self._borrows < 0 else "borrowed"
        where = describe_sites(sites) if sites else " a borrow whose location is unknown"
        error = BorrowError(f"cannot {attempt}() {self._describe()}: it is already {state} by{where}")
        return attach_to_holder(error, "BQL003", self, _getframe(1))

    def _describe(self) -> str:
        return f"BqlRefCell[{type(self._value).__name__}]"

    def __copy__(self) -> BqlRefCell[T]:
        """A copy owns a copy of the value, as Rust's `RefCell::clone` clones it: two cells
        sharing one value would let a `borrow_mut()` of each write it at the same time."""
        return copy.deepcopy(self)

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # Copying (and pickling) reads the value, as Rust's `BqlRefCell::clone()` does
        # through `borrow()`: with checks on, the BQL must be held and no `borrow_mut()`
        # be alive (a half-updated value is not copied).
        if STATE.checks:
            self.borrow().release()
        # The guards kept for reuse and their classes are bound to this cell: a copy
        # starts with none. A copy is a new cell: no borrow of this one is a borrow of it.
        state = {
            "_value": self._value,
            "_borrows": 0,
            "_site_code": None,
            "_site_lasti": 0,
        }
        return None, {**state, **dict.fromkeys(_POOL_SLOTS)}

    def __repr__(self) -> str:
        if self._borrows < 0:
            return "BqlRefCell(<mutably borrowed>)"
        return f"BqlRefCell({self._value!r})"


_POOL_SLOTS = ("_mut_cls", "_mut_new", "_mut_old", "_ref_cls", "_ref_new", "_ref_old")


def _ref_guard(cell: BqlRefCell[T]) -> BqlRef[T]:
    """Return a shared guard bound to `cell`: one it released before, if free, else a new one.

    A released guard that nothing outside the cell refers to any more (its reference count
    says so) cannot be told from a new one, and reusing it saves creating a guard and
    running its `__del__` on every borrow. Two are kept, because right after a
    `with cell.borrow() as regs:` block the name `regs` still refers to the last guard
    until the next block rebinds it: the next borrow takes the one before.
    """
    guard = cell._ref_old
    if guard is not None and _refcount(guard) == FREE_REFS:
        cell._ref_old = None
    else:
        guard = cell._ref_new
        if guard is not None and _refcount(guard) == FREE_REFS:
            cell._ref_new = None
        else:
            guard = new_ref(cell)
    return guard


def _mut_guard(cell: BqlRefCell[T]) -> BqlRefMut[T]:
    """Return an exclusive guard bound to `cell`, reusing a free released one (`_ref_guard`)."""
    guard = cell._mut_old
    if guard is not None and _refcount(guard) == FREE_REFS:
        cell._mut_old = None
    else:
        guard = cell._mut_new
        if guard is not None and _refcount(guard) == FREE_REFS:
            cell._mut_new = None
        else:
            guard = new_mut(cell)
    return guard


# Checks off: borrows are handed out untracked (no BQL check, no conflict detection).
def _borrow(self: BqlRefCell[T]) -> BqlRef[T]:
    # _ref_guard(), inlined: the hot path of `with cell.borrow()` with checks off.
    guard = self._ref_old
    if guard is not None and _refcount(guard) == FREE_REFS:
        self._ref_old = None
    else:
        guard = self._ref_new
        if guard is not None and _refcount(guard) == FREE_REFS:
            self._ref_new = None
        else:
            guard = new_ref(self)
    return guard


def _borrow_mut(self: BqlRefCell[T]) -> BqlRefMut[T]:
    # _mut_guard(), inlined: the hot path of `with cell.borrow_mut()` with checks off.
    guard = self._mut_old
    if guard is not None and _refcount(guard) == FREE_REFS:
        self._mut_old = None
    else:
        guard = self._mut_new
        if guard is not None and _refcount(guard) == FREE_REFS:
            self._mut_new = None
        else:
            guard = new_mut(self)
    return guard


def _try_borrow(self: BqlRefCell[T]) -> BqlRef[T] | None:
    return _ref_guard(self)


def _try_borrow_mut(self: BqlRefCell[T]) -> BqlRefMut[T] | None:
    return _mut_guard(self)


UNCHECKED: dict[str, Callable[..., Any]] = {
    "borrow": _borrow,
    "borrow_mut": _borrow_mut,
    "try_borrow": _try_borrow,
    "try_borrow_mut": _try_borrow_mut,
}
