"""BQL002 borrow-across-unlock

## What it flags
A `BqlRefCell` borrow that is still alive at a point where the BQL may be released:
`bql.unlock()`, entering `with bql.unlocked():`, leaving `with bql.locked():` (for a borrow
taken inside the block), `await`, `yield`, `async with`, `async for`, a call to a `@bql.releases_bql` function or a configured `unlock-points` function, or a call
to any function that (transitively, across modules) reaches one of those. Entering a `with`
calls its manager's `__enter__` and leaving it `__exit__` (a class of the checked files), or
runs the body of a `@contextlib.contextmanager` function: those count as calls too. A call
of a `functools.singledispatch` function may run any implementation registered on it (for a
literal argument, the one registered for its type). A call of a function decorated by a
function of the checked files also runs the wrapper that decorator returns; a generator
function's body runs while a `for` iterates it (or a `yield from` delegates to it, or
`list()`, `sum()`, `str.join()` and the like consume it), a method of an enum member runs
with its arguments (`Op.WRITE.apply(self)`), `with self.m():` of a method that returns
`bql.unlocked()` enters it, and
`sorted`/`min`/`max` (`key=`), `map`, `filter` and `functools.reduce` call their function.
Python's implicit
calls count as well: calling an object (`__call__`), `obj[i]` (`__getitem__`, `__setitem__`,
`__delitem__`), `len(obj)`, `reversed(obj)`, `str(obj)`, `int(obj)` and the like, `f"{obj}"`,
`x in obj`, `for x in obj`, truth tests (`if obj:`), operators
(`obj == x`, `obj + x`, `obj += x`), and reading or assigning a property or a descriptor.
Names are bound as the running program binds them: `(lambda: f())()` and
`functools.partial(f)()` call `f`, `for step in (self.a, self.b): step()` may call either, a
later top-level `flush = _blocking_flush` replaces `def flush`, an import under
`if TYPE_CHECKING:` never runs, and a borrow entered with `stack.enter_context(...)` on a
`contextlib.ExitStack` lives until the stack's `with` block is left.

## Why it is a bug
The BQL is what makes a borrow safe: while it is held, no other thread can run device code.
Once it is released, an I/O thread or a vCPU may enter the device and borrow the same cell,
and the borrow you still hold no longer protects anything. QEMU forbids releasing the BQL
while a `BqlRefCell` is borrowed for this reason.

## Example
```python
import bql


class Regs:
    def __init__(self) -> None:
        self.data = 0


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def flush(self) -> None:
        with self.regs.borrow_mut() as regs:
            regs.data = 0
            with bql.unlocked():
                pass
```

## Corrected
```python
import bql


class Regs:
    def __init__(self) -> None:
        self.data = 0


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def flush(self) -> None:
        with self.regs.borrow_mut() as regs:
            regs.data = 0
        with bql.unlocked():
            pass
```

## Fix
End the borrow (leave the `with` block, or call `release()`) before the point that may
release the BQL, and borrow again afterwards if you still need the state.
An unsafe fix (`--fix --unsafe-fixes`, previewed by `--diff --unsafe-fixes`) does this when
the call is the last statement of the `with` block that holds the borrow and uses no name the
block binds: it moves the call after the block. It is unsafe because the call then runs after
the borrow ends, and not at all when the block raises; read the diff. Any other shape is
left to you.

## At run time
`bql.unlock()`, `bql.unlocked()` and leaving `with bql.locked():` raise
`bql.BqlUnlockError`, naming each live borrow.

## Options
`unlock-points`: more functions that release the BQL (dotted names).

## See also
BQL003 (conflicting-borrow), BQL005 (borrow-escape).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from bqlint.analysis.events import key_text
from bqlint.analysis.summaries import Link
from bqlint.diagnostics import Applicability
from bqlint.rules import Rule
from bqlint.rules.fix_builders.end_borrow import end_borrow_before_call
from bqlint.rules.context import Finding, RuleContext, borrow_label, call_text

_WHERE = {
    "unlock": "`bql.unlock()` releases the BQL",
    "unlocked": "`bql.unlocked()` releases the BQL",
    "await": "`await` may release the BQL",
    "yield": "`yield` may release the BQL",
    "async with": "`async with` may release the BQL",
    "async for": "`async for` may release the BQL",
    "configured": "this configured unlock point releases the BQL",
    "locked": "leaving `with bql.locked():` releases the BQL",
}


class BorrowAcrossUnlock(Rule):
    code = "BQL002"
    name = "borrow-across-unlock"
    fix = Applicability.UNSAFE
    summary = "BqlRefCell borrow alive where the BQL may be released"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for fn, hazard in ctx.hazards(self.code):
            assert hazard.borrow is not None
            cell = key_text(hazard.borrow.key, fn.self_name)
            if hazard.call is not None:
                where = f"`{hazard.call.label}` may release the BQL"
            elif hazard.detail == "configured" and isinstance(hazard.node, cst.Call):
                where = f"`{call_text(hazard.node)}` releases the BQL (a configured unlock point)"
            else:
                where = _WHERE.get(hazard.detail, "the BQL may be released")
            related: list[Link] = [borrow_label(hazard.borrow, fn.module, fn.self_name), *hazard.chain]
            yield Finding(
                self.code,
                hazard.node,
                fn.module,
                f"`{cell}` is still borrowed where {where}",
                tuple(related),
                f"end the borrow of `{cell}` (leave its `with` block or call `release()`) before this point",
                fn.qname,
                end_borrow_before_call(fn, hazard.borrow.node, hazard.node),
            )
