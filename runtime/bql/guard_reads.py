"""Reads of a name through a guard, learned: after the first, a property on the guard classes.

`_Guard.__getattr__` (guard_base.py) calls `_learn`; `guard.py` names the classes the
properties go on (`read_through`). The properties make the same checks as `__getattr__`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import MethodType
from typing import TYPE_CHECKING, Any

from .held_calls import PROPERTY_TEMPORARY, held
from .guard_views import CONTAINER_MUTATORS, SCALARS, bind_to_view, read_attribute, read_only, refuse_mutator
from .lock import _HELD

_refcount = sys.getrefcount

if TYPE_CHECKING:
    from .guard import BqlRef, BqlRefMut

# Reading through a guard a name its class does not define goes to `__getattr__`, which
# CPython 3.11 calls only after raising and discarding an AttributeError (~0.4 us a read).
# So the first successful read of a name installs a property for it on both guard classes:
# later reads find it on the class and run the same checks, without the exception. A name
# the guards define themselves, a dunder, or names past the first `_MAX_LEARNED` keep the
# `__getattr__` path; a read the inner value refuses still ends there (AttributeError).
_LEARNED: set[str] = set()
_MAX_LEARNED = 1024
# The guard classes the properties go on, each with the maker of its kind's reader.
_TARGETS: list[tuple[type[Any], Callable[[str], Callable[[Any], Any]]]] = []


def read_through(shared: type[BqlRef[Any]], exclusive: type[BqlRefMut[Any]]) -> None:
    """Make `_learn` install its properties on `shared` and `exclusive`."""
    _TARGETS[:] = [(shared, _ref_reader), (exclusive, _mut_reader)]


def _learn(name: str) -> None:
    """Install the read property for `name` on the guard classes, once."""
    if name in _LEARNED or len(_LEARNED) >= _MAX_LEARNED or name.startswith("__"):
        return
    _LEARNED.add(name)
    if any(hasattr(cls, name) for cls, _ in _TARGETS):
        return
    for cls, reader in _TARGETS:
        setattr(cls, name, property(reader(name)))


def _ref_reader(name: str) -> Callable[[BqlRef[Any]], Any]:
    what = f"reading .{name}"

    def read(self: BqlRef[Any]) -> Any:
        temporary = _refcount(self) <= PROPERTY_TEMPORARY  # see bql.held_calls
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
        if mutator:
            refuse_mutator(name, cell._value, self)
        inner = cell._value
        value = read_attribute(inner, name, self)
        kind = type(value)
        if kind in SCALARS:
            return value
        if kind is MethodType:  # `regs.reset()`: runs on a read-only view (guard_objects)
            value = bind_to_view(value, self, inner)
        else:
            value = read_only(value, self, inner)
        return held(value, self, inner) if temporary else value

    mutator = name in CONTAINER_MUTATORS
    read.__name__ = name
    return read


def _mut_reader(name: str) -> Callable[[BqlRefMut[Any]], Any]:
    what = f"reading .{name}"

    def read(self: BqlRefMut[Any]) -> Any:
        temporary = _refcount(self) <= PROPERTY_TEMPORARY  # see bql.held_calls
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
        inner = cell._value
        value = getattr(inner, name)
        return held(value, self, inner) if temporary else value

    read.__name__ = name
    return read
