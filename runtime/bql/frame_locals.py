"""Reading a frame's local variables on an error path without keeping them alive.

On CPython before 3.13, `frame.f_locals` of a running function copies its locals into a
dict that the frame keeps until it ends. A guard in that dict outlives `del g`, so its
borrow would go on (SPEC §3.1: a borrow bound to a name ends at `del`). So after each read
the guards, and the lists, tuples, sets and dicts holding guards, are taken out of that
dict again; the frame's own variables are untouched. Not while a tracer written in Python
runs (a debugger): CPython writes that dict back into the frame after each trace call, and
a name missing from it would unbind the variable.
"""

from __future__ import annotations

import inspect
import sys
from types import FrameType
from typing import Any

__all__ = ["local_value", "local_values"]

# Whether `f_locals` of a running frame is a dict the frame keeps (PEP 667 ended that).
_SNAPSHOTS = sys.implementation.name == "cpython" and sys.version_info < (3, 13)
_CONTAINERS = (list, tuple, set, frozenset)


def local_values(frame: FrameType) -> list[Any]:
    """Return the values of `frame`'s local variables."""
    names = frame.f_locals
    values = list(names.values())
    if _is_snapshot(frame, names):
        _forget_guards(names)
    return values


def local_value(frame: FrameType, name: str) -> Any:
    """Return `frame`'s local variable `name`, or None when it is unbound."""
    names = frame.f_locals
    value = names.get(name)
    if _is_snapshot(frame, names):
        _forget_guards(names)
    return value


def _is_snapshot(frame: FrameType, names: object) -> bool:
    """Whether `names` is the copy of a function's variables that reading them made. A
    module's, a class body's or an `exec`'s namespace is the real one: never touched."""
    return (
        _SNAPSHOTS
        and type(names) is dict
        and bool(frame.f_code.co_flags & inspect.CO_OPTIMIZED)
        and not _python_tracer()
    )


def _forget_guards(names: dict[str, Any]) -> None:
    from .guard_base import _Guard  # guard_base imports this module's users

    for name, value in list(names.items()):
        items = value.values() if type(value) is dict else value if type(value) in _CONTAINERS else (value,)
        if any(isinstance(item, _Guard) for item in items):
            del names[name]


def _python_tracer() -> bool:
    """Whether a trace function runs through CPython's trampoline (which writes `f_locals`
    back): any but coverage's C tracer, which CPython calls directly."""
    tracer = sys.gettrace()
    return tracer is not None and type(tracer).__name__ != "CTracer"
