"""Borrows taken with checks off, registered when the checks are switched back on.

With checks off, a borrow leaves no trace (that is what makes it cheap: ref_cell.UNCHECKED).
A guard taken then may still be alive when `bql.set_checks(True)` runs; left untracked, it
would let a conflicting borrow through and the BQL be released under it (SPEC §2.1). So
`set_checks(True)` finds the live guards (a scan of the garbage collector's objects, once
per switch, so the borrow path pays nothing) and registers their borrows, as if taken at the
line that switched the checks on (a guard that only garbage refers to is collected first).
Conflicting guards (two `borrow_mut()` of one cell, or a
`borrow_mut()` beside a `borrow()`) cannot both be registered: the switch then raises
`BorrowError` and leaves the checks off.

>>> import bql
>>> bql.set_checks(False)
>>> cell = bql.BqlRefCell(0)
>>> guard = cell.borrow_mut()
>>> bql.set_checks(True)
>>> bql.lock()
>>> cell.borrow_mut()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bql.errors.BorrowError: cannot borrow_mut() BqlRefCell[int]: it is already mutably borrowed by borrow_mut() taken with checks off, alive when they were switched on at <doctest ...>:1 in <module>
>>> guard.release(); bql.unlock()
"""

from __future__ import annotations

import gc
from types import FrameType
from typing import Any

from .errors import BorrowError
from .guard import BqlRef, BqlRefMut, is_live_guard
from .guard_base import _Guard
from .lock import STATE, UNTRACKED_KIND
from .twins import attach, frame_holding_guard

__all__ = ["register_untracked_borrows"]


def register_untracked_borrows(caller: FrameType) -> None:
    """Register the live borrows taken with checks off, at `caller`'s line (the line that
    switches the checks on); raise `BorrowError` and register none when two conflict."""
    guards = _live_guards()
    if any(_untracked(guard) for guard in guards):
        gc.collect()  # a guard only garbage refers to is not a borrow: let it end first
        guards = _live_guards()
    by_cell: dict[int, tuple[Any, list[_Guard[Any]]]] = {}
    for guard in guards:
        cell = guard._cell
        by_cell.setdefault(id(cell), (cell, []))[1].append(guard)
    live = STATE.live
    exclusive: list[Any] = []  # cells
    shared: list[tuple[int, Any]] = []  # (guard id, cell)
    for cell, guards in by_cell.values():
        if any(isinstance(g, BqlRefMut) for g in guards):
            if len(guards) > 1:
                raise _conflict(cell, guards, caller)
            if cell not in live:
                exclusive.append(cell)
            continue
        untracked = [id(g) for g in guards if id(g) not in live]
        if untracked and cell._borrows < 0:  # a tracked borrow_mut() beside them
            raise _conflict(cell, guards, caller)
        shared.extend((key, cell) for key in untracked)
    code, lasti = caller.f_code, caller.f_lasti
    for cell in exclusive:
        cell._site_code, cell._site_lasti = code, lasti
        cell._borrows = -1
        live[cell] = UNTRACKED_KIND["borrow_mut"]
    for key, cell in shared:
        cell._borrows += 1
        live[key] = (cell, UNTRACKED_KIND["borrow"], code, lasti)


def _live_guards() -> list[_Guard[Any]]:
    """Return every guard whose borrow has not ended (tracked or not)."""
    return [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, (BqlRef, BqlRefMut)) and obj._live_cell() is not None
    ]


def _untracked(guard: _Guard[Any]) -> bool:
    """Whether the live `guard`'s borrow is not registered."""
    return not is_live_guard(guard, STATE.live)


def _conflict(cell: Any, guards: list[_Guard[Any]], caller: FrameType) -> BorrowError:
    kinds = ", ".join(sorted(f"{guard._kind}()" for guard in guards))
    error = BorrowError(
        f"cannot switch checks on: {cell._describe()} has conflicting borrows alive "
        f"({kinds}), some taken with checks off; release them first"
    )
    return attach(error, "BQL003", frame_holding_guard(cell, caller) or caller)
