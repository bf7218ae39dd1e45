"""BQL003 conflicting-borrow

## What it flags
While a borrow of a `BqlRefCell` is alive, a conflicting borrow of the same cell: a
`borrow_mut()` while any borrow is alive, or a `borrow()` while a `borrow_mut()` is alive.
Directly, through a call that (transitively) borrows the cell, or by re-entry: a
`CharFrontend.accept_input()` / `write_all()` call runs the handlers the device registered
with `enable_handlers`, and those borrow the registers again. Rebinding a guard name in a
loop without releasing the previous guard conflicts with the previous iteration's borrow.

## Why it is a bug
This is the classic re-entrancy bug of device models: the device writes to its character
backend while holding its registers, the backend calls back into the device's `receive`
handler, and the handler borrows the registers again. Rust's `RefCell` panics with "already
borrowed"; QEMU's Rust devices end every borrow before calling out for this reason.

## Example
```python
import bql
from bql.chardev import CharFrontend


class Regs:
    def __init__(self) -> None:
        self.rx = 0


class Uart(bql.SysBusDevice):
    def __init__(self, chardev: object = None) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.chr = CharFrontend(chardev)

    def realize(self) -> None:
        self.chr.enable_handlers(self.can_receive, self.receive, None)

    def can_receive(self) -> int:
        return 1

    def receive(self, data: bytes) -> None:
        with self.regs.borrow_mut() as regs:
            regs.rx = data[0]

    def write(self, offset: int, value: int, size: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs.rx = 0
            self.chr.write_all(bytes([value]))
```

## Corrected
```python
import bql
from bql.chardev import CharFrontend


class Regs:
    def __init__(self) -> None:
        self.rx = 0


class Uart(bql.SysBusDevice):
    def __init__(self, chardev: object = None) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.chr = CharFrontend(chardev)

    def realize(self) -> None:
        self.chr.enable_handlers(self.can_receive, self.receive, None)

    def can_receive(self) -> int:
        return 1

    def receive(self, data: bytes) -> None:
        with self.regs.borrow_mut() as regs:
            regs.rx = data[0]

    def write(self, offset: int, value: int, size: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs.rx = 0
        self.chr.write_all(bytes([value]))
```

## Fix
Compute what you need inside the borrow, end it, then make the call; or pass the borrowed
value to the callee instead of letting it borrow again.
An unsafe fix (`--fix --unsafe-fixes`, previewed by `--diff --unsafe-fixes`) does the first
when the re-entering call is the last statement of the `with` block that holds the borrow
and uses no name the block binds: it moves the call after the block, as the Corrected
example shows. It is unsafe because the call then runs after the borrow ends, and not at
all when the block raises; read the diff. Any other shape is left to you.

## At run time
The second borrow raises `bql.BorrowError`, naming where the live borrow was taken.

## Options
`cell-types`, `device-bases` widen what counts as a cell and a device.

## See also
BQL002 (borrow-across-unlock), BQL004 (write-through-shared-borrow).
"""

from __future__ import annotations

from collections.abc import Iterator

from bqlint.analysis.events import Borrow, key_text
from bqlint.analysis.summaries import Link
from bqlint.diagnostics import Applicability
from bqlint.rules import Rule
from bqlint.rules.fix_builders.end_borrow import end_borrow_before_call
from bqlint.rules.context import Finding, RuleContext, borrow_label


class ConflictingBorrow(Rule):
    code = "BQL003"
    name = "conflicting-borrow"
    fix = Applicability.UNSAFE
    summary = "Conflicting borrow of a BqlRefCell that is already borrowed"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for fn, hazard in ctx.hazards(self.code):
            first = hazard.borrow
            assert isinstance(first, Borrow)
            cell = key_text(first.key, fn.self_name)
            state = "mutably borrowed" if first.mut else "borrowed"
            if hazard.call is not None and hazard.call.reenters:
                message = f"`{hazard.call.label}` can call back into the device, which borrows `{cell}` again while it is already {state}"
                help_ = f"end the borrow of `{cell}` before calling `{hazard.call.label}`"
            elif hazard.call is not None:
                message = f"`{hazard.call.label}` borrows `{cell}` again while it is already {state}"
                help_ = f"end the borrow of `{cell}` before calling `{hazard.call.label}`"
            else:
                message = f"`{cell}` is borrowed again while it is already {state}"
                help_ = f"end the first borrow of `{cell}` (leave its `with` block or call `release()`) first"
            related: list[Link] = [borrow_label(first, fn.module, fn.self_name), *hazard.chain]
            if hazard.call is None and first.node is hazard.node:
                # A guard rebound in a loop: the previous iteration's guard is still alive.
                message = f"`{cell}` is borrowed again while the previous iteration's guard is still alive"
                help_ = "release the guard (or leave its `with` block) before the loop comes round"
                label = "the previous iteration's borrow, taken here, is still alive"
                related = [Link(first.node, fn.module, label)]
            fix = None if first.node is hazard.node else end_borrow_before_call(fn, first.node, hazard.node)
            yield Finding(self.code, hazard.node, fn.module, message, tuple(related), help_, fn.qname, fix)
