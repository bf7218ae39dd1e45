"""Lazy iterators: what runs only when they are consumed (Python 3's `map`, `filter`,
generator expressions), the calls that only wrap them (`zip`, `itertools.chain`), and the
higher-order functions that call a callable argument (`sorted(key=...)`, eagerly).

A lazy iterator's calls run where it is consumed: by a consuming call (`list(...)`), a
`for`, a call it is passed to, or later through the local it was assigned to.
"""

from __future__ import annotations

import libcst as cst

# Lazy builders and the argument that is the function they call for each element.
LAZY_CALLERS: dict[str, str | int] = {
    "map": 0,
    "filter": 0,
    "itertools.starmap": 0,
    "itertools.filterfalse": 0,
    "itertools.takewhile": 0,
    "itertools.dropwhile": 0,
}
# Builtins and itertools that return an iterator over their arguments, consuming nothing yet.
LAZY_WRAPPERS = frozenset(
    {"zip", "enumerate", "reversed", "iter", "itertools.chain", "itertools.chain.from_iterable",
     "itertools.islice", "itertools.compress", "itertools.zip_longest", "itertools.cycle"}
)  # fmt: skip
# Argument expressions a consuming call iterates: generator calls, lazy builders, `(… for …)`.
ITERATORS = frozenset({cst.Call, cst.GeneratorExp})

_LAZY_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in LAZY_CALLERS)
_WRAPPER_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in LAZY_WRAPPERS)


def may_be_lazy(expr: cst.BaseExpression | None) -> bool:
    """Whether `expr` is a generator expression or, by the name it calls, may build a lazy
    iterator (its meaning is decided where the name is resolved)."""
    if type(expr) is cst.GeneratorExp:
        return True
    if type(expr) is not cst.Call:
        return False
    func = expr.func
    name = func.value if type(func) is cst.Name else func.attr.value if type(func) is cst.Attribute else ""
    return name in _LAZY_NAMES or name in _WRAPPER_NAMES


# Functions of Python's library that call a callable argument (by position or keyword):
# right away, or for the lazy ones when they are iterated.
HIGHER_ORDER: dict[str, str | int] = {
    "sorted": "key",
    "min": "key",
    "max": "key",
    "functools.reduce": 0,
    **LAZY_CALLERS,
}


def called_argument(qname: str, node: cst.Call) -> cst.BaseExpression | None:
    """Return the callable argument that `qname`, a higher-order function, calls, if any."""
    where = HIGHER_ORDER.get(qname)
    if where is None:
        return None
    for index, arg in enumerate(node.args):
        if arg.star:
            return None
        if (arg.keyword.value if arg.keyword is not None else index) == where:
            return arg.value
    return None


def builds_only_lazily(expr: cst.BaseExpression | None, self_name: str | None) -> bool:
    """Whether evaluating `expr` only builds a lazy iterator and calls nothing yet: a lazy
    builder called by a plain or module name (not a method of `self` that happens to be
    named `filter`) whose arguments call nothing themselves (`map(str, self.push())` calls
    `push` at once), or a generator expression whose first iterable calls nothing."""
    if type(expr) is cst.GeneratorExp:
        return _calls_nothing(expr.for_in.iter, self_name)
    if type(expr) is not cst.Call or not may_be_lazy(expr):
        return False
    func = expr.func
    if type(func) is cst.Attribute and (type(func.value) is not cst.Name or func.value.value == self_name):
        return False
    return all(_calls_nothing(arg.value, self_name) for arg in expr.args)


def _calls_nothing(expr: cst.BaseExpression, self_name: str | None) -> bool:
    """Whether evaluating `expr` calls nothing of the checked files: names, literals, attribute
    reads, lambdas, displays and arithmetic of such, `range(...)`, and lazy builders."""
    if isinstance(expr, (cst.Name, cst.Integer, cst.SimpleString, cst.Lambda)):
        return True
    if isinstance(expr, cst.Attribute):
        return _calls_nothing(expr.value, self_name)
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return all(_calls_nothing(e.value, self_name) for e in expr.elements)
    if isinstance(expr, cst.BinaryOperation):
        return _calls_nothing(expr.left, self_name) and _calls_nothing(expr.right, self_name)
    if isinstance(expr, cst.UnaryOperation):
        return _calls_nothing(expr.expression, self_name)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "range":
        return all(_calls_nothing(a.value, self_name) for a in expr.args)
    return builds_only_lazily(expr, self_name)
