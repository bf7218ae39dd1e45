"""BQL-protected interior mutability: `BqlCell` for small values, `BqlRefCell` for state.

A device model is shared with the outside world early in its life: memory-region
callbacks, character-device handlers, interrupt lines and timers all hold a reference to
it. From then on nothing may assign to the device object directly. Every piece of state
that changes lives inside a *cell*, and every access to a cell is checked against the Big
QEMU Lock (BQL), which serialises all device callbacks.

Which cell for what:

* `BqlCell` holds a small value that is read and written whole: a flag, a counter, an
  enum. `get()` copies it out, `set()` replaces it; no reference to the inside escapes, so
  there is nothing to borrow and nothing to conflict.
* `BqlRefCell` holds larger state that is changed in place, typically a registers object.
  `borrow()` gives shared (read) access and `borrow_mut()` exclusive (read-write) access
  through a guard; the cell counts the guards, like Rust's `RefCell`.

The discipline, checked here at run time and by ``bqlint`` before the code runs:

1. Touch a cell only with the BQL held by the current thread (`BqlNotHeldError`).
2. While a `borrow_mut()` guard is alive, no other borrow of that cell; while `borrow()`
   guards are alive, no `borrow_mut()` (`BorrowError`, naming where the live borrow was
   taken). The usual way to hit this is re-entrancy: the device holds a borrow, calls
   out (an IRQ line, `CharFrontend.write_all()`), and the callee calls back into the
   device, which borrows again.
3. Never release the BQL while a borrow is alive (`BqlUnlockError`): another thread
   could take the BQL and see the state half-updated.

So a device borrows once, computes, ends the borrow, and only then calls out, as QEMU's
Rust PL011 does:

>>> import bql
>>> class Regs:
...     def __init__(self) -> None:
...         self.level = 0
...     def write(self, value: int) -> bool:
...         changed = value != self.level
...         self.level = value
...         return changed
>>> class Counter(bql.Device):
...     def __init__(self) -> None:
...         super().__init__()
...         self.regs = bql.BqlRefCell(Regs())
...         self.writes = bql.BqlCell(0)
...         self.irq = bql.InterruptSource()
...     def write(self, value: int) -> None:
...         with self.regs.borrow_mut() as regs:
...             changed = regs.write(value)
...         self.writes.update(lambda n: n + 1)
...         if changed:  # the borrow has ended: calling out is safe
...             self.irq.set(value != 0)
>>> dev = Counter()
>>> line = bql.IRQLine()
>>> dev.connect_irq(0, line)
>>> bql.lock()
>>> dev.write(5); dev.write(5)
>>> line.level, dev.writes.get()
(True, 2)

Calling out with the borrow still alive breaks as soon as the callee looks back at the
device; here an interrupt controller that reads the registers when the line changes:

>>> def write_wrong(dev: Counter, value: int) -> None:
...     with dev.regs.borrow_mut() as regs:
...         regs.write(value)
...         dev.irq.set(value != 0)  # the borrow is still alive
>>> dev.connect_irq(0, lambda level: dev.regs.borrow().level)
>>> write_wrong(dev, 0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bql.errors.BorrowError: cannot borrow() BqlRefCell[Regs]: it is already mutably borrowed by borrow_mut() at ... in write_wrong
>>> bql.unlock()

A guard is a context manager, or can be ended early with `release()`. Attribute and item
access go to the inner value; type checkers see the inner type for ``with ... as regs``.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from types import CodeType
from typing import Any, Generic, TypeVar

from .errors import BorrowError, BqlNotHeldError, NoDefaultError
from .guard import BqlRef, BqlRefMut
from .guard_base import FREE_REFS
from .guard_cells import new_mut, new_ref
from .lock import _HELD, STATE, describe_site, describe_sites, live_sites, on_checks_changed
from .twins import attach_to_holder, not_held_error

__all__ = ["BqlCell", "BqlRef", "BqlRefCell", "BqlRefMut"]

T = TypeVar("T")

_LIVE = STATE.live
_getframe = sys._getframe
_refcount = sys.getrefcount


class _Missing(enum.Enum):
    MISSING = enum.auto()


_MISSING = _Missing.MISSING


def _not_held(operation: str) -> BqlNotHeldError:
    """Return the BQL006 twin for `operation` attempted without the BQL."""
    return not_held_error(f"{operation} without the BQL held by this thread")


class BqlCell(Generic[T]):
    """A small value that is read and written whole, only while the BQL is held.

    >>> import bql
    >>> level = bql.BqlCell(3)
    >>> bql.lock()
    >>> level.set(level.get() + 1); level.get()
    4
    >>> bql.unlock()
    >>> level.get()
    Traceback (most recent call last):
    ...
    bql.errors.BqlNotHeldError: BqlCell.get() without the BQL held by this thread
    """

    __slots__ = ("_default", "_value")

    def __init__(self, value: T, default: T | _Missing = _MISSING) -> None:
        """Create a cell holding `value`; `default` is what `take()` leaves behind."""
        self._value = value
        self._default = default

    def get(self) -> T:
        """Return the value.

        >>> import bql
        >>> with bql.locked():
        ...     bql.BqlCell("idle").get()
        'idle'
        """
        try:
            if not _HELD.held:
                raise _not_held("BqlCell.get()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlCell.get()") from None
        return self._value

    def set(self, value: T) -> None:
        """Replace the value.

        >>> import bql
        >>> cell = bql.BqlCell(0)
        >>> with bql.locked():
        ...     cell.set(7); cell.get()
        7
        >>> cell.set(8)
        Traceback (most recent call last):
        ...
        bql.errors.BqlNotHeldError: BqlCell.set() without the BQL held by this thread
        """
        try:
            if not _HELD.held:
                raise _not_held("BqlCell.set()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlCell.set()") from None
        self._value = value

    def replace(self, value: T) -> T:
        """Store `value` and return the old value.

        >>> import bql
        >>> cell = bql.BqlCell(1)
        >>> with bql.locked():
        ...     cell.replace(2), cell.get()
        (1, 2)
        """
        try:
            if not _HELD.held:
                raise _not_held("BqlCell.replace()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlCell.replace()") from None
        old = self._value
        self._value = value
        return old

    def take(self) -> T:
        """Return the value and leave the default: `default=` if given, else `type(value)()`.

        >>> import bql
        >>> with bql.locked():
        ...     names = bql.BqlCell(["a"])
        ...     names.take(), names.get()
        (['a'], [])

        Without a default, the value's type must be constructible without arguments:

        >>> class Token:
        ...     def __init__(self, n: int) -> None:
        ...         self.n = n
        >>> with bql.locked():
        ...     bql.BqlCell(Token(1)).take()
        Traceback (most recent call last):
        ...
        bql.errors.NoDefaultError: BqlCell.take() needs a default: ...
        """
        try:
            if not _HELD.held:
                raise _not_held("BqlCell.take()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlCell.take()") from None
        old = self._value
        self._value = self._make_default(old)
        return old

    def update(self, fn: Callable[[T], T]) -> T:
        """Replace the value with `fn(value)` and return the new value.

        >>> import bql
        >>> count = bql.BqlCell(41)
        >>> with bql.locked():
        ...     count.update(lambda n: n + 1)
        42
        """
        try:
            if not _HELD.held:
                raise _not_held("BqlCell.update()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlCell.update()") from None
        new = fn(self._value)
        self._value = new
        return new

    def _make_default(self, old: T) -> T:
        default = self._default
        if default is not _MISSING:
            return default
        try:
            return type(old)()
        except Exception as exc:
            raise NoDefaultError(
                f"BqlCell.take() needs a default: {type(old).__name__}() failed ({exc}); "
                f"create the cell as BqlCell(value, default=...)"
            ) from exc

    def __repr__(self) -> str:
        return f"BqlCell({self._value!r})"


# The same operations without the BQL check: swapped in by `bql.set_checks(False)`, so that
# with checks off a cell costs a plain method reading or writing a slot.
def _get(self: BqlCell[T]) -> T:
    return self._value


def _set(self: BqlCell[T], value: T) -> None:
    self._value = value


def _replace(self: BqlCell[T], value: T) -> T:
    old = self._value
    self._value = value
    return old


def _take(self: BqlCell[T]) -> T:
    old = self._value
    self._value = self._make_default(old)
    return old


def _update(self: BqlCell[T], fn: Callable[[T], T]) -> T:
    new = fn(self._value)
    self._value = new
    return new


class BqlRefCell(Generic[T]):
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
                raise _not_held("BqlRefCell.borrow()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlRefCell.borrow()") from None
        if self._borrows < 0:
            raise self._conflict("borrow")
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
        self._borrows += 1
        frame = _getframe(1)
        _LIVE[id(guard)] = (self, "borrow", frame.f_code, frame.f_lasti)
        return guard

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
                raise _not_held("BqlRefCell.borrow_mut()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlRefCell.borrow_mut()") from None
        if self._borrows:
            raise self._conflict("borrow_mut")
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
        self._borrows = -1
        frame = _getframe(1)
        self._site_code = frame.f_code
        self._site_lasti = frame.f_lasti
        _LIVE[self] = "borrow_mut"
        return guard

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
                raise _not_held("BqlRefCell.try_borrow()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlRefCell.try_borrow()") from None
        if self._borrows < 0:
            return None
        guard = _ref_guard(self)
        self._borrows += 1
        frame = _getframe(1)
        _LIVE[id(guard)] = (self, "try_borrow", frame.f_code, frame.f_lasti)
        return guard

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
                raise _not_held("BqlRefCell.try_borrow_mut()")
        except AttributeError:  # a thread that never took the BQL
            raise _not_held("BqlRefCell.try_borrow_mut()") from None
        if self._borrows:
            return None
        guard = _mut_guard(self)
        self._borrows = -1
        frame = _getframe(1)
        self._site_code = frame.f_code
        self._site_lasti = frame.f_lasti
        _LIVE[self] = "try_borrow_mut"
        return guard

    def _conflict(self, attempt: str) -> BorrowError:
        sites = [describe_site(s) for s in live_sites() if s[0] is self]
        state = "mutably borrowed" if self._borrows < 0 else "borrowed"
        where = describe_sites(sites, " and ") if sites else "a borrow whose location is unknown"
        error = BorrowError(f"cannot {attempt}() {self._describe()}: it is already {state} by {where}")
        return attach_to_holder(error, "BQL003", self, _getframe(1))

    def _describe(self) -> str:
        return f"BqlRefCell[{type(self._value).__name__}]"

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # The guards kept for reuse and their classes are bound to this cell: a copy
        # starts with none. The copy is not registered as borrowed: no site either.
        state = {
            "_value": self._value,
            "_borrows": self._borrows,
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


Methods = dict[type[Any], dict[str, Callable[..., Any]]]


def swap_methods(checked: Methods, unchecked: Methods) -> Callable[[bool], None]:
    """Return a check-switch listener installing the checked or unchecked implementations."""
    for cls, methods in unchecked.items():
        for name, fn in methods.items():
            original = checked[cls][name]
            fn.__name__ = original.__name__
            fn.__qualname__ = original.__qualname__
            fn.__doc__ = original.__doc__

    def install(enabled: bool) -> None:
        for cls, methods in (checked if enabled else unchecked).items():
            for name, fn in methods.items():
                setattr(cls, name, fn)

    return install


_NAMES = {
    BqlCell: ("get", "set", "replace", "take", "update"),
    BqlRefCell: ("borrow", "borrow_mut", "try_borrow", "try_borrow_mut"),
}
_CHECKED: Methods = {
    cls: {name: getattr(cls, name) for name in names} for cls, names in _NAMES.items()
}
_UNCHECKED: Methods = {
    BqlCell: {
        "get": _get,
        "set": _set,
        "replace": _replace,
        "take": _take,
        "update": _update,
    },
    BqlRefCell: {
        "borrow": _borrow,
        "borrow_mut": _borrow_mut,
        "try_borrow": _try_borrow,
        "try_borrow_mut": _try_borrow_mut,
    },
}
on_checks_changed(swap_methods(_CHECKED, _UNCHECKED))
