"""The Big QEMU Lock: one process-wide lock, held by one thread at a time.

Also home of the run-time check switch and of the registry of live `BqlRefCell` borrows,
which `unlock()` consults so that the BQL is never released while a borrow is alive.
A thread that leaves `with bql.locked():` always releases the BQL, and a thread waiting
for a BQL whose holder exited gets a `BqlError` instead of waiting forever.

The lock is *not* re-entrant, as in QEMU (`bql_lock()` asserts that the caller does not
already hold it): code that may run with or without the BQL must know which, and say so
with `@bql.requires_bql` / `@bql.without_bql`.

Ctrl-C is an exception that can be raised between any two bytecodes of the main thread,
also inside the runtime's own bookkeeping. Wherever it lands, once it has left
`with bql.locked():` the thread no longer holds the BQL, another thread can take it, no
`BqlRefCell` stays borrowed, and the `KeyboardInterrupt` itself goes on: each step is
undone or finished when cut short (`_abandon`, `_settle`, `_leave` here, `end_torn` for
the borrows; tests/runtime/test_bql_interrupts.py tries every point).

>>> import bql
>>> bql.is_locked()
False
>>> with bql.locked():
...     bql.is_locked()
True
"""

from __future__ import annotations

import _thread
import gc
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from types import CodeType, FrameType, TracebackType
from typing import Any, Protocol, cast

from .errors import BqlError, BqlNotHeldError, BqlUnlockError
from .messages import short_repr

__all__ = [
    "checks_enabled",
    "is_locked",
    "lock",
    "locked",
    "set_checks",
    "unlock",
    "unlocked",
]


# Per-thread: `held` is True while this thread holds the BQL, and unset in a thread that
# never took it. The hot path of every checked cell operation reads `_HELD.held` (catching
# AttributeError): a plain `_thread._local` is the cheapest per-thread lookup CPython
# offers. Measured on 3.11, a checked get() costs ~2.4x a bare slot read with it, ~2.7x
# comparing `threading.get_ident()` with the owner or using a `threading.local` subclass
# with a class default (bench/runtime_bench.py measures the chosen one).
_HELD = _thread._local()
# The lock itself. An `RLock` (never taken twice: `lock()` refuses re-entry) because its
# acquire records the owning thread in the same C call that takes it, and `_is_owned()`
# reads that record: after a `KeyboardInterrupt` (Ctrl-C: an exception raised between
# any two bytecodes of the main thread) cut `lock()` or `unlock()` short, the thread can
# always tell whether it holds the lock, and undo or finish the bookkeeping around it
# (`_abandon`, `_settle`) before the exception goes on. A plain `Lock` cannot say who
# holds it: a thread interrupted right after taking it left it held by nobody.
class _OwnedLock(Protocol):
    """What `bql` uses of `_thread.RLock`, including `_is_owned()` (not in typeshed)."""

    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...

    def release(self) -> None: ...

    def _is_owned(self) -> bool: ...


def _new_lock() -> _OwnedLock:
    return cast(_OwnedLock, _thread.RLock())


_LOCK = _new_lock()


class _Holder:
    """Who holds the BQL: the thread (for messages) and whether it still runs.

    `threading.Thread.is_alive()` cannot tell for a thread not started by `threading`
    (`_thread.start_new_thread`, a ctypes or native-library callback): its `_DummyThread`
    is "alive" for ever. So each thread keeps a token in its `_HELD` slot, which CPython
    frees when the thread exits, and the holder record keeps a weak reference to it.
    """

    __slots__ = ("alive", "ident", "thread")

    def __init__(self, thread: threading.Thread, alive: Callable[[], object]) -> None:
        self.thread = thread
        self.ident = _thread.get_ident()
        self.alive = alive

    @property
    def name(self) -> str:
        return self.thread.name

    def is_alive(self) -> bool:
        return self.alive() is not None and self.thread.is_alive()


class _Token:
    """Kept by one thread only (in `_HELD`): freed when that thread exits."""

    __slots__ = ("__weakref__",)


def _holder() -> _Holder:
    """Return this thread's holder record, made on its first lock."""
    try:
        return _HELD.holder  # type: ignore[no-any-return]
    except AttributeError:
        token = _Token()
        holder = _Holder(threading.current_thread(), weakref.ref(token))
        _HELD.token = token
        _HELD.holder = holder
        return holder

# How long a thread waits for the BQL between two looks at whether its holder still runs.
OWNER_CHECK_S = 0.1


class _State:
    """Process-wide runtime state: the owner (for messages), the check switch, live borrows."""

    __slots__ = ("checks", "default_checks", "listeners", "live", "owner")

    def __init__(self) -> None:
        # Who holds the BQL, so that waiters can tell when it exited holding it.
        self.owner: _Holder | None = None
        self.default_checks = os.environ.get("BQL_CHECKS", "1").strip().lower() not in (
            "0",
            "false",
            "no",
            "off",
        )
        self.checks = self.default_checks
        # Live BqlRefCell borrows. A shared borrow: (cell, kind, code, lasti) under
        # id(guard). An exclusive one: its kind alone under the cell (a cell has at most
        # one), the code and offset being kept in the cell's own slots, which costs a
        # borrow two slot writes instead of building a tuple (`live_sites()` rebuilds
        # the tuples, on error paths only). The guard itself is not stored, so that a
        # dropped guard is freed and ends its borrow.
        self.live: dict[object, BorrowSite | str] = {}
        self.listeners: list[Callable[[bool], None]] = []


BorrowSite = tuple[Any, str, CodeType, int]
STATE = _State()


def is_locked() -> bool:
    """Return True when the current thread holds the BQL.

    >>> import bql
    >>> bql.is_locked()
    False
    """
    return getattr(_HELD, "held", False) is True


def lock() -> None:
    """Take the BQL, waiting for the thread that holds it to release it.

    >>> import bql
    >>> bql.lock(); bql.is_locked()
    True

    Taking it again from the same thread is an error, as in QEMU:

    >>> bql.lock()
    Traceback (most recent call last):
    ...
    bql.errors.BqlError: the BQL is already held by this thread: lock() is not re-entrant
    >>> bql.unlock()

    A holder that exits without releasing it would make every waiter wait for ever;
    they get an error naming it instead (checked every `OWNER_CHECK_S` seconds):

    >>> import threading
    >>> leaker = threading.Thread(target=bql.lock, name="leaker")
    >>> leaker.start(); leaker.join()
    >>> bql.lock()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bql.errors.BqlError: the BQL is held by thread 'leaker' (ident ...), which exited without releasing it: waiting for it would never end
    """
    if _LOCK._is_owned():
        raise _owned_error()
    try:
        if not _LOCK.acquire(False):  # uncontended: the fast path
            _wait_for_lock(None)
        STATE.owner = _holder()
        _HELD.held = True
        _HELD.released_at = None
    except BaseException:  # Ctrl-C (or a dead holder): leave the BQL as it was
        _abandon()
        raise


def _owned_error() -> BqlError:
    """The error for taking a lock owned under this thread's ident: re-entry, or a holder
    that exited holding it and whose ident this new thread got (CPython reuses idents)."""
    owner = STATE.owner
    if getattr(_HELD, "held", False) is not True and owner is not None and not owner.is_alive():
        return _dead_holder(owner)
    return BqlError("the BQL is already held by this thread: lock() is not re-entrant")


def _dead_holder(owner: _Holder) -> BqlError:
    return BqlError(
        f"the BQL is held by thread {short_repr(owner.name)} (ident "
        f"{owner.ident}), which exited without releasing it: "
        "waiting for it would never end"
    )


def _abandon() -> None:
    """Undo a `lock()` cut short by an exception: release the lock if it was taken.

    Every step of `lock()` after the acquire only records what the acquire did, so
    whichever step the exception hit, releasing what this thread holds restores the
    state before the call.
    """
    _HELD.held = False
    if _LOCK._is_owned():
        STATE.owner = None
        _LOCK.release()


def _settle() -> None:
    """Make this thread's records agree with the lock after an `unlock()` cut short.

    Whether the release itself ran or not, the thread then either holds the BQL, with
    every record saying so, or does not.
    """
    if _LOCK._is_owned():
        STATE.owner = _holder()
        _HELD.held = True
        _HELD.released_at = None
    else:
        _HELD.held = False


def acquire(timeout: float) -> bool:
    """Take the BQL unless `timeout` seconds pass first; return whether it was taken.

    For I/O threads that must stay able to stop while another thread holds the BQL.
    Like `lock()`, raises `BqlError` when the holder exited without releasing it.
    """
    if _LOCK._is_owned():
        raise _owned_error()
    timeout = max(0.0, timeout)
    try:
        if not _LOCK.acquire(True, min(timeout, OWNER_CHECK_S)) and not _wait_for_lock(
            timeout - OWNER_CHECK_S
        ):
            return False
        STATE.owner = _holder()
        _HELD.held = True
        _HELD.released_at = None
        return True
    except BaseException:  # as in `lock()`
        _abandon()
        raise


def _wait_for_lock(timeout: float | None) -> bool:
    """Wait for `_LOCK` (`None`: for ever), looking at its holder between short waits.

    A holder that exited without releasing the BQL would leave every waiter blocked for
    ever: raise `BqlError` naming it instead. The lock stays held, as a poisoned mutex
    does: the state it guards may be half-updated.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        owner = STATE.owner
        if owner is not None and not owner.is_alive() and STATE.owner is owner:
            raise _dead_holder(owner)
        wait = OWNER_CHECK_S
        if deadline is not None:
            wait = min(wait, deadline - time.monotonic())
            if wait <= 0:
                return False
        if _LOCK.acquire(True, wait):
            return True


def unlock() -> None:
    """Release the BQL, which the current thread must hold (else `BqlNotHeldError`).

    >>> import bql
    >>> bql.unlock()
    Traceback (most recent call last):
    ...
    bql.errors.BqlNotHeldError: bql.unlock() by a thread that does not hold the BQL

    With a `BqlRefCell` borrow alive, nothing is released (see `BqlUnlockError`).
    """
    owned = _LOCK._is_owned()
    if not owned or getattr(_HELD, "held", False) is not True:
        # (Also a thread whose flag outlived a reset_for_tests(), which replaced the lock,
        # and a new thread given the ident of a holder that exited: not the holder.)
        if not owned:
            _HELD.held = False
        raise BqlNotHeldError("bql.unlock() by a thread that does not hold the BQL")
    try:
        if STATE.checks:
            if STATE.live and _still_live():
                raise unlock_error("cannot release the BQL")
            # Where this thread released the BQL, for the BQL006 twin's row (bql.twins): the
            # user's frame, by identity only, so that it is not kept alive (and its
            # callers, their locals, an exception's traceback) until the next `lock()`.
            _HELD.released_at = release_site(sys._getframe(1))
        _HELD.held = False  # _release(), inlined: unlock() is on every vCPU exit path
        STATE.owner = None
        _LOCK.release()
    except BaseException:  # BqlUnlockError, or Ctrl-C: held or not, say which
        _settle()
        raise


ReleaseSite = tuple[int, CodeType]


def _no_user_frame(frame: FrameType | None) -> FrameType | None:
    return frame


# `bql.twins.user_frame` once twins is imported (it imports this module): the user's frame
# a runtime or standard-library frame runs for.
user_frame_of: Callable[[FrameType | None], FrameType | None] = _no_user_frame


def release_site(frame: FrameType | None) -> ReleaseSite | None:
    """Name the user's frame that released the BQL by its id and code, without keeping it."""
    user = user_frame_of(frame)
    return None if user is None else (id(user), user.f_code)


def _still_live() -> bool:
    """Whether borrows are alive once those only frames an exception unwound, or functions
    that have returned, still hold are released (bql.unwound)."""
    from .unwound import end_finished_borrows, end_unwound_borrows

    end_unwound_borrows()
    if STATE.live:
        end_finished_borrows()
    return bool(STATE.live)


def _unlock_noted() -> None:
    """`unlock()` as `locked` leaves its block with an exception in flight: the live borrows
    become a note on that exception, not an error of the program (bql.twins records no twin
    raised here)."""
    unlock()


def _release() -> None:
    """Release the BQL held by this thread, borrows or not (finishing a release cut short)."""
    try:
        _HELD.held = False
        STATE.owner = None
        if _LOCK._is_owned():
            _LOCK.release()
    except BaseException:
        _settle()
        raise


def end_live_borrows() -> None:
    """End every live `BqlRefCell` borrow: its guard, if still referenced, is released.

    For a borrow stranded where the BQL must go (a guard kept alive by a traceback): a
    later use of the guard raises `BorrowReleasedError`, and the cell can be borrowed
    again. Finds the guards through the garbage collector, since the registry holds no
    reference to them (a dropped guard must end its borrow): slow, and only for faults.
    """
    live = STATE.live
    if not live:
        return
    from .guard import is_live_guard  # noqa: PLC0415 - guard imports this module

    cells = {id(site[0]): site[0] for site in live_sites()}
    for referrer in gc.get_referrers(*cells.values()):
        if is_live_guard(referrer, live):
            referrer._end()
    live.clear()
    for cell in cells.values():
        cell._borrows = 0


def add_note(exc: BaseException, note: str) -> None:
    """Attach `note` to `exc`, shown under its traceback (PEP 678 `__notes__`)."""
    if sys.version_info >= (3, 11):
        exc.add_note(note)
    else:  # the same attribute, which 3.11's traceback prints; 3.10 keeps it as data
        exc.__notes__ = [*getattr(exc, "__notes__", []), note]


class locked:
    """Hold the BQL for the duration of a `with` block.

    >>> import bql
    >>> with bql.locked():
    ...     bql.is_locked()
    True
    >>> bql.is_locked()
    False

    The holder may not take it again:

    >>> with bql.locked():
    ...     with bql.locked():
    ...         pass
    Traceback (most recent call last):
    ...
    bql.errors.BqlError: the BQL is already held by this thread: lock() is not re-entrant

    Leaving the block always releases the BQL. A borrow still alive there (a guard kept
    in a variable) is ended: its guard raises `BorrowReleasedError` from then on. An
    exception leaving the block goes on unchanged, with the live borrows in a note; a
    block that ends normally raises `BqlUnlockError` for them:

    >>> cell = bql.BqlRefCell([1])
    >>> with bql.locked():  # doctest: +ELLIPSIS
    ...     guard = cell.borrow_mut()
    ...     1 / 0
    Traceback (most recent call last):
    ...
    ZeroDivisionError: division by zero
    bql: left `with bql.locked():` while 1 borrow was alive, now ended: borrow_mut() at ...
    >>> bql.is_locked()
    False
    >>> guard[0]
    Traceback (most recent call last):
    ...
    bql.errors.BorrowReleasedError: reading an item through a borrow_mut() guard that was already released
    """

    __slots__ = ()

    def __enter__(self) -> None:
        # lock(), inlined, with one step first: from here until `__exit__` has run to its
        # end, this object is of a class whose `__del__` releases a BQL still held. The
        # `with` statement drops it as soon as it is left, so a Ctrl-C landing where no
        # code of `__exit__` can catch it (at its first bytecode, as it is called) still
        # releases the BQL, while the exception goes on.
        if _LOCK._is_owned():
            raise _owned_error()
        self.__class__ = _Entered
        try:
            # Before the acquire: the object of an earlier block, freed from now on, knows
            # the BQL is no longer its own (`_Entered.__del__`).
            _HELD.block = id(self)
            if not _LOCK.acquire(False):  # uncontended: the fast path
                _wait_for_lock(None)
            STATE.owner = _holder()
            _HELD.held = True
            _HELD.released_at = None
        except BaseException:
            _abandon()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                unlock()
            else:
                _unlock_noted()
        except BqlUnlockError as error:
            # The thread leaves the block: it must not keep the BQL (if it then exited,
            # every other thread would wait for ever), so end the stranded borrows.
            note = (
                f"bql: left `with bql.locked():` while {_alive(len(error.borrows), 'was')}, "
                f"now ended:{describe_sites(error.borrows)}"
            )
            _leave()
            if exc is None:
                add_note(error, note)
                raise
            add_note(exc, note)
        except BqlNotHeldError as error:
            # The block released the BQL itself and did not take it back.
            _HELD.block = None
            if exc is None:
                raise
            add_note(exc, f"bql: {error}")
        except BaseException:  # Ctrl-C cut unlock() short: leave all the same
            _leave()
            raise
        # Left (an exception cutting any of the above short leaves `__del__` to finish).
        self.__class__ = locked


class _Entered(locked):
    """A `locked` whose block was entered and not yet left (see `locked.__enter__`)."""

    __slots__ = ()

    def __del__(self) -> None:
        # Only the block that took the BQL it holds now: an object of an earlier block
        # freed late (kept in a reference cycle, freed by the collector) is left alone.
        if getattr(_HELD, "block", None) == id(self):
            _leave()


_Entered.__name__ = _Entered.__qualname__ = "locked"


def _leave() -> None:
    """Release the BQL if this thread still holds it, ending any borrow still alive.

    For a `with bql.locked():` block left by an exception that cut its `__exit__` short:
    the thread must not keep the BQL (as when `unlock()` finds live borrows there).
    """
    if _LOCK._is_owned():
        end_live_borrows()
        _release()
    _HELD.block = None  # last: cut short before, `__del__` does it all again


class unlocked:
    """Release the held BQL for the duration of a `with` block and take it back after.

    This is where another thread (an I/O thread, another vCPU) can take the BQL and run
    device callbacks, so no `BqlRefCell` borrow may be alive across it:

    >>> import bql
    >>> bql.lock()
    >>> with bql.unlocked():
    ...     bql.is_locked()
    False
    >>> bql.is_locked()
    True
    >>> cell = bql.BqlRefCell([1, 2])
    >>> guard = cell.borrow()
    >>> with bql.unlocked():  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    bql.errors.BqlUnlockError: cannot release the BQL while 1 borrow is alive: borrow() at ...
    >>> guard.release()
    >>> bql.unlock()

    Entering it without holding the BQL is an error:

    >>> with bql.unlocked():
    ...     pass
    Traceback (most recent call last):
    ...
    bql.errors.BqlNotHeldError: bql.unlock() by a thread that does not hold the BQL
    """

    __slots__ = ()

    def __enter__(self) -> None:
        unlock()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        relock("the `with bql.unlocked():` block ended", exc)


def relock(ended: str, exc: BaseException | None) -> None:
    """Take the BQL back after a region run without it (`ended` says which, for messages).

    A region that took the BQL itself and kept it is a bug of its own, named as such: a
    `BqlError`, or a note on the exception `exc` ending the region, which goes on.
    """
    if getattr(_HELD, "held", False) is not True:
        lock()
        return
    message = f"{ended} holding the BQL: it took the BQL and did not release it"
    if exc is None:
        raise BqlError(message)
    add_note(exc, f"bql: {message}")


def set_checks(enabled: bool) -> None:
    """Switch the run-time checks on or off (process-wide; on unless `BQL_CHECKS=0`).

    With checks off, cells are plain storage: no BQL-held check, no borrow tracking (so no
    `BorrowError` or `BqlUnlockError`). Switching them on registers the borrows still
    alive that were taken meanwhile (`bql.untracked`), or raises `BorrowError`, the
    checks staying off, when two of them conflict. The lock itself still works and still refuses
    re-entrant `lock()` and `unlock()` by a non-holder. Guards still refuse writes through
    a shared borrow and use after release, and a realized device still refuses to have a
    cell field rebound (the twin of BQL007; SPEC §2.3.1 makes only BQL001's a check).

    >>> import bql
    >>> bql.set_checks(False); bql.BqlCell(1).get()
    1
    >>> bql.set_checks(True); bql.BqlCell(1).get()
    Traceback (most recent call last):
    ...
    bql.errors.BqlNotHeldError: BqlCell.get() without the BQL held by this thread
    """
    enabled = bool(enabled)
    if enabled and not STATE.checks:
        # Imported here: bql.untracked reaches the guards, which import this module.
        from .untracked import register_untracked_borrows

        register_untracked_borrows(sys._getframe(1))
    _switch_checks(enabled)


def _switch_checks(enabled: bool) -> None:
    STATE.checks = enabled
    for listener in STATE.listeners:
        listener(enabled)


def checks_enabled() -> bool:
    """Return whether run-time checks are on.

    >>> import bql
    >>> bql.checks_enabled()
    True
    """
    return STATE.checks


def on_checks_changed(listener: Callable[[bool], None]) -> None:
    """Call `listener(enabled)` now and whenever the checks are switched."""
    STATE.listeners.append(listener)
    listener(STATE.checks)


def reset_for_tests() -> None:
    """Forget all runtime state: release the BQL, drop live borrows, restore the checks.

    The pytest plugin calls this after every test so that a test that leaves the BQL held
    or a borrow alive does not poison the next one. A leaked thread that still believes it
    holds the BQL is that test's bug: a lock held by a thread that still runs (an I/O
    thread delivering input) is left alone, one held by a finished thread is released.
    """
    global _LOCK  # noqa: PLW0603 - a lock held by a finished thread is replaced
    STATE.live.clear()
    if _LOCK._is_owned():
        _release()
    elif getattr(_HELD, "held", False) or not _owner_alive():
        _HELD.held = False
        if _LOCK.acquire(False):  # free
            _LOCK.release()
        elif not _owner_alive():  # held by a thread that finished: nobody can release it
            _LOCK = _new_lock()
            STATE.owner = None
    if STATE.checks != STATE.default_checks:
        _switch_checks(STATE.default_checks)  # borrows forgotten, none registered


def _owner_alive() -> bool:
    """Whether the BQL is held by another thread that is still running (so leave it be)."""
    owner = STATE.owner
    return owner is not None and owner.is_alive()


def unlock_error(what: str) -> BqlUnlockError:
    """Return the error for `what` happening while borrows are alive, listing them."""
    sites = tuple(live_borrow_sites())
    return BqlUnlockError(
        f"{what} while {_alive(len(sites), 'is')}:{describe_sites(sites)}", sites
    )


def describe_sites(sites: Sequence[str]) -> str:
    """List borrow locations for a message, to follow a colon: every place once, with how
    many borrows were taken there when more than one; one place on the same line, several
    one per line (indented), however many there are (SPEC §2.1: "lists each live borrow's
    location"). A site names a place only, never a value, so the list stays a list of
    places however large the values borrowed."""
    counts: dict[str, int] = {}
    for site in sites:
        counts[site] = counts.get(site, 0) + 1
    places = [site if n == 1 else f"{site} ({n} borrows)" for site, n in counts.items()]
    if len(places) == 1:
        return f" {places[0]}"
    return "".join(f"\n  {place}" for place in places)


def live_borrow_sites() -> list[str]:
    """Describe every live borrow as ``borrow_mut() at file:line in function``."""
    return [describe_site(site) for site in live_sites()]


def live_sites() -> list[BorrowSite]:
    """Return where each live borrow was taken, as (cell, kind, code, lasti), oldest first.

    An exclusive borrow is registered by its kind under its cell, whose `_site_code` and
    `_site_lasti` slots hold where it was taken (see `_State.live`).
    """
    sites: list[BorrowSite] = []
    for key, entry in list(STATE.live.items()):
        if isinstance(entry, str):
            cell: Any = key
            sites.append((cell, entry, cell._site_code, cell._site_lasti))
        else:
            sites.append(entry)
    return sites


# The kind of a borrow taken with checks off, registered when they were switched on
# (bql.untracked): its site is where they were.
UNTRACKED_KIND = {
    kind: f"{kind}() taken with checks off, alive when they were switched on"
    for kind in ("borrow", "borrow_mut")
}


def describe_site(site: BorrowSite) -> str:
    """Describe where one borrow was taken."""
    _cell, kind, code, lasti = site
    what = kind if "(" in kind else f"{kind}()"
    return f"{what} at {code.co_filename}:{line_of(code, lasti)} in {code.co_name}"


def line_of(code: CodeType, lasti: int) -> int:
    """Return the source line of the instruction at byte offset `lasti` in `code`."""
    for start, end, line in code.co_lines():
        if start <= lasti < end and line is not None:
            return line
    return code.co_firstlineno


def caller_site(cell: Any, kind: str, depth: int = 2) -> BorrowSite:
    """Record the caller's location `depth` frames up (for messages; no line lookup yet)."""
    frame = sys._getframe(depth)
    return (cell, kind, frame.f_code, frame.f_lasti)


def _alive(n: int, verb: str) -> str:
    """Return "1 borrow is alive" / "3 borrows are alive" (`verb` "is" or "was")."""
    if n != 1:
        verb = {"is": "are", "was": "were"}[verb]
        return f"{n} borrows {verb} alive"
    return f"1 borrow {verb} alive"
