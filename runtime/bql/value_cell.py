"""`BqlCell`: a small value read and written whole, only while the BQL is held.

Part of the `bql` runtime (see `bql.cell` for the discipline and which cell for what);
`bql.cell` re-exports it, and `bql.set_checks(False)` swaps in the unchecked twins below.
"""

from __future__ import annotations

import copy
import enum
import reprlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .errors import BqlNotHeldError, NoDefaultError
from .in_place import InPlaceRefused
from .lock import _HELD
from .twins import not_held_error

__all__ = ["BqlCell", "UNCHECKED", "not_held"]

T = TypeVar("T")


class _Missing(enum.Enum):
    MISSING = enum.auto()


_MISSING = _Missing.MISSING

def not_held(operation: str) -> BqlNotHeldError:
    """Return the BQL006 twin for `operation` attempted without the BQL."""
    return not_held_error(f"{operation} without the BQL held by this thread")


class BqlCell(InPlaceRefused, Generic[T]):
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
                raise not_held("BqlCell.get()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlCell.get()") from None
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
                raise not_held("BqlCell.set()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlCell.set()") from None
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
                raise not_held("BqlCell.replace()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlCell.replace()") from None
        old = self._value
        try:
            self._value = value
            return old
        except BaseException:  # Ctrl-C before the old value was returned: as if not called
            self._value = old
            raise

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
                raise not_held("BqlCell.take()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlCell.take()") from None
        old = self._value
        new = self._make_default(old)
        try:
            self._value = new
            return old
        except BaseException:  # as in `replace()`: the value taken is not lost
            self._value = old
            raise

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
                raise not_held("BqlCell.update()")
        except AttributeError:  # a thread that never took the BQL
            raise not_held("BqlCell.update()") from None
        old = self._value
        new = fn(old)
        if getattr(_HELD, "held", False) is not True:  # `fn` released the BQL: store nothing
            raise not_held("BqlCell.update()")
        try:
            self._value = new
            return new
        except BaseException:  # as in `replace()`: all or nothing
            self._value = old
            raise

    def _make_default(self, old: T) -> T:
        default = self._default
        if default is not _MISSING:
            # A fresh copy each time, as Rust's `Default::default()` makes one: with a shared
            # mutable default, what one taker left in it would come back on the next take.
            return default if type(default) in _IMMUTABLE else copy.deepcopy(default)
        try:
            return type(old)()
        except Exception as exc:
            raise NoDefaultError(
                f"BqlCell.take() needs a default: {type(old).__name__}() failed ({exc}); "
                f"create the cell as BqlCell(value, default=...)"
            ) from exc

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        # Copying (and pickling) reads the value, as Rust's `BqlCell::clone()` does through
        # `get()`: with checks on, the BQL must be held.
        return None, {"_value": self.get(), "_default": self._default}

    @reprlib.recursive_repr("BqlCell(...)")
    def __repr__(self) -> str:
        return f"BqlCell({self._value!r})"


_IMMUTABLE = frozenset({int, float, bool, str, bytes, complex, type(None), frozenset})


# The same operations without the BQL check: swapped in by `bql.set_checks(False)`, so that
# with checks off a cell costs a plain method reading or writing a slot.
def _get(self: BqlCell[T]) -> T:
    return self._value


def _set(self: BqlCell[T], value: T) -> None:
    self._value = value


def _replace(self: BqlCell[T], value: T) -> T:
    old = self._value
    try:
        self._value = value
        return old
    except BaseException:  # as in `BqlCell.replace()`
        self._value = old
        raise


def _take(self: BqlCell[T]) -> T:
    old = self._value
    new = self._make_default(old)
    try:
        self._value = new
        return old
    except BaseException:  # as in `BqlCell.replace()`
        self._value = old
        raise


def _update(self: BqlCell[T], fn: Callable[[T], T]) -> T:
    old = self._value
    new = fn(old)
    try:
        self._value = new
        return new
    except BaseException:  # as in `BqlCell.replace()`
        self._value = old
        raise


UNCHECKED: dict[str, Callable[..., Any]] = {
    "get": _get,
    "set": _set,
    "replace": _replace,
    "take": _take,
    "update": _update,
}
