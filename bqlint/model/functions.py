"""Functions and methods: parameters, `self`, decorators and the BQL contracts they declare.

SPEC §2.1: `@bql.releases_bql`, `@bql.requires_bql`, `@bql.without_bql`; a function started
as a thread target (`threading.Thread(target=f)`, `run()` of a Thread subclass) runs without
the BQL, like a `@without_bql` one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from bqlint.model.api import (
    CONTEXT_MANAGERS,
    LOCKED,
    NEVER_TYPES,
    RELEASES_BQL,
    REQUIRES_BQL,
    WITHOUT_BQL,
)
from bqlint.model.lazy import builds_only_lazily
from bqlint.source import statements, walk

if TYPE_CHECKING:
    from bqlint.model.classes import ClassInfo, FieldType
    from bqlint.model.project import ModuleInfo, Project

_IMPLICIT_CLASSMETHODS = frozenset({"__init_subclass__", "__class_getitem__"})
_SINGLE_DISPATCH = frozenset({"functools.singledispatch", "functools.singledispatchmethod"})


def _last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return expr.value if isinstance(expr, cst.Name) else None


def _registers_on(node: cst.FunctionDef, name: str) -> bool:
    """Whether `node` is decorated `@name.register` or `@name.register(...)`."""
    for deco in node.decorators:
        expr = deco.decorator.func if isinstance(deco.decorator, cst.Call) else deco.decorator
        if (
            isinstance(expr, cst.Attribute)
            and expr.attr.value == "register"
            and isinstance(expr.value, cst.Name)
            and expr.value.value == name
        ):
            return True
    return False


@dataclass(eq=False)
class FunctionInfo:
    name: str
    qname: str
    node: cst.FunctionDef
    module: ModuleInfo
    project: Project
    cls: ClassInfo | None = None
    parent: FunctionInfo | None = None
    # (call node, module) of each `threading.Thread(target=...)` that starts this function.
    thread_starts: list[tuple[cst.CSTNode, ModuleInfo]] = field(default_factory=list)
    # (resolved name, node) of each decorator, and of each contract applied by a call.
    _decorators: list[tuple[str, cst.Decorator | cst.Call]] | None = None
    _body_nodes: list[cst.CSTNode] | None = None
    _self_rebound: bool | None = None
    _makes_iterator: bool | None = None
    _never_returns: bool | None = None
    _params: list[str] | None = None
    _dispatched: list[FunctionInfo] | None = None
    _wrappers: list[FunctionInfo] | None = None
    _under_bql: bool | None = None
    # Why the function was not analysed (its CFG past its budget), else None.
    not_analysed: str | None = None
    # For a method written `name = lambda self, ...: expr` in a class body: that lambda
    # (`node` is then a `def` bqlint built around it, positioned as the lambda).
    written_as: cst.Lambda | None = None

    def qnames(self) -> tuple[str, ...]:
        """Return every qualified name of this function (one per name of its module)."""
        return self.module.qualified(self.qname)

    def body_nodes(self) -> list[cst.CSTNode]:
        """Return every node of the body, pre-order, not inside nested defs (walked once)."""
        if self._body_nodes is None:
            self._body_nodes = list(walk(self.node.body, into_scopes=False))
        return self._body_nodes

    @property
    def is_async(self) -> bool:
        return self.node.asynchronous is not None

    def is_generator(self) -> bool:
        """Return whether calling this function only creates a generator (its body has `yield`)."""
        return any(type(n) is cst.Yield for n in self.body_nodes())

    def acts_before_first_yield(self) -> bool:
        """Whether a generator's first step may do anything: a call (or `await`) comes before
        its first `yield` in the body's order (`while True: line = yield` does nothing first)."""
        for node in self.body_nodes():
            if type(node) is cst.Yield:
                return False
            if type(node) is cst.Call or type(node) is cst.Await:
                return True
        return True

    def returns_lazy(self) -> bool:
        """Whether the body only returns a lazy iterator that calls nothing yet (`return
        map(dev.framed, pairs)`, after a docstring at most): what it calls runs where the
        result is consumed."""
        body = self.node.body.body
        if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr):
            body = body[1:] if isinstance(body[0].body[0].value, cst.SimpleString) else body
        if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
            return False
        returned = body[0].body[0]
        return isinstance(returned, cst.Return) and builds_only_lazily(returned.value, self.self_name)

    def never_returns(self) -> bool:
        """Whether the function is annotated `-> NoReturn` (or `Never`): a call never returns.
        Asked at every call statement: decided once."""
        if self._never_returns is None:
            returns = self.node.returns
            self._never_returns = (
                returns is not None
                and self.runs_when_called()
                and getattr(self.project.resolve_expr(returns.annotation, self.module), "qname", None) in NEVER_TYPES
            )
        return self._never_returns

    def makes_iterator(self) -> bool:
        """Whether a call only makes an iterator: a generator, or a function that returns a
        lazy one (not a coroutine). Asked at every call: decided once."""
        if self._makes_iterator is None:
            self._makes_iterator = not self.is_async and (self.is_generator() or self.returns_lazy())
        return self._makes_iterator

    def runs_when_called(self) -> bool:
        """A call runs the body now, unless it only creates a coroutine or an iterator."""
        return not self.is_async and not self.makes_iterator()

    def runs_when_entered(self, is_async: bool) -> bool:
        """Whether `with f():` (`async with` when `is_async`) runs this function's body: a
        `@contextlib.contextmanager` (`asynccontextmanager`) generator."""
        return any(CONTEXT_MANAGERS.get(name) is is_async for name, _ in self.decorators())

    def dispatched(self) -> list[FunctionInfo]:
        """Return the implementations registered on this `@functools.singledispatch` (or
        `singledispatchmethod`) function with `@name.register`: a call may run any of them."""
        if self._dispatched is not None:
            return self._dispatched
        self._dispatched = []
        if not self.node.decorators or not any(name in _SINGLE_DISPATCH for name, _ in self.decorators()):
            return self._dispatched
        owner = self.parent.node if self.parent is not None else self.cls.node if self.cls is not None else None
        body = owner.body if owner is not None else self.module.source.module
        for node in statements(body) if body is not None else ():
            if isinstance(node, cst.FunctionDef) and node is not self.node and _registers_on(node, self.name):
                fn = self.project.function_of(node)
                if fn is not None:
                    self._dispatched.append(fn)
        return self._dispatched

    def wrappers(self) -> list[FunctionInfo]:
        """Return the functions of the checked files that a call of this one runs in its place:
        for each decorator that is a project function (`@persists`), the nested function it
        returns (`return wrapper`); for a decorator factory (`@retry(3)`), the one its
        returned decorator returns. The wrapper usually calls this function in turn."""
        if self._wrappers is None:
            self._wrappers = []
            for deco in self.node.decorators:
                expr, levels = deco.decorator, 1
                if isinstance(expr, cst.Call):
                    expr, levels = expr.func, 2
                target = self.project.resolve_expr(expr, self.module)
                if not isinstance(target, FunctionInfo) or target is self:
                    continue
                found = [target]
                for _ in range(levels):
                    found = [inner for outer in found for inner in outer.returned_functions()]
                self._wrappers.extend(f for f in found if f not in self._wrappers)
        return self._wrappers

    def wrapped_under_bql(self) -> bool:
        """Whether the BQL is held while this function runs because every wrapper its
        decorators put around it calls it only inside `with bql.locked():` (a user's own
        "take the BQL for this call" decorator): it needs nothing from its callers, and a
        thread started on it runs it with the BQL (blind r80)."""
        if self._under_bql is None:
            wrappers = self.wrappers()
            self._under_bql = bool(wrappers) and all(_calls_wrapped_locked(w) for w in wrappers)
        return self._under_bql

    def given_function(self) -> str | None:
        """The name under which this function, a decorator's wrapper, sees the function the
        decorator was given: its enclosing function's first parameter (None when it has none)."""
        params = self.parent.param_names() if self.parent is not None else []
        return params[0] if params else None

    def returned_functions(self) -> list[FunctionInfo]:
        """Return the functions defined directly in this one that it returns by name."""
        found: list[FunctionInfo] = []
        for node in self.body_nodes():
            if type(node) is cst.Return and isinstance(node.value, cst.Name):
                inner = self.project.nested_function(self, node.value.value)
                if inner is not None and inner not in found:
                    found.append(inner)
        return found

    def dispatch_type(self) -> str | None:
        """Return the name of the type a registered implementation handles, as written
        (last part): `@f.register(int)`, else the annotation of its first dispatched
        parameter (`def _(value: int)`); None when neither names one."""
        for deco in self.node.decorators:
            expr = deco.decorator
            if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.args:
                if expr.func.attr.value == "register":
                    return _last_name(expr.args[0].value)
        params = self.param_names()[1 if self.cls is not None and self.parent is None else 0 :]
        annotation = self.param_annotation(params[0]) if params else None
        return _last_name(annotation) if annotation is not None else None

    def decorators(self) -> list[tuple[str, cst.Decorator | cst.Call]]:
        """Return (resolved dotted name, node) of each decorator, then of each contract a
        call applies (`m = bql.releases_bql(m)`, `add_contract`)."""
        if self._decorators is None:
            self._decorators = []
            for deco in self.node.decorators:
                expr = deco.decorator
                if isinstance(expr, cst.Call):
                    expr = expr.func
                target = self.project.resolve_expr(expr, self.module)
                qname = getattr(target, "qname", None)
                if qname is None and isinstance(expr, (cst.Name, cst.Attribute)):
                    qname = self.project.dotted_name(expr) or ""
                self._decorators.append((qname or "", deco))
        return self._decorators

    def add_contract(self, qname: str, call: cst.Call) -> None:
        """Record that `call` (`bql.releases_bql(m)` after `def m`) applies decorator `qname`."""
        self.decorators().append((qname, call))

    def contract(self, qname: str) -> cst.Decorator | cst.Call | None:
        """Return the decorator (or the call applying it) declaring contract `qname`, or None."""
        for name, deco in self.decorators():
            if name == qname:
                return deco
        return None

    def releases_bql(self) -> cst.Decorator | cst.Call | None:
        return self.contract(RELEASES_BQL)

    def requires_bql(self) -> cst.Decorator | cst.Call | None:
        return self.contract(REQUIRES_BQL)

    def without_bql(self) -> cst.Decorator | cst.Call | None:
        return self.contract(WITHOUT_BQL)

    def is_static(self) -> bool:
        # `__new__` is a static method without the decorator: its first parameter is the class.
        if self.cls is not None and self.parent is None and self.name == "__new__":
            return True
        return any(name.endswith("staticmethod") for name, _ in self.decorators())

    def is_classmethod(self) -> bool:
        # Python makes these two class methods implicitly: their first parameter is the class.
        if self.cls is not None and self.parent is None and self.name in _IMPLICIT_CLASSMETHODS:
            return True
        return any(name.endswith("classmethod") for name, _ in self.decorators())

    @property
    def self_name(self) -> str | None:
        """Return the name of the instance parameter of a method, or None.

        A function nested in a method sees the method's `self` (a closure).
        """
        if self.parent is not None:
            outer = self.parent.self_name
            return outer if outer is not None and outer not in self.param_names() else None
        instance = self._instance_param()
        if instance is None or self._rebinds(instance):
            return None  # `self = other` in the body: `self.x` there may be any object's
        return instance

    def rebound_self(self) -> str | None:
        """Return the name of the instance parameter when the body rebinds it (`self =
        self.peer`): what it names then changes along the body, so it names no cell."""
        instance = self._instance_param() if self.parent is None else None
        return instance if instance is not None and self._rebinds(instance) else None

    def before_rebinding(self) -> list[cst.CSTNode]:
        """Return, for a method that rebinds its instance parameter, the nodes (as
        `body_nodes` walks them) of its top-level statements before the first one that
        rebinds it: they run once, before any rebinding, so the parameter there is still the
        instance (`self.count += 1` before `self = self.next`). Else an empty list."""
        name = self.rebound_self()
        if name is None:
            return []
        found: list[cst.CSTNode] = []
        body = self.node.body
        _run_before(list(body.body) if isinstance(body, cst.IndentedBlock) else [body], name, found)
        return found

    def instance_name(self) -> str | None:
        """Return the name of the instance parameter, whether or not the body rebinds it."""
        return self.self_name or self.rebound_self()

    def _instance_param(self) -> str | None:
        """Return the first parameter of a method that has an instance (not static, not a
        classmethod), or None."""
        if self.cls is None or self.is_static() or self.is_classmethod():
            return None
        params = self.node.params
        first = (params.posonly_params or params.params or (None,))[0]
        return first.name.value if first is not None else None

    def _rebinds(self, name: str) -> bool:
        """Whether the body assigns `name` (not inside a nested scope or a comprehension)."""
        if self._self_rebound is None:
            self._self_rebound = any(
                target.value == name for node in self.body_nodes() for target in _bound_names(node)
            )
        return self._self_rebound

    def param_names(self) -> list[str]:
        """Return positional parameter names in order, then keyword-only ones (the same
        list at every call: not to be changed)."""
        if self._params is None:
            p = self.node.params
            self._params = [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]
        return self._params

    def param_annotation(self, name: str) -> cst.BaseExpression | None:
        p = self.node.params
        for param in (*p.posonly_params, *p.params, *p.kwonly_params):
            if param.name.value == name and param.annotation is not None:
                return param.annotation.annotation
        return None

    def is_construction(self) -> bool:
        """Return whether this is a construction method (SPEC §3.1: `__init__` + init-methods)."""
        top = self
        while top.parent is not None:
            top = top.parent
        return top.name in ("__init__", "__post_init__") or top.name in self.project.config.init_methods

    def self_field_types(self) -> Iterator[tuple[str, FieldType]]:
        """Yield (field, type) for each `self.x = Cell(...)` / `self.x: T = ...` in the body."""
        me = self.self_name
        if me is None:
            return
        local_values: dict[str, cst.BaseExpression] = {}
        body = list(statements(self.node.body))
        for node in body:
            if (
                type(node) is cst.Assign
                and len(node.targets) == 1
                and type(node.targets[0].target) is cst.Name
            ):
                local_values[node.targets[0].target.value] = node.value
        for node in body:
            if type(node) is cst.Assign:
                value: cst.BaseExpression | None = node.value
                targets = [t.target for t in node.targets]
                annotation = None
            elif type(node) is cst.AnnAssign:
                value, targets, annotation = node.value, [node.target], node.annotation.annotation
            else:
                continue
            for target, value in _paired(targets, value):
                if (
                    type(target) is cst.Attribute
                    and type(target.value) is cst.Name
                    and target.value.value == me
                ):
                    typed = None
                    if annotation is not None:
                        typed = self.project.type_of_annotation(annotation, self.module, node)
                    if typed is None and value is not None:
                        typed = self.project.type_of_constructor(value, self.module, node)
                        typed = self._with_local_inner(typed, value, local_values, node)
                    if typed is None and value is not None:
                        typed = self._value_type(value, node)
                    if typed is not None:
                        yield target.attr.value, typed

    def _value_type(self, value: cst.BaseExpression, node: cst.CSTNode) -> FieldType | None:
        """The type of a parameter (`self.dev = dev` where it says `dev: Nic`) or of a
        conditional expression whose branches that are not `None` all have one type
        (`self.sock = sock if sock is not None else HostSocket()`)."""
        if isinstance(value, cst.Name):
            annotation = self.param_annotation(value.value)
            return self.project.type_of_annotation(annotation, self.module, node) if annotation is not None else None
        if not isinstance(value, cst.IfExp):
            return None
        from bqlint.model.classes import Instance  # classes.py imports this module

        found: list[FieldType] = []
        for branch in (value.body, value.orelse):
            if isinstance(branch, cst.Name) and branch.value == "None":
                continue
            typed = self.project.type_of_constructor(branch, self.module, node) or self._value_type(branch, node)
            if typed is None:
                return None
            found.append(typed)
        first = found[0] if found else None
        same = all(isinstance(t, Instance) and isinstance(first, Instance) and t.cls is first.cls for t in found)
        return first if same else None

    def _with_local_inner(
        self,
        typed: FieldType | None,
        value: cst.BaseExpression,
        local_values: dict[str, cst.BaseExpression],
        decl: cst.CSTNode,
    ) -> FieldType | None:
        """`regs = Regs(); self.regs = BqlRefCell(regs)`: take the inner type from the local."""
        from bqlint.model.classes import CellType, Instance

        if not isinstance(typed, CellType) or typed.inner is not None or not isinstance(value, cst.Call):
            return typed
        first = value.args[0].value if value.args else None
        if isinstance(first, cst.Name) and first.value in local_values:
            inner = self.project.type_of_constructor(local_values[first.value], self.module, decl)
            if isinstance(inner, Instance):
                return CellType(typed.kind, typed.type_name, inner.cls, typed.decl, typed.module)
        if isinstance(first, cst.Name):
            # `def __init__(self, regs: R): self.regs = BqlRefCell(regs)`: the inner type is the
            # parameter's (a class, or a type variable a generic subclass binds).
            annotation = self.param_annotation(first.value)
            if annotation is not None:
                inner = self.project.type_of_annotation(annotation, self.module, decl)
                if isinstance(inner, Instance):
                    return CellType(typed.kind, typed.type_name, inner.cls, typed.decl, typed.module)
                if isinstance(annotation, cst.Name):
                    return CellType(
                        typed.kind, typed.type_name, None, typed.decl, typed.module, annotation.value
                    )
        return typed


def _paired(
    targets: list[cst.BaseAssignTargetExpression], value: cst.BaseExpression | None
) -> Iterator[tuple[cst.BaseExpression, cst.BaseExpression | None]]:
    """Yield (target, value) of an assignment, element by element where a display is
    unpacked into a display of the same length (`self.a, self.b = Cell(1), Cell(2)`)."""
    for target in targets:
        if (
            isinstance(target, (cst.Tuple, cst.List))
            and isinstance(value, (cst.Tuple, cst.List))
            and len(target.elements) == len(value.elements)
            and not any(isinstance(e, cst.StarredElement) for e in (*target.elements, *value.elements))
        ):
            for left, right in zip(target.elements, value.elements):
                yield from _paired([left.value], right.value)  # type: ignore[list-item]
        else:
            yield target, value


def _calls_wrapped_locked(wrapper: FunctionInfo) -> bool:
    """Whether `wrapper` calls the function its decorator was given (the decorator's first
    parameter) at least once, and only inside a `with bql.locked():` block."""
    wrapped = wrapper.given_function()
    if wrapped is None:
        return False
    held: set[int] = set()
    calls: list[cst.Call] = []
    for node in wrapper.body_nodes():
        if type(node) is cst.With and any(_is_locked(item.item, wrapper) for item in node.items):
            held.update(id(inner) for inner in walk(node.body, into_scopes=False))
        elif type(node) is cst.Call and type(node.func) is cst.Name and node.func.value == wrapped:
            calls.append(node)
    return bool(calls) and all(id(call) in held for call in calls)


def _is_locked(expr: cst.BaseExpression, fn: FunctionInfo) -> bool:
    if not isinstance(expr, cst.Call):
        return False
    return getattr(fn.project.resolve_expr(expr.func, fn.module), "qname", None) == LOCKED


def _run_before(statements: Sequence[cst.CSTNode], name: str, found: list[cst.CSTNode]) -> bool:
    """Append to `found` the nodes of `statements` that run once, before the first binding of
    `name`: the statements before the one that binds it, and of that one what runs first
    (a `with`'s items, an `if`'s test and the branch that does not bind it, the value
    assigned, what a block runs before it). Return whether `statements` bind `name`."""
    for statement in statements:
        nodes = list(walk(statement, into_scopes=False))
        if not _binds(nodes, name):
            found.extend(nodes)
            continue
        kind = type(statement)
        if kind is cst.SimpleStatementLine or kind is cst.SimpleStatementSuite:
            _run_before(statement.body, name, found)  # type: ignore[attr-defined]
        elif kind in (cst.Assign, cst.AnnAssign) and statement.value is not None:  # type: ignore[attr-defined]
            value = list(walk(statement.value, into_scopes=False))  # type: ignore[attr-defined]
            if not _binds(value, name):
                found.extend(value)
        elif kind is cst.With:
            for item in statement.items:  # type: ignore[attr-defined]
                evaluated = list(walk(item.item, into_scopes=False))
                if _binds(evaluated, name):
                    return True
                found.extend(evaluated)
                if _binds([item], name):
                    return True
            _run_before(_block(statement.body), name, found)  # type: ignore[attr-defined]
        elif kind is cst.If:
            test = list(walk(statement.test, into_scopes=False))  # type: ignore[attr-defined]
            if not _binds(test, name):
                found.extend(test)
                _run_before(_block(statement.body), name, found)  # type: ignore[attr-defined]
                orelse = statement.orelse  # type: ignore[attr-defined]
                if orelse is not None:
                    _run_before([orelse] if type(orelse) is cst.If else _block(orelse.body), name, found)
        elif kind is cst.Try:
            _run_before(_block(statement.body), name, found)  # type: ignore[attr-defined]
        return True
    return False


def _binds(nodes: Sequence[cst.CSTNode], name: str) -> bool:
    return any(target.value == name for node in nodes for target in _bound_names(node))


def _block(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body) if isinstance(suite, cst.IndentedBlock) else [suite]


def _bound_names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """Yield the names a statement or expression node binds (assignment, loop, `with ... as`,
    walrus, `del`, `except ... as`)."""
    kind = type(node)
    if kind is cst.Assign:
        targets: list[cst.BaseExpression] = [t.target for t in node.targets]  # type: ignore[attr-defined]
    elif kind in (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For):
        targets = [node.target]  # type: ignore[attr-defined]
    elif kind is cst.WithItem and node.asname is not None:  # type: ignore[attr-defined]
        targets = [node.asname.name]  # type: ignore[attr-defined]
    elif kind is cst.Del:
        targets = [node.target]  # type: ignore[attr-defined]
    elif kind is cst.ExceptHandler and node.name is not None:  # type: ignore[attr-defined]
        targets = [node.name.name]  # type: ignore[attr-defined]
    else:
        return
    while targets:
        target = targets.pop()
        if type(target) is cst.Name:
            yield target
        elif type(target) in (cst.Tuple, cst.List):
            targets.extend(e.value for e in target.elements)  # type: ignore[attr-defined]
        elif type(target) is cst.StarredElement:
            targets.append(target.value)
