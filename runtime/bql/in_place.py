"""The run-time twin of BQL007 for `self.level += 1` where `level` is a cell field.

Python runs an augmented assignment as an in-place operator and then a store: cells have
no arithmetic, so the operator fails before the store (and `Device.__setattr__`) is
reached. A cell's in-place operators look at the statement that called them: when it
stores the result into a field of a device that holds this very cell, the write is checked
as the rebinding it is (SPEC §3.1.1: BQL007 covers `+=`-style updates). Anything else is
Python's own TypeError.
"""

from __future__ import annotations

import dis
import sys
from types import FrameType
from typing import Any

from .frame_locals import local_values

__all__ = ["InPlaceRefused"]


def _refused(cell: object) -> Any:
    frame = sys._getframe(2)  # the code running `x.field += ...`
    name = _stored_attribute(frame)
    if name is not None:
        from .device import Device
        from .fields import check_field_write, field_value
        from .lock import STATE

        for value in local_values(frame):
            if isinstance(value, Device) and field_value(value, name) is cell:
                check_field_write(value, name, cell, frame, checks=STATE.checks)
    return NotImplemented


def _stored_attribute(frame: FrameType) -> str | None:
    """Return the attribute the statement running in `frame` stores next (`self.level`
    of `self.level += 1`), or None when it stores into a name or an item."""
    for instruction in dis.get_instructions(frame.f_code):
        if instruction.offset > frame.f_lasti and instruction.opname.startswith("STORE_"):
            return str(instruction.argval) if instruction.opname == "STORE_ATTR" else None
    return None


class InPlaceRefused:
    """In-place operators of the cell types: the BQL007 twin for a cell field, else TypeError."""

    __slots__ = ()

    def __iadd__(self, other: object) -> Any:
        return _refused(self)

    # Every in-place operator is the same check (`self.level -= 1`, `self.irq <<= 1`, ...).
    __isub__ = __imul__ = __imatmul__ = __itruediv__ = __ifloordiv__ = __imod__ = __iadd__
    __ipow__ = __ilshift__ = __irshift__ = __iand__ = __ixor__ = __ior__ = __iadd__
