"""BQL006 cell-access-without-bql

## What it flags
A cell operation (`get`, `set`, `borrow`, `borrow_mut`, `raise_`, `write_all`, ... any method
call on a `BqlCell`, `BqlRefCell`, `InterruptSource`, `CharFrontend` or configured cell type)
where the BQL is known not to be held on every path: inside `with bql.unlocked():`, after
`bql.unlock()`, in a `@bql.without_bql` function or a thread target (`threading.Thread(target=f)`,
`run()` of a `threading.Thread` subclass) outside a `with bql.locked():` block. Also a call
there to a `@bql.requires_bql` function, or to one that (transitively) operates on cells
without taking the BQL itself. A cell's own method started as a thread
(`threading.Timer(t, self.irq.lower)`, `Thread(target=functools.partial(self.level.set, 1))`)
is reported where it is named.

## Why it is a bug
Cells are safe because every access happens under the BQL; an access without it races
with vCPU threads and I/O handlers that hold the lock and assume they are alone.

## Example
```python
import threading

import bql


class Dma(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.done = bql.BqlCell(False)
        self.worker = threading.Thread(target=self.run_transfer)

    def run_transfer(self) -> None:
        self.done.set(True)
```

## Corrected
```python
import threading

import bql


class Dma(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.done = bql.BqlCell(False)
        self.worker = threading.Thread(target=self.run_transfer)

    def run_transfer(self) -> None:
        with bql.locked():
            self.done.set(True)
```

## Fix
No automatic fix: take the BQL around the access with `with bql.locked():`, or move the
access out of the `bql.unlocked()` block.

## At run time
The operation raises `bql.BqlNotHeldError`.

## Options
`cell-types` (more cell classes).

## See also
BQL002 (borrow-across-unlock).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from bqlint.rules import Rule
from bqlint.rules.context import Finding, RuleContext


class CellAccessWithoutBql(Rule):
    code = "BQL006"
    name = "cell-access-without-bql"
    summary = "Cell operation where the BQL is known not to be held"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for fn, hazard in ctx.hazards(self.code):
            if hazard.call is not None:
                message = f"`{hazard.call.label}` needs the BQL, which is not held here"
            else:
                message = f"`{_call_text(hazard.node)}` runs without the BQL held"
            yield Finding(
                self.code,
                hazard.node,
                fn.module,
                message,
                hazard.chain,
                "take the BQL around it with `with bql.locked():`",
                fn.qname,
            )


def _call_text(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Call):
        node = node.func
    elif not isinstance(node, cst.Attribute):  # (an Attribute: a cell method started as a thread)
        return "this cell operation"
    return " ".join(cst.Module([]).code_for_node(node).split()).replace(" .", ".") + "()"
