"""Read-only views of the objects a shared guard reaches (`regs.sub`, `regs.reset`).

SPEC §2.2: writing through a `BqlRef` raises, and bqlint's BQL004 counts a write at any
depth (`g.sub.x = 1`) and a call through the guard of a method that mutates its `self`
(`g.reset()`). So an instance of a user-defined class read through a shared guard, or
through a view, is itself a view: reads pass (and are views again), attribute and item
writes raise the BQL004 twin. A method read through a shared guard is bound to a view of
its object, so its own `self.x = ...` raises before anything is written, at the call in
the function holding the guard (where bqlint reports it); its reads and calls to other
methods go through the view. Built-in containers have their own views (`guard_views`);
scalars and immutable values (numbers, strings, bytes, tuples, enums, named tuples),
classes, functions, modules, the runtime's own objects (cells, devices) and objects of
standard-library classes are read as they are.

>>> import bql
>>> class Counter:
...     def __init__(self) -> None:
...         self.n = 0
...     def peek(self) -> int:
...         return self.n
...     def poke(self) -> None:
...         self.n += 1
>>> class Regs:
...     def __init__(self) -> None:
...         self.sub = Counter()
>>> bql.lock()
>>> cell = bql.BqlRefCell(Regs())
>>> with cell.borrow() as regs:
...     regs.sub.peek(), isinstance(regs.sub, Counter), regs.sub == regs.sub
(0, True, True)
>>> with cell.borrow() as regs:
...     regs.sub.poke()
Traceback (most recent call last):
...
bql.errors.SharedBorrowWriteError: cannot set .n through a shared borrow(); use borrow_mut()
>>> cell.borrow().sub.n  # nothing was written
0
>>> with cell.borrow_mut() as regs:  # an exclusive borrow writes
...     regs.sub.poke()
>>> bql.unlock()

A view answers `isinstance`, `==`, `hash`, `repr`, `len`, iteration and the operators as
its object does, and `copy.copy`, `copy.deepcopy` and `pickle` give copies of the object
itself (the reader's own); `dataclasses.fields`/`asdict`/`astuple`/`replace` work on a view
of a dataclass. What it cannot keep is identity: `regs.sub is sub` is false, and
`type(regs.sub)` is the view's class (`ObjectView[Counter]`), not `Counter`; code that needs
the object itself borrows with `borrow_mut()`. `dataclasses.replace(view)` is shallow, as
always: its unchanged mutable fields are the views. Iterating a view yields the object's
own items, and a property read through a guard runs its getter on a view too.
"""

from __future__ import annotations

import copy
import operator
import sys
import threading
import types
from collections.abc import Callable
from enum import Enum
from typing import Any

from .guard_views import SCALARS, item_of, read_only, refuse

__all__ = ["ObjectView", "bind_to_view", "read_attribute", "view_object"]

# Classes whose instances are read as they are: immutable, or classes and modules.
_AS_THEY_ARE = (int, float, complex, str, bytes, tuple, frozenset, range, type, Enum, BaseException, types.ModuleType)
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a `class` statement, not a C builtin
# A class made by `exec` without a `__name__` in its globals says "builtins": not stdlib.
_STDLIB = frozenset(sys.stdlib_module_names) - {"builtins"}
# One view class per class read through a shared guard; cleared past the bound, so classes
# made in a loop do not pile up (a cleared one is made again on its next read).
_VIEW_CLASSES: dict[type[Any], type[ObjectView] | None] = {}
_MAX_VIEW_CLASSES = 4096
_UNKNOWN: Any = object()
# Per class read through a shared guard, per name read: the getter of its property, or None.
_PROPERTIES: dict[type[Any], dict[str, Any]] = {}
# The AttributeError (a refusal is one) a view's property raised last, per thread: Python
# then calls `__getattr__`, which raises it again instead of reading a second time.
_FAILED = threading.local()


class ObjectView:
    """An object seen through a shared guard: reads pass, writes raise the BQL004 twin.

    Each class read gets its own subclass (`_make_view_class`), with the class's dataclass
    fields, the operators it supports, and a property per attribute read so far.
    """

    __slots__ = ("_bql_target", "_bql_guard")

    _bql_target: Any
    _bql_guard: object

    @property  # type: ignore[misc]
    def __class__(self) -> type[Any]:  # noqa: D105 - `isinstance` and `super()` see the object's class
        return type(self._bql_target)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_bql_"):  # a view whose slots are not set yet: no recursion
            raise AttributeError(name)
        failed = getattr(_FAILED, "error", None)
        if failed is not None and failed[0] is self and failed[1] == name:
            _FAILED.error = None
            raise failed[2]
        target = self._bql_target
        if name == "__dict__":  # `vars(view)`: the object's attributes, read-only
            return types.MappingProxyType(target.__dict__)  # AttributeError without one
        if not name.startswith("__"):
            _learn(type(self), type(target), name)
            if name in type(self).__dict__:
                return object.__getattribute__(self, name)
        return read_only(getattr(target, name), self._bql_guard, target)

    def __setattr__(self, name: str, value: Any) -> None:
        raise refuse(f"set .{name}", self._bql_guard)

    def __delattr__(self, name: str) -> None:
        raise refuse(f"delete .{name}", self._bql_guard)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise refuse("set an item", self._bql_guard)

    def __delitem__(self, key: Any) -> None:
        raise refuse("delete an item", self._bql_guard)

    def __dir__(self) -> list[str]:
        return dir(self._bql_target)

    def __repr__(self) -> str:
        return repr(self._bql_target)

    def __str__(self) -> str:
        return str(self._bql_target)

    def __format__(self, spec: str) -> str:
        return format(self._bql_target, spec)

    def __bool__(self) -> bool:
        return bool(self._bql_target)

    def __hash__(self) -> int:
        return hash(self._bql_target)

    def __eq__(self, other: object) -> bool:
        return bool(self._bql_target == unwrap(other))

    def __ne__(self, other: object) -> bool:
        return bool(self._bql_target != unwrap(other))

    def __lt__(self, other: object) -> bool:
        return bool(self._bql_target < unwrap(other))

    def __le__(self, other: object) -> bool:
        return bool(self._bql_target <= unwrap(other))

    def __gt__(self, other: object) -> bool:
        return bool(self._bql_target > unwrap(other))

    def __ge__(self, other: object) -> bool:
        return bool(self._bql_target >= unwrap(other))

    def __copy__(self) -> Any:
        return copy.copy(self._bql_target)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy.deepcopy(self._bql_target, memo)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Pickled as the object itself: its own reduction names its class.
        return self._bql_target.__reduce_ex__(protocol)


_set_target: Callable[[ObjectView, Any], None] = vars(ObjectView)["_bql_target"].__set__
_set_guard: Callable[[ObjectView, object], None] = vars(ObjectView)["_bql_guard"].__set__
_new = object.__new__
_MethodType = types.MethodType
_FunctionType = types.FunctionType


def unwrap(value: object) -> object:
    """Return the object behind an object view, or `value` itself."""
    return value._bql_target if isinstance(value, ObjectView) else value


def view_object(value: Any, guard: object, owner: object = None) -> Any:
    """Return `value` as read through the shared `guard` from `owner`: a view of an object
    of a user-defined class, a method of `owner` bound to a view of it, else `value`."""
    if type(value) is _MethodType:
        return bind_to_view(value, guard, owner)
    view = _view(value, guard)
    return value if view is None else view


def read_attribute(owner: Any, name: str, guard: object) -> Any:
    """Return `owner.name` as read through the shared `guard`: a property's getter runs on a
    view of `owner`, so a getter that writes its `self` raises the BQL004 twin as a method
    would (SPEC §3.1.2: a property read is a call to its getter)."""
    names = _PROPERTIES.get(type(owner))
    if names is None:
        if len(_PROPERTIES) >= _MAX_VIEW_CLASSES:
            _PROPERTIES.clear()
        names = _PROPERTIES[type(owner)] = {}
    getter = names.get(name, _UNKNOWN)
    if getter is _UNKNOWN:  # looked up once per class and name: a miss on the class is slow
        found = getattr(type(owner), name, None)
        getter = names[name] = found.fget if type(found) is property else None
    if getter is not None:
        view = _view(owner, guard)
        if view is not None:
            return getter(view)
    return getattr(owner, name)


def bind_to_view(method: Any, guard: object, owner: object) -> Any:
    """Return `method`, read through the shared `guard` from `owner`, bound to a view of
    `owner` when it is a plain method of it (`regs.reset`), else `method` itself."""
    if method.__self__ is not owner or owner is None or type(method.__func__) is not _FunctionType:
        return method
    view = _view(owner, guard)
    return method if view is None else _MethodType(method.__func__, view)


def _view(value: Any, guard: object) -> ObjectView | None:
    """Return a view of `value` read through `guard`, None when its class is read as it is."""
    kind = type(value)
    view_class = _VIEW_CLASSES.get(kind, _UNKNOWN)
    if view_class is _UNKNOWN:
        view_class = _view_class(kind)
    if view_class is None:
        return None
    view = _new(view_class)
    _set_target(view, value)
    _set_guard(view, guard)
    return view  # type: ignore[no-any-return]


def _view_class(cls: type[Any]) -> type[ObjectView] | None:
    """Return the view class for instances of `cls`, None when they are read as they are."""
    view_class = _make_view_class(cls) if is_viewed(cls) else None
    if len(_VIEW_CLASSES) >= _MAX_VIEW_CLASSES:
        _VIEW_CLASSES.clear()
    _VIEW_CLASSES[cls] = view_class
    return view_class


def is_viewed(cls: type[Any]) -> bool:
    """Whether instances of `cls` are read through a shared guard as views.

    Those of user-defined classes (and `types.SimpleNamespace`) are; immutable values,
    classes, C types, the runtime's own classes (a cell or device keeps its own checks)
    and standard-library classes (a lock, a logger) are not.
    """
    if issubclass(cls, types.SimpleNamespace):
        return True
    if not cls.__flags__ & _HEAP_TYPE or issubclass(cls, _AS_THEY_ARE):
        return False
    if cls.__module__.partition(".")[0] in _STDLIB:
        return False
    return not any(_is_runtime_class(klass) for klass in cls.__mro__)


def _is_runtime_class(cls: type[Any]) -> bool:
    """Whether `cls` is one of the `bql` runtime's own classes (not one a doctest made)."""
    module = sys.modules.get(cls.__module__)
    return cls.__module__.partition(".")[0] == "bql" and getattr(module, cls.__name__, None) is cls


def _make_view_class(cls: type[Any]) -> type[ObjectView]:
    """Make the view class of `cls`: its dataclass fields, its operators, its fields."""
    namespace: dict[str, Any] = {
        "__slots__": (),
        "__module__": __name__,
        "__qualname__": f"ObjectView[{cls.__qualname__}]",
        "__doc__": ObjectView.__doc__,
    }
    for name in ("__dataclass_fields__", "__dataclass_params__", "__match_args__"):
        if hasattr(cls, name):
            namespace[name] = getattr(cls, name)
    if getattr(cls, "__hash__", None) is None:
        namespace["__hash__"] = None
    for name, make in _OPTIONAL.items():
        if _class_attr(cls, name) not in (_UNKNOWN, None):
            namespace[name] = make(name)
    call = _class_attr(cls, "__call__")
    if isinstance(call, types.FunctionType):
        namespace["__call__"] = call  # called on the view, as a method is
    elif call not in (_UNKNOWN, None):
        namespace["__call__"] = _forward("__call__")
    for name in _field_names(cls):
        if not name.startswith("_bql_"):  # the view's own slots
            namespace.setdefault(name, property(_reader(name)))
    view_class: type[ObjectView] = type(f"ObjectView[{cls.__name__}]", (ObjectView,), namespace)
    # The view's own (empty) `__slots__` made its layout; a read of `view.__slots__` is the object's.
    view_class.__slots__ = property(_reader("__slots__"))  # type: ignore[assignment]
    return view_class


def _class_attr(cls: type[Any], name: str) -> Any:
    """Return what the class `cls` (not `object`, not its metaclass) defines as `name`."""
    for klass in cls.__mro__[:-1]:
        if name in vars(klass):
            return vars(klass)[name]
    return _UNKNOWN


def _field_names(cls: type[Any]) -> list[str]:
    """Return the names of `cls`'s slots and dataclass fields (read by most methods)."""
    names = [
        name
        for klass in cls.__mro__
        for name, member in vars(klass).items()
        if isinstance(member, types.MemberDescriptorType) and not name.startswith("__")
    ]
    names += [name for name in getattr(cls, "__dataclass_fields__", {}) if not name.startswith("__")]
    return names


def _learn(view_class: type[ObjectView], cls: type[Any], name: str) -> None:
    """Put on `view_class` what reading `name` needs, so the next read skips `__getattr__`.

    A plain method of a class whose instances have no `__dict__` (nothing can shadow it) goes
    on as it is: called on the view, as any method. A property goes on as a property whose
    getter runs on the view. Anything else gets a property reading the object's attribute.
    """
    if name in view_class.__dict__ or name in ObjectView.__dict__:
        return
    found = _class_attr(cls, name)
    if isinstance(found, types.FunctionType) and cls.__dictoffset__ == 0:
        setattr(view_class, name, found)
    elif isinstance(found, property):
        setattr(view_class, name, property(_getter(found, name)))
    else:
        setattr(view_class, name, property(_reader(name)))


def _reader(name: str) -> Callable[[ObjectView], Any]:
    """Return the getter of a view's property that reads the object's attribute `name`."""
    read = operator.attrgetter(name)

    def get(view: ObjectView) -> Any:
        target = view._bql_target
        value = read(target)
        if type(value) in SCALARS:
            return value
        return read_only(value, view._bql_guard, target)

    get.__name__ = name
    return get


def _getter(prop: property, name: str) -> Callable[[ObjectView], Any]:
    """Return a getter that runs the property `prop`'s own getter on the view."""
    fget = prop.fget

    def get(view: ObjectView) -> Any:
        if fget is None:
            raise AttributeError(f"property {name!r} has no getter")
        try:
            return fget(view)
        except AttributeError as error:  # Python goes on to `__getattr__`: raise it there
            _FAILED.error = (view, name, error)
            raise

    get.__name__ = name
    return get


def _forward(name: str) -> Callable[..., Any]:
    """Return a method that calls the object's own `name` (a reading protocol method)."""

    def method(self: ObjectView, *args: Any) -> Any:
        return getattr(self._bql_target, name)(*map(unwrap, args))

    method.__name__ = name
    return method


def _item(name: str) -> Callable[[ObjectView, Any], Any]:
    def __getitem__(self: ObjectView, key: Any) -> Any:
        return item_of(self._bql_target, key, self._bql_guard)

    return __getitem__


def _binary(name: str) -> Callable[..., Any]:
    op = divmod if name == "__divmod__" else getattr(operator, name)
    if name == "__pow__":  # `pow(view, exp, mod)` passes the modulus on
        op = pow

    def method(self: ObjectView, other: Any, *modulo: Any) -> Any:
        return op(self._bql_target, unwrap(other), *map(unwrap, modulo))

    method.__name__ = name
    return method


def _reflected(name: str) -> Callable[..., Any]:
    plain = f"__{name[3:]}"
    op = divmod if plain == "__divmod__" else getattr(operator, plain)
    if plain == "__pow__":
        op = pow

    def method(self: ObjectView, other: Any, *modulo: Any) -> Any:
        return op(unwrap(other), self._bql_target, *map(unwrap, modulo))

    method.__name__ = name
    return method


def _in_place(name: str) -> Callable[[ObjectView, Any], Any]:
    def method(self: ObjectView, other: Any) -> Any:
        raise refuse("modify a value in place", self._bql_guard)

    method.__name__ = name
    return method


_ARITHMETIC = "add sub mul matmul truediv floordiv mod pow lshift rshift and or xor".split()
# The protocol methods a view gets when its object's class has them.
_OPTIONAL: dict[str, Callable[[str], Callable[..., Any]]] = {
    **dict.fromkeys(
        "__len__ __iter__ __reversed__ __contains__ __next__ __int__ __index__ __float__ "
        "__complex__ __abs__ __neg__ __pos__ __invert__ __round__ __trunc__ __floor__ __ceil__ "
        "__bytes__ __fspath__ __enter__ __exit__ __length_hint__".split(),
        _forward,
    ),
    "__getitem__": _item,
    "__divmod__": _binary,
    "__rdivmod__": _reflected,
    **{f"__{name}__": _binary for name in _ARITHMETIC},
    **{f"__r{name}__": _reflected for name in _ARITHMETIC},
    **{f"__i{name}__": _in_place for name in _ARITHMETIC},
}
