"""CFG builders for simple statements: assignments and unpacking, `del`, `return`, `raise`.

The middle layer of the CFG builder (cfg_blocks.py below it, cfg.py's compound statements
above): each `_<NodeType>` method emits the events of one statement.
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from bqlint.analysis.cfg_blocks import BlockBuilder
from bqlint.analysis.events import (
    Bind,
    Borrow,
    Call,
    CellOp,
    DelName,
    Escape,
    GuardWrite,
    LockChange,
    ParamWrite,
    UnlockPoint,
)
from bqlint.analysis.expressions import text_of
from bqlint.analysis.extract import Derived, GuardName, Temp, Value, is_synthetic
from bqlint.model.api import NEVER_RETURN
from bqlint.model.functions import FunctionInfo
from bqlint.model.project import External
from bqlint.source import statements

# Builtins that `site` adds: they raise SystemExit.
_EXITS = frozenset({"exit", "quit"})


class SimpleStatements(BlockBuilder):
    """Emit the events of simple statements and of assignment targets."""

    def _Expr(self, node: cst.Expr) -> None:
        self.extract.end(self.extract.expr(node.value))
        if type(node.value) is cst.Call and self._never_returns(node.value):
            self.jump("raise")  # `sys.exit(1)`, `assert_never(x)`: what follows is unreachable

    def _Assert(self, node: cst.Assert) -> None:
        self.extract.end(self.extract.expr(node.test))
        self.extract.end(self.extract.expr(node.msg))  # run when it fails: as good as here
        if _always_false(node.test):
            self.jump("raise")  # `assert False`: what follows is unreachable (as type checkers read it)

    def _never_returns(self, call: cst.Call) -> bool:
        """Whether `call` calls a function that never returns: one of Python's library
        (`sys.exit`, `typing.assert_never`) or one of the checked files annotated `NoReturn`
        or `Never` (each method that `self.m()` may run)."""
        scope = self.scope
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == scope.self_name:
            cls = scope.fn.cls
            found = cls.implementations(func.attr.value) if cls is not None else []
            return bool(found) and all(fn.never_returns() for fn in found)
        if type(func) is cst.Name and func.value in _EXITS and scope.is_builtin(func.value):
            return True
        target = scope.resolve_name(func) if type(func) in (cst.Name, cst.Attribute) else None
        if isinstance(target, External):
            return target.qname in NEVER_RETURN
        return isinstance(target, FunctionInfo) and target.never_returns()

    def _Assign(self, node: cst.Assign) -> None:
        value = self.extract.expr(node.value)
        if any(type(t.target) in (cst.Tuple, cst.List) for t in node.targets):
            # `a, b = dev`: unpacking iterates the object (a display is no object of a class).
            label = f"… = {text_of(node.value)}"
            self.extract.implicit_call(node.value, node.value, "__iter__", label)
            self.extract.implicit_call(node.value, node.value, "__next__", label)
        for target in node.targets:
            self.assign_target(target.target, value, node)
        if is_synthetic(value) or not any(isinstance(t.target, cst.Name) for t in node.targets):
            self.extract.end(value)  # a guard bound to a name lives on; a temporary ends

    def _AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            value = self.extract.expr(node.value)
            self.assign_target(node.target, value, node)
            if is_synthetic(value) or not isinstance(node.target, cst.Name):
                self.extract.end(value)

    def _AugAssign(self, node: cst.AugAssign) -> None:
        target = node.target
        if isinstance(target, (cst.Attribute, cst.Subscript)) and self.extract.borrows_cell(target.value):
            # `cell.borrow_mut().count += rhs`: Python evaluates the guard first and keeps it
            # for the store, so `rhs` runs while the borrow lives.
            temps = self.target_parts(target)
            self._augment(node)
            self.store(target, None, temps)
            return
        self._augment(node)
        self.assign_target(target, None, node)

    def _augment(self, node: cst.AugAssign) -> None:
        """Read the target (`x.p += 1` reads `x.p` first), evaluate the value, apply the operator."""
        if isinstance(node.target, cst.Attribute):
            self.extract.property_access(node.target, "getter")
        self.extract.end(self.extract.expr(node.value))
        self.extract.operator_call(node, node.target, node.operator)  # `x += y`: `x.__iadd__(y)`

    def assign_target(self, target: cst.BaseExpression, value: object, stmt: cst.CSTNode) -> None:
        ex = self.extract
        if isinstance(target, cst.Name):
            name = target.value
            if name in self.scope.globals and value is not None:
                self.emit(Escape(_guard(value), target, "store"))
            self.emit(ex.bind(name, value if isinstance(value, (Temp, GuardName)) else None))
            return
        if type(target) is cst.Tuple or type(target) is cst.List:
            self.unpack(target, value, stmt)
            return
        if isinstance(target, cst.StarredElement):
            self.assign_target(target.value, value, stmt)
            return
        if isinstance(target, (cst.Attribute, cst.Subscript)):
            self.store(target, value, self.target_parts(target))

    def store(self, target: cst.Attribute | cst.Subscript, value: object, temps: list[Value]) -> None:
        """Store `value` into `target` whose parts were evaluated (`temps` end after the store)."""
        ex = self.extract
        self.write_through(target)
        if isinstance(value, (Temp, GuardName)):
            self.emit(Escape(_guard(value), target, "store"))
        if isinstance(target, cst.Attribute):
            ex.property_access(target, "setter")
        else:
            ex.implicit_call(target, target.value, "__setitem__", f"{text_of(target.value)}[…]")
        for temp in temps:
            ex.end(temp)

    def write_through(self, target: cst.Attribute | cst.Subscript) -> None:
        """A store or `del` of an attribute or item: through a guard, or a parameter."""
        root = self.extract.guard_root(target)
        if root is not None:
            self.emit(GuardWrite(root, target))
            return
        param = self.extract.param_root(target)
        if param is not None:
            self.emit(ParamWrite(param, target))

    def unpack(self, target: cst.Tuple | cst.List, value: object, stmt: cst.CSTNode) -> None:
        """`a, *rest = x.borrow(), y.borrow(), 0`: each name takes the guard of its element (a
        starred name every guard of its slice). Unpacking anything else binds values read out
        of it, never a guard; the names are rebound all the same."""
        ex = self.extract
        elements = list(target.elements)
        parts = ex.parts.get(str(value)) if is_synthetic(value) else None
        stars = [i for i, e in enumerate(elements) if isinstance(e, cst.StarredElement)]
        fits = parts is not None and (
            len(parts) == len(elements) if not stars else len(stars) == 1 and len(parts) >= len(elements) - 1
        )
        if parts is None or not fits:
            for element in elements:
                self.assign_target(element.value, None, stmt)
            return
        after = len(elements) - 1 - stars[0] if stars else 0
        for index, element in enumerate(elements):
            if stars and index == stars[0]:
                held = ex.union(parts[index : len(parts) - after])
                self.assign_target(element.value, held, stmt)
                ex.end(held)
            else:
                before = not stars or index < stars[0]
                part = parts[index] if before else parts[len(parts) - (len(elements) - index)]
                self.assign_target(element.value, part, stmt)

    def target_parts(self, target: cst.Attribute | cst.Subscript) -> list[Value]:
        """Evaluate the sub-expressions of an assignment target; return temporaries to end."""
        ex = self.extract
        temps: list[Value] = [ex.evaluate(target.value)]
        if isinstance(target, cst.Subscript) and type(temps[0]) is Derived and ex.dropped_guard(target.value):
            ex.end(temps.pop())  # `cell.borrow_mut().fifo[i] = v`: the guard is gone before `i` runs
        if isinstance(target, cst.Subscript):
            temps.extend(ex.slice_values(target))
        return temps

    def _Del(self, node: cst.Del) -> None:
        self.delete(node.target)

    def delete(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            if self.scope.may_hold_guard(target.value):
                self.emit(DelName(target.value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.delete(element.value)
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            temps = self.target_parts(target)
            self.write_through(target)
            if isinstance(target, cst.Attribute):
                self.extract.property_access(target, "deleter")
            else:
                label = f"del {text_of(target.value)}[…]"
                self.extract.implicit_call(target, target.value, "__delitem__", label)
            for temp in temps:
                self.extract.end(temp)

    def _Return(self, node: cst.Return) -> None:
        ex = self.extract
        if node.value is not None and ex.scope.fn.returns_lazy():
            ex.iterated.add(id(node.value))  # its calls run where the caller consumes it
        value = ex.expr(node.value)
        if value is not None:  # `return g`, `return g, n`, `return {"g": g}` all hand out the guard
            self.emit(Escape(_guard(value), node, "return"))
        ex.end(value)
        self.jump("return")

    def _Raise(self, node: cst.Raise) -> None:
        self.extract.end(self.extract.expr(node.exc))
        self.extract.end(self.extract.expr(node.cause.item if node.cause else None))
        self.jump("raise")

    def _Break(self, node: cst.Break) -> None:
        self.jump("break")

    def _Continue(self, node: cst.Continue) -> None:
        self.jump("continue")

    def _FunctionDef(self, node: cst.FunctionDef) -> None:
        self.definition(node)
        self.emit(Bind(node.name.value))

    def _ClassDef(self, node: cst.ClassDef) -> None:
        self.class_definition(node)
        self.emit(Bind(node.name.value))

    def definition(self, node: cst.FunctionDef) -> None:
        """What a `def` statement runs where it is: its decorators, its default values and,
        unless the module has `from __future__ import annotations`, its annotations. Its
        body runs when it is called."""
        ex = self.extract
        for deco in node.decorators:
            ex.end(ex.expr(deco.decorator))
        ex.defaults(node.params)
        if not _postponed_annotations(self.scope.fn.module.source.module):
            for annotation in _annotations(node):
                ex.end(ex.expr(annotation))

    def class_definition(self, node: cst.ClassDef, placed: bool = True) -> None:
        """What a `class` statement runs where it is: its decorators, bases and keywords,
        then its body, statement by statement (its methods' definitions, not their bodies).
        The body runs in a frame of its own, called from the `class` row: what it does is
        placed there (SPEC §2.3.1, the line running in this function's frame), unless
        `placed` is false (a class in a class body: the outer `class` row). The names the
        body binds are the class's, not this function's: only values are evaluated, each
        dropped at once."""
        ex = self.extract
        for deco in node.decorators:
            ex.end(ex.expr(deco.decorator))
        for arg in (*node.bases, *node.keywords):
            ex.end(ex.expr(arg.value))
        if not placed:
            self._class_body(node.body)
            return
        source = self.scope.fn.module.source
        for event in ex.captured(lambda: self._class_body(node.body)):
            if isinstance(event, (Borrow, Call, CellOp, LockChange, UnlockPoint)):
                event = replace(event, node=source.moved(event.node, node.name))  # type: ignore[arg-type]  # (its own type)
            ex.emit(event)

    def _class_body(self, body: cst.BaseSuite) -> None:
        ex = self.extract
        evaluated = not _postponed_annotations(self.scope.fn.module.source.module)
        for stmt in statements(body):
            if isinstance(stmt, cst.FunctionDef):
                self.definition(stmt)
            elif isinstance(stmt, cst.ClassDef):
                self.class_definition(stmt, placed=False)
            else:
                for expr in _class_statement_values(stmt, evaluated):
                    ex.end(ex.expr(expr))


def _guard(value: object) -> str | int:
    return str(value) if isinstance(value, GuardName) else int(value)  # type: ignore[call-overload]


def _annotations(node: cst.FunctionDef) -> list[cst.BaseExpression]:
    """Return a `def`'s annotations in the order Python evaluates them, the return one last."""
    params = node.params
    ordered = [
        *params.posonly_params,
        *params.params,
        params.star_arg,
        *params.kwonly_params,
        params.star_kwarg,
    ]
    found = [p.annotation.annotation for p in ordered if isinstance(p, cst.Param) and p.annotation is not None]
    if node.returns is not None:
        found.append(node.returns.annotation)
    return found


def _class_statement_values(stmt: cst.CSTNode, annotations: bool) -> list[cst.BaseExpression]:
    """Return what a statement of a class body evaluates besides its inner statements:
    assigned values, tests, iterables, `with` items, and (when `annotations`) annotations."""
    found = [
        value
        for value in (getattr(stmt, name, None) for name in ("value", "test", "iter", "subject", "exc", "msg"))
        if isinstance(value, cst.BaseExpression)
    ]
    if isinstance(stmt, cst.With):
        found.extend(item.item for item in stmt.items)
    if annotations and isinstance(stmt, cst.AnnAssign):
        found.append(stmt.annotation.annotation)
    return found


def _postponed_annotations(module: cst.Module | None) -> bool:
    """Whether the module starts with `from __future__ import annotations` (PEP 563):
    annotations are then strings, never evaluated."""
    body = module.body if module is not None else ()
    for stmt in body:
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and stmt.body else None
        if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
            continue  # the docstring
        if not (isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name)):
            return False
        if small.module.value != "__future__":
            return False
        if not isinstance(small.names, cst.ImportStar) and any(
            isinstance(a.name, cst.Name) and a.name.value == "annotations" for a in small.names
        ):
            return True
    return False


def _always_false(test: cst.BaseExpression) -> bool:
    """`assert False`, `assert 0`, `assert None`: the assertion always fails."""
    if type(test) is cst.Name:
        return test.value in ("False", "None")
    return type(test) is cst.Integer and test.value.strip("0_") == ""
