"""What each binding form may bind (SPEC §3.1.2 "Binding forms"), read from the syntax alone.

A name may hold the guard of a borrow call, of another name, of either branch of a
conditional expression, of an element of a display or of a walrus's value; a local may be
bound to a callable (`cb = self.m`, `partial(self.m, 1)`, a lambda). The flow-sensitive
part (which guard a name holds at a point) is the dataflow's.
"""

from __future__ import annotations

import libcst as cst

from bqlint.model.api import BORROW_METHODS, TRY_BORROW_METHODS
from bqlint.model.project import dotted


def is_borrow_call(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in (*BORROW_METHODS, *TRY_BORROW_METHODS)
    )


_COMPOUND_VALUES = frozenset({cst.IfExp, cst.NamedExpr, cst.Tuple, cst.List, cst.Set, cst.Dict})
DISPLAYS = (cst.Tuple, cst.List, cst.Set, cst.Dict)


DISPLAY_TYPES = frozenset({cst.Tuple, cst.List, cst.Set, cst.Dict})
_UNPACKING = frozenset({cst.Tuple, cst.List, cst.StarredElement})
_ELEMENTS = (cst.Element, cst.StarredElement, cst.DictElement, cst.StarredDictElement)


def _enters_context(call: cst.Call) -> bool:
    """`stack.enter_context(cm)`: an exit stack's value is what `cm` enters as."""
    func = call.func
    return (
        type(func) is cst.Attribute
        and func.attr.value == "enter_context"
        and len(call.args) == 1
        and call.args[0].keyword is None
        and not call.args[0].star
    )


def guard_exprs(value: cst.BaseExpression | None) -> list[cst.BaseExpression]:
    """Return the borrow calls and names whose guard `value` may hold (SPEC §3.1.2: either
    branch of a conditional expression, the elements of a display, a walrus's value)."""
    kind = type(value)
    if kind is cst.Name:
        return [value]  # type: ignore[list-item]
    if kind not in _COMPOUND_VALUES:
        if kind is cst.Call and _enters_context(value):  # type: ignore[arg-type]
            return guard_exprs(value.args[0].value)  # type: ignore[union-attr]
        is_borrow = kind is cst.Call and is_borrow_call(value)  # type: ignore[arg-type]
        return [value] if is_borrow else []  # type: ignore[list-item]
    assert value is not None
    if isinstance(value, cst.IfExp):
        return [*guard_exprs(value.body), *guard_exprs(value.orelse)]
    if isinstance(value, cst.NamedExpr):
        return [*guard_exprs(value.value), value.target]
    if isinstance(value, DISPLAYS):
        out: list[cst.BaseExpression] = []
        for element in value.elements:
            if isinstance(element, _ELEMENTS):
                out.extend(guard_exprs(element.value))
        return out
    return []


def guard_bindings(
    target: cst.BaseExpression, value: cst.BaseExpression | None
) -> list[tuple[str, cst.BaseExpression]]:
    """Return (name, source) pairs: which guard sources each name of an assignment may hold.

    A plain name takes everything its value may hold; unpacking a display pairs targets with
    elements (a starred target takes the rest); unpacking anything else reads values out of
    it, which are never guards.
    """
    kind = type(target)
    if kind is cst.Name:
        return [(target.value, source) for source in guard_exprs(value)]  # type: ignore[attr-defined]
    if kind not in _UNPACKING:
        return []  # `self.x = ...`, `a[i] = ...`: not a name
    if isinstance(target, cst.StarredElement):
        return guard_bindings(target.value, value)
    if not isinstance(target, (cst.Tuple, cst.List)) or not isinstance(value, (cst.Tuple, cst.List)):
        return []
    targets = [e.value for e in target.elements]
    values: list[cst.BaseExpression] = [e.value for e in value.elements]
    out: list[tuple[str, cst.BaseExpression]] = []
    stars = [i for i, e in enumerate(target.elements) if isinstance(e, cst.StarredElement)]
    if not stars and len(targets) == len(values):
        for t, v in zip(targets, values):
            out.extend(guard_bindings(t, v))
    elif len(stars) == 1 and len(values) >= len(targets) - 1:
        star, after = stars[0], len(targets) - 1 - stars[0]
        for t, v in zip(targets[:star], values[:star]):
            out.extend(guard_bindings(t, v))
        for v in values[star : len(values) - after]:
            out.extend(guard_bindings(targets[star], v))
        for t, v in zip(targets[star + 1 :], values[len(values) - after :]):
            out.extend(guard_bindings(t, v))
    return out


def branches(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(value, cst.IfExp):
        return [*branches(value.body), *branches(value.orelse)]
    return [value]


def is_callable_expr(value: cst.BaseExpression | None) -> bool:
    """`self.m`, `mod.f`, `functools.partial(self.m, 1)`, `lambda: self.m(2)`."""
    kind = type(value)
    if kind is cst.IfExp:  # `cb = self.a if c else self.b`: either, each resolvable
        assert isinstance(value, cst.IfExp)
        return is_callable_expr(value.body) and is_callable_expr(value.orelse)
    if kind is not cst.Name and kind is not cst.Attribute and kind is not cst.Lambda and kind is not cst.Call:
        return False
    if type(value) is cst.Name or type(value) is cst.Attribute:
        return dotted(value) is not None
    if type(value) is cst.Lambda:
        return True
    if type(value) is cst.Call and value.args:
        return (dotted(value.func) or "").rsplit(".", 1)[-1] == "partial"
    return False


def container_names(target: cst.BaseExpression, value: cst.BaseExpression | None) -> list[str]:
    """Return the names an assignment binds to a container that may hold guards: a display
    (`pair = (g, 1)`) or the list of a starred target (`first, *rest = ...`)."""
    kind = type(target)
    if kind is cst.Name:
        return [target.value] if type(value) in DISPLAY_TYPES else []  # type: ignore[attr-defined]
    if kind is cst.Tuple or kind is cst.List:
        assert isinstance(target, (cst.Tuple, cst.List))
        return [
            e.value.value
            for e in target.elements
            if isinstance(e, cst.StarredElement) and isinstance(e.value, cst.Name)
        ]
    return []


def match_guard_bindings(
    pattern: cst.MatchPattern, subject: cst.BaseExpression
) -> list[tuple[str, cst.BaseExpression]]:
    """Return (name, source) for each capture of a `case` that may hold a guard of the
    subject: the whole subject, or one element of a display matched element by element."""
    if isinstance(pattern, cst.MatchAs) and isinstance(pattern.name, cst.Name):
        return [(pattern.name.value, source) for source in guard_exprs(subject)]
    out: list[tuple[str, cst.BaseExpression]] = []
    if (
        isinstance(pattern, (cst.MatchTuple, cst.MatchList))
        and isinstance(subject, (cst.Tuple, cst.List))
        and len(pattern.patterns) == len(subject.elements)
    ):
        for element, value in zip(pattern.patterns, subject.elements):
            if isinstance(element, cst.MatchSequenceElement):
                out.extend(match_guard_bindings(element.value, value.value))
    return out


def value_bindings(
    target: cst.BaseExpression, value: cst.BaseExpression | None
) -> list[tuple[str, list[cst.BaseExpression], bool]]:
    """Return (name, values, starred) for each name an assignment binds to known values.

    A plain name takes the whole value; unpacking a display pairs targets with elements,
    nested displays included; a starred target takes the list of the rest (`starred`).
    A name whose value cannot be read from the syntax (unpacking a call) is left out.
    """
    if type(target) is cst.Name:
        return [(target.value, [value], False)] if value is not None else []
    if (type(target) is not cst.Tuple and type(target) is not cst.List) or (
        type(value) is not cst.Tuple and type(value) is not cst.List
    ):
        return []
    if any(not isinstance(e, cst.Element) for e in value.elements):
        return []  # `a, b = *xs, y`: which value lands where is not known
    targets = [e.value for e in target.elements]
    values: list[cst.BaseExpression] = [e.value for e in value.elements]
    stars = [i for i, e in enumerate(target.elements) if isinstance(e, cst.StarredElement)]
    out: list[tuple[str, list[cst.BaseExpression], bool]] = []
    if not stars and len(targets) == len(values):
        for t, v in zip(targets, values):
            out.extend(value_bindings(t, v))
    elif len(stars) == 1 and len(values) >= len(targets) - 1:
        star, after = stars[0], len(targets) - 1 - stars[0]
        for t, v in zip(targets[:star], values[:star]):
            out.extend(value_bindings(t, v))
        starred = targets[star]
        if isinstance(starred, cst.Name):
            out.append((starred.value, values[star : len(values) - after], True))
        for t, v in zip(targets[star + 1 :], values[len(values) - after :]):
            out.extend(value_bindings(t, v))
    return out
