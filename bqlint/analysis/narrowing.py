"""What a condition tells about guard names: the names an `if`/`while` test proves `None`
(a failed `try_borrow*()`), and the names a `case` pattern captures from its subject.

SPEC §3.1.2: a guard is an object, so only `is None`, `is not None`, `== None` and
`isinstance` narrow, and so does `case None:` (it tests `is None`), never truthiness;
`case g:` binds the whole subject.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from bqlint.analysis.scope import FunctionScope
from bqlint.source import walk

if TYPE_CHECKING:
    from bqlint.analysis.expressions import GuardName


def captures(pattern: cst.MatchPattern) -> list[str]:
    """Return the names a `case` pattern binds (`case int(r)`, `case [r, *rest]`, `case x`)."""
    names = []
    for node in walk(pattern):
        if isinstance(node, (cst.MatchAs, cst.MatchStar)) and isinstance(node.name, cst.Name):
            names.append(node.name.value)
        elif isinstance(node, cst.MatchMapping) and isinstance(node.rest, cst.Name):
            names.append(node.rest.value)
    return names


def captures_of_subject(
    pattern: cst.MatchPattern, held: GuardName | None, parts: list[GuardName | None]
) -> dict[str, GuardName]:
    """Return name -> what it captures of a guard-holding subject: the whole subject
    (`case g:`, `case BqlRef() as g:`), or one element of a display subject matched by a
    sequence pattern of the same length (`match op, cell.borrow(): case ("r", g):`)."""
    if held is None:
        return {}
    if isinstance(pattern, cst.MatchAs) and isinstance(pattern.name, cst.Name):
        return {pattern.name.value: held}
    out: dict[str, GuardName] = {}
    if isinstance(pattern, (cst.MatchTuple, cst.MatchList)) and len(pattern.patterns) == len(parts):
        for element, part in zip(pattern.patterns, parts):
            inner = element.value if isinstance(element, cst.MatchSequenceElement) else None
            if part is not None and isinstance(inner, cst.MatchAs) and isinstance(inner.name, cst.Name):
                out[inner.name.value] = part
    return out


def case_of_none(scope: FunctionScope, subject: cst.BaseExpression, pattern: cst.MatchPattern) -> str | None:
    """Return the guard name a `case None:` proves None (a singleton pattern tests `is`)."""
    if (
        isinstance(pattern, cst.MatchSingleton)
        and _is_none(pattern.value)
        and isinstance(subject, cst.Name)
        and scope.may_hold_guard(subject.value)
    ):
        return subject.value
    return None


def narrowing(scope: FunctionScope, test: cst.BaseExpression) -> tuple[str | None, str | None]:
    """Return (name that is None when `test` is true, name that is None when it is false)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        when_none, when_some = narrowing(scope, test.expression)
        return when_some, when_none
    if isinstance(test, cst.NamedExpr):
        test = test.target
    if isinstance(test, cst.Comparison) and isinstance(test.left, cst.NamedExpr):
        test = test.with_changes(left=test.left.target)
    # SPEC §3.1.2: a guard is an object; its truthiness (`if g:`) says nothing about None.
    if (
        isinstance(test, cst.Call)
        and isinstance(test.func, cst.Name)
        and test.func.value == "isinstance"
        and test.args
        and isinstance(test.args[0].value, cst.Name)
        and scope.may_hold_guard(test.args[0].value.value)
    ):
        return None, test.args[0].value.value
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        left, right = test.left, test.comparisons[0].comparator
        if _is_none(left):
            left, right = right, left
        if isinstance(left, cst.Name) and scope.may_hold_guard(left.value) and _is_none(right):
            op = test.comparisons[0].operator
            if isinstance(op, (cst.Is, cst.Equal)):
                return left.value, None
            if isinstance(op, (cst.IsNot, cst.NotEqual)):
                return None, left.value
    return None, None


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"
