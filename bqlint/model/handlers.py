"""Character-device handlers a device registers with `CharFrontend.enable_handlers(...)`.

SPEC §3.1.1: `accept_input()` / `write_all()` on a frontend count as calls to every handler
registered on that frontend field, by the class or any class of its hierarchy.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from bqlint.model.api import HANDLER_PARAMS
from bqlint.model.classes import CellKey, ClassInfo, Instance, mangled
from bqlint.model.functions import FunctionInfo
from bqlint.model.project import callable_of, dotted
from bqlint.source import walk


@dataclass(frozen=True)
class Handler:
    """A function that runs when a frontend calls its handlers."""

    fn: FunctionInfo
    # The call that reaches it (a lambda's `self._rx(d)`), first in its chain; None when
    # registered directly.
    via: cst.CSTNode | None = None
    # The object it runs on, rooted at the registering instance: `("self", "sink")` for the
    # `__call__` of the object in `self.sink`.
    receiver: CellKey = ("self",)
    # What that call (or a `functools.partial`) passes it: keys rooted at the registering
    # instance, `("self", "sub")` for `self.sub`; None for anything else (`d`, a local).
    args: tuple[CellKey | None, ...] = ()
    kwargs: tuple[tuple[str, CellKey | None], ...] = ()


def _registrations(cls: ClassInfo) -> dict[CellKey, list[Handler]]:
    """Return the frontend's path from the instance (`("chr",)`, `("port", "chr")`) ->
    handlers registered on it by the methods of `cls` itself."""
    cached = getattr(cls, "_handler_cache", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found: dict[CellKey, list[Handler]] = {}
    if "enable_handlers" in cls.module.source.text:
        for method in cls.methods.values():
            me = method.self_name
            # Each body's nodes are walked once for the analysis already (FunctionInfo.body_nodes).
            inner = cls.project.with_inner_functions(method)
            calls = [(fn, n) for fn in inner for n in fn.body_nodes() if type(n) is cst.Call]
            for caller, node in calls:
                if not (type(node.func) is cst.Attribute and node.func.attr.value == "enable_handlers"):
                    continue
                frontend = _instance_path(node.func.value, me, cls.name)
                if frontend is None or len(frontend) < 2:
                    continue
                for arg in node.args:
                    if arg.keyword is not None and arg.keyword.value not in HANDLER_PARAMS:
                        continue
                    found.setdefault(frontend[1:], []).extend(_handlers_of(cls, caller, arg.value))
    cls._handler_cache = found  # type: ignore[attr-defined]
    return found


def _handlers_of(cls: ClassInfo, caller: FunctionInfo, expr: cst.BaseExpression, depth: int = 0) -> list[Handler]:
    """Return the functions a handler argument `expr` of `enable_handlers` in `caller` runs."""
    me = caller.self_name
    value = callable_of(expr)
    via = expr.body if isinstance(expr, cst.Lambda) else None
    own = _lambda_params(expr)
    if me in own:
        me = None  # `lambda data, self=self.log: self.record(data)`: the lambda's own `self`
    args, kwargs = _bound_arguments(expr, me, cls.name)

    def handlers(functions: list[FunctionInfo], receiver: CellKey = ("self",)) -> list[Handler]:
        return [Handler(fn, via, receiver, args, kwargs) for fn in functions]

    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == me:
        methods = cls.implementations(value.attr.value)
        if methods:
            return handlers(methods)
        # A field holding a callable object (`self.sink`): its `__call__`, on that object.
        field = value.attr.value
        return handlers(_called(cls.fields().get(field)), ("self", mangled(field, cls.name)))
    if isinstance(value, cst.Name) and value.value == me:
        # The device itself is the handler: calling it runs its `__call__`.
        return handlers(cls.implementations("__call__"))
    if not isinstance(value, cst.Name) or value.value in own:
        return []  # `lambda rx: rx()`: whatever the lambda is given
    nested = _nested_def(caller, value.value)
    if nested is not None:
        return handlers([nested])
    values = _assigned_values(caller, value.value) if depth < 4 else None
    if values is not None:
        # `rx = lambda d: self._rx(d)` then `enable_handlers(can, rx)`: what the local holds.
        return [h for v in values for h in _handlers_of(cls, caller, v, depth + 1)]
    target = cls.project.resolve_expr(value, cls.module)
    return handlers([target]) if isinstance(target, FunctionInfo) else []


Bound = tuple[tuple[CellKey | None, ...], tuple[tuple[str, CellKey | None], ...]]


def _bound_arguments(expr: cst.BaseExpression, me: str | None, class_name: str) -> Bound:
    """Return what a handler expression passes the function it calls: the arguments of a
    lambda's call (`lambda d: rx(self, d)`) or those a `partial(rx, self)` binds, as keys
    rooted at the instance `me` names (positional ones up to the first `*args`)."""
    if isinstance(expr, cst.Lambda) and isinstance(expr.body, cst.Call):
        call, skip = expr.body, 0
    elif isinstance(expr, cst.Call) and callable_of(expr) is not expr:
        call, skip = expr, 1
    else:
        return (), ()
    args: list[CellKey | None] = []
    kwargs: list[tuple[str, CellKey | None]] = []
    positional = True
    for arg in call.args[skip:]:
        if arg.star:
            positional = positional and arg.star == "**"
            continue
        key = _instance_path(arg.value, me, class_name)
        if arg.keyword is not None:
            kwargs.append((arg.keyword.value, key))
        elif positional:
            args.append(key)
    return tuple(args), tuple(kwargs)


def _lambda_params(expr: cst.BaseExpression) -> set[str]:
    """Return the names a lambda's parameters bind (none for anything else)."""
    if not isinstance(expr, cst.Lambda):
        return set()
    params = expr.params
    stars = [star for star in (params.star_arg, params.star_kwarg) if isinstance(star, cst.Param)]
    return {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params, *stars)}


def _instance_path(expr: cst.BaseExpression, me: str | None, class_name: str) -> CellKey | None:
    """Return `("self", "a", "b")` for `self.a.b` (`self` as `me` names it), else None."""
    parts: list[str] = []
    while type(expr) is cst.Attribute:
        parts.append(mangled(expr.attr.value, class_name))
        expr = expr.value
    if me is not None and type(expr) is cst.Name and expr.value == me:
        return ("self", *reversed(parts))
    return None


def _assigned_values(caller: FunctionInfo, name: str) -> list[cst.BaseExpression] | None:
    """Return the values local `name` of `caller` is assigned, when plain assignments are its
    only bindings (SPEC §3.1.2: a local bound on every path to callables), else None."""
    if name in caller.param_names():
        return None
    values: list[cst.BaseExpression] = []
    for node in caller.body_nodes():
        if type(node) is cst.Assign:
            if any(type(t.target) is cst.Name and t.target.value == name for t in node.targets):
                if len(node.targets) != 1:
                    return None
                values.append(node.value)
        elif type(node) is cst.AnnAssign and type(node.target) is cst.Name and node.target.value == name:
            if node.value is None:
                return None
            values.append(node.value)
        elif type(node) in _OTHER_BINDINGS and _binds(node, name):
            return None
    return values or None


_OTHER_BINDINGS = (
    cst.AugAssign,
    cst.For,
    cst.AsName,
    cst.NamedExpr,
    cst.Global,
    cst.Nonlocal,
    cst.ImportAlias,
    cst.MatchAs,
    cst.MatchStar,
)


def _binds(node: cst.CSTNode, name: str) -> bool:
    """Whether a binding form other than a plain assignment may bind `name` (conservative)."""
    if isinstance(node, (cst.Global, cst.Nonlocal)):
        return any(n.name.value == name for n in node.names)
    if isinstance(node, cst.ImportAlias):
        if node.asname is not None:
            return isinstance(node.asname.name, cst.Name) and node.asname.name.value == name
        return (dotted(node.name) or "").split(".")[0] == name  # `import a.b` binds `a`
    if isinstance(node, (cst.MatchAs, cst.MatchStar)):
        return node.name is not None and node.name.value == name
    target = node.name if isinstance(node, cst.AsName) else node.target  # type: ignore[attr-defined]
    return any(type(n) is cst.Name and n.value == name for n in walk(target))


def _nested_def(caller: FunctionInfo, name: str) -> FunctionInfo | None:
    """Return the function `name` means in `caller` when a `def` of it in `caller` or an
    enclosing function binds it (`def receive(data): ...` in `realize()`), else None."""
    at: FunctionInfo | None = caller
    while at is not None and name not in at.param_names():
        nested = at.project.nested_function(at, name)
        if nested is not None:
            return nested
        at = at.parent
    return None


def _called(typed: object) -> list[FunctionInfo]:
    """Return what calling an object of type `typed` runs: its class's `__call__`."""
    return typed.cls.implementations("__call__") if isinstance(typed, Instance) else []


def handlers_for(cls: ClassInfo, frontend: CellKey) -> tuple[Handler, ...]:
    """Return every handler registered on the frontend at path `frontend` of an instance
    of `cls` (`("chr",)`, `("port", "chr")`), across the class hierarchy."""
    out: list[Handler] = []
    for related in (*cls.mro(), *cls.all_subclasses()):
        for handler in _registrations(related).get(frontend, ()):
            if all(handler.fn is not known.fn or handler.receiver != known.receiver for known in out):
                out.append(handler)
    return tuple(out)
