"""Run-time twins of bqlint's rules: which rule a runtime error breaks, and where.

SPEC §2.3.1: an error that breaks a rule carries the rule's code and the primary location
bqlint reports for the same bug, so that a run-time error and a static finding can be
matched (``pytest --bql-crosscheck``). The location is found on the error path only, from
the stack: the hot paths record nothing more than they did before.

* a cell operation, a guard misuse, a field write: the row of that operation in the code
  that called the runtime (the first frame outside the `bql` package and outside the
  Python standard library, which bqlint never reports in: a coroutine run by
  `asyncio.run(co())` whose first user frame is that call, a callback run by `contextlib`);
* a conflicting borrow (BQL003) or a release of the BQL (BQL002) while a borrow is alive:
  the line now running in the function that holds the first live borrow, found by
  walking the stack to the frame running the code object the borrow was taken in.

A twin's location is never in the standard library or in `bql` while a user frame is on
the stack. In a thread whose stack holds none (its target is a `@requires_bql` function
refused on entry, or a cell method, directly or through `functools.partial` or a
`threading.Timer`), the location is the target's definition if the target, looked at
through partials, bound methods and decorators, is user code, else the definition of the
`@requires_bql` function refused there, if that is the error. A target that is runtime
code itself (`Thread(target=cell.set)`, `Timer(t, cell.set)`,
`Thread(target=partial(cell.set, 2))`) leaves the innermost frame, the line of
`threading.Thread.run` (or `Timer.run`) calling it, as the location: where the thread was
created is recorded nowhere the runtime could read it without replacing parts of
`threading` for every program.

Code that wants to see every twin as it is raised (the pytest plugin) registers a
recorder with `on_twin`.
"""

from __future__ import annotations

import functools
import gc
import inspect
import os
import sys
import sysconfig
import threading
from collections.abc import Callable
from types import CodeType, FrameType
from typing import TypeVar

from .errors import BqlError, BqlNotHeldError, BqlUnlockError
from . import lock as _lock
from .lock import _HELD, _unlock_noted, live_sites
from .frame_locals import local_values
from .rows import node_row

__all__ = [
    "attach",
    "attach_at",
    "attach_to_holder",
    "located_at_holder",
    "locate_unlock",
    "not_held_error",
    "on_twin",
    "unrecorded",
    "user_frame",
]

E = TypeVar("E", bound=BqlError)

# Frames of the runtime itself are skipped when looking for the code that called it.
_RUNTIME_PREFIX = os.path.dirname(os.path.abspath(__file__)) + os.sep

Recorder = Callable[[BqlError, "FrameType | None"], None]
_RECORDERS: list[Recorder] = []


def on_twin(recorder: Recorder) -> Callable[[], None]:
    """Call `recorder(error, frame)` for every twin error from now on; return the undo.

    `frame` is the frame the error's location was read from (None when unknown).
    """
    _RECORDERS.append(recorder)

    def remove() -> None:
        if recorder in _RECORDERS:
            _RECORDERS.remove(recorder)

    return remove


def is_runtime_code(code: CodeType) -> bool:
    """Return whether `code` belongs to the `bql` runtime itself."""
    return code.co_filename.startswith(_RUNTIME_PREFIX)


def _stdlib_dirs() -> tuple[str, ...]:
    """The folders of the standard library (as installed, and with links resolved)."""
    found = {sysconfig.get_paths()["stdlib"], os.path.dirname(os.__file__)}
    return tuple(sorted({os.path.join(d, "") for p in found for d in (p, os.path.realpath(p))}))


_STDLIB_DIRS = _stdlib_dirs()
_THIRD_PARTY = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")
# {filename: whether it is runtime or standard-library code}; error paths only.
_LIBRARY: dict[str, bool] = {}


def is_library_code(code: CodeType) -> bool:
    """Return whether `code` is `bql` runtime or Python standard-library code: never the
    location of a twin when a user frame can be found (bqlint checks only user files).

    Packages installed beside the standard library (`site-packages`) are user code."""
    filename = code.co_filename
    known = _LIBRARY.get(filename)
    if known is None:
        known = _is_library_file(filename)
        _LIBRARY[filename] = known
    return known


def _is_library_file(filename: str) -> bool:
    if filename.startswith(_RUNTIME_PREFIX) or filename.startswith("<frozen "):
        return True
    for folder in _STDLIB_DIRS:
        if filename.startswith(folder):
            return not any(part in filename[len(folder) - 1 :] for part in _THIRD_PARTY)
    return False


def user_frame(frame: FrameType | None) -> FrameType | None:
    """Return `frame` or the nearest caller of it that is neither runtime nor standard-library
    code (None when there is none: a thread started on a runtime or library callable)."""
    while frame is not None and is_library_code(frame.f_code):
        frame = frame.f_back
    return frame


_lock.user_frame_of = user_frame  # where `unlock()` names the frame that released the BQL


F = TypeVar("F", bound=Callable[..., object])

# Code of the runtime's functions that call user code for the runtime's own bookkeeping (a
# probe the program did not ask for): the twins raised below them are not recorded.
_UNRECORDED: set[CodeType] = {_unlock_noted.__code__}


def unrecorded(fn: F) -> F:
    """Mark `fn`: twins raised while it runs are kept from recorders (it handles them)."""
    _UNRECORDED.add(fn.__code__)
    return fn


def _below_unrecorded(frame: FrameType | None) -> bool:
    while frame is not None:
        if frame.f_code in _UNRECORDED:
            return True
        frame = frame.f_back
    return False


def attach(error: E, rule: str, frame: FrameType | None) -> E:
    """Make `error` the twin of `rule` at the line `frame` is running; return it.

    A `frame` of runtime or standard-library code gives way to its nearest user caller;
    without one, to the current thread's target (`user_target_location`); without that,
    `frame` itself is the location.
    """
    if frame is None:
        return error
    user = user_frame(frame)
    if user is None:
        target = user_target_location()
        if target is not None:
            return attach_at(error, rule, *target)
        user = frame
    return attach_at(error, rule, user.f_code.co_filename, node_row(user.f_code, user.f_lasti))


def user_target_location() -> tuple[str, int] | None:
    """Return (file, first row of its definition) of the user function the current thread
    was started on (`user_definition`); None in the main thread or when the target is not
    user code.

    For a thread whose stack holds no user frame: `Thread(target=f)` with `f` a
    `@requires_bql` function refused before its body ran.
    """
    thread = threading.current_thread()
    if thread is threading.main_thread():
        return None
    if isinstance(thread, threading.Timer):
        return user_definition(thread.function)
    return user_definition(getattr(thread, "_target", None))


def user_definition(target: object) -> tuple[str, int] | None:
    """Return (file, first row of its definition) of the user function `target` runs,
    looking through `functools.partial`, bound methods and decorators (`__wrapped__`);
    None when it is not user code."""
    for _ in range(100):  # a bound on the wrapping, against a `__wrapped__` cycle
        code = getattr(target, "__code__", None)
        if isinstance(code, CodeType) and not is_library_code(code):
            return code.co_filename, code.co_firstlineno
        if isinstance(target, functools.partial):
            target = target.func
        elif inspect.ismethod(target):
            target = target.__func__
        elif hasattr(target, "__wrapped__"):
            target = target.__wrapped__
        else:
            return None
    return None


def attach_at(error: E, rule: str, filename: str, row: int) -> E:
    """Make `error` the twin of `rule` at `filename`:`row`; return it.

    The message gets ``(bqlint: RULE at FILE:ROW)`` when the code lives in a file (not in
    a doctest or an ``exec`` string, which bqlint cannot check). Recorders see the error.
    """
    path = filename if filename.startswith("<") else os.path.abspath(filename)
    error.rule, error.path, error.row = rule, path, row
    if error.args and os.path.isfile(path):
        suffix = f" (bqlint: {rule} at {path}:{row})"  # FILE is `path`: absolute
        error.args = (f"{error.args[0]}{suffix}", *error.args[1:])
    if _RECORDERS and not _below_unrecorded(here := sys._getframe(1)):
        for recorder in list(_RECORDERS):
            recorder(error, here)
    return error


def located_at_holder(error: E, rule: str, guard: object) -> E:
    """Attach `rule` (a misuse of `guard`: BQL004, BQL005) in the function that holds it.

    bqlint reports a guard passed to a helper that writes through it, or uses it after its
    release, at the call in the function holding the guard. So the row is the line running
    in the outermost function on the stack with `guard` in a local variable, and the
    misuse's own row when that is the function making it (or no function holds it).
    """
    operation = user_frame(sys._getframe(1))
    holder = None
    frame = operation
    while frame is not None:
        if not is_library_code(frame.f_code) and any(v is guard for v in local_values(frame)):
            holder = frame
        frame = frame.f_back
    return attach(error, rule, holder or operation)


# Code objects of the `@without_bql` wrappers (bql.decorators registers them): the frame
# such a wrapper calls is a function known to run without the BQL.
WITHOUT_BQL_CODES: set[CodeType] = set()


def not_held_error(message: str, callee: object = None) -> BqlNotHeldError:
    """Return the BQL006 twin for a cell operation attempted without the BQL.

    bqlint reports it where the BQL is *known* not held: after `bql.unlock()` or inside
    `bql.unlocked()`, in a thread target or a `@without_bql` function, at the operation or
    at the call that leads to it. So the row is the line running in the innermost such
    function on the stack, if any, and otherwise the operation's own row.

    `callee` is the `@requires_bql` function refused on entry, if that is the error: when
    no user frame is on the stack (a coroutine of it run by an event loop started from
    library code) and the thread's target is not user code, its definition is the location.
    """
    caller = sys._getframe(1)
    operation = user_frame(caller)
    released = getattr(_HELD, "released_at", None)
    region = _not_held_region(operation)
    frame = operation
    while frame is not None and frame is not region and not _released_in(frame, released):
        frame = frame.f_back
    error = BqlNotHeldError(message)
    if operation is None and callee is not None:
        where = user_target_location() or user_definition(callee)
        if where is not None:
            return attach_at(error, "BQL006", *where)
    return attach(error, "BQL006", frame or operation or _outside_runtime(caller))


def _released_in(frame: FrameType, site: tuple[int, CodeType] | None) -> bool:
    """Whether `frame` is the user's frame that released the BQL (`lock.release_site`)."""
    return site is not None and id(frame) == site[0] and frame.f_code is site[1]


def _outside_runtime(frame: FrameType | None) -> FrameType | None:
    """Return `frame` or its nearest caller that is not `bql` code (may be library code)."""
    while frame is not None and is_runtime_code(frame.f_code):
        frame = frame.f_back
    return frame


def _not_held_region(operation: FrameType | None) -> FrameType | None:
    """Return the `@without_bql` function or thread target the operation runs in, if any."""
    frame = operation
    while frame is not None:
        caller = frame.f_back
        if caller is not None and caller.f_code in WITHOUT_BQL_CODES:
            return frame
        frame = caller
    # A thread other than the main one that never took the BQL: its target runs without it.
    if threading.current_thread() is not threading.main_thread() and not hasattr(_HELD, "held"):
        target = operation
        frame = operation
        while frame is not None:
            if not is_library_code(frame.f_code):
                target = frame
            frame = frame.f_back
        return target
    return None


def holder_frame(code: CodeType, lasti: int, start: FrameType | None, cell: object = None) -> FrameType | None:
    """Return the frame on the stack from `start` out that runs `code` and holds its borrow.

    The borrow was taken at instruction `lasti` of `code`. A frame now executing that very
    instruction is taking a new borrow (recursion, or a loop rebinding its guard); of the
    frames of `code` elsewhere, the one with a live guard of `cell` in a local holds the
    earlier borrow (recursion that borrows at another line), else the innermost. Without
    such a frame, the innermost frame of `code` (the loop case); None when no frame runs it.
    """
    fallback = None
    elsewhere: list[FrameType] = []
    frame = start
    while frame is not None:
        if frame.f_code is code:
            if frame.f_lasti != lasti:
                elsewhere.append(frame)
            elif fallback is None:
                fallback = frame
        frame = frame.f_back
    if len(elsewhere) > 1 and cell is not None:
        for frame in elsewhere:
            if _holds_guard(frame, cell):
                return frame
    return elsewhere[0] if elsewhere else fallback


def attach_to_holder(error: E, rule: str, cell: object | None, start: FrameType | None) -> E:
    """Attach `rule` at the line running in the holder of the first live borrow (of `cell`).

    When the function that took the borrow has returned (its guard escaped: `g = take()`),
    the holder is the innermost function on the stack with a live guard of that cell in a
    local variable; without one, the best location left is where the borrow was taken.
    """
    for site in live_sites():
        site_cell, _kind, code, lasti = site[:4]
        if cell is not None and site_cell is not cell:
            continue
        frame = holder_frame(code, lasti, start, site_cell)
        if frame is None and rule == "BQL002":  # a generator paused at a `yield` holding it
            frame = suspended_holder(code, site_cell)
        frame = frame or frame_holding_guard(site_cell, start) or suspended_holder(code, site_cell)
        if frame is not None:
            return attach(error, rule, frame)
        return attach_at(error, rule, code.co_filename, node_row(code, lasti))
    return error


def frame_holding_guard(cell: object, start: FrameType | None) -> FrameType | None:
    """Return the innermost frame outside the runtime whose locals hold a live guard of `cell`,
    directly or in a list, tuple, set or dict (guards a comprehension made).

    Runs on the error path only (reading the locals copies them).
    """
    frame = start
    while frame is not None:
        if not is_library_code(frame.f_code) and _holds_guard(frame, cell):
            return frame
        frame = frame.f_back
    return None


def _holds_guard(frame: FrameType, cell: object) -> bool:
    """Return whether a local of `frame` is a live guard of `cell`, or a container of one."""
    from .guard_base import _Guard  # guard_base imports lock, which this module also uses

    for value in local_values(frame):
        items = value.values() if type(value) is dict else value if type(value) in _CONTAINERS else (value,)
        for item in items:
            if isinstance(item, _Guard) and item._live_cell() is cell:
                return True
    return False


_CONTAINERS = (list, tuple, set)


_SUSPENDABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def suspended_holder(code: CodeType, cell: object) -> FrameType | None:
    """Return the frame of a generator or coroutine running `code`, paused with a borrow alive.

    Its line is the `yield` (or `await`) it is paused at, where bqlint reports the BQL
    released while a borrow is alive. A paused frame with a live guard of `cell` in a local
    is preferred; otherwise the only paused frame of `code`, if there is just one. Runs on
    the error path only: finding the generators of `code` scans what refers to it.
    """
    if not code.co_flags & _SUSPENDABLE:
        return None
    paused: list[FrameType] = []
    for owner in gc.get_referrers(code):
        for frame_name, running_name in _FRAME_ATTRIBUTES:
            frame = getattr(owner, frame_name, None)
            if isinstance(frame, FrameType) and frame.f_code is code and not getattr(owner, running_name, True):
                paused.append(frame)
    for frame in paused:
        if _holds_guard(frame, cell):
            return frame
    return paused[0] if len(paused) == 1 else None


_FRAME_ATTRIBUTES = (("gi_frame", "gi_running"), ("cr_frame", "cr_running"), ("ag_frame", "ag_running"))


def locate_unlock(error: BqlUnlockError) -> None:
    """Make `error` the BQL002 twin: the line running in the holder of the first live borrow."""
    attach_to_holder(error, "BQL002", None, sys._getframe(1))
