"""Migration of the PL011 registers: QEMU's VMState fields and its post-load checks.

:func:`save_registers` turns :class:`~pl011.state.PL011Registers` into the dict of
SPEC §2.3 (QEMU's `vmstate_pl011` field names); :func:`load_registers` validates such
a dict and applies QEMU's `pl011_post_load()`: it rejects an impossible FIFO position
or count, moves the FIFO-disabled character to slot 0 and masks the divisors. Both are
pure; the device's `save_state()` / `load_state()` borrow the registers around them.
A refusal names the field and stays one short line, whatever the state holds (a state
may come from anywhere: ``10**5000`` or a million-entry list is shown by its size).

>>> from pl011.state import PL011Registers
>>> state = save_registers(PL011Registers())
>>> sorted(state)[:4], len(state["read_fifo"])
(['cr', 'dmacr', 'fbrd', 'flags'], 16)
>>> load_registers(state) == PL011Registers()
True
>>> load_registers({**state, "read_pos": 16})
Traceback (most recent call last):
    ...
ValueError: PL011 state: read_pos 16 is out of range 0..15
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import islice
from typing import Any, Final

from pl011.registers import FBRD_MASK, FIFO_DEPTH, IBRD_MASK, LCR_H_FEN
from pl011.state import PL011Registers

FIELDS: Final = (
    "readbuff",
    "flags",
    "lcr",
    "rsr",
    "cr",
    "dmacr",
    "int_enabled",
    "int_level",
    "read_fifo",
    "ilpr",
    "ibrd",
    "fbrd",
    "ifl",
    "read_pos",
    "read_count",
    "read_trigger",
)
"""The VMState fields of `vmstate_pl011` version 2, in stream order."""

_UINT32_FIELDS: Final = FIELDS[:8] + FIELDS[9:13]
_INT32_FIELDS: Final = FIELDS[13:]


def save_registers(regs: PL011Registers) -> dict[str, object]:
    """Return the migration state of `regs` (a fresh dict; the FIFO list is a copy).

    ``readbuff`` is always 0: QEMU never used the field and now migrates 4 unused
    bytes in its place, so the key is kept only for the stream's shape.
    """
    return {
        "readbuff": 0,
        "flags": regs.flags,
        "lcr": regs.lcr,
        "rsr": regs.rsr,
        "cr": regs.cr,
        "dmacr": regs.dmacr,
        "int_enabled": regs.int_enabled,
        "int_level": regs.int_level,
        "read_fifo": list(regs.read_fifo),
        "ilpr": regs.ilpr,
        "ibrd": regs.ibrd,
        "fbrd": regs.fbrd,
        "ifl": regs.ifl,
        "read_pos": regs.read_pos,
        "read_count": regs.read_count,
        "read_trigger": regs.read_trigger,
    }


def load_registers(state: Mapping[str, object]) -> PL011Registers:
    """Return new registers from a migration `state`, or raise ValueError.

    The composition of :func:`registers_from_state` and :func:`check_post_load`.

    >>> state = save_registers(PL011Registers(read_count=1, read_pos=3))
    >>> load_registers(state).read_pos   # FIFO disabled: the character moves to slot 0
    0
    """
    regs = registers_from_state(state)
    check_post_load(regs)
    return regs


def registers_from_state(state: Mapping[str, object]) -> PL011Registers:
    """Return registers holding `state`'s fields, or raise ValueError.

    Checks only what QEMU's stream format guarantees: every field present, of its
    VMState type and width (uint32, int32, 16 x uint32); `readbuff` is ignored.

    >>> state = save_registers(PL011Registers())
    >>> registers_from_state({**state, "cr": -1})
    Traceback (most recent call last):
        ...
    ValueError: PL011 state: cr -1 is out of range 0..4294967295
    """
    missing = [name for name in FIELDS if name not in state]
    if missing:
        raise ValueError("PL011 state: missing fields " + ", ".join(missing))
    # Bounded: a mapping whose keys never end is refused, not scanned for ever.
    limit = len(FIELDS) + MAX_EXTRA_KEYS
    scanned = list(islice(state, limit + 1))
    unknown = [key for key in scanned[:limit] if key not in FIELDS]
    if unknown:
        raise ValueError("PL011 state: unknown fields " + _some_keys(unknown, len(scanned) > limit))
    # Each field is read once and the FIFO copied once: what is checked below is what the
    # registers get, however the mapping or the list answer a second time.
    values = {name: state[name] for name in FIELDS}
    ints = {name: _checked_int(name, values[name], 0, 0xFFFF_FFFF) for name in _UINT32_FIELDS}
    ints |= {name: _checked_int(name, values[name], -(2**31), 2**31 - 1) for name in _INT32_FIELDS}
    fifo = values["read_fifo"]
    # One more entry than the FIFO holds is enough to refuse a longer list (or an endless
    # iterator behind a list subclass) without copying it whole.
    entries = list(islice(fifo, FIFO_DEPTH + 1)) if isinstance(fifo, (list, tuple)) else None
    if entries is None or len(entries) != FIFO_DEPTH:
        raise ValueError(
            f"PL011 state: read_fifo must be a list of {FIFO_DEPTH} ints, "
            f"not {describe_value(fifo)}"
        )
    read_fifo = [
        _checked_int(f"read_fifo[{index}]", entry, 0, 0xFFFF_FFFF) for index, entry in enumerate(entries)
    ]
    return PL011Registers(
        flags=ints["flags"],
        lcr=ints["lcr"],
        rsr=ints["rsr"],
        cr=ints["cr"],
        dmacr=ints["dmacr"],
        int_enabled=ints["int_enabled"],
        int_level=ints["int_level"],
        read_fifo=read_fifo,
        ilpr=ints["ilpr"],
        ibrd=ints["ibrd"],
        fbrd=ints["fbrd"],
        ifl=ints["ifl"],
        read_pos=ints["read_pos"],
        read_count=ints["read_count"],
        read_trigger=ints["read_trigger"],
    )


def check_post_load(regs: PL011Registers) -> None:
    """Apply QEMU's `pl011_post_load()` to loaded registers: check, then fix up.

    Raises ValueError for a read position or count outside the FIFO; moves the
    FIFO-disabled character to slot 0; masks the divisors.

    >>> regs = PL011Registers(read_count=-1)
    >>> check_post_load(regs)
    Traceback (most recent call last):
        ...
    ValueError: PL011 state: read_count -1 is out of range 0..16
    """
    # QEMU compares the signed positions as unsigned, so negatives fail too.
    if not 0 <= regs.read_pos < FIFO_DEPTH:
        raise ValueError(
            f"PL011 state: read_pos {regs.read_pos} is out of range 0..{FIFO_DEPTH - 1}"
        )
    if not 0 <= regs.read_count <= FIFO_DEPTH:
        raise ValueError(
            f"PL011 state: read_count {regs.read_count} is out of range 0..{FIFO_DEPTH}"
        )
    # Older QEMU advanced read_pos through all 16 slots even with the FIFO disabled;
    # the current code keeps the single character in slot 0.
    if not regs.lcr & LCR_H_FEN and regs.read_count > 0 and regs.read_pos > 0:
        regs.read_fifo[0] = regs.read_fifo[regs.read_pos]
        regs.read_pos = 0
    # Streams from before the divisors were masked on write may hold wider values.
    regs.ibrd &= IBRD_MASK
    regs.fbrd &= FBRD_MASK


def _checked_int(name: str, value: object, low: int, high: int) -> int:
    """Return `value` as a plain int if it is an int in `low..high`, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        # SPEC §2.3: a state that fails validation raises ValueError, whatever the cause.
        raise ValueError(  # noqa: TRY004
            f"PL011 state: {name} must be an int, not {describe_value(value)}"
        )
    value = exact_int(value)
    if not low <= value <= high:
        raise ValueError(
            f"PL011 state: {name} {describe_value(value)} is out of range {low}..{high}"
        )
    return value


# Values and keys in messages: short, and never a conversion that can itself fail (from
# 4,300 digits on, str() of an int raises ValueError).
_MAX_TEXT = 40
_MAX_KEYS = 4
# How many keys beyond its fields a state is scanned for: past them it is refused unread.
MAX_EXTRA_KEYS = 4096


def describe_value(value: object) -> str:
    """Name `value` for a message: a small int itself, anything else by type and size.

    >>> describe_value(-1), describe_value(10**5000), describe_value("x" * 10**6)
    ('-1', 'an int of 16610 bits', 'str of length 1000000')
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = exact_int(value)
        if value.bit_length() <= 64:
            return str(value)
        return f"an int of {value.bit_length()} bits"
    kind = _clip(type(value).__name__)
    for sized in _SIZED:
        if isinstance(value, sized):  # the built-in's own length: a subclass's may raise
            return f"{kind} of length {sized.__len__(value)}"
    return kind


_SIZED: tuple[type[Any], ...] = (str, bytes, bytearray, list, tuple, dict, set, frozenset)


def _some_keys(keys: Sequence[object], more: bool = False) -> str:
    """List the first few `keys`, each cut short, then how many more (`more`: and keys
    that were not read)."""
    shown = ", ".join(
        _clip(key) if isinstance(key, str) else describe_value(key)
        for key in keys[:_MAX_KEYS]
    )
    if len(keys) > _MAX_KEYS or more:
        shown += f" and {'at least ' if more else ''}{len(keys) - _MAX_KEYS} more"
    return shown


def _clip(text: str) -> str:
    text = str.__str__(text)  # a plain str: a subclass's own methods are not called
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def exact_int(value: int) -> int:
    """Return the plain `int` an int subclass (an `IntFlag`, a hostile subclass) stands for,
    read without calling any of its methods: the registers hold plain ints only."""
    return value if type(value) is int else int.__int__(value)
