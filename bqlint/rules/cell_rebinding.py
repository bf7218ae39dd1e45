"""BQL007 cell-rebinding

## What it flags
In a device class, outside construction: assigning to a cell field (`self.level = 3` where
`level` is a `BqlCell`), updating it with `+=`-style operators, or deleting it.

## Why it is a bug
The cell is the shared, checked home of the value; rebinding the field replaces the cell
itself, without the BQL check, and anyone still holding the old cell sees stale state. The
intent is almost always to store a new value in the cell.

## Example
```python
import bql


class Timer(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.level = bql.BqlCell(0)

    def reset(self) -> None:
        self.level = 0
```

## Corrected
```python
import bql


class Timer(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.level = bql.BqlCell(0)

    def reset(self) -> None:
        self.level.set(0)
```

## Fix
For a `BqlCell` field, the autofix rewrites `self.level = v` to `self.level.set(v)` and
`self.level += v` to `self.level.set(self.level.get() + v)`. It is safe: the value is stored
where every reader already looks. Other cell types and `del` are fixed by hand.

## At run time
Nothing raises; the old cell silently stops being the device's state.

## Options
`init-methods` (more construction methods), `cell-types` (more cell classes).

## See also
BQL001 (field-mutation-outside-cell).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from bqlint.analysis.summaries import Link
from bqlint.diagnostics import Applicability
from bqlint.model.api import CellKind
from bqlint.model.classes import CellType
from bqlint.model.mutations import Mutation
from bqlint.rules import Rule
from bqlint.rules.context import REBINDING, Finding, FixPlan, RuleContext, function_name

_OPERATORS = {
    cst.AddAssign: "+",
    cst.SubtractAssign: "-",
    cst.MultiplyAssign: "*",
    cst.DivideAssign: "/",
    cst.FloorDivideAssign: "//",
    cst.ModuloAssign: "%",
    cst.PowerAssign: "**",
    cst.LeftShiftAssign: "<<",
    cst.RightShiftAssign: ">>",
    cst.BitAndAssign: "&",
    cst.BitOrAssign: "|",
    cst.BitXorAssign: "^",
    cst.MatrixMultiplyAssign: "@",
}


# Values that need no parentheses as the right operand of a binary operator.
_ATOMS = (
    cst.Name,
    cst.Attribute,
    cst.Call,
    cst.Subscript,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
)


class CellRebinding(Rule):
    code = "BQL007"
    name = "cell-rebinding"
    summary = "Cell field rebound outside construction"
    fix = Applicability.SAFE

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        for fn, mutation, field in ctx.device_mutations():
            if not isinstance(field, CellType) or mutation.kind not in REBINDING:
                continue
            related: tuple[Link, ...] = ()
            if field.decl is not None and field.module is not None:
                related = (
                    Link(
                        field.decl,
                        field.module,
                        f"`{mutation.field}` is declared as a `{field.type_name}` here",
                    ),
                )
            me = fn.instance_name() or "self"
            verb = {"assign": "rebound", "augassign": "rebound by an in-place operator", "delete": "deleted"}[
                mutation.kind
            ]
            yield Finding(
                self.code,
                mutation.node,
                fn.module,
                f"cell field `{me}.{mutation.field}` is {verb} in `{function_name(fn)}`, outside construction",
                related,
                f"store the value in the cell with `{me}.{mutation.field}.set(...)`"
                if field.kind is CellKind.CELL
                else f"change the value inside `{me}.{mutation.field}` instead of replacing the cell",
                fn.qname,
                _fix(mutation, field, ctx),
            )


def _fix(mutation: Mutation, field: CellType, ctx: RuleContext) -> FixPlan | None:
    """Rewrite `self.f = v` / `self.f op= v` on a BqlCell field to `self.f.set(...)`."""
    stmt = mutation.stmt
    if field.kind is not CellKind.CELL or field.optional:
        return None  # `self.timer = None` on a `BqlCell[int] | None` field: `.set()` would be wrong
    code = ctx.module.source.written_code  # names as the user spelt them (bqlint.identifiers)
    target = code(mutation.node)
    value_node = getattr(stmt, "value", None)
    if (
        not isinstance(value_node, cst.BaseExpression)
        or "\n" in code(value_node)
        or "\r" in code(value_node)  # a file with `\r` line ends (Python's line breaks)
        or isinstance(value_node, cst.Yield)
    ):
        return None  # a multi-line or `yield` value: fixed by hand
    if (
        isinstance(stmt, cst.Assign)
        and len(stmt.targets) == 1
        and stmt.targets[0].target is mutation.node
        and _is_plain(stmt.value, ctx)
    ):
        value = code(stmt.value)
        if isinstance(stmt.value, cst.Tuple) and not stmt.value.lpar:
            value = f"({value.strip()})"  # `self.pos = x, y` stores one tuple: `.set((x, y))`
        return FixPlan("Use `.set()`", Applicability.SAFE, ((stmt, f"{target}.set({value})"),))
    if isinstance(stmt, cst.AugAssign) and type(stmt.operator) in _OPERATORS:
        op = _OPERATORS[type(stmt.operator)]
        value = code(stmt.value)
        if not isinstance(stmt.value, _ATOMS) or stmt.value.lpar:
            value = f"({value.strip()})" if not stmt.value.lpar else value
        return FixPlan(
            "Use `.set()` with `.get()`",
            Applicability.SAFE,
            ((stmt, f"{target}.set({target}.get() {op} {value})"),),
        )
    return None


def _is_plain(value: cst.BaseExpression, ctx: RuleContext) -> bool:
    """A value that is not itself a new cell (then `.set(cell)` would be wrong)."""
    typed = ctx.project.type_of_constructor(value, ctx.module, value)
    return not isinstance(typed, CellType)
