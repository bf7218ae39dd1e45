"""What a nested `def` does to the guards it captures, placed where it is called.

`def end(): g.release()` inside a method that holds `g` releases the borrow when `end()`
runs, not where it is written; `def use(): g[0] = 2` called after the `with` block that
bound `g` uses a released guard there. The nested function's own analysis sees `g` as a
name of another scope, so the enclosing function applies it at the call: a use of each
captured guard, a write for each store through one, and a release for a `g.release()`
that every run of the body reaches (a statement of its top level before any `return`).
"""

from __future__ import annotations

import libcst as cst

from bqlint.analysis.events import Event, GuardUse, GuardWrite, ReleaseGuard
from bqlint.analysis.scope import FunctionScope
from bqlint.model.functions import FunctionInfo
from bqlint.source import walk


def captured_guard_events(scope: FunctionScope, callee: FunctionInfo, call: cst.Call) -> list[Event]:
    """Return the guard events of calling `callee`, a function nested in `scope`'s, at `call`."""
    inner = FunctionScope(callee)
    nodes = callee.body_nodes()
    module_names = {n.name.value for node in nodes if type(node) is cst.Global for n in node.names}
    # Names that name no variable: `x.regs`'s `regs`, `f(key=1)`'s `key`.
    labels = {id(node.attr) for node in nodes if type(node) is cst.Attribute}
    labels |= {id(node.keyword) for node in nodes if type(node) is cst.Arg and node.keyword is not None}
    captured = {
        node.value
        for node in nodes
        if type(node) is cst.Name
        and id(node) not in labels
        and node.value not in inner.locals  # its own (a `nonlocal` name it rebinds too: unknown)
        and node.value not in module_names
        and scope.may_hold_guard(node.value)
    }
    if not captured:
        return []
    events: list[Event] = [GuardUse(name, call) for name in sorted(captured)]
    for node in nodes:
        for target in _store_targets(node):
            root = _root(target)
            if root in captured:
                events.append(GuardWrite(root, call))
    for name in sorted(_released(callee.node.body, captured)):
        events.append(ReleaseGuard(name, call))
    return events


def _store_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if type(node) is cst.Assign:
        return [t.target for t in node.targets]
    if type(node) in (cst.AugAssign, cst.AnnAssign):
        return [node.target]  # type: ignore[attr-defined]
    if type(node) is cst.Del:
        return [node.target]
    return []


def _root(target: cst.BaseExpression) -> str | None:
    """`g.fifo[0]` -> `g` (a store through the object `g` names), else None."""
    if type(target) not in (cst.Attribute, cst.Subscript):
        return None
    while type(target) in (cst.Attribute, cst.Subscript):
        target = target.value  # type: ignore[attr-defined]
    return target.value if type(target) is cst.Name else None


def _released(body: cst.BaseSuite, captured: set[str]) -> set[str]:
    """The captured guards released by a top-level `g.release()` that runs on every call."""
    found: set[str] = set()
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        smalls = statement.body if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else ()
        if not smalls:
            if any(type(n) in (cst.Return, cst.Raise) for n in walk(statement, into_scopes=False)):
                break  # a branch may leave first: what follows is not reached on every call
            continue
        for small in smalls:
            if type(small) in (cst.Return, cst.Raise):
                return found
            call = small.value if type(small) is cst.Expr else None
            if (
                type(call) is cst.Call
                and type(call.func) is cst.Attribute
                and call.func.attr.value == "release"
                and type(call.func.value) is cst.Name
                and call.func.value.value in captured
            ):
                found.add(call.func.value.value)
    return found
