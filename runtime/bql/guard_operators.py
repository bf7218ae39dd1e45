"""Operators, comparisons and conversions through a guard: they go to the borrowed value.

`guard.py` installs them on the guard classes (`install_operators`); each use makes the
checks of `_inner` (guard_base.py), so a released guard or a thread without the BQL raises.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from .errors import SharedBorrowWriteError
from .guard_base import _Guard, _inner
from .twins import located_at_holder


# Operators, comparisons and conversions go to the inner value too, so that the value bound
# by `with cell.borrow() as n:` behaves as the `T` that type checkers see: `n == 5`,
# `n + 1`, `hex(n)`, `f"{n}"`. In-place operators through a `BqlRefMut` store the result in
# the cell (`n += 1` updates a `BqlRefCell[int]`); through a `BqlRef` they raise.
_BUILTIN_CONVERSIONS = ("int", "float", "complex", "round", "hash", "str", "bytes")
# `math.trunc()`, `math.floor()`, `math.ceil()` (exact for an int too wide for a float).
_MATH = ("trunc", "floor", "ceil")
_ARITHMETIC = (
    "add",
    "sub",
    "mul",
    "matmul",
    "truediv",
    "floordiv",
    "mod",
    "divmod",
    "pow",
    "lshift",
    "rshift",
    "and",
    "or",
    "xor",
)
_BINARY = ("eq", "ne", "lt", "le", "gt", "ge", *_ARITHMETIC)
_REFLECTED = _ARITHMETIC
_UNARY = ("neg", "pos", "abs", "invert", "index", *_BUILTIN_CONVERSIONS, *_MATH)
_INPLACE = tuple(name for name in _ARITHMETIC if name != "divmod")


def _unwrap(value: Any) -> Any:
    return _inner(value, "an operand") if isinstance(value, _Guard) else value


# Operations Python spells as builtins rather than `operator.__name__` functions.
_BUILTINS: dict[str, Callable[..., Any]] = {
    "divmod": divmod,
    "int": int,
    "float": float,
    "complex": complex,
    "round": round,
    "hash": hash,
    "str": str,
    "bytes": bytes,
    "trunc": math.trunc,
    "floor": math.floor,
    "ceil": math.ceil,
}


def _op(name: str) -> Callable[..., Any]:
    return _BUILTINS.get(name) or getattr(operator, f"__{name}__")


def _binary(name: str) -> Callable[[_Guard[Any], Any], Any]:
    op = _op(name)

    def method(self: _Guard[Any], other: Any) -> Any:
        return op(_inner(self, f"`{name}`"), _unwrap(other))

    method.__name__ = f"__{name}__"
    return method


def _reflected(name: str) -> Callable[[_Guard[Any], Any], Any]:
    op = _op(name)

    def method(self: _Guard[Any], other: Any) -> Any:
        return op(_unwrap(other), _inner(self, f"`{name}`"))

    method.__name__ = f"__r{name}__"
    return method


# `pow(guard, exp, mod)`: the three-argument form passes the modulus on.
def _pow(self: _Guard[Any], other: Any, modulo: Any = None) -> Any:
    value = _inner(self, "`pow`")
    if modulo is None:
        return value**_unwrap(other)
    return pow(value, _unwrap(other), _unwrap(modulo))


def _rpow(self: _Guard[Any], other: Any, modulo: Any = None) -> Any:
    value = _inner(self, "`pow`")
    if modulo is None:
        return _unwrap(other) ** value
    return pow(_unwrap(other), value, _unwrap(modulo))


def _unary(name: str) -> Callable[..., Any]:
    op = _op(name)

    def method(self: _Guard[Any], *args: Any) -> Any:
        return op(_inner(self, f"`{name}`"), *args)

    method.__name__ = f"__{name}__"
    return method


def _inplace(name: str, writable: bool) -> Callable[[_Guard[Any], Any], Any]:
    op = getattr(operator, f"__i{name}__")

    def method(self: _Guard[Any], other: Any) -> Any:
        value = _inner(self, f"`{name}=`")
        if not writable:
            raise located_at_holder(
                SharedBorrowWriteError(
                    "cannot modify the value in place through a shared borrow(); use borrow_mut()"
                ),
                "BQL004",
                self,
            )
        cell = self._cell
        assert cell is not None
        cell._value = op(value, _unwrap(other))
        return self

    method.__name__ = f"__i{name}__"
    return method


def _format(self: _Guard[Any], spec: str) -> str:
    return format(_inner(self, "format()"), spec)


def install_operators(shared: type[_Guard[Any]], exclusive: type[_Guard[Any]]) -> None:
    """Install the operators on `_Guard`, and the in-place ones on each kind of guard."""
    for name in _BINARY:
        setattr(_Guard, f"__{name}__", _binary(name))
    for name in _REFLECTED:
        setattr(_Guard, f"__r{name}__", _reflected(name))
    for name in _UNARY:
        setattr(_Guard, f"__{name}__", _unary(name))
    setattr(_Guard, "__pow__", _pow)
    setattr(_Guard, "__rpow__", _rpow)
    _Guard.__format__ = _format  # type: ignore[method-assign,assignment]
    for name in _INPLACE:
        setattr(shared, f"__i{name}__", _inplace(name, writable=False))
        setattr(exclusive, f"__i{name}__", _inplace(name, writable=True))
