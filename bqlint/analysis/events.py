"""The events a function's control-flow graph is made of, in evaluation order.

A cell is named by a key relative to the function's roots: `("self", "regs")`,
`("p:dev", "regs")` (a parameter), `("g:mod.STATE",)` (a module global), `("l:c",)` (a local).
Borrows are numbered per function, one number per borrowing call node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import libcst as cst

from bqlint.model.classes import CellKey as CellKey  # re-exported: the analysis's name for it
from bqlint.model.functions import FunctionInfo


def key_text(key: CellKey, self_name: str | None = "self") -> str:
    """Return how a cell key reads in source: ("self", "regs") -> self.regs."""
    parts = [_as_written(p.split(":", 1)[1].rsplit(".", 1)[-1] if ":" in p else p) for p in key]
    if parts and parts[0] == "self" and self_name:
        parts[0] = self_name
    return ".".join(parts).replace(".[", "[")


def _as_written(part: str) -> str:
    """A private name as the class's code writes it: `_Uart__regs` -> `__regs` (only where
    what stands for the class name is capitalised, as class names are: `_rx__fifo` stays)."""
    if part.startswith("_") and not part.startswith("__") and not part.endswith("__") and "__" in part:
        owner, rest = part[1:].split("__", 1)
        if owner[:1].isupper() and rest:
            return "__" + rest
    return part


@dataclass(frozen=True, slots=True, eq=False)
class Borrow:
    """`cell.borrow()` / `borrow_mut()` / `try_borrow*()`: a guard comes alive."""

    bid: int
    key: CellKey
    mut: bool
    is_try: bool
    node: cst.Call


@dataclass(frozen=True, slots=True, eq=False)
class EndBorrow:
    """Borrows end: the `with` block is left, or a temporary's consumer returned."""

    bids: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Bind:
    """`name` is (re)bound: to the guard of borrow `bid`, to whatever `alias` holds, or to a value."""

    name: str
    bid: int | None = None
    alias: str | None = None
    # Add to what `name` holds instead of rebinding it (a display holding several guards).
    keep: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class ReleaseGuard:
    """`name.release()`: the borrow held by `name` ends here."""

    name: str
    node: cst.CSTNode


@dataclass(frozen=True, slots=True, eq=False)
class DelName:
    name: str


@dataclass(frozen=True, slots=True, eq=False)
class UnlockPoint:
    """A point where the BQL may be released: unlock(), unlocked(), await, yield, async with/for,
    leaving `with bql.locked():` (kind "locked": only the borrows taken inside the block,
    `within`, count there; the set is filled while the block is built)."""

    node: cst.CSTNode
    kind: str
    within: set[int] | None = None


@dataclass(frozen=True, slots=True, eq=False)
class LockChange:
    """The BQL becomes held / not held; `save` and `restore` bracket `with bql.locked():`."""

    node: cst.CSTNode
    action: str  # "held" | "not_held" | "save" | "restore"
    token: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class Call:
    """A call to functions of the checked files; their summaries apply here."""

    node: cst.CSTNode
    callees: tuple[FunctionInfo, ...]
    receiver: CellKey | None  # the object bound to the callees' `self`, as a caller key
    args: tuple[CellKey | None, ...]
    kwargs: tuple[tuple[str, CellKey | None], ...]
    guard: str | int | None = None  # called through a guard (name or temporary borrow id)
    label: str = ""  # how the call reads: "self.update()"
    reenters: bool = False  # CharFrontend.accept_input()/write_all() running the device's handlers
    # Per callee, the call that reaches it (a lambda handler's `self._rx(d)`), first in its chain.
    via: tuple[tuple[FunctionInfo, cst.CSTNode], ...] = ()
    # Runs on a new thread (`Thread(target=lambda: self.m())`): only BQL006 applies, from here.
    thread_start: cst.CSTNode | None = None
    # A decorator's wrapper calling the function it was given: any decorated function may
    # run; only BQL006 applies here (their effects are not the wrapper's, which the callers
    # of every decorated function share).
    wrapped: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class CellOp:
    """A method call on a cell (get/set/borrow*/raise_/write_all/...); started as a thread,
    the bound method itself (`Timer(t, self.irq.lower)`)."""

    node: cst.Call | cst.Attribute
    key: CellKey
    method: str
    # Made by a lambda started as a thread (`Timer(t, lambda: self.irq.pulse())`): BQL006 only.
    thread_start: cst.CSTNode | None = None


@dataclass(frozen=True, slots=True, eq=False)
class GuardUse:
    """A load of a name that may hold a guard."""

    name: str
    node: cst.CSTNode


@dataclass(frozen=True, slots=True, eq=False)
class GuardWrite:
    """A write through a guard (`g.x = 1`, `g.fifo.append(v)`), by name or temporary borrow."""

    guard: str | int
    node: cst.CSTNode


@dataclass(frozen=True, slots=True, eq=False)
class ParamWrite:
    """A write through a parameter never rebound (`regs.ibrd &= MASK` in `def f(regs)`):
    a caller that passes a `borrow()` guard for it writes through a shared borrow."""

    param: str
    node: cst.CSTNode


@dataclass(frozen=True, slots=True, eq=False)
class Escape:
    """A guard returned, yielded or stored (BQL005)."""

    guard: str | int
    node: cst.CSTNode
    kind: str  # "return" | "yield" | "store"


@dataclass(frozen=True, slots=True, eq=False)
class Narrow:
    """On this branch `name` is None (a failed `try_borrow*()`): it holds no borrow."""

    name: str


Event = Union[
    Borrow,
    EndBorrow,
    Bind,
    ReleaseGuard,
    DelName,
    UnlockPoint,
    LockChange,
    Call,
    CellOp,
    GuardUse,
    GuardWrite,
    ParamWrite,
    Escape,
    Narrow,
]


def describe(event: Event) -> str:
    """Return a one-line text form of `event` for CFG dumps in tests."""
    name = type(event).__name__
    if isinstance(event, Borrow):
        mode = "mut" if event.mut else "shared"
        return f"{name} b{event.bid} {'.'.join(event.key)} {mode}{' try' if event.is_try else ''}"
    if isinstance(event, EndBorrow):
        return f"{name} {' '.join(f'b{b}' for b in event.bids)}"
    if isinstance(event, Bind):
        src = f" <- b{event.bid}" if event.bid is not None else (f" <- {event.alias}" if event.alias else "")
        return f"{name} {event.name}{' +' if event.keep else ''}{src}"
    if isinstance(event, Call):
        return f"{name} {event.label} -> {', '.join(f.qname for f in event.callees)}"
    if isinstance(event, (UnlockPoint,)):
        return f"{name} {event.kind}"
    if isinstance(event, LockChange):
        return f"{name} {event.action}"
    if isinstance(event, CellOp):
        return f"{name} {'.'.join(event.key)}.{event.method}()"
    if isinstance(event, (GuardUse, ReleaseGuard, DelName, Narrow)):
        return f"{name} {event.name}"
    if isinstance(event, ParamWrite):
        return f"{name} {event.param}"
    if isinstance(event, (GuardWrite, Escape)):
        guard = event.guard if isinstance(event.guard, str) else f"b{event.guard}"
        return f"{name} {guard}{' ' + event.kind if isinstance(event, Escape) else ''}"
    return name
