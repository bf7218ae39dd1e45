"""BqlCell: whole-value access under the BQL."""

from __future__ import annotations

import copy
import pickle

import bql
import pytest
from bql.errors import NoDefaultError


def test_get_set_replace_update(bql_held):
    cell = bql.BqlCell(1)
    assert cell.get() == 1
    cell.set(2)
    assert cell.replace(3) == 2
    assert cell.update(lambda n: n * 10) == 30
    assert cell.get() == 30


def test_take_leaves_the_given_default(bql_held):
    cell = bql.BqlCell(7, default=-1)
    assert cell.take() == 7
    assert cell.get() == -1


def test_take_leaves_a_fresh_copy_of_a_mutable_default(bql_held):
    cell = bql.BqlCell([1], default=[])
    assert cell.take() == [1]
    cell.get().append(5)  # changes what the cell now holds, not the default
    assert cell.take() == [5]
    assert cell.get() == []


def test_take_without_default_leaves_an_empty_value_of_the_same_type(bql_held):
    cell = bql.BqlCell([1, 2])
    assert cell.take() == [1, 2]
    assert cell.get() == []
    assert bql.BqlCell(5).take() == 5


def test_take_without_a_usable_default_is_a_clear_error(bql_held):
    class Token:
        def __init__(self, n):
            self.n = n

    token = Token(1)
    cell = bql.BqlCell(token)
    with pytest.raises(
        NoDefaultError, match=r"needs a default: Token\(\) failed"
    ) as info:
        cell.take()
    assert isinstance(info.value, bql.BqlError)
    assert isinstance(info.value, TypeError)
    assert cell.get() is token  # nothing was taken


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("get", lambda c: c.get()),
        ("set", lambda c: c.set(1)),
        ("replace", lambda c: c.replace(1)),
        ("take", lambda c: c.take()),
        ("update", lambda c: c.update(abs)),
    ],
)
def test_every_operation_without_the_bql_is_refused(operation, call):
    cell = bql.BqlCell(0)
    with pytest.raises(
        bql.BqlNotHeldError,
        match=rf"BqlCell\.{operation}\(\) without the BQL held by this thread",
    ):
        call(cell)


def test_is_generic():
    cell: bql.BqlCell[int] = bql.BqlCell[int](3)
    with bql.locked():
        assert cell.get() == 3


def test_with_checks_off_a_cell_is_plain_storage():
    bql.set_checks(False)
    cell = bql.BqlCell(1, default=0)
    cell.set(2)
    assert cell.replace(3) == 2
    assert cell.update(lambda n: n + 1) == 4
    assert cell.take() == 4
    assert cell.get() == 0


def test_update_sees_the_value_and_may_read_the_cell_again(bql_held):
    cell = bql.BqlCell(2)
    assert cell.update(lambda n: n + cell.get()) == 4


def test_repr_shows_the_value():
    assert repr(bql.BqlCell(5)) == "BqlCell(5)"


def test_repr_of_a_cell_that_holds_itself(bql_held):
    cell = bql.BqlCell(0)
    cell.set(cell)
    assert repr(cell) == "BqlCell(BqlCell(...))"


def test_a_copied_ref_cell_owns_a_copy_of_the_value(bql_held):
    import copy

    cell = bql.BqlRefCell({"a": 1})
    twin = copy.copy(cell)
    with cell.borrow_mut() as mine, twin.borrow_mut() as theirs:
        theirs["a"] = 99
        assert mine["a"] == 1  # no value shared by two cells, so no borrow bypassed


@pytest.mark.parametrize("kind", ["borrow", "borrow_mut"])
@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_a_copy_of_a_borrowed_ref_cell_is_not_borrowed(bql_held, kind, how):
    # conf9 F1: the copy took over the borrow count, so it stayed borrowed for ever by a
    # borrow no one held; a copy is a new cell.
    import copy
    import pickle

    cell = bql.BqlRefCell({"a": 1})
    guard = getattr(cell, kind)()
    clone = {"copy": copy.copy, "deepcopy": copy.deepcopy, "pickle": lambda c: pickle.loads(pickle.dumps(c))}[how]
    if kind == "borrow_mut":  # rt14 #11: a copy borrows, as Rust's clone(): refused
        with pytest.raises(bql.BorrowError):
            clone(cell)
        guard.release()
        guard = cell.borrow()
    twin = clone(cell)
    with twin.borrow_mut() as value:
        value["a"] = 2
    guard.release()
    with cell.borrow() as mine:
        assert mine["a"] == 1


# rt14 #11: copying or pickling a cell reads its value, as Rust's `clone()` does through
# `borrow()` / `get()`: the BQL must be held, and a half-updated value is not copied.

_COPIES = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda cell: pickle.loads(pickle.dumps(cell)),
}


@pytest.mark.parametrize("how", list(_COPIES), ids=list(_COPIES))
def test_copying_a_mutably_borrowed_cell_is_a_borrow_error(bql_held, how):
    cell = bql.BqlRefCell({"state": "consistent"})
    guard = cell.borrow_mut()
    guard["state"] = "half-updated"
    refused = r"^cannot borrow\(\) BqlRefCell\[dict\]: it is already mutably borrowed"
    with pytest.raises(bql.BorrowError, match=refused):
        _COPIES[how](cell)
    guard["state"] = "consistent"
    guard.release()
    with cell.borrow():  # shared borrows do not stop a copy
        assert _COPIES[how](cell).borrow().value == {"state": "consistent"}


@pytest.mark.parametrize("how", list(_COPIES), ids=list(_COPIES))
@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (bql.BqlRefCell([1]), "BqlRefCell.borrow() without the BQL held by this thread"),
        (bql.BqlCell(1), "BqlCell.get() without the BQL held by this thread"),
    ],
    ids=["BqlRefCell", "BqlCell"],
)
def test_copying_a_cell_needs_the_bql(how, cell, message):
    with pytest.raises(bql.BqlNotHeldError) as info:
        _COPIES[how](cell)
    assert str(info.value).startswith(message)
    with bql.locked():
        twin = _COPIES[how](cell)
        assert (twin.get() if isinstance(twin, bql.BqlCell) else twin.borrow().value) in (1, [1])


def test_update_stores_nothing_when_fn_released_the_bql():
    # rt14 #14: the BQL was checked only before `fn` ran.
    cell = bql.BqlCell(0)

    def releases(n: int) -> int:
        bql.unlock()
        return n + 1

    bql.lock()
    refused = r"^BqlCell\.update\(\) without the BQL held by this thread"
    with pytest.raises(bql.BqlNotHeldError, match=refused):
        cell.update(releases)
    assert not bql.is_locked()
    with bql.locked():
        assert cell.get() == 0
