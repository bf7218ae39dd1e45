"""Borrow guards: what `BqlRefCell.borrow()` and `borrow_mut()` hand out.

A guard stands for the borrowed value: attribute and item access, operators, comparisons
and conversions go to it; a `with` block or `release()` ends the borrow, and a guard that
is dropped ends it too, as a Rust guard does at the end of its scope. A guard is always
true (so `if g := cell.try_borrow():` works) and its repr shows the guard. Split from `cell.py` because the proxying is its own
concept and the cells read better without it.

For speed, a cell keeps the last two guards of each kind it released and hands one out
again when nothing else refers to it any more (`cell._ref_guard`): a borrow then creates
no object and no `__del__` runs. A kept guard is released all the same, and stays so for
whoever still holds it. The guards of a cell are of classes made for that cell, whose
`with` methods and attribute writes reach it without reading the guard (`new_mut`); to
their users they are `BqlRef` and `BqlRefMut`.
"""

from __future__ import annotations

import operator
import sys
import weakref
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import BorrowReleasedError, BqlError, SharedBorrowWriteError, ThreadMismatchError
from .lock import _HELD, STATE, BorrowSite, on_checks_changed
from .twins import located_at_caller

if TYPE_CHECKING:
    from .cell import BqlRefCell

__all__ = ["BqlRef", "BqlRefMut"]

T = TypeVar("T")

_LIVE = STATE.live
_refcount = sys.getrefcount


class _Probe:
    __slots__ = ("slot",)

    slot: object | None


def _free_refs() -> int:
    """Return what `sys.getrefcount(guard)` says, in a borrow, of a guard nothing else holds.

    A cell keeps the guards it released last and hands one out again when only the cell
    refers to it (see `cell._ref_guard`). That is 3 (the cell's slot, the local, the
    argument) where every reference is counted, as on CPython 3.10 to 3.13. An
    interpreter that passes some locals without counting them (3.14's borrowed loads)
    may count differently: the test below is written as the borrows write it, and any
    other answer than 3 switches reuse off (-1 never matches), which costs speed only.
    """
    probe = _Probe()
    probe.slot = object()
    guard = probe.slot
    if guard is not None and _refcount(guard) == 3:
        return 3
    return -1


# The reference count of a released guard that only its cell still refers to.
FREE_REFS = _free_refs()


def _pooled(guard: _Guard[Any], cell: BqlRefCell[Any]) -> bool:
    """Whether `guard` is one of the released guards `cell` keeps for reuse."""
    return (
        guard is cell._mut_new
        or guard is cell._mut_old
        or guard is cell._ref_new
        or guard is cell._ref_old
    )


class _Guard(Generic[T]):
    """What `BqlRef` and `BqlRefMut` share: the cell, reads, release, the `with` protocol.

    A guard is live from its borrow to its release. Released, it no longer reaches the
    value: either its `_cell` is None, or it is one of the two guards of its kind its cell
    keeps for reuse (`cell._ref_guard`), which still point to the cell so that handing
    one out again costs no write. Every use checks both.
    """

    __slots__ = ("_cell",)
    _kind = "borrow"

    _cell: BqlRefCell[T] | None

    def _live_cell(self) -> BqlRefCell[T] | None:
        """Return the cell while the borrow is live, None once released."""
        cell = self._cell
        if cell is None or _pooled(self, cell):
            return None
        return cell

    def release(self) -> None:
        """End the borrow now; releasing it a second time raises `BorrowReleasedError`.

        >>> import bql
        >>> bql.lock()
        >>> cell = bql.BqlRefCell([1])
        >>> guard = cell.borrow_mut()
        >>> guard.release()
        >>> cell.borrow_mut().append(2)  # free again
        >>> guard.release()
        Traceback (most recent call last):
        ...
        bql.errors.BorrowReleasedError: this borrow_mut() guard was already released
        >>> bql.unlock()
        """
        if self._live_cell() is None:
            raise located_at_caller(
                BorrowReleasedError(f"this {self._kind}() guard was already released"), "BQL005"
            )
        if not _holds_bql() and (error := self._misuse("release()")) is not None:
            raise error
        # Released into the cell's pool, as at the end of a `with` block: no class change.
        type(self).__exit__(self, None, None, None)  # type: ignore[attr-defined]

    @property
    def value(self) -> T:
        """The whole inner value (the object itself, not a copy).

        >>> import bql
        >>> with bql.locked():
        ...     with bql.BqlRefCell([1, 2]).borrow() as items:
        ...         items.value
        [1, 2]
        """
        return _inner(self, "value")  # type: ignore[no-any-return]

    def _end(self, retire: bool = True) -> None:
        """End the borrow for good: unregister it and cut the guard from its cell.

        With `retire`, the guard also takes its kind's plain class (see `_cell_class`),
        whose methods see it released; a guard being freed (`__del__`) skips that.
        """
        raise NotImplementedError

    def _released(self, what: str) -> BorrowReleasedError:
        """Return the BQL005 twin for `what` done through this released guard."""
        return located_at_caller(
            BorrowReleasedError(f"{what} through a {self._kind}() guard that was already released"),
            "BQL005",
        )

    def _misuse(self, what: str) -> BqlError | None:
        """Return the error for `what` on a released guard or from the wrong thread, if any.

        A live guard belongs to the thread that took it, which holds the BQL for as long
        as the borrow lives (the BQL cannot be released over a borrow): another thread
        using it does not hold the BQL. With checks off, only release is checked.
        """
        if self._live_cell() is None:
            return self._released(what)
        if not STATE.checks or _holds_bql():
            return None
        return ThreadMismatchError(
            f"{what} through a {self._kind}() guard by a thread that does not hold the BQL: "
            "a guard may only be used by the thread that took it"
        )

    def __enter__(self) -> T:
        # The guard itself stands for the value, so that writes through a shared borrow
        # and use after release are still caught; typed as T for type checkers. Entering
        # touches no value: the thread check is left to the first use inside the block.
        # (BqlRef and BqlRefMut have their own copy, checking only their kind's pool.)
        if self._live_cell() is None:
            raise self._released("with")
        return self  # type: ignore[return-value]

    def __del__(self) -> None:
        # A dropped guard ends its borrow, as a Rust guard does when it goes out of scope.
        # Guards are reused (see `cell._ref_guard`), so a borrow does not pay for creating
        # one and for this call: only a guard dropped live, or dropped by its cell, does.
        cell = self._cell
        if cell is not None and not _pooled(self, cell):
            try:
                self._end(retire=False)
            except Exception:  # noqa: BLE001, S110 - interpreter shutdown: nothing to end
                pass

    def __getattr__(self, name: str) -> Any:
        if name == "_cell":  # a guard whose slot is not set yet: no recursion
            raise AttributeError(name)
        cell: Any = self._cell
        try:
            usable = cell is not None and _HELD.held and not _pooled(self, cell)
        except AttributeError:  # a thread that never took the BQL
            usable = False
        if not usable and (error := self._misuse(f"reading .{name}")) is not None:
            raise error
        value = getattr(cell._value, name)
        _learn(name)
        return value

    def __getitem__(self, key: Any) -> Any:
        inner: Any = _inner(self, "reading an item")
        return inner[key]

    def __len__(self) -> int:
        inner: Any = _inner(self, "len()")
        return len(inner)

    def __iter__(self) -> Iterator[Any]:
        inner: Any = _inner(self, "iterating")
        return iter(inner)

    def __contains__(self, item: object) -> bool:
        inner: Any = _inner(self, "`in`")
        return item in inner

    def __bool__(self) -> bool:
        # Always true, whatever the inner value, so that `if g := cell.try_borrow():` works;
        # test the value itself with `bool(g.value)`.
        return True

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(f"a {self._kind}() guard cannot be copied or pickled")

    def __repr__(self) -> str:
        cell = self._live_cell()
        inner = "released" if cell is None else repr(cell._value)
        return f"{type(self).__name__}({inner})"


_set_cell: Callable[[_Guard[Any], BqlRefCell[Any] | None], None] = vars(_Guard)[
    "_cell"
].__set__


class BqlRef(_Guard[T]):
    """A shared borrow of a `BqlRefCell`: read the value, never write through it.

    Writing an attribute or item through it raises `SharedBorrowWriteError` (a
    `BorrowError`). A *method* called through it runs unchecked and may still mutate the
    inner object; ``bqlint`` flags that statically (BQL004).

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

    def _end(self, retire: bool = True) -> None:
        cell = self._cell
        _set_cell(self, None)
        if retire:
            _retire(self)
        if _LIVE.pop(id(self), None) is not None and cell is not None:
            cell._borrows -= 1

    def __enter__(self) -> T:
        cell = self._cell
        if cell is None or self is cell._ref_new or self is cell._ref_old:
            raise self._released("with")
        return self  # type: ignore[return-value]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # _end() inlined: this is the hot path of every `with cell.borrow()` block. The
        # guard is released by entering its cell's pool, for reuse by the next borrow but
        # one (see `cell._ref_guard`); the guard it pushes out is released for good.
        cell = self._cell
        if cell is not None and self is not cell._ref_new and self is not cell._ref_old:
            if _LIVE:  # empty with checks off: no lookup
                try:
                    del _LIVE[id(self)]
                except KeyError:  # taken with checks off
                    pass
                else:
                    cell._borrows -= 1
            old = cell._ref_old
            if old is not None:
                _set_cell(old, None)
                _retire(old)
            cell._ref_old = cell._ref_new
            cell._ref_new = self

    def __setattr__(self, name: str, value: Any) -> None:
        _inner(self, f"setting .{name}")
        raise located_at_caller(
            SharedBorrowWriteError(f"cannot set .{name} through a shared borrow(); use borrow_mut()"),
            "BQL004",
        )

    def __delattr__(self, name: str) -> None:
        _inner(self, f"deleting .{name}")
        raise located_at_caller(
            SharedBorrowWriteError(f"cannot delete .{name} through a shared borrow(); use borrow_mut()"),
            "BQL004",
        )

    def __setitem__(self, key: Any, value: Any) -> None:
        _inner(self, "setting an item")
        raise located_at_caller(
            SharedBorrowWriteError("cannot set an item through a shared borrow(); use borrow_mut()"),
            "BQL004",
        )

    def __delitem__(self, key: Any) -> None:
        _inner(self, "deleting an item")
        raise located_at_caller(
            SharedBorrowWriteError("cannot delete an item through a shared borrow(); use borrow_mut()"),
            "BQL004",
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
        """The whole inner value; assign to it to replace the value in the cell."""
        return _inner(self, "value")  # type: ignore[no-any-return]

    @value.setter
    def value(self, new: T) -> None:
        _inner(self, "value")
        cell = self._cell
        assert cell is not None
        cell._value = new

    def _end(self, retire: bool = True) -> None:
        cell = self._cell
        _set_cell(self, None)
        if retire:
            _retire(self)
        if cell is not None and _LIVE.pop(cell, None) is not None:
            cell._borrows = 0

    def __enter__(self) -> T:
        cell = self._cell
        if cell is None or self is cell._mut_new or self is cell._mut_old:
            raise self._released("with")
        return self  # type: ignore[return-value]

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
            if _LIVE:  # empty with checks off: no lookup
                try:
                    del _LIVE[cell]  # an exclusive borrow is registered under its cell
                except KeyError:  # taken with checks off
                    pass
                else:
                    cell._borrows = 0
            old = cell._mut_old
            if old is not None:
                _set_cell(old, None)
                _retire(old)
            cell._mut_old = cell._mut_new
            cell._mut_new = self

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
        if name == "value":
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


_new_ref = BqlRef.__new__
_new_mut = BqlRefMut.__new__
_set_class = object.__setattr__


def _retire(guard: _Guard[Any]) -> None:
    """Give a guard released for good (its `_cell` is None) its kind's plain class."""
    base: type[_Guard[Any]] = BqlRefMut if isinstance(guard, BqlRefMut) else BqlRef
    if type(guard) is not base:
        _set_class(guard, "__class__", base)


# Each cell hands out guards of a subclass made for it on its first borrow of that kind,
# whose `with` methods (and, for `BqlRefMut`, attribute writes) reach the cell through a
# closure. The same methods on `BqlRef`/`BqlRefMut` read it from the guard's `_cell` slot,
# which costs more than the rest of `__enter__`: a class defining `__getattr__` gets no
# specialised attribute reads from CPython. The checks are the same. A guard of a cell's
# class is always bound to that cell and is either live or kept in its pool (released);
# released for good, it takes the plain class back (`_retire`), whose methods see it so.
# The exclusive ones are listed, so that switching the checks swaps their `__setattr__`
# (with checks off, writes skip the thread check), as `_install_proxies` does for the rest.
_CELL_CLASSES: weakref.WeakSet[type[BqlRefMut[Any]]] = weakref.WeakSet()


def new_ref(cell: BqlRefCell[T]) -> BqlRef[T]:
    """Return a new shared guard bound to `cell`, of the cell's own guard class."""
    cls = cell._ref_cls
    if cls is None:
        cls = cell._ref_cls = _ref_class(cell)
    guard: BqlRef[T] = _new_ref(cls)
    _set_cell(guard, cell)
    return guard


def new_mut(cell: BqlRefCell[T]) -> BqlRefMut[T]:
    """Return a new exclusive guard bound to `cell`, of the cell's own guard class."""
    cls = cell._mut_cls
    if cls is None:
        cls = cell._mut_cls = _mut_class(cell)
    guard: BqlRefMut[T] = _new_mut(cls)
    _set_cell(guard, cell)
    return guard


def _cell_class(base: type[_Guard[Any]], methods: dict[str, Any]) -> Any:
    """Return a subclass of `base` with `methods`, named and documented as `base`."""
    namespace = {
        "__slots__": (),
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
        "__doc__": base.__doc__,
        **methods,
    }
    return type(base.__name__, (base,), namespace)


def _ref_class(cell: BqlRefCell[Any]) -> type[BqlRef[Any]]:
    """Make the shared guard class of `cell` (see `_CELL_CLASSES`)."""

    def __enter__(self: BqlRef[Any]) -> Any:
        if self is cell._ref_new or self is cell._ref_old:
            raise self._released("with")
        return self

    def __exit__(self: BqlRef[Any], exc_type: Any, exc: Any, tb: Any) -> None:
        # As `BqlRef.__exit__`, with the cell at hand.
        if self is not cell._ref_new and self is not cell._ref_old:
            if _LIVE:  # empty with checks off: no lookup
                try:
                    del _LIVE[id(self)]
                except KeyError:  # taken with checks off
                    pass
                else:
                    cell._borrows -= 1
            old = cell._ref_old
            if old is not None:
                _set_cell(old, None)
                _retire(old)
            cell._ref_old = cell._ref_new
            cell._ref_new = self

    cls: type[BqlRef[Any]] = _cell_class(BqlRef, {"__enter__": __enter__, "__exit__": __exit__})
    return cls


def _mut_class(cell: BqlRefCell[Any]) -> type[BqlRefMut[Any]]:
    """Make the exclusive guard class of `cell` (see `_CELL_CLASSES`)."""

    def __enter__(self: BqlRefMut[Any]) -> Any:
        if self is cell._mut_new or self is cell._mut_old:
            raise self._released("with")
        return self

    def __exit__(self: BqlRefMut[Any], exc_type: Any, exc: Any, tb: Any) -> None:
        # As `BqlRefMut.__exit__`, with the cell at hand.
        if self is not cell._mut_new and self is not cell._mut_old:
            if _LIVE:  # empty with checks off: no lookup
                try:
                    del _LIVE[cell]
                except KeyError:  # taken with checks off
                    pass
                else:
                    cell._borrows = 0
            old = cell._mut_old
            if old is not None:
                _set_cell(old, None)
                _retire(old)
            cell._mut_old = cell._mut_new
            cell._mut_new = self

    def checked_setattr(self: BqlRefMut[Any], name: str, value: Any) -> None:
        # As `BqlRefMut.__setattr__`: released, or used by a thread without the BQL.
        try:
            usable = _HELD.held and self is not cell._mut_new and self is not cell._mut_old
        except AttributeError:  # a thread that never took the BQL
            usable = False
        if not usable and (error := self._misuse(f"setting .{name}")) is not None:
            raise error
        if name == "value":
            cell._value = value
        else:
            setattr(cell._value, name, value)

    def unchecked_setattr(self: BqlRefMut[Any], name: str, value: Any) -> None:
        # As `_setattr_mut_unchecked`: checks off, only release is checked.
        if self is cell._mut_new or self is cell._mut_old:
            raise self._released(f"setting .{name}")
        if name == "value":
            cell._value = value
        else:
            setattr(cell._value, name, value)

    setattrs = {True: checked_setattr, False: unchecked_setattr}
    methods = {
        "__enter__": __enter__,
        "__exit__": __exit__,
        "__setattr__": setattrs[STATE.checks],
        "_setattrs": setattrs,
    }
    cls: type[BqlRefMut[Any]] = _cell_class(BqlRefMut, methods)
    _CELL_CLASSES.add(cls)
    return cls


# Reading through a guard a name its class does not define goes to `__getattr__`, which
# CPython 3.11 calls only after raising and discarding an AttributeError (~0.4 us a read).
# So the first successful read of a name installs a property for it on both guard classes:
# later reads find it on the class and run the same checks, without the exception. A name
# the guards define themselves, a dunder, or names past the first `_MAX_LEARNED` keep the
# `__getattr__` path; a read the inner value refuses still ends there (AttributeError).
_LEARNED: set[str] = set()
_MAX_LEARNED = 1024


def _learn(name: str) -> None:
    """Install the read property for `name` on the guard classes, once."""
    if name in _LEARNED or len(_LEARNED) >= _MAX_LEARNED or name.startswith("__"):
        return
    _LEARNED.add(name)
    if hasattr(BqlRef, name) or hasattr(BqlRefMut, name):
        return
    setattr(BqlRef, name, property(_ref_reader(name)))
    setattr(BqlRefMut, name, property(_mut_reader(name)))


def _ref_reader(name: str) -> Callable[[BqlRef[Any]], Any]:
    what = f"reading .{name}"

    def read(self: BqlRef[Any]) -> Any:
        cell: Any = self._cell
        try:
            usable = (
                cell is not None
                and _HELD.held
                and self is not cell._ref_new
                and self is not cell._ref_old
            )
        except AttributeError:  # a thread that never took the BQL
            usable = False
        if not usable and (error := self._misuse(what)) is not None:
            raise error
        return getattr(cell._value, name)

    read.__name__ = name
    return read


def _mut_reader(name: str) -> Callable[[BqlRefMut[Any]], Any]:
    what = f"reading .{name}"

    def read(self: BqlRefMut[Any]) -> Any:
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
        if not usable and (error := self._misuse(what)) is not None:
            raise error
        return getattr(cell._value, name)

    read.__name__ = name
    return read


def is_live_guard(obj: object, live: Mapping[object, BorrowSite | str]) -> bool:
    """Whether `obj` is the guard of a borrow registered in `live` (`STATE.live`).

    A shared borrow is registered under its guard's id, an exclusive one under its cell;
    the released guards a cell keeps for reuse are neither.
    """
    if isinstance(obj, BqlRefMut):
        cell = obj._live_cell()
        return cell is not None and cell in live
    return isinstance(obj, BqlRef) and id(obj) in live and obj._live_cell() is not None


# Operators, comparisons and conversions go to the inner value too, so that the value bound
# by `with cell.borrow() as n:` behaves as the `T` that type checkers see: `n == 5`,
# `n + 1`, `hex(n)`, `f"{n}"`. In-place operators through a `BqlRefMut` store the result in
# the cell (`n += 1` updates a `BqlRefCell[int]`); through a `BqlRef` they raise.
_BUILTIN_CONVERSIONS = ("int", "float", "complex", "round", "hash", "str")
_ARITHMETIC = (
    "add",
    "sub",
    "mul",
    "matmul",
    "truediv",
    "floordiv",
    "mod",
    "divmod",
    "pow",
    "lshift",
    "rshift",
    "and",
    "or",
    "xor",
)
_BINARY = ("eq", "ne", "lt", "le", "gt", "ge", *_ARITHMETIC)
_REFLECTED = _ARITHMETIC
_UNARY = ("neg", "pos", "abs", "invert", "index", *_BUILTIN_CONVERSIONS)
_INPLACE = tuple(name for name in _ARITHMETIC if name != "divmod")


def _holds_bql() -> bool:
    return getattr(_HELD, "held", False) is True


def _inner(guard: _Guard[Any], what: str) -> Any:
    """Return the value behind `guard`, or raise if it is released or used by another thread."""
    cell = guard._cell
    try:
        usable = cell is not None and _HELD.held and not _pooled(guard, cell)
    except AttributeError:  # a thread that never took the BQL
        usable = False
    if not usable and (error := guard._misuse(what)) is not None:
        raise error
    assert cell is not None
    return cell._value


def _unwrap(value: Any) -> Any:
    return _inner(value, "an operand") if isinstance(value, _Guard) else value


# Operations Python spells as builtins rather than `operator.__name__` functions.
_BUILTINS: dict[str, Callable[..., Any]] = {
    "divmod": divmod,
    "int": int,
    "float": float,
    "complex": complex,
    "round": round,
    "hash": hash,
    "str": str,
}


def _op(name: str) -> Callable[..., Any]:
    return _BUILTINS.get(name) or getattr(operator, f"__{name}__")


def _binary(name: str) -> Callable[[_Guard[Any], Any], Any]:
    op = _op(name)

    def method(self: _Guard[Any], other: Any) -> Any:
        return op(_inner(self, f"`{name}`"), _unwrap(other))

    method.__name__ = f"__{name}__"
    return method


def _reflected(name: str) -> Callable[[_Guard[Any], Any], Any]:
    op = _op(name)

    def method(self: _Guard[Any], other: Any) -> Any:
        return op(_unwrap(other), _inner(self, f"`{name}`"))

    method.__name__ = f"__r{name}__"
    return method


def _unary(name: str) -> Callable[..., Any]:
    op = _op(name)

    def method(self: _Guard[Any], *args: Any) -> Any:
        return op(_inner(self, f"`{name}`"), *args)

    method.__name__ = f"__{name}__"
    return method


def _inplace(name: str, writable: bool) -> Callable[[_Guard[Any], Any], Any]:
    op = getattr(operator, f"__i{name}__")

    def method(self: _Guard[Any], other: Any) -> Any:
        value = _inner(self, f"`{name}=`")
        if not writable:
            raise located_at_caller(
                SharedBorrowWriteError(
                    "cannot modify the value in place through a shared borrow(); use borrow_mut()"
                ),
                "BQL004",
            )
        cell = self._cell
        assert cell is not None
        cell._value = op(value, _unwrap(other))
        return self

    method.__name__ = f"__i{name}__"
    return method


def _format(self: _Guard[Any], spec: str) -> str:
    return format(_inner(self, "format()"), spec)


def _install_operators() -> None:
    for name in _BINARY:
        setattr(_Guard, f"__{name}__", _binary(name))
    for name in _REFLECTED:
        setattr(_Guard, f"__r{name}__", _reflected(name))
    for name in _UNARY:
        setattr(_Guard, f"__{name}__", _unary(name))
    _Guard.__format__ = _format  # type: ignore[method-assign,assignment]
    for name in _INPLACE:
        setattr(BqlRef, f"__i{name}__", _inplace(name, writable=False))
        setattr(BqlRefMut, f"__i{name}__", _inplace(name, writable=True))


_install_operators()


# With checks off the hot proxies skip the thread check (zero cost for it): the unchecked
# variants are swapped in by `bql.set_checks(False)`, as the cells' methods are.
def _getattr_unchecked(self: _Guard[Any], name: str) -> Any:
    if name == "_cell":  # a guard whose slot is not set yet: no recursion
        raise AttributeError(name)
    cell = self._cell
    if cell is None or _pooled(self, cell):
        raise self._released(f"reading .{name}")
    value = getattr(cell._value, name)
    _learn(name)
    return value


def _setattr_mut_unchecked(self: BqlRefMut[Any], name: str, value: Any) -> None:
    cell = self._cell
    if cell is None or self is cell._mut_new or self is cell._mut_old:
        raise self._released(f"setting .{name}")
    if name == "value":
        cell._value = value
    else:
        setattr(cell._value, name, value)


_PROXIES: dict[bool, dict[type[Any], dict[str, Callable[..., Any]]]] = {
    True: {_Guard: {"__getattr__": vars(_Guard)["__getattr__"]}, BqlRefMut: {"__setattr__": vars(BqlRefMut)["__setattr__"]}},
    False: {_Guard: {"__getattr__": _getattr_unchecked}, BqlRefMut: {"__setattr__": _setattr_mut_unchecked}},
}


def _install_proxies(enabled: bool) -> None:
    for cls, methods in _PROXIES[enabled].items():
        for name, method in methods.items():
            setattr(cls, name, method)
    for cell_class in list(_CELL_CLASSES):
        cell_class.__setattr__ = cell_class._setattrs[enabled]  # type: ignore[attr-defined,method-assign]


on_checks_changed(_install_proxies)
