"""Turn one expression into events: `Extractor`, and how it classifies calls.

A call is a cell operation (maybe a borrow), a method of a guard's inner type, a write
through a guard, a call of project functions (with the receiver's and arguments' keys), or
a BQL lock change or unlock point. Expressions are in expressions.py, bound callables and
lambdas in bound_calls.py.
"""

from __future__ import annotations

import functools

import libcst as cst

from bqlint.analysis.bindings import is_borrow_call
from bqlint.analysis.closures import captured_guard_events
from bqlint.analysis.events import (
    Borrow,
    Call,
    CellKey,
    CellOp,
    EndBorrow,
    Escape,
    GuardWrite,
    LockChange,
    ParamWrite,
    ReleaseGuard,
    UnlockPoint,
)
from bqlint.analysis.expressions import Derived, GuardName, StackExits, Temp, Value, is_synthetic, text_of
from bqlint.model.lazy import ITERATORS, LAZY_CALLERS, called_argument
from bqlint.analysis.lazy_calls import LazyIterators
from bqlint.analysis.scope import FunctionScope
from bqlint.model import api
from bqlint.model.classes import CellType, ClassInfo, Instance
from bqlint.model.functions import FunctionInfo
from bqlint.model.handlers import Bound, handlers_for
from bqlint.model.project import External

__all__ = ["Derived", "Extractor", "GuardName", "Temp", "Value", "is_synthetic"]


class Extractor(LazyIterators):
    """Emit the events of expressions of one function through `emit`."""

    # ---- calls -----------------------------------------------------------------------
    def call(self, node: cst.Call) -> Value:
        func = node.func
        receiver: Value = None
        if type(func) is cst.Attribute and self._on_stack(func.value):
            stack = self.exit_stacks[func.value.value]  # type: ignore[attr-defined]
            if func.attr.value == "enter_context":
                return self.enter_on_stack(node, stack)
            if func.attr.value == "close" and not node.args:
                for event in stack.entered:  # `stack.close()` leaves what was entered
                    self.emit(event)
                return None
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
        iterates = _consumes_iterables(self.scope, func)
        if iterates:
            # `list(self.pending())`: the generator's body runs here.
            self.iterated.update(
                id(a.value) for a in node.args if type(a.value) in ITERATORS and a.keyword is None
            )
        passes = not iterates and self.passes_on(node)
        args = [self.expr(arg.value) for arg in node.args]
        for iterable, label in _iterated_arguments(self.scope, node):
            # `list(dev)`, `f(*dev)`: the object's `__iter__` runs here, as `for … in dev` runs it.
            self.implicit_call(node, iterable, "__iter__", label)
            self.implicit_call(node, iterable, "__next__", label)
        if iterates or passes:
            self.consume_locals(node, [a.value for a in node.args if a.keyword is None], generators=iterates)
        else:
            self.step_local(node)
        result = self.classify(node, receiver)
        for value in (receiver, *args):
            if value is not result:
                self.end(value)
        return result

    def _on_stack(self, expr: cst.BaseExpression) -> bool:
        return type(expr) is cst.Name and expr.value in self.exit_stacks and expr.value not in self.shadowed

    def enter_on_stack(self, node: cst.Call, stack: StackExits) -> Value:
        """`stack.enter_context(cm)` in `with ExitStack() as stack:` enters `cm` and returns what
        its `__enter__` returns; it is left when the stack closes. A borrow's guard is the
        value, alive until then; a named guard is released then."""
        args = [self.expr(arg.value) for arg in node.args]
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            for value in args:
                self.end(value)
            return None
        value = args[0]
        if type(value) is Temp:
            self.stack_owned.add(int(value))
            stack.enter(EndBorrow((int(value),)))
            return value
        if type(value) is GuardName and not is_synthetic(value):
            stack.enter(ReleaseGuard(str(value), node))
            return value
        self.end(value)
        return None

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
            if method == "release" and type(func.value) is cst.Name and not node.args:
                name = func.value.value
                if name in scope.params and name != scope.self_name and name not in scope.guard_sources:
                    # A parameter's object released here: a guard of the caller's, maybe
                    # (bqlint.analysis.param_release); nothing for this function's borrows.
                    self.emit(ReleaseGuard(name, node))
            guard_root = self.guard_root(func.value)
            if guard_root is not None and method in api.MUTATORS:
                self.emit(GuardWrite(guard_root, node))
                return None
            if method in api.MUTATORS:
                param = self.param_root(func.value)
                if param is not None:
                    self.emit(ParamWrite(param, node))
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
                and scope.is_builtin("super")
            ):
                # `super(Cls, self).m()` starts after `Cls`; `super().m()` after the enclosing class.
                start = scope.resolve_name(func.value.args[0].value) if func.value.args else None
                callees = scope.super_method(method, start if isinstance(start, ClassInfo) else None)
                self.project_call(node, callees, ("self",), f"super().{method}()")
                return None
            if (
                (
                    _is_class_of(func.value, scope.self_name)
                    or (_is_type_of(func.value, scope.self_name) and scope.is_builtin("type"))
                )
                and scope.fn.cls is not None
            ):
                # `type(self).m(self, ...)`, `self.__class__.m(self)`: `self.m(...)` through the class.
                callees = tuple(scope.fn.cls.implementations(method))
                bound = tuple(c for c in callees if c.self_name is not None)
                first = scope.key_of(node.args[0].value) if node.args else None
                self.project_call(node, bound, first, f"{text_of(func)}()", skip=1)
                unbound = tuple(c for c in callees if c.self_name is None)
                self.project_call(node, unbound, None, f"{text_of(func)}()")
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
                self.project_call(node, callees, key, f"{text_of(func)}()")
                if not callees:
                    self.implicit_call(node, func, "__call__", f"{text_of(func)}()")  # `self.on_rx(b)`
                if not callees and scope.project.config.unlock_points:
                    # `self.host.run_on_cpu()` where `host` holds a class outside the checked
                    # files: a configured `pkg.mod.Class.method` unlock point.
                    outside = scope.external_class_of(key)
                    if outside is not None and f"{outside}.{method}" in scope.project.config.unlock_points:
                        self.emit(UnlockPoint(node, "configured"))
                return None
        if self.call_immediate(node):
            return None
        target = scope.resolve_name(func)
        if (
            isinstance(target, External)
            and target.qname in _DUNDER_BUILTINS
            and (len(node.args) == 1 or (target.qname == "format" and len(node.args) == 2))
            and not any(arg.star or arg.keyword for arg in node.args)
        ):
            # `len(self.fifo)` runs the fifo's `__len__`; `format(x, spec)` its `__format__`.
            arg = node.args[0].value
            label = f"{target.qname}({text_of(arg)}{', …' if len(node.args) == 2 else ''})"
            self.implicit_call(node, arg, _DUNDER_BUILTINS[target.qname], label)
            return None
        if target is None and self.wrapped_call(node, func):
            return None
        if target is None:
            self.implicit_call(node, func, "__call__", f"{text_of(func)}()")  # a callable object
            return None
        if isinstance(target, External):
            self.external_call(node, target.qname)
        elif (
            isinstance(target, FunctionInfo)
            and target.parent is not None
            and target.self_name == scope.self_name
        ):
            # A closure of this method: its `self` is ours.
            self.project_call(node, (target,), ("self",), f"{text_of(func)}()")
        elif isinstance(target, FunctionInfo) and _of_enum_member(scope, func):
            # `Op.PROGRAM.execute(dev)`: a bound method of an enum member, whose `self` (the
            # member) is no key of this function's.
            self.project_call(node, (target,), None, f"{text_of(func)}()", unknown_self=True)
        elif (
            isinstance(target, FunctionInfo)
            and target.self_name is not None
            and isinstance(func, cst.Attribute)
        ):
            # `Class.method(obj, ...)`: the first argument is the method's `self`.
            first = scope.key_of(node.args[0].value) if node.args else None
            self.project_call(node, (target,), first, f"{text_of(func)}()", skip=1)
        elif isinstance(target, FunctionInfo):
            self.project_call(node, (target,), None, f"{text_of(func)}()")
        elif isinstance(target, ClassInfo):
            init = target.method("__init__")
            if init is not None:
                # `Snapshot(self)`: `__init__`'s `self` is the new object; `self` here is its `dev`.
                self.project_call(node, (init,), None, f"{text_of(func)}()", unknown_self=True)
        if isinstance(target, External) and target.qname in scope.project.config.unlock_points:
            self.emit(UnlockPoint(node, "configured"))
        return None

    def wrapped_call(self, node: cst.Call, func: cst.BaseExpression) -> bool:
        """`fn(*args)` in a decorator's wrapper, `fn` the function the decorator was given:
        any of the functions it decorates may run (only BQL006 applies, see `Call.wrapped`)."""
        fn = self.scope.fn
        given = fn.given_function()
        if type(func) is not cst.Name or given is None or func.value != given or given in self.scope.locals:
            return False
        decorated = tuple(self.scope.project.decorated_by(fn))
        if decorated:
            self.emit(Call(node, decorated, None, (), (), label=f"{text_of(func)}()", wrapped=True))
        return bool(decorated)

    def external_call(self, node: cst.Call, qname: str) -> None:
        called = called_argument(qname, node)
        if called is not None and (qname not in LAZY_CALLERS or id(node) in self.iterated):
            # `sorted(xs, key=self.prio)`, `list(map(self.decode, ws))`: the callable runs
            # here; a lazy `map` not consumed here runs it where it is (lazy_calls.py).
            self.call_value(node, called, f"{text_of(called)}()")
        if qname in api.THREAD_STARTS:
            self.thread_target(node, qname)
        if qname in _ATTRIBUTE_WRITERS and node.args:
            # `setattr(g, "level", 1)` writes through the guard like `g.level = 1`.
            target = node.args[0].value
            if isinstance(target, cst.Name) and self.scope.may_hold_guard(target.value):
                self.emit(GuardWrite(target.value, node))
            elif isinstance(target, cst.Call) and is_borrow_call(target):
                self.emit(GuardWrite(self.bid(target), node))
            else:
                root = self.guard_root(target)
                if root is not None:
                    self.emit(GuardWrite(root, node))
        if qname == api.UNLOCK:
            self.emit(UnlockPoint(node, "unlock"))
            self.emit(LockChange(node, "not_held"))
        elif qname == api.LOCK:
            self.emit(LockChange(node, "held"))

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
        callees = _methods_or_called_field(inner, method) if inner is not None else ()
        if callees:
            # A method of the inner type: whether it writes is its summary's to say.
            self.emit(Call(node, callees, None, (), (), guard=name, label=f"{text_of(node.func)}()"))
        elif method in api.MUTATORS or method in ("__setattr__", "__delattr__"):
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
        callees = _methods_or_called_field(typed.cls, node.func.attr.value)
        if not callees:
            return False
        self.emit(Call(node, callees, None, (), (), guard=guard, label=f"{text_of(node.func)}()"))
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
        if cell.kind is api.CellKind.CHARDEV and method in api.REENTRANT_CHARDEV_METHODS:
            self.handler_calls(node, key)
        return None

    def handler_calls(self, node: cst.Call, frontend: CellKey) -> None:
        """`accept_input()`/`write_all()` runs the handlers registered on that frontend, by
        the object that holds it or by one further up its path (`self.port.chr`, registered
        by the device as well as by the port): a call of each, with what it is given."""
        label = f"{text_of(node.func)}()"
        for split in range(len(frontend) - 1, 0, -1):
            owner = frontend[:split]  # the registering instance
            typed = self.scope.type_of_key(owner)
            if not isinstance(typed, Instance):
                continue
            handlers = handlers_for(typed.cls, frontend[split:])
            via = tuple((h.fn, h.via) for h in handlers if h.via is not None)
            # One call per object and arguments the handlers are given (`lambda d: rx(self,
            # d)` passes the device), in terms of the registering instance here.
            calls: dict[tuple[CellKey | None, Bound], list[FunctionInfo]] = {}
            for h in handlers:
                args = tuple(_under(owner, k) for k in h.args)
                kwargs = tuple((name, _under(owner, k)) for name, k in h.kwargs)
                calls.setdefault((_under(owner, h.receiver), (args, kwargs)), []).append(h.fn)
            for (receiver, (args, kwargs)), callees in calls.items():
                self.emit(Call(node, tuple(callees), receiver, args, kwargs, label=label, reenters=True, via=via))

    def project_call(
        self,
        node: cst.Call,
        callees: tuple[FunctionInfo, ...],
        receiver: CellKey | None,
        label: str,
        skip: int = 0,
        unknown_self: bool = False,
    ) -> None:
        # Calling an async or generator function only creates a coroutine or generator: its
        # body runs when awaited (`await f()`), iterated by a `for` (`for x in gen():`, its
        # whole body counted there) or entered as a `@contextmanager` (`with f():`, likewise).
        callees = _with_dispatched(callees, node.args[skip].value if len(node.args) > skip else None)
        awaited = id(node) in self.awaited
        entered = self.entered.get(id(node))
        iterated = id(node) in self.iterated
        made = tuple(c for c in callees if c.makes_iterator())
        if made and not iterated and entered is None:
            # `machine = self.rx_machine()`: its body runs where `machine` is stepped.
            run = functools.partial(self.project_call, node, made, receiver, label, skip, unknown_self)
            self.generators_made[id(node)] = (made, run)
        callees = tuple(
            c
            for c in callees
            if c.runs_when_called()
            or (awaited and c.is_async)
            or (entered is not None and c.runs_when_entered(entered))
            or (iterated and c.makes_iterator())
        )
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
        if unknown_self:
            args = (None, *args)  # the callees' `self` parameter, bound to no key here
        kwargs = tuple((a.keyword.value, scope.key_of(a.value)) for a in node.args if a.keyword is not None)
        # A module's function stored in a class (`on_expire = _reload_hook`) is bound like a
        # method: the object is its first argument.
        plain = tuple(c for c in callees if c.cls is None and c.parent is None) if receiver is not None else ()
        if plain:
            self.emit(Call(node, plain, None, (receiver, *args), kwargs, label=label))
        methods = tuple(c for c in callees if c not in plain)
        if methods:
            self.emit(Call(node, methods, receiver, args, kwargs, label=label))
        for callee in callees:
            if callee.parent is scope.fn:  # a nested def: its body works on the guards it captures
                for event in captured_guard_events(scope, callee, node):
                    self.emit(event)
        wrappers = tuple(dict.fromkeys(w for c in callees for w in c.wrappers() if w.runs_when_called()))
        if wrappers:
            # A decorator's wrapper runs in the callee's place: a plain function, given the
            # receiver as its first argument (`def wrapper(self, *args)`).
            given = (receiver, *args) if receiver is not None else args
            self.emit(Call(node, wrappers, None, given, kwargs, label=label))

    def container_store(self, node: cst.Call) -> None:
        """`lst.append(g)`: a guard passed to a container mutator escapes (BQL005)."""
        for arg in node.args:
            for value in _stored(arg.value):
                if isinstance(value, cst.Name) and self.scope.may_hold_guard(value.value):
                    self.emit(Escape(value.value, node, "store"))
                elif isinstance(value, cst.Call) and is_borrow_call(value):
                    self.emit(Escape(self.bid(value), node, "store"))

    def param_root(self, expr: cst.BaseExpression) -> str | None:
        """Return the never-rebound parameter an attribute/item chain starts from, or that
        `expr` is (`regs.fifo` or `regs` in `def f(regs)`)."""
        while isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        if isinstance(expr, cst.Name) and self.scope.written_param(expr.value):
            return expr.value
        return None

    def guard_root(self, expr: cst.BaseExpression) -> str | int | None:
        """Return the guard an attribute/item chain starts from (`g.fifo` -> g)."""
        while type(expr) is cst.Attribute or type(expr) is cst.Subscript:
            expr = expr.value
            if type(expr) is cst.Name and self.scope.may_hold_guard(expr.value):
                return expr.value
            if type(expr) is cst.Call and is_borrow_call(expr):
                return self.bid(expr)
        return None


def _with_dispatched(
    callees: tuple[FunctionInfo, ...], first: cst.BaseExpression | None
) -> tuple[FunctionInfo, ...]:
    """Add to each `@singledispatch` callee the implementations registered on it that may
    run: those for the type of `first` (the dispatched argument) when it is a literal,
    else all of them (any may run)."""
    out: list[FunctionInfo] = []
    literal = _literal_type(first) if first is not None else None
    for callee in callees:
        out.append(callee)
        registered = callee.dispatched()
        if literal is not None:
            chosen = [f for f in registered if f.dispatch_type() == literal]
            if not chosen and literal == "bool":  # bool is an int: `int`'s implementation runs
                chosen = [f for f in registered if f.dispatch_type() == "int"]
            registered = chosen
        out.extend(f for f in registered if f not in out)
    return tuple(out)


def _literal_type(expr: cst.BaseExpression) -> str | None:
    """Return the name of the built-in type of a literal (`3` -> int), else None."""
    if isinstance(expr, cst.SimpleString):
        return "bytes" if "b" in expr.prefix.lower() else "str"
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return "bool"
    return _LITERALS.get(type(expr))


_LITERALS: dict[type, str] = {
    cst.Integer: "int",
    cst.Float: "float",
    cst.Imaginary: "complex",
    cst.FormattedString: "str",
    cst.List: "list",
    cst.ListComp: "list",
    cst.Dict: "dict",
    cst.DictComp: "dict",
    cst.Tuple: "tuple",
    cst.Set: "set",
    cst.SetComp: "set",
}


def _stored(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """Return `value` and, through displays (`(g, 1)`, `{"g": g}`), the values it holds."""
    if isinstance(value, (cst.Tuple, cst.List, cst.Set, cst.Dict)):
        out: list[cst.BaseExpression] = []
        for element in value.elements:
            if isinstance(element, (cst.Element, cst.DictElement)):
                out.extend(_stored(element.value))
        return out
    return [value]


# Builtins that call a method of their one argument.
_DUNDER_BUILTINS: dict[str, str | tuple[str, ...]] = {
    "len": "__len__",
    "iter": "__iter__",
    "next": "__next__",
    "reversed": "__reversed__",
    "bool": ("__bool__", "__len__"),
    "str": ("__str__", "__repr__"),
    "repr": "__repr__",
    "format": ("__format__", "__str__", "__repr__"),
    "int": ("__int__", "__index__"),
    "float": "__float__",
    "hex": "__index__",
    "oct": "__index__",
    "bin": "__index__",
    "abs": "__abs__",
    "hash": "__hash__",
}


# Builtins that iterate their iterable arguments to the end before returning.
_CONSUMERS = frozenset(
    {"list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all", "bytes",
     "bytearray"}  # fmt: skip
)


def _consumes_iterables(scope: FunctionScope, func: cst.BaseExpression) -> bool:
    """Whether calling `func` iterates its arguments: a consuming builtin, or `str.join`."""
    if type(func) is cst.Name:
        return func.value in _CONSUMERS and scope.is_builtin(func.value)
    return (
        type(func) is cst.Attribute
        and func.attr.value == "join"
        and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString))
    )


# Builtins whose first argument is an iterable they iterate before returning (not `dict`,
# `bytes`, `bytearray`: they may take a mapping, a buffer or a size instead). `min`/`max`
# iterate it only when it is their one positional argument.
_ITERATING = frozenset({"list", "tuple", "set", "frozenset", "sorted", "sum", "min", "max", "any", "all"})


def _iterated_arguments(scope: FunctionScope, node: cst.Call) -> list[tuple[cst.BaseExpression, str]]:
    """Return the arguments a call iterates as it is made, each with a label: the iterable
    of a consuming builtin or of `str.join`, and each `*args` argument."""
    found = [(arg.value, f"*{text_of(arg.value)}") for arg in node.args if arg.star == "*"]
    positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
    if not positional or positional[0] is not node.args[0]:
        return found
    func = node.func
    if type(func) is cst.Name and func.value in _ITERATING and scope.is_builtin(func.value):
        if func.value in ("min", "max") and len(positional) != 1:
            return found  # `max(a, b)` compares its arguments
        found.append((positional[0].value, f"{func.value}({text_of(positional[0].value)})"))
    elif _consumes_iterables(scope, func) and type(func) is cst.Attribute:
        found.append((positional[0].value, f"{text_of(func)}({text_of(positional[0].value)})"))
    return found


def _of_enum_member(scope: FunctionScope, func: cst.BaseExpression) -> bool:
    """Whether `func` is `Enum.MEMBER.method` for an enum class of the checked files."""
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute)):
        return False
    owner = scope.resolve_name(func.value.value)
    return isinstance(owner, ClassInfo) and owner.is_enum_member(func.value.attr.value)


_ATTRIBUTE_WRITERS = frozenset({"setattr", "delattr", "builtins.setattr", "builtins.delattr"})


def _is_class_of(expr: cst.BaseExpression, name: str | None) -> bool:
    """Whether `expr` is `name.__class__`."""
    return (
        type(expr) is cst.Attribute
        and expr.attr.value == "__class__"
        and type(expr.value) is cst.Name
        and expr.value.value == name
    )


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


def _methods_or_called_field(cls: ClassInfo, name: str) -> tuple[FunctionInfo, ...]:
    """Return what `obj.name(...)` runs on an object of `cls`: its method `name`, or the
    `__call__` of a field `name` that holds a callable object (`regs.tap(v)`)."""
    methods = tuple(cls.implementations(name))
    if methods:
        return methods
    typed = cls.fields().get(name)
    return tuple(typed.cls.implementations("__call__")) if isinstance(typed, Instance) else ()


def _under(owner: CellKey, key: CellKey | None) -> CellKey | None:
    """Return a key rooted at an instance (`("self", "sub")`) as a path from `owner`."""
    return (*owner, *key[1:]) if key is not None else None
