"""What both borrow guards share: the cell slot, the checks every use makes, release,
the `with` protocol and reads through the guard; and how a cell's pool of released guards
is recognised (`FREE_REFS`, `_pooled`). `BqlRef` and `BqlRefMut` build on it in `guard.py`.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .errors import BorrowReleasedError, BqlError, BqlNotHeldError, ThreadMismatchError
from .guard_reads import _learn
from .held_calls import GETATTR_TEMPORARY, held
from .guard_views import read_attribute, read_only, refuse_mutator
from .lock import _HELD, STATE
from .twins import located_at_holder

if TYPE_CHECKING:
    from .cell import BqlRefCell

T = TypeVar("T")

_refcount = sys.getrefcount


class _Probe:
    __slots__ = ("slot",)

    slot: object | None


def _free_refs() -> int:
    """Return what `sys.getrefcount(guard)` says, in a borrow, of a guard nothing else holds.

    A cell keeps the guards it released last and hands one out again when only the cell
    refers to it (see `ref_cell._ref_guard`). That is 3 (the cell's slot, the local, the
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
    keeps for reuse (`ref_cell._ref_guard`), which still point to the cell so that handing
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
            raise located_at_holder(
                BorrowReleasedError(f"this {self._kind}() guard was already released"), "BQL005", self
            )
        if not _holds_bql() and (error := self._misuse("release()")) is not None:
            raise error
        # Released into the cell's pool, as at the end of a `with` block: no class change.
        type(self).__exit__(self, None, None, None)  # type: ignore[attr-defined]

    @property
    def value(self) -> T:
        """The whole inner value (the object itself, not a copy), unless it has its own
        `value` attribute, which is then what this reads.

        >>> import bql
        >>> with bql.locked():
        ...     with bql.BqlRefCell([1, 2]).borrow() as items:
        ...         items.value
        [1, 2]
        """
        inner = _inner(self, "value")
        return inner.value if has_own_value(inner) else inner  # type: ignore[no-any-return]

    def _end(self, retire: bool = True) -> None:
        """End the borrow for good: unregister it and cut the guard from its cell.

        With `retire`, the guard also takes its kind's plain class (see `_cell_class`),
        whose methods see it released; a guard being freed (`__del__`) skips that.
        """
        raise NotImplementedError

    def _released(self, what: str) -> BorrowReleasedError:
        """Return the BQL005 twin for `what` done through this released guard."""
        return located_at_holder(
            BorrowReleasedError(f"{what} through a {self._kind}() guard that was already released"),
            "BQL005",
            self,
        )

    def _misuse(self, what: str) -> BqlError | None:
        """Return the error for `what` on a released guard or from the wrong thread, if any.

        A live guard belongs to the thread that took it, which holds the BQL for as long
        as the borrow lives (the BQL cannot be released over a borrow): another thread
        using it does not hold the BQL. When no thread holds it (it was released over the
        borrow while checks were off), the use is one without the BQL. With checks off,
        only release is checked.
        """
        if self._live_cell() is None:
            return self._released(what)
        if not STATE.checks or _holds_bql():
            return None
        if STATE.owner is None:  # no thread holds it: released over the borrow, checks off
            return BqlNotHeldError(
                f"{what} through a {self._kind}() guard without the BQL held: it was "
                "released while the borrow was alive (with checks off); take it again first"
            )
        return ThreadMismatchError(
            f"{what} through a {self._kind}() guard by a thread that does not hold the BQL: "
            "a guard may only be used by the thread that took it"
        )

    def __enter__(self) -> T:
        # The guard itself stands for the value, so that writes through a shared borrow
        # and use after release are still caught; typed as T for type checkers. Another
        # thread may not enter it: its `__exit__` would end the owner's borrow.
        # (BqlRef and BqlRefMut have their own copy, checking only their kind's pool.)
        if (error := self._misuse("with")) is not None:
            raise error
        return self  # type: ignore[return-value]

    def __getattr__(self, name: str) -> Any:
        if name == "_cell":  # a guard whose slot is not set yet: no recursion
            raise AttributeError(name)
        temporary = _refcount(self) <= GETATTR_TEMPORARY  # see bql.held_calls
        cell: Any = self._cell
        try:
            usable = cell is not None and _HELD.held and not _pooled(self, cell)
        except AttributeError:  # a thread that never took the BQL
            usable = False
        if not usable and (error := self._misuse(f"reading .{name}")) is not None:
            raise error
        if self._kind == "borrow":  # a shared guard: no write through it (guard_views)
            refuse_mutator(name, cell._value, self)
            value = read_only(read_attribute(cell._value, name, self), self, cell._value)
        else:
            value = getattr(cell._value, name)
        _learn(name)
        return held(value, self, cell._value) if temporary else value

    def __getitem__(self, key: Any) -> Any:
        inner: Any = _inner(self, "reading an item")
        return inner[key]

    def __len__(self) -> int:
        inner: Any = _inner(self, "len()")
        return len(inner)

    def __iter__(self) -> Iterator[Any]:
        inner: Any = _inner(self, "iterating")
        return iter(inner)

    def __reversed__(self) -> Iterator[Any]:
        # Without it, `reversed()` would fall back to `len()` and `guard[i]`: wrong for a
        # dict, and blind to the value's own `__reversed__`.
        inner: Any = _inner(self, "reversed()")
        items: Iterator[Any] = reversed(inner)
        return items

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        inner: Any = _inner(self, "calling")
        return inner(*args, **kwargs)

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
_get_cell: Callable[[_Guard[Any]], BqlRefCell[Any] | None] = vars(_Guard)["_cell"].__get__


def guard_del(self: _Guard[Any]) -> None:
    """`__del__` of the guards a cell hands out: a dropped guard ends its borrow, as a Rust
    guard does when it goes out of scope.

    Only the classes made for a cell have it (`guard_cells`), whose guards may be live: a
    guard released for good takes its kind's plain class, which has none, so that
    dropping it costs no call (and gives Ctrl-C no place to land). Guards are reused (see
    `ref_cell._ref_guard`), so a borrow does not pay for creating one and for this call
    either: only a guard dropped live, or dropped by its cell, does.

    A finalizer cannot pass an exception on (CPython prints "Exception ignored" and drops
    it), so one raised here, even by Ctrl-C at the first line or at the return (which
    is why the `try` shares the line and holds the `return`), is caught, the borrow
    ended all the same, and Ctrl-C delivered again once this returns
    (`interrupted_finalizer`).
    """
    try: return _finalize(self)  # noqa: E701
    except BaseException as error:  # noqa: BLE001
        interrupted_finalizer(self, error)


def cell_of(guard: _Guard[Any]) -> BqlRefCell[Any] | None:
    """Return the cell `guard` is bound to; None when released for good or half-built (an
    exception hit between creating it and binding it: its slot was never set)."""
    try:
        return _get_cell(guard)
    except AttributeError:
        return None


def _finalize(guard: _Guard[Any]) -> None:
    """End the borrow of a guard being freed, if it is live."""
    cell = cell_of(guard)
    if cell is not None and not _pooled(guard, cell):
        guard._end(retire=False)


class _Signal(int):
    """A signal number whose `pending` attribute, read, makes that signal pending again.

    `_thread.interrupt_main(n)` makes signal `n` pending, as if it had just arrived: its
    Python handler runs at the next point where the interpreter looks for signals (for
    SIGINT, by default, raising `KeyboardInterrupt` there). Called as a property getter,
    it runs inside an attribute read, where the interpreter does not look, so a finalizer
    can return before the handler runs; called as a function, the call itself would look
    and raise inside the finalizer again.
    """

    pending = property(_thread.interrupt_main)


_SIGINT = _Signal(signal.SIGINT)


def interrupted_finalizer(guard: _Guard[Any], error: BaseException) -> None:
    """Handle `error`, raised in a guard's `__del__`: end the borrow, pass Ctrl-C on.

    A `KeyboardInterrupt` in the main thread is delivered again after the finalizer
    returns, in the code that dropped the guard. Anything else is raised again for CPython
    to report, except an `Exception` at interpreter shutdown (nothing left to end).
    """
    try:
        _finalize(guard)
    except Exception:  # noqa: BLE001, S110 - interpreter shutdown: nothing to end
        pass
    if isinstance(error, KeyboardInterrupt) and threading.current_thread() is threading.main_thread():
        _SIGINT.pending  # noqa: B018 - a property: see _Signal
    elif not isinstance(error, Exception):
        raise error


def _holds_bql() -> bool:
    return getattr(_HELD, "held", False) is True


def has_own_value(inner: object) -> bool:
    """Whether the inner value has its own `value` attribute: then `guard.value` is that
    attribute, like any other (SPEC §2.2: a guard gives attribute access to the inner value),
    and only a value without one is reached whole through `guard.value`."""
    return hasattr(inner, "value")


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
