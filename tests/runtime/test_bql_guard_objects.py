"""Objects reached through a shared guard are read-only views (bql.guard_objects): nested
writes and methods that write their `self` raise the BQL004 twin, reads behave as the object."""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import math
import pickle
import sys
import types
from typing import Any, NamedTuple

import bql
import pytest
from bql.errors import SharedBorrowWriteError


def here() -> int:
    """Return the caller's line number."""
    return sys._getframe(1).f_lineno


class Leaf:
    def __init__(self) -> None:
        self.y = 0
        self.items = [1, 2]


class Sub:
    def __init__(self) -> None:
        self.x = 0
        self.leaf = Leaf()

    def bump(self) -> None:
        self.x += 1


class Base:
    def __init__(self) -> None:
        self.n = 0
        self.fifo = [0, 0]
        self.sub = Sub()

    def describe(self) -> str:
        return f"n={self.n}"

    def clear(self) -> None:
        self.n = 0


class Regs(Base):
    def peek(self) -> int:
        return self.n + self.total()

    def total(self) -> int:
        return sum(self.fifo)

    def poke(self) -> None:
        self.n = 1

    def push(self, value: int) -> None:
        self.fifo.append(value)

    def nudge_sub(self) -> None:
        self.sub.x = 5

    def bump_sub(self) -> None:
        self.sub.bump()

    def forget(self) -> None:
        del self.n

    def describe(self) -> str:
        return "regs " + super().describe()

    def reset(self) -> None:
        super().clear()

    @property
    def doubled(self) -> int:
        return self.n * 2

    @property
    def cached(self) -> int:
        self.n = 7
        return self.n

    @doubled.setter
    def doubled(self, value: int) -> None:
        self.n = value // 2


def poke_through(guard: Any) -> None:
    guard.poke()


@pytest.fixture
def cell(bql_held: None) -> bql.BqlRefCell[Regs]:
    return bql.BqlRefCell(Regs())


@pytest.mark.parametrize(
    "write",
    [
        lambda g: setattr(g.sub, "x", 1),
        lambda g: delattr(g.sub, "x"),
        lambda g: setattr(g.sub.leaf, "y", 1),
        lambda g: g.sub.leaf.items.append(3),
        lambda g: g.sub.leaf.items.__setitem__(0, 9),
        lambda g: g.sub.__setitem__("k", 1),
    ],
    ids=["depth-1", "del-depth-1", "depth-2", "append-depth-2", "item-depth-2", "item-on-object"],
)
def test_a_write_at_any_depth_through_a_shared_borrow_raises_and_writes_nothing(cell, write):
    with cell.borrow() as g, pytest.raises(SharedBorrowWriteError) as info:
        write(g)
    assert (info.value.rule, info.value.row) == ("BQL004", here() - 1)
    value = cell.borrow().value
    assert (value.sub.x, value.sub.leaf.y, value.sub.leaf.items) == (0, 0, [1, 2])


def test_a_nested_write_statement_is_reported_at_its_own_row(cell):
    with cell.borrow() as g:
        with pytest.raises(bql.BorrowError) as info:
            g.sub.leaf.y = 5
        assert (info.value.rule, info.value.row) == ("BQL004", here() - 1)
    assert cell.borrow().sub.leaf.y == 0


@pytest.mark.parametrize("method", ["poke", "push", "nudge_sub", "bump_sub", "forget", "reset"])
def test_a_method_that_mutates_its_self_raises_before_writing(cell, method):
    with cell.borrow() as g, pytest.raises(SharedBorrowWriteError) as info:
        getattr(g, method)(3) if method == "push" else getattr(g, method)()
    # bqlint reports the call through the guard, in the function holding it.
    assert (info.value.rule, info.value.row) == ("BQL004", here() - 2)
    value = cell.borrow().value
    assert (value.n, value.fifo, value.sub.x) == (0, [0, 0], 0)


def test_a_mutating_method_called_in_a_helper_is_reported_where_the_guard_is_held(cell):
    with cell.borrow() as g:
        with pytest.raises(SharedBorrowWriteError) as info:
            poke_through(g)
        assert (info.value.rule, info.value.row) == ("BQL004", here() - 1)
    assert cell.borrow().n == 0


def test_methods_that_only_read_work_and_call_each_other(cell):
    with cell.borrow_mut() as g:
        g.n = 2
        g.fifo[0] = 3
    with cell.borrow() as g:
        assert g.peek() == 5 and g.total() == 3 and g.describe() == "regs n=2"
        assert g.doubled == 4 and g.sub.leaf.items == [1, 2]


def test_super_inside_a_method_called_through_a_shared_borrow(cell):
    with cell.borrow() as g:
        assert g.describe() == "regs n=0"  # zero-argument super() on the view
        with pytest.raises(SharedBorrowWriteError):
            g.reset()  # super().clear() writes self.n


def test_a_property_of_a_nested_object_runs_on_the_view(bql_held):
    holder = types.SimpleNamespace(regs=Regs())
    cell = bql.BqlRefCell(holder)
    raised: list[str] = []
    stop = bql.twins.on_twin(lambda error, frame: raised.append(error.rule))
    with cell.borrow() as g:
        assert g.regs.doubled == 0
        with pytest.raises(SharedBorrowWriteError):
            g.regs.cached  # its getter writes self.n
        assert raised == ["BQL004"]  # raised once: the getter did not run a second time
        with pytest.raises(SharedBorrowWriteError):
            g.regs.doubled = 4  # a property setter is a write
    stop()
    assert holder.regs.n == 0


def test_borrow_mut_writes_at_any_depth_and_through_methods(cell):
    with cell.borrow_mut() as g:
        g.sub.x = 1
        g.sub.leaf.items.append(3)
        g.poke()
        g.bump_sub()
        assert type(g.sub) is Sub
    value = cell.borrow().value
    assert (value.n, value.sub.x, value.sub.leaf.items) == (1, 2, [1, 2, 3])


def test_a_view_is_an_instance_of_its_class_but_not_the_object(cell):
    sub = cell.borrow().value.sub
    with cell.borrow() as g:
        assert isinstance(g.sub, Sub) and g.sub.__class__ is Sub
        assert g.sub is not sub and type(g.sub) is not Sub  # identity is not kept
        assert g.sub == sub and sub == g.sub and not g.sub != sub
        assert hash(g.sub) == hash(sub)
        assert {sub: "found"}[g.sub] == "found" and {g.sub: 1}[sub] == 1
        assert repr(g.sub) == repr(sub) and str(g.sub) == str(sub)
        assert vars(g.sub)["x"] == 0 and "leaf" in dir(g.sub)
        with pytest.raises(TypeError):
            vars(g.sub)["x"] = 1  # vars() of a view is read-only


def test_copies_of_a_view_are_the_readers_own(cell):
    with cell.borrow() as g:
        shallow, deep = copy.copy(g.sub), copy.deepcopy(g.sub)
        loaded = pickle.loads(pickle.dumps(g.sub))
    for value in (shallow, deep, loaded):
        assert type(value) is Sub and value.x == 0
        value.x = 9
    deep.leaf.items.append(3)
    loaded.leaf.items.append(3)
    assert cell.borrow().sub.x == 0 and cell.borrow().sub.leaf.items == [1, 2]


@dataclasses.dataclass
class Point:
    x: int = 0
    tags: list[str] = dataclasses.field(default_factory=lambda: ["a"])


@dataclasses.dataclass(frozen=True)
class Frozen:
    x: int = 1
    name: str = "f"


@dataclasses.dataclass
class Board:
    point: Point = dataclasses.field(default_factory=Point)
    frozen: Frozen = dataclasses.field(default_factory=Frozen)


def test_dataclass_functions_work_on_a_view(bql_held):
    cell = bql.BqlRefCell(Board())
    with cell.borrow() as g:
        assert dataclasses.is_dataclass(g.point)
        assert [f.name for f in dataclasses.fields(g.point)] == ["x", "tags"]
        assert dataclasses.asdict(g.point) == {"x": 0, "tags": ["a"]}
        assert dataclasses.astuple(g.point) == (0, ["a"])
        moved = dataclasses.replace(g.point, x=5)
        assert type(moved) is Point and moved.x == 5 and moved.tags == ["a"]
        assert g.point == Point() and Point() == g.point
        with pytest.raises(SharedBorrowWriteError):
            g.point.x = 1
        with pytest.raises(SharedBorrowWriteError):
            g.point.tags.append("b")
    assert cell.borrow().point == Point()


def test_a_frozen_dataclass_reads_hashes_and_refuses_writes_as_bql004(bql_held):
    cell = bql.BqlRefCell(Board())
    with cell.borrow() as g:
        assert g.frozen.x == 1 and g.frozen == Frozen() and hash(g.frozen) == hash(Frozen())
        assert {Frozen(): "key"}[g.frozen] == "key"
        assert dataclasses.replace(g.frozen, x=2) == Frozen(x=2)
        with pytest.raises(SharedBorrowWriteError) as info:
            g.frozen.x = 3
        assert info.value.rule == "BQL004"


class Slotted:
    __slots__ = ("a", "inner")

    def __init__(self) -> None:
        self.a = 1
        self.inner = Leaf()

    def grow(self) -> None:
        self.a += 1

    def read(self) -> int:
        return self.a + self.inner.y


def test_a_slots_class_is_read_through_a_view(bql_held):
    cell = bql.BqlRefCell(types.SimpleNamespace(s=Slotted()))
    for _ in range(2):  # the first read of each name, then the learned one
        with cell.borrow() as g:
            assert g.s.a == 1 and g.s.read() == 1 and isinstance(g.s, Slotted)
            assert not hasattr(g.s, "__dict__")
            with pytest.raises(SharedBorrowWriteError):
                g.s.grow()
            with pytest.raises(SharedBorrowWriteError):
                g.s.inner.y = 2
    assert (cell.borrow().s.a, cell.borrow().s.inner.y) == (1, 0)


def test_a_view_reads_the_objects_own_slots_names(bql_held):
    # A method that walks `self.__slots__` (a functional update, a dump) sees the object's.
    cell = bql.BqlRefCell(types.SimpleNamespace(s=Slotted(), n=Leaf()))
    with cell.borrow() as g:
        assert g.s.__slots__ == ("a", "inner")
        assert [getattr(g.s, name) is not None for name in g.s.__slots__] == [True, True]
        assert not hasattr(g.n, "__slots__")


class Mode(enum.Enum):
    OFF = 0


class Flags(enum.IntFlag):
    A = 1


class Pair(NamedTuple):
    a: int
    b: int


class Plain:
    pass


def test_immutable_values_classes_functions_and_modules_are_read_as_they_are(bql_held):
    values = dict(
        mode=Mode.OFF, flags=Flags.A, pair=Pair(1, 2), text="s", raw=b"b", num=1.5, none=None,
        frozen=frozenset({1}), cls=Plain, fn=len, module=math, part=functools.partial(int, "1"),
    )
    cell = bql.BqlRefCell(types.SimpleNamespace(**values))
    with cell.borrow() as g:
        for name, value in values.items():
            assert getattr(g, name) is value, name


def test_cells_and_devices_inside_the_value_keep_their_own_checks(bql_held):
    counter = bql.BqlCell(0)
    cell = bql.BqlRefCell(types.SimpleNamespace(counter=counter))
    with cell.borrow() as g:
        assert g.counter is counter
        g.counter.set(1)  # a cell is interior-mutable: no view around it
    assert counter.get() == 1


def test_operators_and_conversions_go_to_the_object(bql_held):
    class Num:
        def __init__(self, v: int) -> None:
            self.v = v

        def __add__(self, other: Any) -> int:
            return self.v + (other.v if isinstance(other, Num) else other)

        def __radd__(self, other: Any) -> int:
            return other + self.v

        def __lt__(self, other: Any) -> bool:
            return bool(self.v < other.v)

        def __int__(self) -> int:
            return self.v

        def __len__(self) -> int:
            return self.v

        def __iter__(self) -> Any:
            return iter(range(self.v))

        def __iadd__(self, other: Any) -> Num:
            self.v += other
            return self

    cell = bql.BqlRefCell(types.SimpleNamespace(a=Num(2), b=Num(3)))
    with cell.borrow() as g:
        assert g.a + 1 == 3 and 1 + g.a == 3 and g.a + g.b == 5 and g.a < g.b
        assert int(g.a) == 2 and len(g.a) == 2 and list(g.a) == [0, 1] and bool(g.a)
        a = g.a
        with pytest.raises(SharedBorrowWriteError):
            a += 1  # the object's own in-place add writes it
    assert cell.borrow().a.v == 2


def test_with_checks_off_writes_through_a_shared_borrow_still_raise(cell):
    # As the container views do: the refusal costs nothing on the reads that pass.
    bql.set_checks(False)
    try:
        for _ in range(2):
            with cell.borrow() as g:
                with pytest.raises(SharedBorrowWriteError):
                    g.sub.x = 1
                with pytest.raises(SharedBorrowWriteError):
                    g.poke()
                assert g.peek() == 0
    finally:
        bql.set_checks(True)
    assert (cell.borrow().n, cell.borrow().sub.x) == (0, 0)


def test_a_class_made_by_exec_is_viewed_too(bql_held):
    namespace: dict[str, Any] = {}
    exec("class Made:\n    def __init__(self):\n        self.x = 0\n", namespace)
    cell = bql.BqlRefCell(types.SimpleNamespace(made=namespace["Made"]()))
    with cell.borrow() as g, pytest.raises(SharedBorrowWriteError):
        g.made.x = 1
    assert cell.borrow().made.x == 0


def test_standard_library_objects_are_read_as_they_are(bql_held):
    import threading

    event = threading.Event()
    cell = bql.BqlRefCell(types.SimpleNamespace(event=event))
    with cell.borrow() as g:
        assert g.event is event
        g.event.set()  # synchronised by itself, as a cell is: no view around it
    assert event.is_set()
