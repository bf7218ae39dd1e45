"""Borrows of functions that have ended: by raising, or kept alive by a reference cycle.

A borrow lives until `release()`, `del`, the end of its `with` block or the end of the
function (SPEC §3.1). When an exception leaves a function, though, the traceback keeps
the function's frame alive, and a guard in one of its locals with it, for as long as the
exception is handled: `except ValueError: dev.read()` would find the registers still
borrowed by a function that has ended, and the BQL could not be released there. So
before a borrow conflict or a release of the BQL is refused, the guards that only frames
the exception being handled has unwound still hold are released. So are those that only
frames of returned functions hold, which a cycle keeps until the collector runs
(`except E as e: err = e`). A guard anything else refers to keeps its borrow.
"""

from __future__ import annotations

import gc
import inspect
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from .errors import BqlError
from .guard import BqlRef, BqlRefMut, is_live_guard
from .lock import STATE, live_sites

if TYPE_CHECKING:
    from .ref_cell import BqlRefCell


def end_unwound_borrows(cell: BqlRefCell[Any] | None = None) -> None:
    """Release the live guards (of `cell`, or of any cell) held only in the locals of frames
    the exception being handled has unwound.

    A guard that anything else also refers to (a running function's variable, a tuple or
    object it keeps, a global) is left alone: its borrow goes on. The references are
    counted, since a running frame's variables are not seen by the garbage collector.
    """
    exc = sys.exc_info()[1]
    if exc is None:
        return
    errors = _chain(exc)
    unwound = _unwound_frames(errors, _running_frames())
    found = _guards_in(unwound, cell)
    while found:
        guard = found.pop()
        if _references(guard) > _held_by(guard, unwound) + _carried_by(guard, errors):
            continue  # also held elsewhere: its borrow goes on
        try:
            guard.release()
        except BqlError:  # released meanwhile, or not this thread's: nothing to end here
            pass


def end_finished_borrows(cell: BqlRefCell[Any] | None = None) -> None:
    """Release the live guards (of `cell`, or of any cell) that only frames of functions
    that have returned still hold, kept alive by a reference cycle (`except E as e: err = e`
    makes one: error, traceback, frame) until the garbage collector happens to run.

    Slow (it asks the garbage collector), so only when a borrow was taken by code that is
    not running in this thread now, and once per state of the borrows.
    """
    sites = [site for site in live_sites() if cell is None or site[0] is cell]
    running = {frame.f_code for frame in _running_frames().values()}
    cells = {id(site[0]): site[0] for site in sites if site[2] not in running}
    key = (tuple(cells), len(STATE.live), *(c._borrows for c in cells.values()))
    if not cells or key == _LAST_SCAN[0]:
        return
    found = _live_guards_of(list(cells.values()))
    finished = _finished_frames(found)
    while found and finished:
        guard = found.pop()
        holders = [frame for frame in finished if any(v is guard for v in gc.get_referents(frame))]
        if holders and _references(guard) <= _held_by(guard, holders):
            try:
                guard.release()
            except BqlError:  # released meanwhile, or not this thread's: nothing to end here
                pass
    found.clear()
    _LAST_SCAN[0] = (tuple(cells), len(STATE.live), *(c._borrows for c in cells.values()))


# What `end_finished_borrows` found last, so that polling a cell that stays borrowed (a
# `try_borrow()` loop) does not ask the garbage collector each time.
_LAST_SCAN: list[tuple[Any, ...] | None] = [None]


def _live_guards_of(cells: list[Any]) -> list[BqlRef[Any] | BqlRefMut[Any]]:
    return [ref for ref in gc.get_referrers(*cells) if is_live_guard(ref, STATE.live)]


def _finished_frames(guards: list[Any]) -> list[FrameType]:
    """The frames of functions that have returned that refer to one of `guards`. A frame of
    a generator may resume: not one of them (its reference then keeps the borrow)."""
    if not guards:
        return []
    running = _running_everywhere()
    return [
        ref
        for ref in gc.get_referrers(*guards)
        if isinstance(ref, FrameType) and id(ref) not in running and not ref.f_code.co_flags & _SUSPENDABLE
    ]


_SUSPENDABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def _running_everywhere() -> set[int]:
    """The frames every thread is running."""
    running: set[int] = set()
    for top in sys._current_frames().values():
        frame: FrameType | None = top
        while frame is not None:
            running.add(id(frame))
            frame = frame.f_back
    return running


def _guards_in(frames: list[FrameType], cell: BqlRefCell[Any] | None) -> list[BqlRef[Any] | BqlRefMut[Any]]:
    """The live guards (of `cell`, or of any cell) among the variables of finished `frames`."""
    found: list[BqlRef[Any] | BqlRefMut[Any]] = []
    for frame in frames:
        for value in gc.get_referents(frame):  # a finished frame's variables, among others
            if _is_guard_of(value, cell) and not any(value is seen for seen in found):
                found.append(value)
    return found


def _chain(exc: BaseException | None) -> list[BaseException]:
    """The exception being handled, then what it replaced."""
    errors: list[BaseException] = []
    while exc is not None and not any(exc is seen for seen in errors):
        errors.append(exc)
        exc = exc.__context__
    return errors


def _unwound_frames(errors: list[BaseException], running: dict[int, FrameType]) -> list[FrameType]:
    """The frames the tracebacks of `errors` keep that no longer run."""
    frames: dict[int, FrameType] = {}
    for exc in errors:
        tb = exc.__traceback__
        while tb is not None:
            if id(tb.tb_frame) not in running:
                frames[id(tb.tb_frame)] = tb.tb_frame
            tb = tb.tb_next
    return list(frames.values())


def _carried_by(guard: object, errors: list[BaseException]) -> int:
    """How many references to `guard` the exceptions hold, as arguments or attributes."""
    count = 0
    for exc in errors:
        count += sum(1 for item in exc.args if item is guard)
        count += sum(1 for item in getattr(exc, "__dict__", {}).values() if item is guard)
    return count


def _held_by(guard: object, frames: list[FrameType]) -> int:
    """How many references to `guard` `frames` hold, in their variables or in the copies of
    them that reading `f_locals` left (a dict the frame keeps)."""
    count = 0
    for frame in frames:
        for value in gc.get_referents(frame):
            if value is guard:
                count += 1
            elif type(value) is dict and value is not frame.f_globals and value is not frame.f_builtins:
                count += sum(1 for item in value.values() if item is guard)
    return count


def _references(obj: object) -> int:
    """The references to `obj` other than the caller's one variable (`_OWN` calibrates)."""
    return sys.getrefcount(obj) - _OWN


def _own_references() -> int:
    probe = object()
    return _references(probe)


_OWN = 0
_OWN = _own_references()


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
