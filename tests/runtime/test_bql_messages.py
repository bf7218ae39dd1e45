"""Runtime error messages stay short and name what is wrong, whatever the values.

Each error below is provoked with a hostile value (``10**5000``, a million-character
string, an object whose repr raises or is huge, hundreds of live borrows); the message
must be a line or two, never the value whole.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bql
import pytest
from bql.chardev import SocketChardev
from bql.errors import NoSuchOutputError
from bql.messages import MAX_REPR, short_list, short_repr

bql_lock = importlib.import_module("bql.lock")

MAX_MESSAGE = 400
MAX_LINES = 3


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr() must not be called")


class HugeRepr:
    def __repr__(self) -> str:
        return "h" * 1_000_000


HOSTILE: dict[str, Any] = {
    "huge int": 10**5000,
    "huge negative int": -(10**5000),
    "huge str": "x" * 1_000_000,
    "huge bytes": b"\0" * 1_000_000,
    "huge list": list(range(1_000_000)),
    "huge dict": {str(i) * 50: i for i in range(1000)},
    "nested huge int": [[10**5000]],
    "broken repr": BrokenRepr(),
    "huge repr": HugeRepr(),
    "list of broken reprs": [BrokenRepr()] * 10,
}


def assert_short(message: str) -> None:
    # Borrow sites name this file: its path depends on where the repository is checked out.
    here = str(Path(__file__).resolve())
    measured = message.replace(here, "test_bql_messages.py")
    assert len(measured) <= MAX_MESSAGE, message[:500]
    assert message.count("\n") < MAX_LINES


@pytest.mark.parametrize("kind", HOSTILE)
def test_short_repr_is_bounded_and_never_raises(kind: str):
    text = short_repr(HOSTILE[kind])
    assert len(text) <= MAX_REPR + len(" (1000000 characters)")
    assert "\n" not in text


def test_short_list_shows_a_few_names_then_a_count():
    assert short_list(["a", "b"]) == "a, b"
    assert short_list([str(i) for i in range(10)]) == "0, 1, 2, 3 and 6 more"


class Dev(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.pos = bql.BqlCell(0)
        self.irq = bql.InterruptSource()


@pytest.mark.parametrize("kind", HOSTILE)
def test_an_unknown_migration_key_is_named_briefly(bql_held, kind: str):
    key = HOSTILE[kind]
    if not isinstance(key, (str, int, bytes)):
        key = str(id(key)) * 100_000  # unhashable values: a huge key instead
    with pytest.raises(ValueError, match="unknown key") as info:
        Dev().load_state({"pos": 1, key: 2})
    assert_short(str(info.value))


def test_a_malformed_state_error_is_short(bql_held):
    class Picky(Dev):
        def apply_state(self, state: Any) -> None:
            if state["pos"] == 1:  # the restore of the state before goes through
                raise KeyError("k" * 1_000_000)
            super().apply_state(state)

    with pytest.raises(ValueError, match="invalid migration state for Picky") as info:
        Picky().load_state({"pos": 1})
    assert_short(str(info.value))


def test_a_huge_interrupt_output_number_is_named_by_its_size():
    with pytest.raises(NoSuchOutputError) as info:
        Dev().connect_irq(10**5000, bql.IRQLine())
    message = str(info.value)
    assert_short(message)
    assert "<int of 5001 digits>" in message


@pytest.mark.parametrize("kind", ["huge repr", "broken repr", "huge int"])
def test_connecting_an_output_to_a_hostile_object_is_short(kind: str):
    with pytest.raises(TypeError, match="cannot connect an interrupt output") as info:
        bql.InterruptSource().connect(HOSTILE[kind])
    assert_short(str(info.value))


def test_a_non_loopback_host_is_named_briefly():
    with pytest.raises(ValueError, match="loopback only") as info:
        SocketChardev(host="x" * 1_000_000)
    assert_short(str(info.value))


def many_shared_borrows(n: int, places: int = 1) -> tuple[bql.BqlRefCell[int], list[bql.BqlRef[int]]]:
    """Take `n` shared borrows of one cell, spread over `places` distinct source lines."""
    cell = bql.BqlRefCell(0)
    guards: list[bql.BqlRef[int]] = []
    lines = "\n".join("guards.append(cell.borrow())" for _ in range(places))
    code = compile(f"for _ in range({n // places}):\n" + "\n".join(" " + line for line in lines.splitlines()), "<borrows>", "exec")
    exec(code, {"guards": guards, "cell": cell})
    return cell, guards


BORROW_FAULTS: dict[str, Callable[[bql.BqlRefCell[int]], object]] = {
    "unlock": lambda cell: bql.unlock(),
    "borrow_mut": lambda cell: cell.borrow_mut(),
}


@pytest.mark.parametrize("fault", BORROW_FAULTS)
def test_hundreds_of_borrows_at_one_place_are_that_place_once(bql_held, fault: str):
    cell, guards = many_shared_borrows(500)
    with pytest.raises(bql.BqlError) as info:
        BORROW_FAULTS[fault](cell)
    message = str(info.value)
    assert_short(message)
    # The list ends the message, before the run-time twin's "(bqlint: ...)" (SPEC §2.3.1).
    listed = message.split(" (bqlint: ")[0]
    assert listed.endswith("borrow() at <borrows>:2 in <module> (500 borrows)")
    for guard in guards:
        guard.release()


@pytest.mark.parametrize("fault", BORROW_FAULTS)
def test_borrows_at_a_few_places_are_each_listed_one_per_line(bql_held, fault: str):
    # SPEC §2.1: the message lists each live borrow's location.
    cell, guards = many_shared_borrows(4, places=4)
    with pytest.raises(bql.BqlError) as info:
        BORROW_FAULTS[fault](cell)
    header, *places = str(info.value).split(" (bqlint: ")[0].split("\n")
    assert header.endswith(("alive:", "borrowed by"))
    assert places == [f"  borrow() at <borrows>:{row} in <module>" for row in (2, 3, 4, 5)]
    for guard in guards:
        guard.release()


@pytest.mark.parametrize("fault", BORROW_FAULTS)
def test_borrows_at_many_places_are_each_listed_once_with_a_count(bql_held, fault: str):
    # Every place, however many: nothing is cut; each place is one short line.
    cell, guards = many_shared_borrows(900, places=30)
    with pytest.raises(bql.BqlError) as info:
        BORROW_FAULTS[fault](cell)
    header, *places = str(info.value).split(" (bqlint: ")[0].split("\n")
    assert len(header) <= MAX_MESSAGE
    assert places == [f"  borrow() at <borrows>:{row} in <module> (30 borrows)" for row in range(2, 32)]
    assert "more" not in str(info.value)
    for guard in guards:
        guard.release()


def test_the_unlock_error_still_records_every_borrow(bql_held):
    _cell, guards = many_shared_borrows(50)
    with pytest.raises(bql.BqlUnlockError) as info:
        bql.unlock()
    assert len(info.value.borrows) == 50
    for guard in guards:
        guard.release()


def test_the_unlock_error_lists_each_of_six_borrow_places_one_per_line(bql_held):
    # SPEC §2.1: "the message lists each live borrow's location"; none is left out.
    cells = [bql.BqlRefCell([0] * 100_000) for _ in range(6)]
    first = sys._getframe().f_lineno + 3

    def six() -> None:
        g0 = cells[0].borrow()
        g1 = cells[1].borrow()
        g2 = cells[2].borrow_mut()
        g3 = cells[3].borrow()
        g4 = cells[4].borrow_mut()
        g5 = cells[5].borrow()
        try:
            bql.unlock()
        finally:
            for guard in (g0, g1, g2, g3, g4, g5):
                guard.release()

    with pytest.raises(bql.BqlUnlockError) as info:
        six()
    here = str(Path(__file__).resolve())
    kinds = ["borrow", "borrow", "borrow_mut", "borrow", "borrow_mut", "borrow"]
    assert str(info.value).split("\n") == [
        "cannot release the BQL while 6 borrows are alive:",
        *(f"  {kind}() at {here}:{first + n} in six" for n, kind in enumerate(kinds[:-1])),
        f"  borrow() at {here}:{first + 5} in six (bqlint: BQL002 at {here}:{first + 7})",
    ]
    assert len(info.value.borrows) == 6
