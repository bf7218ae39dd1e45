"""The `bql` runtime names the analysis knows by meaning (SPEC §2), as canonical dotted names.

Users reach them through any import style or submodule (`bql.cell.BqlRefCell`,
`from bql import BqlRefCell as RC`); `canonical_api` folds those onto one spelling.
"""

from __future__ import annotations

import enum

RUNTIME_PACKAGE = "bql"


class CellKind(enum.Enum):
    """The cell types of SPEC §3.1 ("cell field")."""

    CELL = "BqlCell"
    REFCELL = "BqlRefCell"
    IRQ = "InterruptSource"
    CHARDEV = "CharFrontend"
    CUSTOM = "custom"


CELL_TYPES = {
    "bql.BqlCell": CellKind.CELL,
    "bql.BqlRefCell": CellKind.REFCELL,
    "bql.InterruptSource": CellKind.IRQ,
    "bql.chardev.CharFrontend": CellKind.CHARDEV,
}
DEVICE_BASES = frozenset({"bql.Device", "bql.SysBusDevice"})
LOCK = "bql.lock"
UNLOCK = "bql.unlock"
LOCKED = "bql.locked"
UNLOCKED = "bql.unlocked"
RELEASES_BQL = "bql.releases_bql"
REQUIRES_BQL = "bql.requires_bql"
WITHOUT_BQL = "bql.without_bql"
THREAD = "threading.Thread"
# Callables that run a function on a new thread: (keyword, positional index) of the function.
THREAD_STARTS = {THREAD: ("target", 1), "threading.Timer": ("function", 1)}
# Decorators that make a generator function a context manager (-> whether for `async with`):
# `with f():` runs its body (up to the `yield` on entry, the rest on exit).
CONTEXT_MANAGERS = {"contextlib.contextmanager": False, "contextlib.asynccontextmanager": True}

BORROW_METHODS = {"borrow": False, "borrow_mut": True}
TRY_BORROW_METHODS = {"try_borrow": False, "try_borrow_mut": True}
# CharFrontend calls that may run the registered handlers synchronously (SPEC §3.1.1).
REENTRANT_CHARDEV_METHODS = frozenset({"accept_input", "write_all"})
HANDLER_PARAMS = ("can_receive", "receive", "event")

# SPEC §3.1.1: the in-place methods of the built-in containers, by name.
MUTATORS = frozenset(
    "append extend insert pop popleft appendleft extendleft remove clear sort reverse rotate "
    "update setdefault popitem add discard intersection_update difference_update "
    "symmetric_difference_update".split()
)

_SHORT_NAMES = {
    "BqlCell": "bql.BqlCell",
    "BqlRefCell": "bql.BqlRefCell",
    "InterruptSource": "bql.InterruptSource",
    "CharFrontend": "bql.chardev.CharFrontend",
    "Device": "bql.Device",
    "SysBusDevice": "bql.SysBusDevice",
    "lock": LOCK,
    "unlock": UNLOCK,
    "locked": LOCKED,
    "unlocked": UNLOCKED,
    "releases_bql": RELEASES_BQL,
    "requires_bql": REQUIRES_BQL,
    "without_bql": WITHOUT_BQL,
}


KNOWN_NAMES = frozenset(_SHORT_NAMES.values()) | {"bql.IRQLine", "bql.chardev.MemoryChardev"}


# The runtime's modules: only a name of one of these is the runtime's (`bql.cell.BqlCell`);
# `bql.chan.unlock` (a `chan` that `from bql import *` does not bind) is not `bql.unlock`.
RUNTIME_MODULES = frozenset(
    {RUNTIME_PACKAGE, "bql.chardev", "bql.chardev.frontend", "bql.chardev.memory", "bql.chardev.socket"}
    | {
        f"bql.{name}"
        for name in "cell checked_generators crosscheck decorators device errors fields frame_locals guard "
        "guard_base guard_cells guard_objects guard_operators guard_reads guard_views held_calls in_place "
        "irq lock messages pytest_plugin ref_cell report_target rows state_fields twins untracked unwound "
        "value_cell without".split()
    }
)
# What `from bql import *` binds: the runtime's `__all__`.
RUNTIME_ALL = frozenset(
    "BorrowError BorrowReleasedError BqlCell BqlError BqlNotHeldError BqlRef BqlRefCell BqlRefMut "
    "BqlUnlockError Device IRQLine InterruptSource SysBusDevice chardev twins checks_enabled is_locked "
    "lock locked releases_bql requires_bql set_checks unlock unlocked without_bql".split()
)


def canonical_api(qname: str) -> str:
    """Fold `bql.<submodules>.<Name>` onto the canonical name of a known runtime API."""
    owner, _, last = qname.rpartition(".")
    if owner not in RUNTIME_MODULES:
        return qname
    return _SHORT_NAMES.get(last, qname)


def runtime_exports(module_name: str, name: str) -> bool:
    """Whether `from <module_name> import *` (a runtime module) binds `name`."""
    if module_name == RUNTIME_PACKAGE:
        return name in RUNTIME_ALL
    return module_name in RUNTIME_MODULES and canonical_api(f"{module_name}.{name}") in KNOWN_NAMES


def is_runtime_module(module_name: str) -> bool:
    """Return whether `module_name` is the runtime itself (trusted, not checked as device code)."""
    return module_name == RUNTIME_PACKAGE or module_name.startswith(RUNTIME_PACKAGE + ".")


# Functions of Python's library that never return (they raise or end the process).
NEVER_RETURN = frozenset(
    {"sys.exit", "os._exit", "os.abort", "typing.assert_never", "typing_extensions.assert_never"}
)
# Return annotations that say a function never returns.
NEVER_TYPES = frozenset(
    {"typing.NoReturn", "typing.Never", "typing_extensions.NoReturn", "typing_extensions.Never"}
)
