"""Turn one expression into events, in Python's evaluation order.

Receivers before arguments, arguments before the call; a temporary guard
(`self.regs.borrow_mut().push(v)`) ends when the call or attribute access that consumes it
is done (SPEC §3.1.1 "a temporary borrow lives for its expression").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Union

import libcst as cst

from bqlint.analysis.events import (
    Bind,
    Borrow,
    Call,
    CellKey,
    CellOp,
    DelName,
    EndBorrow,
    Escape,
    Event,
    GuardUse,
    GuardWrite,
    LockChange,
    ReleaseGuard,
    UnlockPoint,
)
from bqlint.analysis.bindings import DISPLAY_TYPES, is_borrow_call
from bqlint.analysis.scope import FunctionScope
from bqlint.model import api
from bqlint.model.classes import CellType, ClassInfo, Instance
from bqlint.model.functions import FunctionInfo
from bqlint.model.handlers import handlers_for
from bqlint.model.project import External
from bqlint.source import children, walk


class Temp(int):
    """The value of a borrowing call: a temporary guard, by borrow id."""


class Derived(int):
    """A value reached from a temporary guard (`self.regs.borrow().fifo`): the guard lives on."""


class GuardName(str):
    """The value of a Name that may hold a guard."""


Value = Union[Temp, Derived, GuardName, None]


def is_synthetic(value: object) -> bool:
    """Whether `value` is a name the analysis made up to hold guards (never one in the source)."""
    return type(value) is GuardName and value[:1] == "$"


class Extractor:
    """Emit the events of expressions of one function through `emit`."""

    def __init__(
        self,
        scope: FunctionScope,
        emit: Callable[[Event], None],
        fork: Callable[[list[Callable[[], None]]], None] | None = None,
    ) -> None:
        self.scope = scope
        self.emit = emit
        # Runs each branch from the current point and joins them (the CFG builder's blocks).
        self.fork = fork
        # Synthetic names ("$1") hold the guards of a conditional expression, a display or a
        # `match` subject; a display's name also remembers the names of its elements.
        self.parts: dict[str, list[GuardName | None]] = {}
        self.calling: set[str] = set()  # local callables being expanded (`cb = cb2`)
        self._fresh = 0
        self.bids: dict[int, int] = {}
        # Inner class of each temporary borrow, for methods called on it (`...borrow().m()`).
        self.temp_inner: dict[int, ClassInfo] = {}
        self.awaited: set[int] = set()
        self.shadowed: set[str] = set()  # names bound by an enclosing comprehension

    def bid(self, node: cst.CSTNode) -> int:
        return self.bids.setdefault(id(node), len(self.bids) + 1)

    # ---- expressions -----------------------------------------------------------------
    def expr(self, node: cst.BaseExpression | None) -> Value:
        """Emit the events of `node`; return its value when it is a guard.

        A value read out of a temporary guard (`self.regs.borrow().level`) is a copy: the
        guard is dropped right there, so the borrow ends before anything else runs.
        """
        value = self._expr(node)
        if isinstance(value, Derived):
            self.end(value)
            return None
        return value

    def evaluate(self, node: cst.BaseExpression | None) -> Value:
        """Like `expr`, but a value read out of a temporary guard keeps the guard alive:
        the caller ends it (an assignment target writes through it first)."""
        return self._expr(node)

    def _expr(self, node: cst.BaseExpression | None) -> Value:
        if node is None:
            return None
        if isinstance(node, cst.Name):
            if self.scope.may_hold_guard(node.value) and node.value not in self.shadowed:
                self.emit(GuardUse(node.value, node))
                return GuardName(node.value)
            return None
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.Subscript):
            value = self._expr(node.value)
            for temp in self.slice_values(node):
                self.end(temp)
            if type(value) is GuardName and value[:1] == "$":
                self.end(value)
            return Derived(int(value)) if isinstance(value, (Temp, Derived)) else None
        if isinstance(node, cst.Attribute):
            value = self._expr(node.value)
            if isinstance(value, (Temp, Derived)):
                return Derived(int(value))
            if type(value) is GuardName and value[:1] == "$":
                self.end(value)
            self.property_access(node, "getter")
            return None
        kind = type(node)
        if kind is cst.IfExp and self.fork is not None and self.holds_guards(node):
            return self.conditional(node)  # type: ignore[arg-type]
        if kind in DISPLAY_TYPES:
            return self.display(node)  # type: ignore[arg-type]
        if isinstance(node, cst.Await):
            if isinstance(node.expression, cst.Call):
                self.awaited.add(id(node.expression))
            self.end(self.expr(node.expression))
            self.emit(UnlockPoint(node, "await"))
            return None
        if isinstance(node, cst.Yield):
            yielded = node.value
            inner = self.expr(yielded.item if isinstance(yielded, cst.From) else yielded)
            if inner is not None:
                self.emit(Escape(inner if isinstance(inner, str) else int(inner), node, "yield"))
            self.emit(UnlockPoint(node, "yield"))
            self.end_synthetic(inner)
            return None
        if isinstance(node, cst.Lambda):
            return None
        if isinstance(node, cst.NamedExpr):
            value = self.expr(node.value)
            if isinstance(node.target, cst.Name):
                self.emit(self.bind(node.target.value, value))
                self.end_synthetic(value)
                if isinstance(value, (Temp, GuardName)):
                    return GuardName(node.target.value)  # `with (g := cell.borrow_mut()):`
            self.end(value)
            return None
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self.comprehension(node)
        temps = [self.expr(inner) for inner in _subexpressions(node)]
        for temp in temps:
            self.end(temp)
        return None

    def slice_values(self, node: cst.Subscript) -> list[Value]:
        """Evaluate the index or the slice bounds (`data[: self.room()]`) of a subscript, in
        order; return what they leave to end."""
        temps: list[Value] = []
        for element in node.slice:
            part = element.slice
            if isinstance(part, cst.Index):
                temps.append(self.expr(part.value))
            elif isinstance(part, cst.Slice):
                temps.extend(self.expr(bound) for bound in (part.lower, part.upper, part.step))
        return temps

    # ---- guards held by compound values (SPEC §3.1.2 "Binding forms") --------------------
    def fresh(self) -> str:
        self._fresh += 1
        return f"${self._fresh}"

    def holds_guards(self, node: cst.BaseExpression) -> bool:
        """Whether evaluating `node` may produce a guard (a borrow, or a name holding one)."""
        for inner in walk(node):
            if isinstance(inner, cst.Call) and is_borrow_call(inner):
                return True
            if isinstance(inner, cst.Name) and self.scope.may_hold_guard(inner.value):
                return True
        return False

    def own(self, value: Value) -> GuardName | None:
        """Return a synthetic name holding the guard `value` (a snapshot of a named guard)."""
        if is_synthetic(value):
            return value  # type: ignore[return-value]
        if not isinstance(value, (Temp, GuardName)):
            self.end(value)
            return None
        name = self.fresh()
        self.emit(self.bind(name, value))
        return GuardName(name)

    def union(self, parts: list[GuardName | None]) -> GuardName | None:
        """Return a synthetic name holding every guard of `parts` (None when there is none)."""
        held = [p for p in parts if p is not None]
        if not held:
            return None
        name = self.fresh()
        for index, part in enumerate(held):
            self.emit(Bind(name, alias=str(part), keep=index > 0))
        self.parts[name] = list(parts)
        return GuardName(name)

    def conditional(self, node: cst.IfExp) -> Value:
        """`a.borrow() if c else b.borrow_mut()`: on each branch its own value; after the join
        the result may hold either guard (a may-fact)."""
        self.end(self.expr(node.test))
        name = self.fresh()

        def branch(expr: cst.BaseExpression) -> Callable[[], None]:
            def run() -> None:
                value = self.expr(expr)
                if is_synthetic(value):
                    self.emit(Bind(name, alias=str(value)))
                    self.end(value)
                else:
                    self.emit(self.bind(name, value))
                    if not isinstance(value, (Temp, GuardName)):
                        self.end(value)

            return run

        assert self.fork is not None
        self.fork([branch(node.body), branch(node.orelse)])
        return GuardName(name)

    def display(self, node: cst.Tuple | cst.List | cst.Set | cst.Dict) -> Value:
        """A tuple/list/set/dict display: a guard inside it lives as long as the display."""
        parts: list[GuardName | None] = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self.end(self.expr(element.key))
            value = self.expr(element.value)
            parts.append(self.own(value) if isinstance(value, (Temp, GuardName)) else None)
            if not isinstance(value, (Temp, GuardName)):
                self.end(value)
        return self.union(parts)

    def end_synthetic(self, value: Value) -> None:
        if type(value) is GuardName and value[:1] == "$":
            self.end(value)

    def comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> Value:
        """The first iterable runs here; the rest runs in the comprehension's own scope,
        where its targets are new names (a guard's name reused there is not the guard)."""
        self.end(self.expr(node.for_in.iter))
        clause: cst.CompFor | None = node.for_in
        names: set[str] = set()
        parts: list[cst.BaseExpression] = []
        first = True
        while clause is not None:
            names.update(n.value for n in walk(clause.target) if isinstance(n, cst.Name))
            if not first:
                parts.append(clause.iter)
            parts.extend(cond.test for cond in clause.ifs)
            clause, first = clause.inner_for_in, False
        parts.extend([node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt])
        added = names - self.shadowed
        self.shadowed |= added
        try:
            for part in parts:
                self.end(self.expr(part))
        finally:
            self.shadowed -= added
        return None

    def property_access(self, node: cst.Attribute, kind: str) -> None:
        """Reading or assigning a property runs its getter or setter: a call."""
        owner_key = self.scope.key_of(node.value)
        if owner_key is None:
            return
        typed = self.scope.type_of_key(owner_key)
        if not isinstance(typed, Instance) or not typed.cls.is_property(node.attr.value):
            return
        accessor = typed.cls.accessor(node.attr.value, kind)
        if accessor is not None:
            self.emit(Call(node, (accessor,), owner_key, (), (), label=f"{_text(node)}"))

    def end(self, value: Value) -> None:
        """The value is dropped: a temporary guard ends; a synthetic name lets go of its guards."""
        kind = type(value)
        if kind is Temp or kind is Derived:
            self.emit(EndBorrow((int(value),)))  # type: ignore[arg-type]
        elif kind is GuardName and value[:1] == "$":  # type: ignore[index]
            for part in self.parts.get(str(value), ()):  # kept: each `case` ends them again
                if part is not None:
                    self.end(part)
            self.emit(DelName(str(value)))

    def bind(self, name: str, value: Value) -> Event:
        if isinstance(value, Temp):
            return Bind(name, bid=int(value))
        if isinstance(value, GuardName):
            return Bind(name, alias=str(value))
        return Bind(name)

    # ---- calls -----------------------------------------------------------------------
    def call(self, node: cst.Call) -> Value:
        func = node.func
        receiver: Value = None
        if isinstance(func, cst.Attribute):
            receiver = self._expr(func.value)
            if isinstance(receiver, Derived):
                # `self.regs.borrow().fifo.append(v)`: a write through the guard, which ends here.
                if func.attr.value in api.MUTATORS:
                    self.emit(GuardWrite(int(receiver), node))
                else:
                    self.call_on_guard_field(node, int(receiver))
                self.end(receiver)
                receiver = None
        elif not isinstance(func, cst.Name):
            self.end(self.expr(func))
        args = [self.expr(arg.value) for arg in node.args]
        result = self.classify(node, receiver)
        for value in (receiver, *args):
            if value is not result:
                self.end(value)
        return result

    def classify(self, node: cst.Call, receiver: Value) -> Value:
        """Emit the events of the call itself; return a Temp for a borrowing call."""
        func = node.func
        scope = self.scope
        if (
            type(func) is cst.Name
            and func.value in scope.locals
            and func.value not in self.calling
            and scope.bound_callables(func.value)
        ):
            self.call_bound(node, func.value)
            return None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if receiver is not None:
                return self.call_on_guard(node, receiver, method)
            guard_root = self.guard_root(func.value)
            if guard_root is not None and method in api.MUTATORS:
                self.emit(GuardWrite(guard_root, node))
                return None
            if guard_root is not None and self.call_on_guard_field(node, guard_root):
                return None
            cell = scope.cell_of(func.value) or scope.untyped_param_refcell(func.value, method)
            if cell is not None:
                return self.cell_call(node, cell[0], cell[1], method)
            if method in api.MUTATORS:
                self.container_store(node)
            if (
                isinstance(func.value, cst.Call)
                and isinstance(func.value.func, cst.Name)
                and func.value.func.value == "super"
            ):
                # `super(Cls, self).m()` starts after `Cls`; `super().m()` after the enclosing class.
                start = scope.resolve_name(func.value.args[0].value) if func.value.args else None
                callees = scope.super_method(method, start if isinstance(start, ClassInfo) else None)
                self.project_call(node, callees, ("self",), f"super().{method}()")
                return None
            if _is_type_of(func.value, scope.self_name) and scope.fn.cls is not None:
                # `type(self).m(self, ...)`: `self.m(...)` spelled through the class.
                callees = tuple(scope.fn.cls.implementations(method))
                bound = tuple(c for c in callees if c.self_name is not None)
                first = scope.key_of(node.args[0].value) if node.args else None
                self.project_call(node, bound, first, f"{_text(func)}()", skip=1)
                unbound = tuple(c for c in callees if c.self_name is None)
                self.project_call(node, unbound, None, f"{_text(func)}()")
                return None
            key = scope.key_of(func.value)
            if scope.class_attribute(func.value) is not None:
                key = None  # `self.Snapshot.capture()`: resolved below like `Rtc.Snapshot.capture()`
            if key is not None and (key[0] == "self" or key[0].startswith(("p:", "l:", "c:"))):
                typed = scope.type_of_key(key)
                if key == ("self",) and scope.fn.cls is not None:
                    callees = tuple(scope.fn.cls.implementations(method))
                else:
                    callees = scope.methods_on(typed, method)
                self.project_call(node, callees, key, f"{_text(func)}()")
                if not callees and scope.project.config.unlock_points:
                    # `self.host.run_on_cpu()` where `host` holds a class outside the checked
                    # files: a configured `pkg.mod.Class.method` unlock point.
                    outside = scope.external_class_of(key)
                    if outside is not None and f"{outside}.{method}" in scope.project.config.unlock_points:
                        self.emit(UnlockPoint(node, "configured"))
                return None
        target = scope.resolve_name(func)
        if isinstance(target, External):
            self.external_call(node, target.qname)
        elif (
            isinstance(target, FunctionInfo)
            and target.parent is not None
            and target.self_name == scope.self_name
        ):
            # A closure of this method: its `self` is ours.
            self.project_call(node, (target,), ("self",), f"{_text(func)}()")
        elif (
            isinstance(target, FunctionInfo)
            and target.self_name is not None
            and isinstance(func, cst.Attribute)
        ):
            # `Class.method(obj, ...)`: the first argument is the method's `self`.
            first = scope.key_of(node.args[0].value) if node.args else None
            self.project_call(node, (target,), first, f"{_text(func)}()", skip=1)
        elif isinstance(target, FunctionInfo):
            self.project_call(node, (target,), None, f"{_text(func)}()")
        elif isinstance(target, ClassInfo):
            init = target.method("__init__")
            if init is not None:
                self.project_call(node, (init,), None, f"{_text(func)}()")
        if isinstance(target, External) and target.qname in scope.project.config.unlock_points:
            self.emit(UnlockPoint(node, "configured"))
        return None

    def external_call(self, node: cst.Call, qname: str) -> None:
        if qname in api.THREAD_STARTS:
            self.lambda_thread_target(node, qname)
        if qname == api.UNLOCK:
            self.emit(UnlockPoint(node, "unlock"))
            self.emit(LockChange(node, "not_held"))
        elif qname == api.LOCK:
            self.emit(LockChange(node, "held"))

    def call_bound(self, node: cst.Call, name: str) -> None:
        """`cb()` where `cb = self.m` / `partial(self.m, 1)` / `lambda: self.m(2)` on every
        path: the events of calling what `cb` is bound to, placed at this call."""
        self.calling.add(name)
        try:
            for value in self.scope.bound_callables(name):
                if isinstance(value, cst.Lambda):
                    # The lambda's body runs here: its borrows, cell operations and calls are
                    # this call's (a call inside it is the first link of a chain).
                    for event in self.lambda_events(value):
                        if isinstance(event, Call):
                            steps = tuple((fn, event.node) for fn in event.callees)
                            event = replace(event, node=node, label=f"{name}()", via=steps)
                        elif isinstance(event, (UnlockPoint, LockChange, CellOp, Borrow)):
                            event = replace(event, node=node)
                        self.emit(event)
                    continue
                if isinstance(value, cst.Call):  # functools.partial(f, *bound)
                    stand_in = _partial_call(node, value)
                    if stand_in is None:
                        continue
                else:
                    stand_in = node.with_changes(func=value)
                for event in self.captured(lambda: self.classify(stand_in, None)):
                    if isinstance(event, Call):
                        event = replace(event, node=node, label=f"{name}()")
                    elif isinstance(event, (UnlockPoint, LockChange)):
                        event = replace(event, node=node)
                    elif isinstance(event, (CellOp, Borrow)):
                        continue  # `cb = self.regs.borrow`: not followed
                    self.emit(event)
        finally:
            self.calling.discard(name)

    def captured(self, run: Callable[[], object]) -> list[Event]:
        """Return the events `run` emits, instead of emitting them."""
        emitted: list[Event] = []
        saved, self.emit = self.emit, emitted.append
        try:
            run()
        finally:
            self.emit = saved
        return emitted

    def lambda_events(self, node: cst.Lambda) -> list[Event]:
        """Return the events of evaluating a lambda's body (its parameters are new names)."""
        params = {p.name.value for p in (*node.params.params, *node.params.kwonly_params)}
        added = params - self.shadowed
        self.shadowed |= added
        try:
            return self.captured(lambda: self.end(self.expr(node.body)))
        finally:
            self.shadowed -= added

    def lambda_thread_target(self, node: cst.Call, qname: str) -> None:
        """`Thread(target=lambda: self.m())`: the lambda runs without the BQL; its calls and cell
        operations are checked (BQL006) where they are written."""
        keyword, position = api.THREAD_STARTS[qname]
        for index, arg in enumerate(node.args):
            named = arg.keyword.value if arg.keyword is not None else None
            if not (named == keyword or (named is None and index == position)):
                continue
            if isinstance(arg.value, cst.Lambda):
                # Only what needs the BQL matters on the new thread: its cell operations and
                # calls; its borrows are not this function's.
                for event in self.lambda_events(arg.value):
                    if isinstance(event, (Call, CellOp)):
                        self.emit(replace(event, thread_start=node))

    def call_on_guard(self, node: cst.Call, guard: Value, method: str) -> Value:
        """`g.release()`, `g.m()` (a method of the inner type), `g.append(x)` on a list cell."""
        assert guard is not None
        name = str(guard) if isinstance(guard, GuardName) else int(guard)
        if method == "release":
            if isinstance(guard, GuardName):
                self.emit(ReleaseGuard(str(guard), node))
            else:
                self.emit(EndBorrow((int(guard),)))
            return None
        inner = self.inner_of(guard)
        callees = tuple(inner.implementations(method)) if inner is not None else ()
        if callees:
            # A method of the inner type: whether it writes is its summary's to say.
            self.emit(Call(node, callees, None, (), (), guard=name, label=f"{_text(node.func)}()"))
        elif method in api.MUTATORS:
            self.emit(GuardWrite(name, node))
        return None

    def call_on_guard_field(self, node: cst.Call, guard: str | int) -> bool:
        """`g.events.push(v)`: a method of a field reached through the guard, when the field's
        type is a known project class (SPEC §3.1.1 "BQL004 mutates its self"). Whether it
        writes is its summary's to say; return whether the call was resolved."""
        assert isinstance(node.func, cst.Attribute)
        path: list[str] = []
        expr = node.func.value
        while isinstance(expr, cst.Attribute):
            path.append(expr.attr.value)
            expr = expr.value
        if isinstance(expr, cst.Name):
            inner = self.scope.inner_class(expr.value)
        elif isinstance(expr, cst.Call) and is_borrow_call(expr):
            inner = self.temp_inner.get(self.bid(expr))
        else:
            return False  # through an item (`g.fifos[0].push()`): not followed
        typed: object = Instance(inner) if inner is not None else None
        for part in reversed(path):
            typed = typed.cls.fields().get(part) if isinstance(typed, Instance) else None
        if not isinstance(typed, Instance):
            return False
        callees = tuple(typed.cls.implementations(node.func.attr.value))
        if not callees:
            return False
        self.emit(Call(node, callees, None, (), (), guard=guard, label=f"{_text(node.func)}()"))
        return True

    def inner_of(self, guard: Value) -> ClassInfo | None:
        if isinstance(guard, GuardName):
            return self.scope.inner_class(str(guard))
        return self.temp_inner.get(int(guard)) if isinstance(guard, Temp) else None

    def cell_call(self, node: cst.Call, key: CellKey, cell: CellType, method: str) -> Value:
        """A method call on a cell: a cell operation, maybe a borrow or a re-entrant call."""
        self.emit(CellOp(node, key, method))
        if cell.kind is api.CellKind.REFCELL and (
            method in api.BORROW_METHODS or method in api.TRY_BORROW_METHODS
        ):
            bid = self.bid(node)
            mut = api.BORROW_METHODS.get(method, api.TRY_BORROW_METHODS.get(method, False))
            self.emit(Borrow(bid, key, mut, method in api.TRY_BORROW_METHODS, node))
            if cell.inner is not None:
                self.temp_inner[bid] = cell.inner
            return Temp(bid)
        if cell.kind is api.CellKind.CHARDEV and method in api.REENTRANT_CHARDEV_METHODS and len(key) > 1:
            owner = key[:-1]
            typed = self.scope.type_of_key(owner)
            if isinstance(typed, Instance):
                handlers = handlers_for(typed.cls, key[-1])
                if handlers:
                    via = tuple((fn, call) for fn, call in handlers if call is not None)
                    callees = tuple(fn for fn, _ in handlers)
                    label = f"{_text(node.func)}()"
                    self.emit(Call(node, callees, owner, (), (), label=label, reenters=True, via=via))
        return None

    def project_call(
        self,
        node: cst.Call,
        callees: tuple[FunctionInfo, ...],
        receiver: CellKey | None,
        label: str,
        skip: int = 0,
    ) -> None:
        # Calling an async or generator function only creates a coroutine or generator: its
        # body runs when awaited (`await f()`, counted here) or iterated (not followed).
        awaited = id(node) in self.awaited
        callees = tuple(c for c in callees if c.runs_when_called() or (awaited and c.is_async))
        for callee in callees:
            if any(q in self.scope.project.config.unlock_points for q in callee.qnames()):
                self.emit(UnlockPoint(node, "configured"))
                break
        if not callees:
            return
        scope = self.scope
        args = tuple(
            scope.key_of(a.value) if a.keyword is None and a.star == "" else None for a in node.args[skip:]
        )
        kwargs = tuple((a.keyword.value, scope.key_of(a.value)) for a in node.args if a.keyword is not None)
        self.emit(Call(node, callees, receiver, args, kwargs, label=label))

    def container_store(self, node: cst.Call) -> None:
        """`lst.append(g)`: a guard passed to a container mutator escapes (BQL005)."""
        for arg in node.args:
            for value in _stored(arg.value):
                if isinstance(value, cst.Name) and self.scope.may_hold_guard(value.value):
                    self.emit(Escape(value.value, node, "store"))
                elif isinstance(value, cst.Call) and is_borrow_call(value):
                    self.emit(Escape(self.bid(value), node, "store"))

    def guard_root(self, expr: cst.BaseExpression) -> str | int | None:
        """Return the guard an attribute/item chain starts from (`g.fifo` -> g)."""
        while isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
            if isinstance(expr, cst.Name) and self.scope.may_hold_guard(expr.value):
                return expr.value
            if isinstance(expr, cst.Call) and is_borrow_call(expr):
                return self.bid(expr)
        return None


def _stored(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Return `value` and, through displays (`(g, 1)`, `{"g": g}`), the values it holds."""
    if isinstance(value, (cst.Tuple, cst.List, cst.Set, cst.Dict)):
        out: list[cst.BaseExpression] = []
        for element in value.elements:
            if isinstance(element, (cst.Element, cst.DictElement)):
                out.extend(_stored(element.value))
        return out
    return [value]


def _text(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return f"{_text(expr.value)}.{expr.attr.value}"
    if isinstance(expr, cst.Call):
        return f"{_text(expr.func)}()"
    if isinstance(expr, cst.Subscript):
        return f"{_text(expr.value)}[...]"
    return "..."


def _is_type_of(expr: cst.BaseExpression, name: str | None) -> bool:
    """Whether `expr` is `type(name)`."""
    return (
        name is not None
        and isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Name)
        and expr.func.value == "type"
        and len(expr.args) == 1
        and isinstance(expr.args[0].value, cst.Name)
        and expr.args[0].value.value == name
    )


def _partial_call(node: cst.Call, partial: cst.Call) -> cst.Call | None:
    """`cb(*args, **kw)` for `cb = partial(f, *bound, **bound_kw)`: the call of `f` it makes.

    As Python orders them: the bound positional arguments, the call's, then the keywords
    (a keyword of the call after a bound one overrides it). None when there is no `f`.
    """
    if not partial.args or partial.args[0].keyword is not None or partial.args[0].star:
        return None
    bound = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in partial.args[1:]]
    given = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in node.args]
    positional = [a for a in (*bound, *given) if a.keyword is None and a.star != "**"]
    named = [a for a in (*bound, *given) if a.keyword is not None or a.star == "**"]
    return node.with_changes(func=partial.args[0].value, args=[*positional, *named])


def _subexpressions(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """Yield the nearest expressions under `node`, through the nodes that only wrap them
    (arguments, elements, f-string parts and format specs, comparison targets), in order."""
    for child in children(node):
        if isinstance(child, cst.BaseExpression):
            yield child
        else:
            yield from _subexpressions(child)
