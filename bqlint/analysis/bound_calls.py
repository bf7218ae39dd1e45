"""Calls of local names bound to callables: `cb = self.m`, `partial(self.m, 1)`, lambdas.

`cb()` is expanded into the events of what `cb` is bound to, placed at the call; a lambda
started as a thread has its calls and cell operations checked where they are written.
A layer of `extract.Extractor`, between expressions and call classification.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import replace

import libcst as cst

from bqlint.analysis.events import (
    Borrow,
    Call,
    CellOp,
    Event,
    GuardUse,
    GuardWrite,
    LockChange,
    ReleaseGuard,
    UnlockPoint,
)
from bqlint.analysis.expressions import ExpressionEvents, GuardName, Value, text_of
from bqlint.model import api
from bqlint.model.project import External


class BoundCalls(ExpressionEvents):
    """Expand calls of bound callables and lambdas into the events they stand for."""

    @abstractmethod
    def classify(self, node: cst.Call, receiver: Value) -> Value:
        """Emit the events of the call itself; return a Temp for a borrowing call (extract.py)."""

    def call_bound(self, node: cst.Call, name: str, label: str | None = None) -> None:
        """`cb()` where `cb = self.m` / `partial(self.m, 1)` / `lambda: self.m(2)` on every
        path: the events of calling what `cb` is bound to, placed at this call."""
        label = label or f"{name}()"
        self.calling.add(name)
        try:
            for value in self.scope.bound_callables(name):
                if type(value) is cst.Name and self._is_alias(value.value):
                    if value.value not in self.calling:  # `cb2 = cb`: what `cb` is bound to
                        self.call_bound(node, value.value, label)
                    continue
                if isinstance(value, cst.Lambda):
                    self._run_lambda(node, value, label)
                elif isinstance(value, cst.Call):  # functools.partial(f, *bound)
                    stand_in = _partial_call(node, value)
                    if stand_in is not None:
                        self._run_stand_in(node, stand_in, label)
                else:
                    self._run_stand_in(node, node.with_changes(func=value), label)
        finally:
            self.calling.discard(name)

    def _run_lambda(self, node: cst.Call, value: cst.Lambda, label: str) -> None:
        """The lambda's body runs at `node`: its borrows, cell operations and calls are this
        call's (a call inside it is the first link of a chain)."""
        for event in self.lambda_events(value):
            if isinstance(event, Call):
                steps = tuple((fn, event.node) for fn in event.callees)
                event = replace(event, node=node, label=label, via=steps)
            elif isinstance(event, (UnlockPoint, LockChange, CellOp, Borrow, GuardUse, GuardWrite, ReleaseGuard)):
                event = replace(event, node=node)  # what runs at the call is reported there
            self.emit(event)

    def _run_stand_in(self, node: cst.Call, stand_in: cst.Call, label: str) -> None:
        """The calls `stand_in` (a call of what a callable stands for) makes, placed at `node`;
        its cell operations are not followed (`cb = self.regs.borrow`)."""
        receiver = self._guard_receiver(stand_in.func)
        for event in self.captured(lambda: self.classify(stand_in, receiver)):
            if isinstance(event, Call):
                self.emit(replace(event, node=node, label=label))
            elif isinstance(event, (UnlockPoint, LockChange, GuardWrite)):
                self.emit(replace(event, node=node))

    def _guard_receiver(self, func: cst.BaseExpression) -> Value:
        """`g.latch` of a guard `g`: the guard, whose inner value's method it is (as `call`
        finds for `g.latch(...)` written out), else None."""
        if type(func) is cst.Attribute and type(func.value) is cst.Name:
            name = func.value.value
            if self.scope.may_hold_guard(name) and name not in self.shadowed:
                return GuardName(name)
        return None

    def call_immediate(self, node: cst.Call) -> bool:
        """`(lambda: self.m())()` and `functools.partial(f, 1)()`: what is called is written at
        the call; return whether `node` is such a call (its events are emitted)."""
        func = node.func
        if type(func) is cst.Lambda:
            self._run_lambda(node, func, "(lambda)()")
            return True
        if type(func) is not cst.Call or not self._is_partial(func.func):
            return False
        stand_in = _partial_call(node, func)
        if stand_in is not None:
            self._run_stand_in(node, stand_in, f"partial({text_of(stand_in.func)})()")
        return True

    def _is_partial(self, func: cst.BaseExpression) -> bool:
        target = self.scope.resolve_name(func)
        return isinstance(target, External) and target.qname == "functools.partial"

    def call_value(self, node: cst.Call, value: cst.BaseExpression, label: str) -> None:
        """`node` calls the callable `value` (a method, a function or a lambda) in passing:
        the events of calling it, placed at `node`."""
        if isinstance(value, cst.Lambda):
            self._run_lambda(node, value, label)
        elif isinstance(value, (cst.Name, cst.Attribute)):
            self._run_stand_in(node, node.with_changes(func=value, args=[]), label)

    def _is_alias(self, name: str) -> bool:
        """Whether local `name` is itself bound to callables (not a nested `def`)."""
        return name in self.scope.locals and bool(self.scope.bound_callables(name))

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
        given = node.params
        stars = [p for p in (given.star_arg, given.star_kwarg) if isinstance(p, cst.Param)]
        params = {p.name.value for p in (*given.posonly_params, *given.params, *given.kwonly_params, *stars)}
        added, hidden = params - self.shadowed, params - self.scope.hidden
        self.shadowed |= added
        self.scope.hidden |= hidden  # `lambda unlock: unlock()`: not the module's `unlock`
        try:
            return self.captured(lambda: self.end(self.expr(node.body)))
        finally:
            self.shadowed -= added
            self.scope.hidden -= hidden

    def thread_target(self, node: cst.Call, qname: str) -> None:
        """The target of `Thread(target=...)` / `Timer(t, ...)` runs without the BQL: a lambda's
        calls and cell operations are checked (BQL006) where they are written, a local bound to
        methods is followed to them, and a cell's own method is one cell operation (the model
        marks the targets it can name without the function's scope)."""
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
            elif type(arg.value) is cst.Name and arg.value.value in self.scope.locals:
                for value in self.scope.bound_callables(arg.value.value):
                    self._started(node, value)
            else:
                self._attribute_thread_target(node, arg.value)

    def _attribute_thread_target(self, node: cst.Call, target: cst.BaseExpression) -> None:
        """`Timer(t, self.irq.lower)`, `Thread(target=partial(self.level.set, 2))`: a cell's
        method runs on the new thread, without the BQL (BQL006 at the method named). A
        method of a field, parameter or local of a project class (`Thread(target=uart.poll)`,
        `uart = Uart()`) starts without the BQL, as `self.m` does (the model marks those)."""
        if type(target) is cst.Call and target.args and self._is_partial(target.func):
            first = target.args[0]
            target = first.value if first.keyword is None and not first.star else target
        if type(target) is not cst.Attribute:
            return
        cell = self.scope.cell_of(target.value)
        if cell is not None:
            self.emit(CellOp(target, cell[0], target.attr.value, thread_start=node))
        else:
            self._started(node, target)

    def _started(self, node: cst.Call, value: cst.CSTNode) -> None:
        """Mark what calling `value` (a name or attribute) runs as started by the thread
        start `node`: `Thread(target=poller)` with local `poller` bound to methods (`for
        poller in (self.a, self.b)`) starts each of them without the BQL."""
        if not isinstance(value, (cst.Name, cst.Attribute)):
            return
        stand_in = cst.Call(func=value)
        receiver = self._guard_receiver(value)
        for event in self.captured(lambda: self.classify(stand_in, receiver)):
            if isinstance(event, Call) and event.thread_start is None:
                for callee in event.callees:
                    if all(site is not node for site, _ in callee.thread_starts):
                        callee.thread_starts.append((node, self.scope.module))


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
