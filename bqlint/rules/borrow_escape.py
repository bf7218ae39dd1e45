"""BQL005 borrow-escape

## What it flags
A borrow guard used after its borrow ended (after its `with` block, after `release()`, on
any path), returned or yielded from a function, or stored in an attribute, an item, a
global or nonlocal, or passed to a container mutator (`lst.append(guard)`). Passing a guard
as an argument to a call is not an escape; values read from a guard are copies.

## Why it is a bug
A guard is only valid while its borrow is alive and the BQL is held around it. A guard
that outlives its block hides a borrow nobody can see ending, or reads state after other
code was allowed to change it.

## Example
```python
import bql


class Regs:
    def __init__(self) -> None:
        self.lcr = 0


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def line_control(self) -> int:
        with self.regs.borrow() as regs:
            pass
        return regs.lcr
```

## Corrected
```python
import bql


class Regs:
    def __init__(self) -> None:
        self.lcr = 0


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def line_control(self) -> int:
        with self.regs.borrow() as regs:
            lcr = regs.lcr
        return lcr
```

## Fix
No automatic fix: copy what you need out of the guard while the borrow is alive.

## At run time
Using a released guard raises `bql.BorrowReleasedError`.

## Options
None.

## See also
BQL002 (borrow-across-unlock).
"""

from __future__ import annotations

from collections.abc import Iterator

from bqlint.analysis.events import key_text
from bqlint.rules import Rule
from bqlint.rules.context import (
    Finding,
    RuleContext,
    borrow_label,
    function_name,
)


class BorrowEscape(Rule):
    code = "BQL005"
    name = "borrow-escape"
    summary = "Borrow guard used after release, returned, yielded or stored"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for fn, hazard in ctx.hazards(self.code):
            cell = key_text(hazard.borrow.key, fn.self_name) if hazard.borrow else "a cell"
            if hazard.detail == "use":
                message = f"the guard of `{cell}` is used after its borrow was released"
                help_ = "copy the values you need out of the guard before the borrow ends"
            elif hazard.detail in ("return", "yield"):
                message = f"a borrow guard of `{cell}` is {hazard.detail}ed from `{function_name(fn)}`"
                help_ = "return the values read from the guard, not the guard"
            else:
                message = f"a borrow guard of `{cell}` is stored where it outlives its borrow"
                help_ = "store the values read from the guard, not the guard"
            related = [borrow_label(hazard.borrow, fn.module, fn.self_name)] if hazard.borrow else []
            related.extend(hazard.chain)
            related = [r for r in related if r.node is not hazard.node]
            yield Finding(self.code, hazard.node, fn.module, message, tuple(related), help_, fn.qname)
