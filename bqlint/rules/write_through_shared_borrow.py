"""BQL004 write-through-shared-borrow

## What it flags
Assigning or deleting an attribute or item through a guard returned by `borrow()` (a shared
borrow), also with `setattr()`/`delattr()`, calling an in-place container method on something reached through it
(`regs.fifo.append(x)`), calling through it a method of the inner type that mutates its
`self` (directly or through other methods), or passing it to a function that writes through
that parameter (`check_post_load(regs)`; reported at the call, in the function that holds
the borrow).

## Why it is a bug
A shared borrow promises that nobody mutates the value while it is alive: other shared
borrows may be reading the same registers. Writing needs an exclusive `borrow_mut()`.

## Example
```python
import bql


class Regs:
    def __init__(self) -> None:
        self.flags = 0


class Gpio(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def clear(self) -> None:
        with self.regs.borrow() as regs:
            regs.flags = 0
```

## Corrected
```python
import bql


class Regs:
    def __init__(self) -> None:
        self.flags = 0


class Gpio(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def clear(self) -> None:
        with self.regs.borrow_mut() as regs:
            regs.flags = 0
```

## Fix
No automatic fix: borrow with `borrow_mut()` where you write.

## At run time
Assigning or deleting through a `BqlRef` raises, and so does changing in place a built-in
container reached through it (`regs.fifo.append(x)`, `regs.fifo[0] = x`); a method of the
inner type that mutates its `self`, called through the guard, is not caught. For a guard
passed to a helper, the error names the call in the function holding the guard.

## Options
None.

## See also
BQL003 (conflicting-borrow).
"""

from __future__ import annotations

from collections.abc import Iterator

from bqlint.analysis.events import key_text
from bqlint.rules import Rule
from bqlint.rules.context import Finding, RuleContext, borrow_label


class WriteThroughSharedBorrow(Rule):
    code = "BQL004"
    name = "write-through-shared-borrow"
    summary = "Write through a shared borrow() guard"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for fn, hazard in ctx.hazards(self.code):
            assert hazard.borrow is not None
            cell = key_text(hazard.borrow.key, fn.self_name)
            if hazard.call is not None:
                message = f"`{hazard.call.label}` mutates the value of a shared borrow of `{cell}`"
            else:
                message = f"write through a shared borrow of `{cell}`"
            yield Finding(
                self.code,
                hazard.node,
                fn.module,
                message,
                (borrow_label(hazard.borrow, fn.module, fn.self_name),),
                f"borrow `{cell}` with `borrow_mut()` to write through it",
                fn.qname,
            )
