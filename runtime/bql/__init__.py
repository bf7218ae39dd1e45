"""The `bql` runtime: the Big QEMU Lock and the cells that device state lives in.

A device model is shared with the outside world (MMIO callbacks, character-device
handlers, interrupt lines) as soon as it is realized; from then on its state changes
only inside cells, and only while the current thread holds the BQL:

* `BqlCell` for small values (`get` / `set`), `BqlRefCell` for larger state
  (`borrow` / `borrow_mut`, with borrows counted at run time);
* the BQL is never released while a borrow is alive (`BqlUnlockError`), and a second,
  conflicting borrow, usually from re-entrant code, is a `BorrowError`;
* `InterruptSource` outputs, `bql.chardev.CharFrontend` and the `Device` base class
  complete the device plumbing.

``bqlint`` checks the same discipline statically. Checks are on unless `BQL_CHECKS=0`
or `set_checks(False)`.
"""

from __future__ import annotations

from . import chardev, twins
from .cell import BqlCell, BqlRef, BqlRefCell, BqlRefMut
from .decorators import releases_bql, requires_bql, without_bql
from .device import Device, SysBusDevice
from .errors import (
    BorrowError,
    BorrowReleasedError,
    BqlError,
    BqlNotHeldError,
    BqlUnlockError,
)
from .irq import InterruptSource, IRQLine
from .lock import checks_enabled, is_locked, lock, locked, set_checks, unlock, unlocked

__all__ = [
    "BorrowError",
    "BorrowReleasedError",
    "BqlCell",
    "BqlError",
    "BqlNotHeldError",
    "BqlRef",
    "BqlRefCell",
    "BqlRefMut",
    "BqlUnlockError",
    "Device",
    "IRQLine",
    "InterruptSource",
    "SysBusDevice",
    "chardev",
    "twins",
    "checks_enabled",
    "is_locked",
    "lock",
    "locked",
    "releases_bql",
    "requires_bql",
    "set_checks",
    "unlock",
    "unlocked",
    "without_bql",
]
