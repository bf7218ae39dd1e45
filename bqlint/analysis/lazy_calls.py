"""The calls of lazy iterators, emitted where the iterators are consumed (bqlint.model.lazy).

`list(map(self.push, data))` runs `push` at the `list(...)` call; `pushed = map(self.push,
data)` runs nothing there, and `max(pushed)` later runs `push` at the `max(...)` call (the
row the runtime reports, in the function that holds the borrows).
"""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from bqlint.analysis.bound_calls import BoundCalls
from bqlint.analysis.events import Call, GuardWrite, LockChange, UnlockPoint
from bqlint.analysis.expressions import text_of
from bqlint.model.lazy import ITERATORS, LAZY_CALLERS, LAZY_WRAPPERS, called_argument, may_be_lazy
from bqlint.model.project import External

_STEPS = frozenset({"send", "throw", "__next__"})


class LazyIterators(BoundCalls):
    """Decide which lazy iterators a call consumes, and run a local's when it is consumed."""

    def holds_lazy(self, expr: cst.BaseExpression, generators: bool = True) -> bool:
        """Whether `expr` is a local holding a lazy iterator not consumed yet, or (with
        `generators`) a generator made by a call of the checked files (stepped any number of
        times; passed to a call, it is more often kept than run: `sched.spawn(gen)`)."""
        if type(expr) is not cst.Name or expr.value in self.shadowed or expr.value in self.consumed_lazy:
            return False
        value = self.scope.lazy_value(expr.value)
        return value is not None and (may_be_lazy(value) or (generators and id(value) in self.generators_made))

    def step_local(self, node: cst.Call) -> None:
        """`next(g)`, `next(g, d)`, `g.send(v)`, `g.throw(e)` on a generator local: its body
        runs here. The first `next()` runs only up to the first `yield` (a priming step runs
        nothing when nothing comes before it); a later step may run any part of it."""
        func = node.func
        if type(func) is cst.Attribute and func.attr.value in _STEPS:
            stepped, first = func.value, False
        elif type(func) is cst.Name and func.value == "next" and node.args and self.scope.is_builtin("next"):
            stepped, first = node.args[0].value, True
        else:
            return
        if type(stepped) is not cst.Name or not self.holds_lazy(stepped):
            return
        made = self.generators_made.get(id(self.scope.lazy_value(stepped.value)))
        if first and made is not None and stepped.value not in self.primed:
            self.primed.add(stepped.value)
            if not any(fn.acts_before_first_yield() for fn in made[0]):
                return
        self._run_local(stepped.value, node)

    def passes_on(self, node: cst.Call) -> bool:
        """`f(map(self.m, xs))`: a lazy iterator passed to a call is taken to be consumed by
        it, unless that call only wraps it lazily (`zip`, `itertools.chain`, another `map`):
        then it runs when the wrapper does. Mark the ones consumed; return whether they are."""
        if not any(may_be_lazy(a.value) or self.holds_lazy(a.value, generators=False) for a in node.args):
            return False
        target = self.scope.resolve_name(node.func)
        wraps = isinstance(target, External) and (target.qname in LAZY_CALLERS or target.qname in LAZY_WRAPPERS)
        if wraps and id(node) not in self.iterated:
            return False
        self.iterated.update(id(a.value) for a in node.args if type(a.value) in ITERATORS and a.keyword is None)
        return True

    def consume_locals(self, at: cst.CSTNode, exprs: list[cst.BaseExpression], generators: bool = True) -> None:
        """The locals among `exprs` that hold lazy iterators (and `generators`) are consumed at `at`."""
        for expr in exprs:
            if self.holds_lazy(expr, generators):
                assert isinstance(expr, cst.Name)
                self._run_local(expr.value, at)

    def _run_local(self, name: str, at: cst.CSTNode) -> None:
        """Emit, placed at `at`, the calls of the iterator local `name` holds (once: a
        consumed iterator is exhausted)."""
        lazy = self.scope.lazy_value(name)
        if lazy is None:
            return
        if id(lazy) not in self.generators_made:
            self.consumed_lazy.add(name)  # an iterator runs once; a generator at each step
        for event in self.captured(lambda: self._run_lazy(lazy)):
            # What the calls do happens here; reads of names inside it are not followed.
            if isinstance(event, (Call, UnlockPoint, LockChange, GuardWrite)):
                self.emit(replace(event, node=at))

    def _run_lazy(self, lazy: cst.BaseExpression) -> None:
        """Emit the calls iterating `lazy` runs (not those made when it was built)."""
        if type(lazy) is cst.GeneratorExp:
            if type(lazy.for_in.iter) is cst.Name:
                self._run_lazy(lazy.for_in.iter)  # `(f(x) for x in pending)` consumes `pending`
            self.comprehension_parts(lazy)
            return
        if type(lazy) is cst.Name:
            if self.holds_lazy(lazy):
                self._run_local(lazy.value, lazy)
            return
        if type(lazy) is not cst.Call:
            return
        made = self.generators_made.get(id(lazy))
        if made is not None:
            self.iterated.add(id(lazy))
            made[1]()
            return
        target = self.scope.resolve_name(lazy.func)
        if not isinstance(target, External):
            return
        if target.qname in LAZY_CALLERS:
            called = called_argument(target.qname, lazy)
            if called is not None:
                self.call_value(lazy, called, f"{text_of(called)}()")
        if target.qname in LAZY_CALLERS or target.qname in LAZY_WRAPPERS:
            for arg in lazy.args:
                if arg.keyword is None and (type(arg.value) is cst.Name or may_be_lazy(arg.value)):
                    self._run_lazy(arg.value)
