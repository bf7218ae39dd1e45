"""Turn one expression into events, in Python's evaluation order (calls aside).

Receivers before arguments, arguments before the call; a temporary guard
(`self.regs.borrow_mut().push(v)`) ends when the call or attribute access that consumes it
is done (SPEC §3.1.1 "a temporary borrow lives for its expression"). The base of
`extract.Extractor`, which adds the calls.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Union

import libcst as cst

from bqlint.analysis.bindings import DISPLAY_TYPES, is_borrow_call
from bqlint.analysis.events import (
    Bind,
    Call,
    CellKey,
    DelName,
    EndBorrow,
    Escape,
    Event,
    GuardUse,
    Narrow,
    UnlockPoint,
)
from bqlint.model.lazy import ITERATORS
from bqlint.analysis.narrowing import narrowing
from bqlint.analysis.scope import FunctionScope
from bqlint.model.classes import ClassInfo, Instance
from bqlint.model.functions import FunctionInfo
from bqlint.source import children, walk


class Temp(int):
    """The value of a borrowing call: a temporary guard, by borrow id."""


class Derived(int):
    """A value reached from a temporary guard (`self.regs.borrow().fifo`): the guard lives on."""


class GuardName(str):
    """The value of a Name that may hold a guard."""


Value = Union[Temp, Derived, GuardName, None]


class StackExits:
    """What closing a `with contextlib.ExitStack() as name:` stack runs: the exits of what was
    entered on it, last first. They run where the block is left, on every way out (`lists`,
    the block's own exit events), and where `name.close()` is called."""

    def __init__(self, *lists: list[Event]) -> None:
        self.lists = lists
        self.entered: list[Event] = []

    def enter(self, event: Event) -> None:
        self.entered.insert(0, event)
        for events in self.lists:
            events.insert(0, event)


def is_synthetic(value: object) -> bool:
    """Whether `value` is a name the analysis made up to hold guards (never one in the source)."""
    return type(value) is GuardName and value[:1] == "$"


class ExpressionEvents(ABC):
    """Emit the events of expressions of one function through `emit`; calls are a subclass's."""

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
        # Calls that are `with` items: id -> whether the `with` is `async with`.
        self.entered: dict[int, bool] = {}
        # Calls whose result a `for` iterates: a generator's body runs then (not for `async
        # for`, an unlock point at the statement already).
        self.iterated: set[int] = set()
        self.shadowed: set[str] = set()  # names bound by an enclosing comprehension
        self.consumed_lazy: set[str] = set()  # locals whose lazy iterator ran (lazy_calls.py)
        # Calls that made a generator without running it: id -> the generator functions, and
        # what emits the call of their bodies when it is stepped.
        self.generators_made: dict[int, tuple[tuple[FunctionInfo, ...], Callable[[], None]]] = {}
        self.primed: set[str] = set()  # generator locals stepped once (lazy_calls.py)
        # `with contextlib.ExitStack() as name:` blocks being built, by name.
        self.exit_stacks: dict[str, StackExits] = {}
        # Borrows entered on such a stack: they end when it closes, never as temporaries.
        self.stack_owned: set[int] = set()

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

    @abstractmethod
    def consume_locals(self, at: cst.CSTNode, exprs: list[cst.BaseExpression]) -> None:
        """The locals among `exprs` that hold lazy iterators are consumed at `at` (lazy_calls.py)."""

    @abstractmethod
    def call(self, node: cst.Call) -> Value:
        """Emit the events of a call; return a Temp for a borrowing call (extract.py)."""

    def _expr(self, node: cst.BaseExpression | None) -> Value:
        if node is None:
            return None
        if type(node) is cst.Name:
            if self.scope.may_hold_guard(node.value) and node.value not in self.shadowed:
                self.emit(GuardUse(node.value, node))
                return GuardName(node.value)
            return None
        if type(node) is cst.Call:
            return self.call(node)
        if type(node) is cst.Subscript:
            value = self._expr(node.value)
            if type(value) is Derived and self.dropped_guard(node.value):
                self.end(value)
                value = None
            for temp in self.slice_values(node):
                self.end(temp)
            if type(value) is GuardName and value[:1] == "$":
                self.end(value)
            if isinstance(value, (Temp, Derived)):
                return Derived(int(value))
            if value is None:
                self.implicit_call(node, node.value, "__getitem__", f"{text_of(node.value)}[…]")
            return None
        if type(node) is cst.Attribute:
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
        if type(node) is cst.Await:
            if type(node.expression) is cst.Call:
                self.awaited.add(id(node.expression))
            self.end(self.expr(node.expression))
            self.emit(UnlockPoint(node, "await"))
            return None
        if type(node) is cst.Yield:
            yielded = node.value
            if isinstance(yielded, cst.From) and type(yielded.item) in ITERATORS:
                self.iterated.add(id(yielded.item))  # `yield from gen()` runs its body
            inner = self.expr(yielded.item if isinstance(yielded, cst.From) else yielded)
            if isinstance(yielded, cst.From):
                self.consume_locals(node, [yielded.item])  # `yield from pending`
            if inner is not None:
                self.emit(Escape(inner if isinstance(inner, str) else int(inner), node, "yield"))
            self.emit(UnlockPoint(node, "yield"))
            self.end_synthetic(inner)
            return None
        if kind is cst.Lambda:
            self.defaults(node.params)  # type: ignore[attr-defined]  # its body runs when called
            return None
        if type(node) is cst.NamedExpr:
            value = self.expr(node.value)
            if type(node.target) is cst.Name:
                self.emit(self.bind(node.target.value, value))
                self.end_synthetic(value)
                if isinstance(value, (Temp, GuardName)):
                    return GuardName(node.target.value)  # `with (g := cell.borrow_mut()):`
            self.end(value)
            return None
        if kind in _COMPREHENSIONS:
            return self.comprehension(node)  # type: ignore[arg-type]
        if kind is cst.BooleanOperation or kind is cst.BinaryOperation:
            return self.left_chain(node)  # type: ignore[arg-type]
        temps = [self.expr(inner) for inner in _subexpressions(node)]
        for temp in temps:
            self.end(temp)
        if kind is cst.FormattedString:
            for part in node.parts:  # type: ignore[attr-defined]
                if isinstance(part, cst.FormattedStringExpression):
                    # `f"{obj:08x}"` formats `obj`: its `__format__`, which defaults to `__str__`.
                    method = _CONVERSIONS.get(part.conversion or "", _FORMAT)
                    label = f"f\"{{{text_of(part.expression)}}}\""
                    self.implicit_call(part.expression, part.expression, method, label)
        if kind is cst.Comparison:
            first = node.comparisons[0]  # type: ignore[attr-defined]
            self.operator_call(node, node.left, first.operator)  # type: ignore[attr-defined]
            for target in node.comparisons:  # type: ignore[attr-defined]
                if type(target.operator) in (cst.In, cst.NotIn):
                    label = f"… in {text_of(target.comparator)}"
                    self.implicit_call(node, target.comparator, "__contains__", label)
        return None

    def dropped_guard(self, expr: cst.BaseExpression) -> bool:
        """Whether `expr` reads a field out of a temporary `borrow_mut()` guard of a known cell
        (`cell.borrow_mut().fifo`): the field is the value itself, so the guard is dropped
        once it is read (a shared guard's field is a read-only view that keeps it)."""
        while type(expr) is cst.Attribute:
            expr = expr.value
        return self.borrows_cell(expr, ("borrow_mut",))

    def borrows_cell(self, expr: cst.BaseExpression, methods: tuple[str, ...] = ("borrow", "borrow_mut")) -> bool:
        """Whether `expr` is `cell.borrow()` / `cell.borrow_mut()` (of `methods`) on a known cell."""
        return (
            type(expr) is cst.Call
            and type(expr.func) is cst.Attribute
            and expr.func.attr.value in methods
            and self.scope.cell_of(expr.func.value) is not None
        )

    def left_chain(self, node: cst.BooleanOperation | cst.BinaryOperation) -> Value:
        """Emit the events of `a and b and …` (or `a + b + …`), which libcst nests to the left
        as deep as the chain is long (CPython compiles 200,000 `and` terms): the operands in
        order, each left operand's temporaries ended before the next right operand, as the
        recursive walk does, without a frame per operator."""
        kind = type(node)
        chain: list[cst.BooleanOperation | cst.BinaryOperation] = [node]
        while type(chain[-1].left) is kind:
            chain.append(chain[-1].left)
        innermost = chain.pop()
        if type(innermost) is cst.BooleanOperation:
            # `a and b`: `a` is tested and dropped before `b` runs (or is the result, unrun).
            for inner in _subexpressions(innermost):
                self.end(self.expr(inner))
        else:  # `a + b`: `a` is kept until `a.__add__(b)` runs
            for temp in [self.expr(inner) for inner in _subexpressions(innermost)]:
                self.end(temp)
        if type(innermost) is cst.BinaryOperation:
            # `a + b`: `a.__add__(b)`; the outer operators act on results of unknown type.
            self.operator_call(innermost, innermost.left, innermost.operator)
        for outer in reversed(chain):
            # Its left operand is the chain below, done and valueless: only `right` is left.
            for temp in [self.expr(inner) for inner in _subexpressions(outer) if inner is not outer.left]:
                self.end(temp)
        return None

    def operator_call(self, node: cst.CSTNode, left: cst.BaseExpression, operator: cst.CSTNode) -> None:
        """`a + b`, `a == b`, `a += b`: the left operand's method for the operator runs."""
        method = _OPERATORS.get(type(operator))
        if method is not None:
            symbol = _EMPTY.code_for_node(operator).strip()
            self.implicit_call(node, left, method, f"{text_of(left)} {symbol} …")

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
        # `g if g is None else None`: each branch knows what the test says of a guard name.
        when_none, when_some = narrowing(self.scope, node.test)

        def branch(expr: cst.BaseExpression, narrowed: str | None) -> Callable[[], None]:
            def run() -> None:
                if narrowed:
                    self.emit(Narrow(narrowed))
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
        self.fork([branch(node.body, when_none), branch(node.orelse, when_some)])
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
        outer = node.for_in
        if type(node) is not cst.GeneratorExp and type(outer.iter) in ITERATORS and not outer.asynchronous:
            self.iterated.add(id(outer.iter))
        self.end(self.expr(node.for_in.iter))
        if type(node) is not cst.GeneratorExp or id(node) in self.iterated:
            self.consume_locals(outer.iter, [outer.iter])  # `[f(x) for x in pending]`
        if node.for_in.asynchronous is None:
            self.iteration(node.for_in.iter, type(node) is not cst.GeneratorExp)
        if type(node) is not cst.GeneratorExp:  # an async generator expression runs later
            for async_for in _clauses(node.for_in):
                if async_for.asynchronous is not None:  # `[x async for x in src]` awaits
                    self.emit(UnlockPoint(async_for, "async for"))
        if type(node) is cst.GeneratorExp and id(node) not in self.iterated:
            # `g = (self.m(x) for x in xs)`: its body runs where it is consumed, maybe after
            # the borrows alive here (one passed to a call or a `for` is consumed there).
            return None
        self.comprehension_parts(node)
        return None

    def comprehension_parts(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> None:
        """The events of what a comprehension runs for each element (not its first iterable)."""
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
        elements = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
        added = names - self.shadowed
        self.shadowed |= added
        try:
            for part in parts:
                self.end(self.expr(part))
            kept = [self.expr(element) for element in elements]
            # A list, set or dict keeps each element, and a walrus's name holds its guard
            # until the next item rebinds it: a guard made for one item is still alive when
            # the next is made (`[self.regs.borrow_mut() for _ in ports]`), so a second pass
            # meets the first one's, as a loop's second iteration.
            kept_guard = type(node) is not cst.GeneratorExp and any(isinstance(v, (Temp, GuardName)) for v in kept)
            if kept_guard or self._binds_guard([*parts, *elements]):
                for part in [*parts, *elements]:
                    self.end(self.expr(part))
            for value in kept:
                self.end(value)
        finally:
            self.shadowed -= added

    def _binds_guard(self, exprs: list[cst.BaseExpression]) -> bool:
        """Whether a walrus in `exprs` binds a name that may hold a guard."""
        if not self.scope.guard_sources:
            return False  # no name of the function holds a guard: nothing to walk for
        return any(
            type(n) is cst.NamedExpr and type(n.target) is cst.Name and self.scope.may_hold_guard(n.target.value)
            for expr in exprs
            for n in walk(expr)
        )

    def property_access(self, node: cst.Attribute, kind: str) -> None:
        """Reading or assigning a property runs its getter or setter: a call. So does a
        descriptor's `__get__`/`__set__`/`__delete__`, with the object as its `obj`."""
        if kind == "getter" and type(node.value) is cst.Name and self.guard_property(node, node.value.value):
            return
        owner_key = self.scope.key_of(node.value)
        if owner_key is None:
            return
        typed = self.scope.type_of_key(owner_key)
        if not isinstance(typed, Instance):
            return
        name = node.attr.value
        accessors = typed.cls.accessors(name, kind)  # a subclass may override it
        if accessors:
            self.emit(Call(node, tuple(accessors), owner_key, (), (), label=f"{text_of(node)}"))
        if typed.cls.is_property(name):
            return
        method = typed.cls.descriptor_method(name, kind)
        if method is not None:
            # The descriptor's own `self` is an object of the class body, not a known key.
            self.emit(Call(node, (method,), None, (None, owner_key), (), label=f"{text_of(node)}"))

    def implicit_call(
        self, node: cst.CSTNode, obj: cst.BaseExpression, method: str | tuple[str, ...], label: str
    ) -> None:
        """Python runs `method` of the object `obj` names (`self.bank[0]` runs the bank's
        `__getitem__`, `len(x)` its `__len__`; of several names, the first the class has): a
        call, when the object is an instance of a class of the checked files. A guard's
        inner object is not followed here."""
        if type(obj) is cst.Name and self.scope.may_hold_guard(obj.value):
            return
        typed = self.scope.value_type(obj)
        if not isinstance(typed, Instance):
            return
        for name in (method,) if isinstance(method, str) else method:
            callees = tuple(c for c in typed.cls.implementations(name) if c.runs_when_called())
            if callees:
                args, kwargs = self._passed(node) if name == "__call__" else ((), ())
                self.emit(Call(node, callees, self.scope.key_of(obj), args, kwargs, label=label))
                return

    def guard_property(self, node: cst.Attribute, guard: str) -> bool:
        """`g.cached` through a guard `g`: the getter of the guarded value's property runs on
        it, as a method called through the guard would (BQL004 if it writes its `self`
        through a `borrow()`). Return whether `guard` holds a guard."""
        if not self.scope.may_hold_guard(guard) or guard in self.shadowed:
            return False
        inner = self.scope.inner_class(guard)
        getters = inner.accessors(node.attr.value, "getter") if inner is not None else []
        if getters:
            self.emit(Call(node, tuple(getters), None, (), (), guard=guard, label=text_of(node)))
        return True

    def _passed(
        self, node: cst.CSTNode
    ) -> tuple[tuple[CellKey | None, ...], tuple[tuple[str, CellKey | None], ...]]:
        """Return the keys of a call's positional and keyword arguments (`hook(self, b)`
        passes `self` to the `__call__` parameter after its own)."""
        if type(node) is not cst.Call:
            return (), ()
        key_of = self.scope.key_of
        args = tuple(key_of(a.value) if a.keyword is None and a.star == "" else None for a in node.args)
        kwargs = tuple((a.keyword.value, key_of(a.value)) for a in node.args if a.keyword is not None)
        return args, kwargs

    def truth_test(self, test: cst.BaseExpression) -> None:
        """`if obj:`, `while obj:`, `not obj`, `a and b`: each operand tested runs its
        `__bool__`, else its `__len__`."""
        pending = [test]
        while pending:
            expr = pending.pop()
            if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Not:
                pending.append(expr.expression)
            elif type(expr) is cst.BooleanOperation:
                pending.extend((expr.right, expr.left))
            elif type(expr) in (cst.Name, cst.Attribute, cst.Subscript):
                self.implicit_call(expr, expr, _TRUTH, f"bool({text_of(expr)})")

    def iteration(self, iterable: cst.BaseExpression, runs: bool = True) -> None:
        """`for x in obj`: `iter(obj)` runs the object's `__iter__`, and, when `runs`, each step
        its `__next__` (an object that is its own iterator; another class's is not known)."""
        label = f"for … in {text_of(iterable)}"
        self.implicit_call(iterable, iterable, "__iter__", label)
        if runs:
            self.implicit_call(iterable, iterable, "__next__", label)

    def end(self, value: Value) -> None:
        """The value is dropped: a temporary guard ends; a synthetic name lets go of its guards."""
        kind = type(value)
        if kind is Temp or kind is Derived:
            if int(value) not in self.stack_owned:  # type: ignore[arg-type]
                self.emit(EndBorrow((int(value),)))  # type: ignore[arg-type]
        elif kind is GuardName and value[:1] == "$":  # type: ignore[index]
            for part in self.parts.get(str(value), ()):  # kept: each `case` ends them again
                if part is not None:
                    self.end(part)
            self.emit(DelName(str(value)))

    def defaults(self, params: cst.Parameters) -> None:
        """The default values of a `def` or `lambda`, evaluated where it is made (positional
        ones, then keyword-only ones), under what this function holds there."""
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                self.end(self.expr(param.default))

    def bind(self, name: str, value: Value) -> Event:
        if isinstance(value, Temp):
            return Bind(name, bid=int(value))
        if isinstance(value, GuardName):
            return Bind(name, alias=str(value))
        return Bind(name)


def text_of(expr: cst.BaseExpression) -> str:
    """Return `expr` as a short label: names, attributes, `f()`, `x[...]`."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return f"{text_of(expr.value)}.{expr.attr.value}"
    if isinstance(expr, cst.Call):
        return f"{text_of(expr.func)}()"
    if isinstance(expr, cst.Subscript):
        return f"{text_of(expr.value)}[...]"
    return "..."


def _subexpressions(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """Yield the nearest expressions under `node`, through the nodes that only wrap them
    (arguments, elements, f-string parts and format specs, comparison targets), in order."""
    for child in children(node):
        if _is_expression(child):
            yield child  # type: ignore[misc]
        else:
            yield from _subexpressions(child)


_COMPREHENSIONS = frozenset({cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp})
_EMPTY = cst.Module([])
# What formatting a value in an f-string runs, by its conversion (`!r`, `!s`, `!a`).
_FORMAT = ("__format__", "__str__", "__repr__")
_CONVERSIONS: dict[str, str | tuple[str, ...]] = {
    "r": "__repr__",
    "a": "__repr__",
    "s": ("__str__", "__repr__"),
}
# What a truth test runs: `__bool__`, else `__len__`.
_TRUTH = ("__bool__", "__len__")
# The method of the left operand an operator runs (augmented: the in-place one, else the plain).
_OPERATORS: dict[type, str | tuple[str, ...]] = {
    cst.Add: "__add__",
    cst.Subtract: "__sub__",
    cst.Multiply: "__mul__",
    cst.BitAnd: "__and__",
    cst.BitOr: "__or__",
    cst.BitXor: "__xor__",
    cst.LeftShift: "__lshift__",
    cst.RightShift: "__rshift__",
    cst.Equal: "__eq__",
    cst.NotEqual: ("__ne__", "__eq__"),
    cst.LessThan: "__lt__",
    cst.LessThanEqual: "__le__",
    cst.GreaterThan: "__gt__",
    cst.GreaterThanEqual: "__ge__",
    cst.AddAssign: ("__iadd__", "__add__"),
    cst.SubtractAssign: ("__isub__", "__sub__"),
    cst.BitAndAssign: ("__iand__", "__and__"),
    cst.BitOrAssign: ("__ior__", "__or__"),
    cst.BitXorAssign: ("__ixor__", "__xor__"),
    cst.LeftShiftAssign: ("__ilshift__", "__lshift__"),
    cst.RightShiftAssign: ("__irshift__", "__rshift__"),
}
# isinstance() against libcst's abstract (ABC) classes is slow when it fails: answered per type.
_EXPRESSION_TYPES: dict[type, bool] = {}


def _is_expression(node: cst.CSTNode) -> bool:
    kind = type(node)
    answer = _EXPRESSION_TYPES.get(kind)
    if answer is None:
        answer = _EXPRESSION_TYPES[kind] = isinstance(node, cst.BaseExpression)
    return answer


def _clauses(clause: cst.CompFor | None) -> Iterator[cst.CompFor]:
    """Yield the `for` clauses of a comprehension, outermost first."""
    while clause is not None:
        yield clause
        clause = clause.inner_for_in
