"""Hostile migration states: refused with a short message naming the field, device unchanged.

A state may come from anywhere. Whatever a field holds (``10**5000``, a million-entry
list, an object whose repr raises), `load_state()` raises ValueError that names the
field in one short line, and leaves the device as it was.
"""

from __future__ import annotations

import itertools
import signal
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pl011.migration import FIELDS

from tests.pl011.conftest import Board

MAX_MESSAGE = 200


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr() must not be called")


class HugeRepr:
    def __repr__(self) -> str:
        return "h" * 1_000_000


HOSTILE: dict[str, Any] = {
    "huge int": 10**5000,
    "huge negative int": -(10**5000),
    "just over uint32": 2**32,
    "huge str": "x" * 1_000_000,
    "huge bytes": b"\0" * 1_000_000,
    "huge list": [0] * 1_000_000,
    "huge dict": {i: i for i in range(100_000)},
    "nested huge int": [10**5000],
    "broken repr": BrokenRepr(),
    "huge repr": HugeRepr(),
    "float": 1.5,
    "none": None,
    "bool": True,
}


def refuse(board: Board, state: dict[Any, Any]) -> str:
    """Load `state`, which must be refused; return the message, device unchanged."""
    before = board.uart.save_state()
    with pytest.raises(ValueError) as info:
        board.uart.load_state(state)
    assert board.uart.save_state() == before
    message = str(info.value)
    assert len(message) <= MAX_MESSAGE, message[:300]
    assert "\n" not in message
    return message


@pytest.mark.parametrize("field", FIELDS[1:])  # readbuff is ignored, as in QEMU
@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_field_is_named_in_a_short_message(board: Board, field: str, kind: str):
    state = {**board.uart.save_state(), field: HOSTILE[kind]}
    message = refuse(board, state)
    assert message.startswith(f"PL011 state: {field} ")


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_hostile_fifo_entry_is_named_by_its_index(board: Board, kind: str):
    fifo: list[Any] = [0] * 16
    fifo[9] = HOSTILE[kind]
    message = refuse(board, {**board.uart.save_state(), "read_fifo": fifo})
    assert message.startswith("PL011 state: read_fifo[9] ")


def test_a_huge_int_is_described_by_its_size_not_printed(board: Board):
    message = refuse(board, {**board.uart.save_state(), "cr": 10**5000})
    assert message == "PL011 state: cr an int of 16610 bits is out of range 0..4294967295"


def test_a_huge_list_is_described_by_its_length(board: Board):
    message = refuse(board, {**board.uart.save_state(), "lcr": [0] * 1_000_000})
    assert message == "PL011 state: lcr must be an int, not list of length 1000000"


def test_hostile_unknown_keys_are_listed_short(board: Board):
    state: dict[Any, Any] = board.uart.save_state()
    state.update({"k" * 1_000_000: 1, 10**5000: 2, ("a", 1): 3, "x": 4, "y": 5})
    message = refuse(board, state)
    assert message.startswith("PL011 state: unknown fields kkk")
    assert message.endswith(" and 1 more")


# The board is reused across examples: each refused load leaves it unchanged.
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    field=st.sampled_from(FIELDS[1:]),
    value=st.one_of(
        st.integers(max_value=-(2**31) - 1),
        st.integers(min_value=2**32),
        st.integers(min_value=2**64, max_value=2**20000),
        st.text(min_size=100),
        st.binary(min_size=100),
        st.lists(st.integers(), min_size=17),
        st.floats(),
        st.none(),
    ),
)
def test_any_bad_value_is_refused_briefly(board: Board, field: str, value: object):
    message = refuse(board, {**board.uart.save_state(), field: value})
    assert message.startswith(f"PL011 state: {field} ")


class ChangingList(list):  # type: ignore[type-arg]
    """A list that iterates as what it holds once, then as `later` (a TOCTOU attempt)."""

    def __init__(self, items: list[int], later: list[object]) -> None:
        super().__init__(items)
        self.later = later
        self.iterations = 0

    def __iter__(self) -> Any:
        self.iterations += 1
        return super().__iter__() if self.iterations == 1 else iter(self.later)


@pytest.mark.parametrize("later", [[2**40] * 16, [-1] * 16, ["x"] * 16, [7] * 17])
def test_a_list_that_changes_between_iterations_installs_what_was_checked(board: Board, later: list[object]):
    fifo = ChangingList([n + 1 for n in range(16)], later)
    board.uart.load_state({**board.uart.save_state(), "read_fifo": fifo})
    assert fifo.iterations == 1  # copied once; the copy was checked and installed
    assert board.uart.save_state()["read_fifo"] == [n + 1 for n in range(16)]


def test_a_list_that_changes_to_bad_values_after_one_iteration_is_refused(board: Board):
    fifo = ChangingList([2**40] * 16, [0] * 16)
    message = refuse(board, {**board.uart.save_state(), "read_fifo": fifo})
    assert message == "PL011 state: read_fifo[0] 1099511627776 is out of range 0..4294967295"
    assert fifo.iterations == 1


def test_a_list_subclass_iterating_longer_than_its_length_is_refused_unread(board: Board):
    class Longer(list):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            for _ in range(100_000):  # bounded, so that a regression fails instead of hanging
                yield 0
            raise AssertionError("read to the end")

    message = refuse(board, {**board.uart.save_state(), "read_fifo": Longer([0] * 16)})
    assert message == "PL011 state: read_fifo must be a list of 16 ints, not Longer of length 16"


class ChangingState(dict):  # type: ignore[type-arg]
    """A state whose `cr` reads as a valid value once, then as an invalid one."""

    reads = 0

    def __getitem__(self, key: object) -> Any:
        if key == "cr":
            self.reads += 1
            return 0x300 if self.reads == 1 else 2**40
        return super().__getitem__(key)


def test_each_field_of_the_state_is_read_once(board: Board):
    state = ChangingState(board.uart.save_state())
    board.uart.load_state(state)
    assert (state.reads, board.uart.save_state()["cr"]) == (1, 0x300)


class NoLength(str):
    def __len__(self) -> int:
        raise RuntimeError("len() must not be called")


def test_a_str_subclass_whose_len_raises_is_described_without_calling_it(board: Board):
    # rt14 #05 (a): the message builder raised RuntimeError instead of the ValueError.
    message = refuse(board, {**board.uart.save_state(), "cr": NoLength("x")})
    assert message == "PL011 state: cr must be an int, not NoLength of length 1"


class EndlessKeys(Mapping[str, Any]):
    """A state whose key iteration never ends (its `len` says one more than the fields)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def __getitem__(self, key: str) -> Any:
        return self.state[key]

    def __len__(self) -> int:
        return len(self.state) + 1

    def __contains__(self, key: object) -> bool:
        return key in self.state

    def __iter__(self) -> Iterator[str]:
        yield from self.state
        yield from (f"extra{n}" for n in itertools.count(1))


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail the test, instead of hanging, when the block runs longer than `seconds`."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_state_whose_keys_never_end_is_refused(board: Board):
    # rt14 #05 (b): the key scan is bounded (a scan for ever is a TimeoutError here).
    with deadline(3):
        message = refuse(board, EndlessKeys(board.uart.save_state()))  # type: ignore[arg-type]
    assert message == (
        "PL011 state: unknown fields extra1, extra2, extra3, extra4 and at least 4092 more"
    )


class EndlessInts(Mapping[Any, Any]):
    def __getitem__(self, key: Any) -> Any:
        raise KeyError(key)

    def __len__(self) -> int:
        return 1

    def __iter__(self) -> Iterator[Any]:
        return itertools.count()


def test_device_check_state_keys_is_bounded_too():
    import bql

    with deadline(3), pytest.raises(ValueError) as info:
        bql.Device.check_state_keys(EndlessInts(), [])
    assert str(info.value) == "migration state: unknown key(s) 0, 1, 2, 3 and 4092 more, and more not read"
