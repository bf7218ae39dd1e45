"""Borrows of functions that ended by raising.

A borrow lives until `release()`, `del`, the end of its `with` block or the end of the
function (SPEC §3.1). When an exception leaves a function, though, the traceback keeps
the function's frame alive, and a guard in one of its locals with it, for as long as the
exception is handled: `except ValueError: dev.read()` would find the registers still
borrowed by a function that has ended, and the BQL could not be released there. So
before a borrow conflict or a release of the BQL is refused, the guards that only frames
the exception being handled has unwound still hold are released.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from .errors import BqlError
from .guard import BqlRef, BqlRefMut, is_live_guard
from .lock import STATE

if TYPE_CHECKING:
    from .ref_cell import BqlRefCell


def end_unwound_borrows(cell: BqlRefCell[Any] | None = None) -> None:
    """Release the live guards (of `cell`, or of any cell) held only in the locals of frames
    the exception being handled has unwound."""
    exc = sys.exc_info()[1]
    if exc is None:
        return
    running = _running_frames()
    found: dict[int, BqlRef[Any] | BqlRefMut[Any]] = {}
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:  # the exception, then what it replaced
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            if id(tb.tb_frame) not in running:
                for value in tb.tb_frame.f_locals.values():
                    if _is_guard_of(value, cell):
                        found[id(value)] = value
            tb = tb.tb_next
        exc = exc.__context__
    if not found:
        return
    held = {id(v) for frame in running.values() for v in frame.f_locals.values()}
    for key, guard in found.items():
        if key in held:  # also a local of a function still running: its borrow goes on
            continue
        try:
            guard.release()
        except BqlError:  # released meanwhile, or not this thread's: nothing to end here
            pass


def _running_frames() -> dict[int, FrameType]:
    """The frames of this thread still running, from the caller of `end_unwound_borrows`."""
    frames: dict[int, FrameType] = {}
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        frames[id(frame)] = frame
        frame = frame.f_back
    return frames


def _is_guard_of(value: object, cell: BqlRefCell[Any] | None) -> bool:
    if not isinstance(value, (BqlRef, BqlRefMut)) or not is_live_guard(value, STATE.live):
        return False
    return cell is None or value._live_cell() is cell
