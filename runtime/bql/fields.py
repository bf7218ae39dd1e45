"""Run-time twins of BQL001 and BQL007: which writes to a device's own fields are refused.

`Device.__setattr__` / `__delattr__` call `check_field_write` (BQL001's twin only with checks
on, BQL007's always). Only writes
that bqlint reports are refused (SPEC §2.3.1): through `self`, in a method of a device
class, outside construction; BQL001 also spares `realize()` and `reset()` (SPEC §2.3).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from types import CodeType, FrameType, MemberDescriptorType
from typing import TYPE_CHECKING

from .cell import BqlCell, BqlRefCell
from .chardev.frontend import CharFrontend
from .errors import CellRebindingError, FieldMutationError
from .frame_locals import local_value
from .irq import InterruptSource
from .twins import attach, is_runtime_code

if TYPE_CHECKING:
    from .device import Device

__all__ = ["DELETED", "check_field_write"]

_CELL_TYPES = (BqlCell, BqlRefCell, InterruptSource, CharFrontend)


_CONSTRUCTION = ("__init__", "__post_init__")
# SPEC §2.3: besides construction, a device may still set itself up in these.
_SETUP = (*_CONSTRUCTION, "realize", "reset")


DELETED = object()
"""The value `check_field_write` is given for a `del`."""


def check_field_write(
    device: Device, name: str, value: object, frame: FrameType | None, *, checks: bool = True
) -> None:
    """Raise the BQL007 / BQL001 twin if writing `name` breaks the discipline.

    Only writes bqlint would report are refused: through `self`, in a method of a device
    class, outside construction (BQL001 also allows `realize()` and `reset()`, SPEC
    §2.3). A realized device refuses any rebinding of a cell field, as it always has.
    With `checks` off (SPEC §2.3.1 names only BQL001 as a check that can be off) only
    the BQL007 twin is raised.
    """
    fields = getattr(device, "__dict__", None)
    if fields is None:
        return
    action = "delete" if value is DELETED else "assign"
    realized_cell = fields.get("_bql_realized")
    realized = realized_cell is not None and realized_cell._value is True
    # A cell made in the class body, or held in a `__slots__` entry, is a cell field too.
    current = field_value(device, name)
    if isinstance(current, _CELL_TYPES):
        method = _device_method(device, frame)
        if realized or (method is not None and not _running(device, frame, _CONSTRUCTION)):
            kind = type(current).__name__
            state = "a realized " if realized else ""
            error = CellRebindingError(
                f"cannot rebind `{name}` of {state}{type(device).__name__}: it is a "
                f"{kind}; change its value through its methods instead"
            )
            raise attach(error, "BQL007", _user(frame))
        return
    if (
        not checks
        or not realized
        or isinstance(value, _CELL_TYPES)  # a new cell field: bqlint's BQL007, not BQL001
        or _is_cell_field(device, name)
        or _is_data_descriptor(device, name)
    ):
        return
    method = _device_method(device, frame)
    if method is None or _running(device, frame, _SETUP):
        return
    raise attach(
        FieldMutationError(
            f"cannot {action} `{name}` of a realized {type(device).__name__} in {method}(): "
            f"a device's state lives in cells once it is realized; keep `{name}` in a BqlCell"
        ),
        "BQL001",
        frame,
    )


def field_value(device: object, name: str) -> object:
    """Return what field `name` of `device` holds now: its `__dict__` entry, its
    `__slots__` entry, or the class attribute; None when it holds nothing."""
    fields = getattr(device, "__dict__", {})
    if name in fields:
        return fields[name]
    found = getattr(type(device), name, None)
    if isinstance(found, MemberDescriptorType):
        try:
            return found.__get__(device, type(device))
        except AttributeError:  # an empty slot
            return None
    return found


def _user(frame: FrameType | None) -> FrameType | None:
    while frame is not None and is_runtime_code(frame.f_code):
        frame = frame.f_back
    return frame


def _device_method(device: Device, frame: FrameType | None) -> str | None:
    """Return the name of the device method `frame` runs, directly or in code nested in it.

    That is what bqlint's BQL001 and BQL007 look at: writes to `self` in the methods of a
    class deriving from `bql.Device` (not the runtime's own classes), and in the functions,
    lambdas and comprehensions written inside them that reach `self` through the closure.
    """
    method = _method_code(device, frame)
    return None if method is None else method.co_name


def _method_code(device: Device, frame: FrameType | None) -> CodeType | None:
    """Return the code of the device method whose `self` is `device` that `frame` runs, or
    that encloses the code `frame` runs (its `self` a variable of the closure)."""
    if frame is None:
        return None
    code = frame.f_code
    if is_runtime_code(code):
        return None
    from .device import Device  # the module that calls this one

    for cls in type(device).__mro__:
        if not issubclass(cls, Device):
            continue
        for attr in vars(cls).values():
            for method in _codes(attr):
                if not method.co_argcount:
                    continue
                me = method.co_varnames[0]
                if method is code or code in _nested_codes(method):
                    if local_value(frame, me) is device:
                        return method
    return None


def _codes(attr: object) -> Iterator[CodeType]:
    """Yield the code of class attribute `attr` if it is a function taking `self` (or a
    property part, or a decorated function's `__wrapped__` chain)."""
    if isinstance(attr, (staticmethod, classmethod)):  # no `self`: not what BQL001 looks at
        return
    if isinstance(attr, property):
        for part in (attr.fget, attr.fset, attr.fdel):
            yield from _codes(part)
        return
    while attr is not None:
        code = getattr(attr, "__code__", None)
        if isinstance(code, CodeType):
            yield code
        attr = getattr(attr, "__wrapped__", None)


@functools.lru_cache(maxsize=4096)
def _nested_codes(code: CodeType) -> frozenset[CodeType]:
    """Return the code objects defined inside `code`, at any depth."""
    found: set[CodeType] = set()
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found.add(const)
            found.update(_nested_codes(const))
    return frozenset(found)


def _running(device: Device, frame: FrameType | None, methods: tuple[str, ...]) -> bool:
    """Return whether one of `methods` of `device` is running, from `frame` outwards, or
    `frame` runs code written inside one of them (a callback made in `__init__`)."""
    nested = frame
    while frame is not None:
        code = frame.f_code
        if (
            code.co_name in methods
            and code.co_argcount
            and local_value(frame, code.co_varnames[0]) is device
        ):
            return True
        frame = frame.f_back
    enclosing = _method_code(device, nested)
    return enclosing is not None and enclosing.co_name in methods


def _is_cell_field(device: Device, name: str) -> bool:
    """Return whether `name` is declared as a cell (bqlint would call it BQL007, not BQL001)."""
    for cls in type(device).__mro__:
        annotation = vars(cls).get("__annotations__", {}).get(name)
        if annotation is not None:
            text = annotation if isinstance(annotation, str) else repr(annotation)
            return not _CELL_NAMES.isdisjoint(_IDENTIFIER.findall(text))
    return False


# The names an annotation's text is made of: `BqlCellSnapshot` is not `BqlCell`.
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_CELL_NAMES = frozenset(cell.__name__ for cell in _CELL_TYPES)


def _is_data_descriptor(device: Device, name: str) -> bool:
    """Return whether `name` is a property or another data descriptor of the class; a
    `__slots__` entry is not one here: it stores a plain field, as `__dict__` would."""
    for cls in type(device).__mro__:
        if name in vars(cls):
            found = vars(cls)[name]
            return hasattr(found, "__set__") and not isinstance(found, MemberDescriptorType)
    return False
