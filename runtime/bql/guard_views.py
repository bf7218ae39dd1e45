"""Read-only views of the built-in containers a shared guard reaches (`regs.fifo`).

SPEC §2.2: writing through a `BqlRef` raises. A field of the inner value that is a list,
dict, set, bytearray, deque, `array.array` or memoryview is read through a shared guard as
a view: every read works (indexing, iteration, `len`, `in`, comparison, `copy()`,
`count()`, `get()`, ...), and every in-place change (`regs.fifo[0] = 1`,
`regs.fifo.append(x)`, `regs.flags.update(...)`, `regs.fifo += [1]`) raises the BQL004
twin. What a read hands out of a list, dict or deque (an item, iterating, `get()`,
`values()`, `items()`, and the items of a slice or `copy()`) is read-only again: a
shallow copy is the reader's own, the lists inside it are still the cell's. A view is
not a `list`: code that needs one copies it (`list(regs.fifo)`), as it must anyway to
keep the values after the borrow ends.

>>> import bql
>>> class Regs:
...     def __init__(self) -> None:
...         self.fifo = [1, 2]
>>> bql.lock()
>>> with bql.BqlRefCell(Regs()).borrow() as regs:
...     regs.fifo == [1, 2], len(regs.fifo), list(regs.fifo)
...     regs.fifo.append(3)
Traceback (most recent call last):
...
bql.errors.SharedBorrowWriteError: cannot call .append() through a shared borrow(); use borrow_mut()
>>> bql.unlock()
"""

from __future__ import annotations

import array
import copy
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import SharedBorrowWriteError
from .twins import located_at_holder

# The methods of the built-in containers that change them in place: bqlint's BQL001/BQL004
# mutators, those of `array.array`, and those of the `collections` dicts (`OrderedDict`,
# `Counter`, `defaultdict`, whose `__missing__` inserts the key).
CONTAINER_MUTATORS = frozenset(
    "append extend insert pop popleft appendleft extendleft remove clear sort reverse rotate "
    "update setdefault popitem add discard intersection_update difference_update "
    "symmetric_difference_update byteswap frombytes fromfile fromlist fromunicode "
    "move_to_end subtract __missing__".split()
)
_CONTAINERS = (list, dict, set, bytearray, deque, array.array, memoryview)
# The containers whose items may be mutable (the others hold numbers, bytes or hashables).
_NESTING = (list, dict, deque)
# Values read as they are without a closer look (most register reads are ints).
SCALARS = frozenset({int, bool, float, str, bytes, tuple, type(None)})


def refuse(what: str, guard: object) -> SharedBorrowWriteError:
    """Return the BQL004 twin for `what` done through a shared guard."""
    return located_at_holder(
        SharedBorrowWriteError(f"cannot {what} through a shared borrow(); use borrow_mut()"), "BQL004", guard
    )


def refuse_mutator(name: str, value: object, guard: object) -> None:
    """Raise the BQL004 twin when `name`, read through a shared guard of `value`, is an
    in-place method of a built-in container (`cell.borrow().append(x)`)."""
    if name in CONTAINER_MUTATORS and isinstance(value, _CONTAINERS):
        raise refuse(f"call .{name}()", guard)


def read_only(value: Any, guard: object, owner: object = None) -> Any:
    """Return `value` as read through a shared guard (from `owner`, when an attribute):
    a read-only view of a built-in container or of an object (`guard_objects`), a method
    of `owner` bound to a view of it, or `value` itself."""
    if type(value) in SCALARS:
        return value
    if isinstance(value, _CONTAINERS):
        if type(value) is memoryview:  # `cast()` would give a writable one back
            value = value.toreadonly()
        return ReadOnlyView(value, guard)
    return view_object(value, guard, owner)


def item_of(container: Any, key: Any, guard: object) -> Any:
    """Return `container[key]` as read through a shared guard: a slice is a new container
    (the reader's own, its items read-only), an item is read-only when it is a container.

    A `defaultdict` inserts a missing key when it is read: that is a write, and raises the
    BQL004 twin. Another dict's `__missing__` (a `Counter`'s 0) runs on a copy of it, so
    that nothing it does reaches the cell."""
    if isinstance(key, slice):
        return shallow(container[key], guard)
    if isinstance(container, dict) and type(container) is not dict and key not in container:
        if isinstance(container, defaultdict) and container.default_factory is not None:
            raise refuse("read a missing key of a defaultdict (it inserts it)", guard)
        return read_only(copy.copy(container)[key], guard)
    return read_only(container[key], guard)


def shallow(container: Any, guard: object) -> Any:
    """Return a new container, the reader's own, holding read-only views of the items of
    `container` (a copy or slice of a container read through a shared guard)."""
    if isinstance(container, list):
        return [read_only(item, guard) for item in container]
    if isinstance(container, dict):
        return {key: read_only(item, guard) for key, item in container.items()}
    if isinstance(container, deque):
        return deque((read_only(item, guard) for item in container), container.maxlen)
    return container


def read_items(items: Iterable[Any], guard: object) -> Iterator[Any]:
    """Yield `items` as read through a shared guard."""
    for item in items:
        yield read_only(item, guard)


def _reading(method: Callable[..., Any], name: str, guard: object) -> Callable[..., Any]:
    """Wrap a read method of a list, dict or deque so that what it returns is read-only."""

    def read(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        if name == "copy":
            return shallow(result, guard)
        if name == "values":
            return list(read_items(result, guard))
        if name == "items":
            return [(key, read_only(item, guard)) for key, item in result]
        return read_only(result, guard)  # get

    return read


_WRAPPED_READS = frozenset({"copy", "get", "items", "values"})


class ReadOnlyView:
    """A built-in container seen through a shared guard: reads pass, changes raise."""

    __slots__ = ("_target", "_guard")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, target: Any, guard: object) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_guard", guard)

    def __getattr__(self, name: str) -> Any:
        target = self._target
        refuse_mutator(name, target, self._guard)
        if name in _WRAPPED_READS and isinstance(target, _NESTING):
            return _reading(getattr(target, name), name, self._guard)
        return getattr(target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise refuse(f"set .{name}", self._guard)

    def __getitem__(self, key: Any) -> Any:
        return item_of(self._target, key, self._guard)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise refuse("set an item", self._guard)

    def __delitem__(self, key: Any) -> None:
        raise refuse("delete an item", self._guard)

    def __len__(self) -> int:
        return len(self._target)

    def __iter__(self) -> Iterator[Any]:
        target = self._target
        if isinstance(target, (list, deque)):  # a dict yields its keys, hashable
            return read_items(target, self._guard)
        return iter(target)

    def __reversed__(self) -> Iterator[Any]:
        target: Any = self._target
        if isinstance(target, (list, deque)):
            return read_items(reversed(target), self._guard)
        return iter(reversed(target))

    def __contains__(self, item: object) -> bool:
        return item in self._target

    def __bool__(self) -> bool:
        return bool(self._target)

    def __repr__(self) -> str:
        return repr(self._target)

    def __bytes__(self) -> bytes:
        return bytes(self._target)

    def __eq__(self, other: object) -> bool:
        return bool(self._target == _unwrap(other))

    def __ne__(self, other: object) -> bool:
        return bool(self._target != _unwrap(other))

    def __lt__(self, other: object) -> bool:
        return bool(self._target < _unwrap(other))

    def __le__(self, other: object) -> bool:
        return bool(self._target <= _unwrap(other))

    def __gt__(self, other: object) -> bool:
        return bool(self._target > _unwrap(other))

    def __ge__(self, other: object) -> bool:
        return bool(self._target >= _unwrap(other))

    # A new container, with the cell's items read-only (`shallow`) and the other's as they are.
    def __add__(self, other: object) -> Any:
        return shallow(self._target, self._guard) + _unwrap(other)

    def __radd__(self, other: object) -> Any:
        return _unwrap(other) + shallow(self._target, self._guard)

    def __mul__(self, count: int) -> Any:
        return shallow(self._target, self._guard) * count

    def __or__(self, other: object) -> Any:
        return shallow(self._target, self._guard) | _unwrap(other)

    def __and__(self, other: object) -> Any:
        return self._target & _unwrap(other)

    def __sub__(self, other: object) -> Any:
        return self._target - _unwrap(other)

    def __iadd__(self, other: object) -> Any:
        raise refuse("modify a value in place", self._guard)

    __imul__ = __ior__ = __iand__ = __isub__ = __ixor__ = __iadd__

    def __copy__(self) -> Any:
        return shallow(copy.copy(self._target), self._guard)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickling or deep-copying a view gives the plain container.
        return (_plain, (self._target,))


def _plain(value: Any) -> Any:
    return value


def _unwrap(value: object) -> object:
    return value._target if isinstance(value, ReadOnlyView) else value


# Objects get their views from `guard_objects`, which builds on this module (so it is
# imported here, last, and reached through this module).
from .guard_objects import bind_to_view, read_attribute, view_object  # noqa: E402

__all__ = [
    "CONTAINER_MUTATORS", "SCALARS", "ReadOnlyView", "bind_to_view", "item_of", "read_attribute",
    "read_items", "read_only", "refuse", "refuse_mutator", "shallow",
]  # fmt: skip
