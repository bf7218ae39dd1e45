"""Short renderings of user values for the runtime's error messages.

An error message names what is wrong in a line or two; it never prints a value whole,
since the value may be huge (``10**5000``, a million-entry list) or its `repr` may fail.

>>> short_repr("x" * 1000)
"'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx' (1000 characters)"
>>> short_repr(10**5000)
'<int of 5001 digits>'
>>> short_repr(list(range(100)))
'[0, 1, 2, 3, 4, 5, ...]'
"""

from __future__ import annotations

import functools
import reprlib
from collections.abc import Sequence
from typing import Any

__all__ = ["MAX_ITEMS", "MAX_REPR", "callable_name", "short_list", "short_repr"]

MAX_REPR = 60
"""The longest rendering of one value in a message, in characters."""

MAX_ITEMS = 4
"""How many names `short_list` shows before "and N more"."""

# An int this wide has more digits than `MAX_REPR` shows, and from 4,300 digits on
# `repr()` itself raises ValueError (CPython's integer string conversion limit).
_MAX_INT_BITS = 190


class _ShortRepr(reprlib.Repr):
    """`reprlib.Repr` with bounded containers, and wide ints described, not converted."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 6
        self.maxdict = 4
        self.maxlevel = 3
        self.maxstring = self.maxother = self.maxlong = MAX_REPR

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > _MAX_INT_BITS:
            # len(str(2**n)) is n*log10(2)+1 digits; exact enough to say how big.
            digits = int(x.bit_length() * 0.30103) + 1
            return f"<int of {digits} digits>"
        return repr(x)

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            text = repr(x)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the error
            return f"<{type(x).__name__} object>"
        return _clip(text)


_SHORT = _ShortRepr()


def short_repr(value: object) -> str:
    """Return `repr(value)` cut to about `MAX_REPR` characters; never raises.

    >>> short_repr(b"\\x00" * 500)[-15:]
    '... (500 bytes)'
    """
    try:
        text = _clip(_SHORT.repr(value))
    except Exception:  # noqa: BLE001 - e.g. a broken __repr__ inside a container
        return f"<{_clip(type(value).__name__)} object>"
    if isinstance(value, str) and len(value) > MAX_REPR:
        text += f" ({len(value)} characters)"
    elif isinstance(value, (bytes, bytearray)) and len(value) > MAX_REPR:
        text += f" ({len(value)} bytes)"
    return text


def short_list(items: Sequence[object]) -> str:
    """Join names for a message: strings as they are, cut short; the first few only.

    >>> short_list(["lcr", "x" * 100, 7, 10**9999, "cr", "ifl"])
    'lcr, xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..., 7, <int of 10000 digits> and 2 more'
    """
    shown = ", ".join(
        _clip(item) if isinstance(item, str) else short_repr(item) for item in items[:MAX_ITEMS]
    )
    if len(items) > MAX_ITEMS:
        shown += f" and {len(items) - MAX_ITEMS} more"
    return shown


def _clip(text: str) -> str:
    """Cut `text` to `MAX_REPR` characters, marking the cut with ``...``."""
    text = str.__str__(text)  # a plain str: a subclass's own methods are not called
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 3] + "..."


def callable_name(func: object) -> str:
    """Return the name a message gives `func`: its qualified name, the function a
    `functools.partial` runs, or ``Type.__call__`` for a callable object.

    >>> import functools
    >>> class Handler:
    ...     def __call__(self) -> None: ...
    >>> callable_name(functools.partial(print, "x")), callable_name(Handler())
    ('print', 'Handler.__call__')
    """
    for _ in range(100):  # a bound on the nesting of partials
        if not isinstance(func, functools.partial):
            break
        func = func.func
    name = getattr(func, "__qualname__", None)
    if isinstance(name, str):
        return name
    return f"{type(func).__qualname__}.__call__"
