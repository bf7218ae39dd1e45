"""Where a method mutates its own `self` directly (SPEC §3.1 BQL001, BQL004, BQL007)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import libcst as cst

from bqlint.model.api import MUTATORS
from bqlint.model.functions import FunctionInfo
from bqlint.source import walk


@dataclass(frozen=True, slots=True)
class Mutation:
    """`node` mutates field `field` of self: kind is assign, augassign, delete, item, mutator,
    setattr or delattr."""

    node: cst.CSTNode
    field: str
    kind: str
    stmt: cst.CSTNode


def _self_field(expr: cst.BaseExpression, me: str) -> tuple[str, bool] | None:
    """Return (first field after self, whether the path goes deeper) for `self.f...`."""
    depth = 0
    while type(expr) is cst.Attribute or type(expr) is cst.Subscript:
        if type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == me:
            # `self.__class__.m(self)`, `self.__class__.count += 1`: the class, not a field.
            return (expr.attr.value, depth > 0) if expr.attr.value != "__class__" else None
        expr = expr.value
        depth += 1
    return None


def _targets(node: cst.CSTNode) -> Iterator[tuple[cst.BaseExpression, str]]:
    if isinstance(node, cst.Assign):
        for target in node.targets:
            yield from _flatten(target.target, "assign")
    elif isinstance(node, cst.AnnAssign) and node.value is not None:
        yield node.target, "assign"
    elif isinstance(node, cst.AugAssign):
        yield node.target, "augassign"
    elif isinstance(node, cst.Del):
        yield from _flatten(node.target, "delete")
    elif isinstance(node, (cst.For, cst.CompFor)):
        yield from _flatten(node.target, "assign")
    elif isinstance(node, cst.WithItem) and node.asname is not None:
        yield from _flatten(node.asname.name, "assign")


def _flatten(target: cst.BaseExpression, kind: str) -> Iterator[tuple[cst.BaseExpression, str]]:
    if type(target) is cst.Tuple or type(target) is cst.List:
        for element in target.elements:
            yield from _flatten(element.value, kind)
    elif type(target) is cst.StarredElement:
        yield from _flatten(target.value, kind)
    else:
        yield target, kind


_STATEMENTS = frozenset(
    {cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Del, cst.For, cst.CompFor, cst.WithItem}
)
# Weak: a module-level cache must not keep every analysed project (its trees) alive.
_CACHE: WeakKeyDictionary[FunctionInfo, list[Mutation]] = WeakKeyDictionary()


def self_mutations(fn: FunctionInfo) -> list[Mutation]:
    """Return every direct mutation of `self` in the body of `fn` (not in nested defs)."""
    found = _CACHE.get(fn)
    if found is None:
        found = _CACHE[fn] = _self_mutations(fn)
    return found


def _self_mutations(fn: FunctionInfo) -> list[Mutation]:
    me = fn.self_name
    if me is not None:
        found = _mutations(fn.body_nodes(), me)
    else:
        rebound = fn.rebound_self()  # `self = self.next` later: only the writes before it are the instance's
        found = _mutations(fn.before_rebinding(), rebound) if rebound is not None else []
    if fn.name in _HOOKS:
        # An override of `__setattr__` storing through `super().__setattr__(name, v)` is how
        # every write is made: the write that calls it is the mutation, not the hook.
        found = [m for m in found if m.kind not in ("setattr", "delattr")]
    return found


def _mutations(nodes: Iterable[cst.CSTNode], me: str) -> list[Mutation]:
    found: list[Mutation] = []
    for node in nodes:
        kind = type(node)
        if kind in _STATEMENTS:
            for target, how in _targets(node):
                hit = _self_field(target, me)
                if hit is not None:
                    field, deeper = hit
                    found.append(Mutation(target, field, "item" if deeper else how, node))
        elif type(node) is cst.Call:
            func = node.func
            if type(func) is cst.Attribute and func.attr.value in MUTATORS:
                hit = _self_field(func.value, me)
                if hit is not None:
                    found.append(Mutation(node, hit[0], "mutator", node))
            else:
                named = _attribute_call(node, me)
                if named is not None:
                    how, name = named
                    literal = name.evaluated_value if isinstance(name, cst.SimpleString) else ""
                    found.append(Mutation(node, literal if isinstance(literal, str) else "", how, node))
    return found


def lambda_mutations(fn: FunctionInfo) -> list[Mutation]:
    """Return the mutations of `self` in the lambdas written in the body of `fn` (at any
    depth of lambdas, not in nested defs): they run whenever the lambda is called, which is
    not a "mutates its self" of `fn` itself (BQL004), yet a write of a device field (BQL001)."""
    me = fn.self_name
    if me is None:
        return []
    found: list[Mutation] = []
    lambdas = [node for node in fn.body_nodes() if type(node) is cst.Lambda]
    while lambdas:
        node = lambdas.pop()
        assert isinstance(node, cst.Lambda)
        if any(param.name.value == me for param in _params(node.params)):
            continue  # `self` is the lambda's own parameter here
        body = list(walk(node, into_scopes=False))  # the lambda entered, the ones in it not
        found.extend(_mutations(body, me))
        lambdas.extend(n for n in body if type(n) is cst.Lambda and n is not node)
    return found


def _params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    yield from params.kwonly_params
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star


_FUNCTIONS = {"setattr": "setattr", "delattr": "delattr"}
_HOOKS = {"__setattr__": "setattr", "__delattr__": "delattr"}


def _attribute_call(call: cst.Call, me: str) -> tuple[str, cst.BaseExpression | None] | None:
    """Return (setattr or delattr, the expression naming the field) when `call` sets or
    deletes an attribute of `self`: `setattr(self, "n", v)`, `delattr(self, "n")` (also as
    `builtins.`), `object.__setattr__(self, "n", v)` or any class's, `super().__setattr__("n",
    v)`, `self.__delattr__("n")`."""
    func = call.func
    args = [arg for arg in call.args if arg.keyword is None]
    bound = False  # `super().__setattr__(...)`: `self` is implied
    if type(func) is cst.Name and func.value in _FUNCTIONS:
        how = _FUNCTIONS[func.value]
    elif type(func) is cst.Attribute and func.attr.value in _FUNCTIONS and _is_name(func.value, "builtins"):
        how = _FUNCTIONS[func.attr.value]
    elif type(func) is cst.Attribute and func.attr.value in _HOOKS:
        how = _HOOKS[func.attr.value]
        bound = _is_name(func.value, me) or _is_super(func.value, me)
        if not bound and not _is_dotted(func.value):
            return None
    else:
        return None
    if not bound:
        if not args or args[0].star or not _is_name(args[0].value, me):
            return None
        args = args[1:]
    return how, args[0].value if args and not args[0].star else None


def _is_name(expr: cst.BaseExpression, name: str) -> bool:
    return type(expr) is cst.Name and expr.value == name


def _is_dotted(expr: cst.BaseExpression) -> bool:
    """`object`, `bql.SysBusDevice`: a name or an attribute chain (a class)."""
    while type(expr) is cst.Attribute:
        expr = expr.value
    return type(expr) is cst.Name


def _is_super(expr: cst.BaseExpression, me: str) -> bool:
    """`super()` or `super(Cls, self)`."""
    if not (type(expr) is cst.Call and _is_name(expr.func, "super")):
        return False
    return not expr.args or (len(expr.args) == 2 and _is_name(expr.args[1].value, me))
