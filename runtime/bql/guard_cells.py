"""The guard classes made for each cell, and the switch between checked and unchecked proxies.

A cell's guards are of subclasses of `BqlRef`/`BqlRefMut` made on its first borrow of
that kind (`new_ref`, `new_mut`, called by `ref_cell.py`); `bql.set_checks` swaps the guards'
hot proxies here (`_install_proxies`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .guard import BqlRef, BqlRefMut, _retire, end_torn, entered_elsewhere
from .guard_base import _Guard, _pooled, _set_cell, guard_del, has_own_value
from .guard_reads import _learn
from .guard_views import read_only, refuse_mutator
from .lock import _HELD, STATE, on_checks_changed

if TYPE_CHECKING:
    from .cell import BqlRefCell

T = TypeVar("T")

_LIVE = STATE.live
_new_ref = BqlRef.__new__
_new_mut = BqlRefMut.__new__


# Each cell hands out guards of a subclass made for it on its first borrow of that kind,
# whose `with` methods (and, for `BqlRefMut`, attribute writes) reach the cell through a
# closure. The same methods on `BqlRef`/`BqlRefMut` read it from the guard's `_cell` slot,
# which costs more than the rest of `__enter__`: a class defining `__getattr__` gets no
# specialised attribute reads from CPython. The checks are the same. A guard of a cell's
# class is always bound to that cell and is either live or kept in its pool (released);
# released for good, it takes the plain class back (`_retire`), whose methods see it so.
# They are listed, so that switching the checks swaps their `__enter__` and, exclusive
# ones, `__setattr__` (with checks off, both skip the thread check), as `_install_proxies`
# does for the rest.
_CELL_CLASSES: weakref.WeakSet[type[_Guard[Any]]] = weakref.WeakSet()


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

    def checked_enter(self: BqlRef[Any]) -> Any:
        if self is cell._ref_new or self is cell._ref_old:
            raise self._released("with")
        try:
            if _HELD.held:
                return self
        except AttributeError:  # a thread that never took the BQL
            pass
        return entered_elsewhere(self)

    def unchecked_enter(self: BqlRef[Any]) -> Any:
        if self is cell._ref_new or self is cell._ref_old:
            raise self._released("with")
        return self

    def __exit__(self: BqlRef[Any], exc_type: Any, exc: Any, tb: Any) -> None:
        # As `BqlRef.__exit__`, with the cell at hand.
        if self is not cell._ref_new and self is not cell._ref_old:
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

    enters = {True: checked_enter, False: unchecked_enter}
    methods = {"__enter__": enters[STATE.checks], "_enters": enters, "__exit__": __exit__}
    methods["__del__"] = guard_del
    cls: type[BqlRef[Any]] = _cell_class(BqlRef, methods)
    _CELL_CLASSES.add(cls)
    return cls


def _mut_class(cell: BqlRefCell[Any]) -> type[BqlRefMut[Any]]:
    """Make the exclusive guard class of `cell` (see `_CELL_CLASSES`)."""

    def checked_enter(self: BqlRefMut[Any]) -> Any:
        if self is cell._mut_new or self is cell._mut_old:
            raise self._released("with")
        try:
            if _HELD.held:
                return self
        except AttributeError:  # a thread that never took the BQL
            pass
        return entered_elsewhere(self)

    def unchecked_enter(self: BqlRefMut[Any]) -> Any:
        if self is cell._mut_new or self is cell._mut_old:
            raise self._released("with")
        return self

    def __exit__(self: BqlRefMut[Any], exc_type: Any, exc: Any, tb: Any) -> None:
        # As `BqlRefMut.__exit__`, with the cell at hand.
        if self is not cell._mut_new and self is not cell._mut_old:
            try:
                if _LIVE:  # empty with checks off: no lookup
                    try:
                        del _LIVE[cell]
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

    def checked_setattr(self: BqlRefMut[Any], name: str, value: Any) -> None:
        # As `BqlRefMut.__setattr__`: released, or used by a thread without the BQL.
        try:
            usable = _HELD.held and self is not cell._mut_new and self is not cell._mut_old
        except AttributeError:  # a thread that never took the BQL
            usable = False
        if not usable and (error := self._misuse(f"setting .{name}")) is not None:
            raise error
        if name == "value" and not has_own_value(cell._value):
            cell._value = value
        else:
            setattr(cell._value, name, value)

    def unchecked_setattr(self: BqlRefMut[Any], name: str, value: Any) -> None:
        # As `_setattr_mut_unchecked`: checks off, only release is checked.
        if self is cell._mut_new or self is cell._mut_old:
            raise self._released(f"setting .{name}")
        if name == "value" and not has_own_value(cell._value):
            cell._value = value
        else:
            setattr(cell._value, name, value)

    setattrs = {True: checked_setattr, False: unchecked_setattr}
    enters = {True: checked_enter, False: unchecked_enter}
    methods = {
        "__enter__": enters[STATE.checks],
        "_enters": enters,
        "__exit__": __exit__,
        "__del__": guard_del,
        "__setattr__": setattrs[STATE.checks],
        "_setattrs": setattrs,
    }
    cls: type[BqlRefMut[Any]] = _cell_class(BqlRefMut, methods)
    _CELL_CLASSES.add(cls)
    return cls


# With checks off the hot proxies skip the thread check (zero cost for it): the unchecked
# variants are swapped in by `bql.set_checks(False)`, as the cells' methods are.
def _getattr_unchecked(self: _Guard[Any], name: str) -> Any:
    if name == "_cell":  # a guard whose slot is not set yet: no recursion
        raise AttributeError(name)
    cell = self._cell
    if cell is None or _pooled(self, cell):
        raise self._released(f"reading .{name}")
    value = getattr(cell._value, name)
    if self._kind == "borrow":  # as the learned reads do, checks on or off (guard_reads)
        refuse_mutator(name, cell._value, self)
        value = read_only(value, self, cell._value)
    _learn(name)
    return value


def _setattr_mut_unchecked(self: BqlRefMut[Any], name: str, value: Any) -> None:
    cell = self._cell
    if cell is None or self is cell._mut_new or self is cell._mut_old:
        raise self._released(f"setting .{name}")
    if name == "value" and not has_own_value(cell._value):
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
        cell_class.__enter__ = cell_class._enters[enabled]  # type: ignore[attr-defined,method-assign]
        if issubclass(cell_class, BqlRefMut):
            cell_class.__setattr__ = cell_class._setattrs[enabled]  # type: ignore[attr-defined,method-assign]


on_checks_changed(_install_proxies)
