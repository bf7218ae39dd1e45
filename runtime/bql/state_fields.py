"""Which cells make up a device's default migration state, and how a state maps onto them.

`Device.save_state()` / `apply_state()` (device.py) use these. A field is state when it is
a `BqlCell` or `BqlRefCell`, or a list or tuple of them (SPEC §3.1.1: such a field holds
cells), nested to any depth. As QEMU saves an array field (``VMSTATE_UINT32_ARRAY``) under
one name, a list of cells is saved under its field's name as a list of their values:

>>> import bql
>>> class Timers(bql.Device):
...     def __init__(self) -> None:
...         super().__init__()
...         self.counters = [bql.BqlCell(0), bql.BqlCell(0)]
...         self.irqs = [bql.InterruptSource()]  # not state
>>> with bql.locked():
...     Timers().save_state()
{'counters': [0, 0]}

A list that mixes cells with other values cannot be saved without losing something, so
the default methods refuse it (`TypeError`); such a device overrides them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, Union

from .cell import BqlCell, BqlRefCell
from .messages import short_repr

__all__ = ["StateField", "cell_values", "saved_value", "state_fields"]

Cell = Union[BqlCell[Any], BqlRefCell[Any]]
StateField = Union[Cell, list["StateField"], tuple["StateField", ...]]
"""A cell, or a list or tuple of state fields."""

# How deep lists of cells may nest (a self-containing list must not recurse for ever).
_MAX_DEPTH = 32


def state_fields(
    device: object, items: Iterable[tuple[str, Any]]
) -> list[tuple[str, StateField]]:
    """Return the fields among `items` (the device's attributes) that hold cells."""
    fields: list[tuple[str, StateField]] = []
    for name, value in items:
        if name.startswith("_bql_"):
            continue
        if isinstance(value, (BqlCell, BqlRefCell)):
            fields.append((name, value))
        elif isinstance(value, (list, tuple)) and _holds_cells(value, 0):
            _check_only_cells(device, name, value, 0)
            fields.append((name, value))
    return fields


def saved_value(field: StateField, read: Any) -> Any:
    """Return the state of `field`: `read(cell)` for a cell, a list of the items' states
    for a list or tuple."""
    if isinstance(field, (list, tuple)):
        return [saved_value(item, read) for item in field]
    return read(field)


def cell_values(
    device: type, name: str, field: StateField, value: Any
) -> list[tuple[Cell, Any]]:
    """Pair each cell of `field` with its part of `value`, a deep copy of the state's entry.

    A list of cells takes a list (or tuple) of as many values. A value of the wrong shape,
    or one that cannot be copied, is a `ValueError` naming the field; nothing is written.
    """
    pairs: list[tuple[Cell, Any]] = []
    _pair(device, name, field, _copied(device, name, value), pairs)
    return pairs


def _pair(device: type, path: str, field: StateField, value: Any, pairs: list[tuple[Cell, Any]]) -> None:
    if not isinstance(field, (list, tuple)):
        pairs.append((field, value))
        return
    parts = list(value) if isinstance(value, (list, tuple)) else None
    if parts is None or len(parts) != len(field):
        raise ValueError(
            f"invalid migration state for {device.__name__}: field {short_repr(path)} holds "
            f"{len(field)} cells, so its state is a list of {len(field)} values, "
            f"not {short_repr(value)}"
        )
    for index, (item, part) in enumerate(zip(field, parts)):
        _pair(device, f"{path}[{index}]", item, part, pairs)


def _holds_cells(value: list[Any] | tuple[Any, ...], depth: int) -> bool:
    """Whether `value` holds a cell, at any depth."""
    if depth > _MAX_DEPTH:
        return False
    return any(
        isinstance(item, (BqlCell, BqlRefCell))
        or (isinstance(item, (list, tuple)) and _holds_cells(item, depth + 1))
        for item in value
    )


def _check_only_cells(device: object, path: str, value: list[Any] | tuple[Any, ...], depth: int) -> None:
    """Raise `TypeError` unless `value` holds only cells and lists or tuples of them."""
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if isinstance(item, (list, tuple)) and depth < _MAX_DEPTH:
            _check_only_cells(device, where, item, depth + 1)
        elif not isinstance(item, (BqlCell, BqlRefCell)):
            raise TypeError(
                f"{type(device).__name__}.{path} mixes cells with other values "
                f"({where} is {short_repr(item)}): the default save_state()/apply_state() "
                "cannot migrate it; keep the cells in a list of their own, or override both"
            )


def _copied(device: type, name: str, value: Any) -> Any:
    """Return a deep copy of the state's value for field `name`; a value that cannot be
    copied (too deep, uncopyable, a hostile `__deepcopy__`) is a `ValueError` naming it."""
    try:
        return copy.deepcopy(value)
    except Exception as exc:
        raise ValueError(
            f"invalid migration state for {device.__name__}: field {short_repr(name)} "
            f"cannot be copied: {short_repr(exc)}"
        ) from exc
