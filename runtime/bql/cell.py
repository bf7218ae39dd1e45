"""BQL-protected interior mutability: `BqlCell` for small values, `BqlRefCell` for state.

A device model is shared with the outside world early in its life: memory-region
callbacks, character-device handlers, interrupt lines and timers all hold a reference to
it. From then on nothing may assign to the device object directly. Every piece of state
that changes lives inside a *cell*, and every access to a cell is checked against the Big
QEMU Lock (BQL), which serialises all device callbacks.

Which cell for what:

* `BqlCell` holds a small value that is read and written whole: a flag, a counter, an
  enum. `get()` copies it out, `set()` replaces it; no reference to the inside escapes, so
  there is nothing to borrow and nothing to conflict.
* `BqlRefCell` holds larger state that is changed in place, typically a registers object.
  `borrow()` gives shared (read) access and `borrow_mut()` exclusive (read-write) access
  through a guard; the cell counts the guards, like Rust's `RefCell`.

The discipline, checked here at run time and by ``bqlint`` before the code runs:

1. Touch a cell only with the BQL held by the current thread (`BqlNotHeldError`).
2. While a `borrow_mut()` guard is alive, no other borrow of that cell; while `borrow()`
   guards are alive, no `borrow_mut()` (`BorrowError`, naming where the live borrow was
   taken). The usual way to hit this is re-entrancy: the device holds a borrow, calls
   out (an IRQ line, `CharFrontend.write_all()`), and the callee calls back into the
   device, which borrows again.
3. Never release the BQL while a borrow is alive (`BqlUnlockError`): another thread
   could take the BQL and see the state half-updated.

So a device borrows once, computes, ends the borrow, and only then calls out, as QEMU's
Rust PL011 does:

>>> import bql
>>> class Regs:
...     def __init__(self) -> None:
...         self.level = 0
...     def write(self, value: int) -> bool:
...         changed = value != self.level
...         self.level = value
...         return changed
>>> class Counter(bql.Device):
...     def __init__(self) -> None:
...         super().__init__()
...         self.regs = bql.BqlRefCell(Regs())
...         self.writes = bql.BqlCell(0)
...         self.irq = bql.InterruptSource()
...     def write(self, value: int) -> None:
...         with self.regs.borrow_mut() as regs:
...             changed = regs.write(value)
...         self.writes.update(lambda n: n + 1)
...         if changed:  # the borrow has ended: calling out is safe
...             self.irq.set(value != 0)
>>> dev = Counter()
>>> line = bql.IRQLine()
>>> dev.connect_irq(0, line)
>>> bql.lock()
>>> dev.write(5); dev.write(5)
>>> line.level, dev.writes.get()
(True, 2)

Calling out with the borrow still alive breaks as soon as the callee looks back at the
device; here an interrupt controller that reads the registers when the line changes:

>>> def write_wrong(dev: Counter, value: int) -> None:
...     with dev.regs.borrow_mut() as regs:
...         regs.write(value)
...         dev.irq.set(value != 0)  # the borrow is still alive
>>> dev.connect_irq(0, lambda level: dev.regs.borrow().level)
>>> write_wrong(dev, 0)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bql.errors.BorrowError: cannot borrow() BqlRefCell[Regs]: it is already mutably borrowed by borrow_mut() at ... in write_wrong
>>> bql.unlock()

A guard is a context manager, or can be ended early with `release()`. Attribute and item
access go to the inner value; type checkers see the inner type for ``with ... as regs``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import ref_cell, value_cell
from .guard import BqlRef, BqlRefMut
from .lock import on_checks_changed
from .ref_cell import BqlRefCell
from .value_cell import BqlCell

__all__ = ["BqlCell", "BqlRef", "BqlRefCell", "BqlRefMut"]


def _adopt(cls: type[Any]) -> None:
    """Make `cls` and its methods belong to this module, where `bql` has always defined them.

    Pickles name a class by its `__module__`, so they keep saying `bql.cell.BqlRefCell`;
    doctest then collects the class's examples here, once.
    """
    cls.__module__ = __name__
    for value in vars(cls).values():
        if inspect.isfunction(value):
            value.__module__ = __name__


_adopt(BqlCell)
_adopt(BqlRefCell)


Methods = dict[type[Any], dict[str, Callable[..., Any]]]


def swap_methods(checked: Methods, unchecked: Methods) -> Callable[[bool], None]:
    """Return a check-switch listener installing the checked or unchecked implementations."""
    for cls, methods in unchecked.items():
        for name, fn in methods.items():
            original = checked[cls][name]
            fn.__name__ = original.__name__
            fn.__qualname__ = original.__qualname__
            fn.__doc__ = original.__doc__

    def install(enabled: bool) -> None:
        for cls, methods in (checked if enabled else unchecked).items():
            for name, fn in methods.items():
                setattr(cls, name, fn)

    return install


_NAMES = {
    BqlCell: ("get", "set", "replace", "take", "update"),
    BqlRefCell: ("borrow", "borrow_mut", "try_borrow", "try_borrow_mut"),
}
_CHECKED: Methods = {
    cls: {name: getattr(cls, name) for name in names} for cls, names in _NAMES.items()
}
_UNCHECKED: Methods = {BqlCell: value_cell.UNCHECKED, BqlRefCell: ref_cell.UNCHECKED}
on_checks_changed(swap_methods(_CHECKED, _UNCHECKED))
