"""Methods of a borrowed value, read through its guard, that keep the borrow alive.

A temporary borrow lives while the attribute access or call made on it runs (SPEC §3.1):
`cell.borrow_mut().push(v)` holds the borrow while `v` is evaluated and while `push`
runs, as a Rust `RefMut` temporary lives to the end of its statement. Python drops a
temporary guard as soon as the method is looked up, so the method comes back wrapped in
a `HeldCall`, which holds the guard until the call is done: a `push` that re-enters the
device and borrows the cell again is the `BorrowError` it is in Rust.
"""

from __future__ import annotations

import functools
import sys
from types import BuiltinMethodType, MethodType
from typing import Any

_BOUND = (MethodType, BuiltinMethodType)
_refcount = sys.getrefcount


def _temporary_refs() -> tuple[int, int]:
    """Return what `sys.getrefcount(self)` says in a property getter and in `__getattr__`
    when the object read from is a temporary (nothing else refers to it).

    Only a temporary guard needs holding: a guard in a variable lives on by itself. A
    reference counted differently from this probe (a guard also held elsewhere) gives a
    larger count, so its methods come back as they are, which costs nothing. An
    interpreter on which the two counts cannot be told apart holds every method.
    """
    seen: dict[str, int] = {}

    class Probe:
        @property
        def read(self) -> None:
            seen["property"] = _refcount(self)

        def __getattr__(self, name: str) -> None:
            seen["getattr"] = _refcount(self)

    Probe().read
    Probe().other
    temporary = dict(seen)
    probe = Probe()
    probe.read
    probe.other
    if temporary["property"] < seen["property"] and temporary["getattr"] < seen["getattr"]:
        return temporary["property"], temporary["getattr"]
    return sys.maxsize, sys.maxsize  # cannot tell: hold every method


PROPERTY_TEMPORARY, GETATTR_TEMPORARY = _temporary_refs()


class HeldCall(functools.partial):  # type: ignore[type-arg]
    """A method of the value behind a guard, holding the guard until it has been called.

    A `partial` of the method: its call runs in C, with no frame of its own, so a traceback
    through the method keeps no guard alive once the exception is handled.
    """

    __slots__ = ("_guard",)
    _guard: object

    def __new__(cls, method: Any, guard: object) -> HeldCall:
        held = super().__new__(cls, method)
        held._guard = guard
        return held

    @property
    def __wrapped__(self) -> Any:  # inspect.signature() and friends see the method
        return self.func

    def __getattr__(self, name: str) -> Any:
        return getattr(self.func, name)

    def __eq__(self, other: object) -> bool:
        return bool(self.func == (other.func if isinstance(other, HeldCall) else other))

    def __hash__(self) -> int:
        return hash(self.func)

    def __repr__(self) -> str:
        return repr(self.func)

    def __reduce__(self) -> Any:
        raise TypeError("a method read through a borrow guard cannot be pickled")


def held(value: Any, guard: object, inner: object) -> Any:
    """Return `value`, read through `guard` from `inner`, holding `guard` while it is
    called when it is a method bound to `inner`."""
    if type(value) in _BOUND and value.__self__ is inner:
        return HeldCall(value, guard)
    return value
