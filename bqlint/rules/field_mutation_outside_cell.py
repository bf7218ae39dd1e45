"""BQL001 field-mutation-outside-cell

## What it flags
In a device class (one deriving from `bql.Device`, `bql.SysBusDevice` or a configured
`device-bases` class), outside construction (`__init__` and configured `init-methods`):
assigning, augmented-assigning or deleting a field of `self` that is not a cell, assigning
an item or attribute inside such a field, calling an in-place container method on it
(`append`, `extend`, `pop`, `update`, `clear`, `add`, ...), or `setattr(self, ...)`. When
the field holds an instance of a class of the checked files, such a call is that class's
own method, flagged only if it changes a field of its own `self`; so is an item store or
`del` on it (`self.bank[off] = v` runs its `__setitem__`). Assigning a property or a
data descriptor (a class attribute whose class defines `__set__`) runs its setter instead
of binding a field: not flagged. Nor is `clear()` on a field holding a `threading.Event` or
`asyncio.Event`, a thread-safe signal and not a container.

## Why it is a bug
Once a device is realized its pointer has been handed out (memory regions, chardev
handlers, IRQ lines), so it is shared: any thread holding the BQL may be running one of its
methods. QEMU's Rust devices therefore never mutate the device object; every piece of
mutable state lives in a `BqlCell` or `BqlRefCell`, whose accesses are checked against the
BQL. A plain field mutated after construction bypasses those checks.

## Example
```python
import bql


class Timer(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def tick(self) -> None:
        self.count += 1
```

## Corrected
```python
import bql


class Timer(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.count = bql.BqlCell(0)

    def tick(self) -> None:
        self.count.set(self.count.get() + 1)
```

## Fix
No automatic fix: move the field into a `BqlCell` (small values) or into the registers
object held by a `BqlRefCell`, and update it through the cell.

## At run time
With checks on, a realized device raises `bql.errors.FieldMutationError` when one of its
methods assigns or deletes a plain field of `self` outside `__init__`, `realize()` and
`reset()`. Mutator calls and item writes are not seen at run time: the bug shows up as lost
updates or torn state.

## Options
`device-bases` (more base classes of devices), `init-methods` (more construction methods),
`cell-types` (more cell classes).

## See also
BQL007 (cell-rebinding).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from bqlint.model.classes import CellType, Instance
from bqlint.model.external import field_class
from bqlint.model.functions import FunctionInfo
from bqlint.model.mutations import Mutation, self_mutations
from bqlint.rules import Rule
from bqlint.rules.context import Finding, RuleContext, function_name

_VERBS = {
    "assign": "assigned",
    "augassign": "updated in place",
    "delete": "deleted",
    "item": "modified through an item or attribute",
    "setattr": "set through `setattr()`",
    "delattr": "deleted through `delattr()`",
}


def _on_cell(ctx: RuleContext, fn: FunctionInfo, mutation: Mutation) -> bool:
    """Return whether a mutator-named call is made on a cell (an element, another object's)."""
    call = mutation.node
    assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
    receiver = call.func.value
    return isinstance(ctx.scope(fn).type_of_expr(receiver), CellType) or _property_cell(fn, receiver)


def _property_cell(fn: FunctionInfo, expr: cst.BaseExpression) -> bool:
    """Return whether `expr` is `self.p` for a property whose getter is annotated to
    return a cell (`def enable(self) -> bql.BqlCell[int]`): a call on it is a cell operation."""
    if not _own_field(fn, expr):
        return False
    assert isinstance(expr, cst.Attribute) and fn.cls is not None
    getter = fn.cls.accessor(expr.attr.value, "getter")
    if getter is None or getter.node.returns is None:
        return False
    typed = fn.project.type_of_annotation(getter.node.returns.annotation, getter.module, getter.node)
    return isinstance(typed, CellType)


def _pure_project_method(ctx: RuleContext, fn: FunctionInfo, mutation: Mutation) -> bool:
    """Return whether a mutator-named call resolves to a method of a project class that
    changes none of its own fields (`self.rx.pop()` on a `Fifo` that keeps its bytes in a
    cell): the name is a built-in container's, the method is not."""
    call = mutation.node
    assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
    typed = ctx.scope(fn).type_of_expr(call.func.value)
    if not isinstance(typed, Instance):
        return False
    method = typed.cls.method(call.func.attr.value)
    return method is not None and not self_mutations(method)


def _pure_item_method(ctx: RuleContext, fn: FunctionInfo, mutation: Mutation) -> bool:
    """Return whether an item store or `del` (`self.bank[off] = v`) is made on an instance of
    a project class whose `__setitem__` (`__delitem__`) changes none of its own fields: like
    a mutator-named method of such a class, a call of that method, not a mutation."""
    target = mutation.node
    if not isinstance(target, cst.Subscript):
        return False
    typed = ctx.scope(fn).type_of_expr(target.value)
    if not isinstance(typed, Instance):
        return False
    method = typed.cls.method("__delitem__" if isinstance(mutation.stmt, cst.Del) else "__setitem__")
    return method is not None and not self_mutations(method)


# Outside classes whose mutator-named methods are not a container's: a thread-safe signal
# (`self.stop.clear()` on a `threading.Event`) is meant to be changed by any thread.
_SYNCHRONISATION = frozenset(
    {"threading.Event", "asyncio.Event", "asyncio.locks.Event", "multiprocessing.Event"}
)


def _synchronisation_object(fn: FunctionInfo, mutation: Mutation) -> bool:
    """Return whether a mutator-named call is made on a field of `self` that holds an event
    of the standard library (its constructor or annotation names the class)."""
    call = mutation.node
    assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
    receiver = call.func.value
    if not _own_field(fn, receiver):
        return False
    assert isinstance(receiver, cst.Attribute) and fn.cls is not None
    return field_class(fn.cls, receiver.attr.value) in _SYNCHRONISATION


def _own_field(fn: FunctionInfo, expr: cst.BaseExpression) -> bool:
    """Whether `expr` is `self.x` in a method (`self` as the method names it)."""
    return (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == fn.instance_name()
        and fn.cls is not None
    )


class FieldMutationOutsideCell(Rule):
    code = "BQL001"
    name = "field-mutation-outside-cell"
    summary = "Device field mutated outside construction and outside a cell"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for fn, mutation, field in ctx.device_mutations():
            if isinstance(field, CellType):
                continue  # rebinding a cell field is BQL007; calls on it are cell operations
            if mutation.kind == "mutator" and _on_cell(ctx, fn, mutation):
                continue  # `self.lines[i].update(f)`: BqlCell.update(), a cell operation
            if mutation.kind == "mutator" and _pure_project_method(ctx, fn, mutation):
                continue
            if mutation.kind == "mutator" and _synchronisation_object(fn, mutation):
                continue
            if mutation.kind == "item" and _pure_item_method(ctx, fn, mutation):
                continue
            me = fn.instance_name() or "self"
            what = f"`{me}.{mutation.field}`" if mutation.field else f"a field of `{me}`"
            if mutation.kind == "mutator":
                method = mutation.node.func.attr.value  # type: ignore[attr-defined]
                verb = f"mutated in place by `{method}()`"
            else:
                verb = _VERBS[mutation.kind]
            yield Finding(
                self.code,
                mutation.node,
                fn.module,
                f"device field {what} is {verb} in `{function_name(fn)}`, outside construction",
                (),
                f"keep `{mutation.field or 'it'}` in a `BqlCell` or in the registers of a `BqlRefCell` "
                "and change it through the cell",
                fn.qname,
            )
