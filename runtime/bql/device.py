"""The device base classes: lifecycle, interrupt outputs and migration hooks.

A board drives a device in phases, as QEMU's qdev does:

1. Construction, ``Dev(chardev=backend)``: no BQL needed; the only phase in which the
   device assigns its fields directly (``self.regs = bql.BqlRefCell(Regs())``).
2. Under the BQL, `realize()` (register chardev handlers, validate properties) and
   `reset()`. `connect_irq()` may come before or after `realize()`.
3. Under the BQL, the vCPU side calls ``read(offset, size)`` / ``write(offset, value,
   size)`` directly, and backends call the device's handlers.

From phase 2 on, all state changes go through cells; ``bqlint`` checks that (BQL001,
BQL007), and so does the device itself (the rules' run-time twins):

* a realized device refuses to have a cell field rebound or deleted (``dev.level = 3``
  where ``level`` is a `BqlCell`: use ``dev.level.set(3)``), and so does any device
  whose own method (other than construction) rebinds one (`CellRebindingError`), also
  with checks off;
* with checks on, a realized device's own methods may not assign or delete a plain field
  of ``self``, except during construction, `realize()` and `reset()`
  (`FieldMutationError`). Code
  outside the device (a board setting a property) is not policed, as bqlint does not
  report it either.

Migration is `save_state()` / `load_state()`, see `Device.load_state`.
"""

from __future__ import annotations

import copy
import operator
import sys
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from itertools import islice
from typing import Any

from .cell import BqlCell, BqlRefCell
from .decorators import requires_bql
from .errors import BqlError, NoSuchOutputError
from .fields import DELETED, check_field_write
from .guard_base import _inner
from .irq import InterruptSource, IRQSink
from .lock import STATE, add_note
from .messages import short_list, short_repr
from .state_fields import cell_values, saved_value, state_fields

__all__ = ["Device", "SysBusDevice"]

# How many keys beyond its fields a migration state is scanned for (`check_state_keys`).
MAX_EXTRA_KEYS = 4096


class Device:
    """Base class of device models.

    Interrupt outputs are found automatically: every `InterruptSource` among the instance's
    attributes, in assignment order, lists and tuples of them flattened. Override
    `irq_outputs()` to declare another order.

    >>> import bql
    >>> class Timer(bql.Device):
    ...     def __init__(self) -> None:
    ...         super().__init__()
    ...         self.count = bql.BqlCell(0)
    ...         self.irq = bql.InterruptSource()
    ...     def reset(self) -> None:
    ...         super().reset()
    ...         self.count.set(0)
    >>> timer = Timer()
    >>> line = bql.IRQLine()
    >>> timer.connect_irq(0, line)
    >>> with bql.locked():
    ...     timer.realize(); timer.reset()
    ...     timer.count.set(3)
    ...     timer.save_state()
    {'count': 3}

    Once realized, a cell field is changed through its methods, never rebound:

    >>> timer.count = bql.BqlCell(0)
    Traceback (most recent call last):
    ...
    bql.errors.CellRebindingError: cannot rebind `count` of a realized Timer: it is a BqlCell; change its value through its methods instead

    and its own methods keep plain fields as they were at construction:

    >>> class Uart(bql.Device):
    ...     def __init__(self) -> None:
    ...         super().__init__()
    ...         self.logged = False
    ...     def write(self) -> None:
    ...         self.logged = True
    >>> uart = Uart()
    >>> with bql.locked():
    ...     uart.realize()
    ...     uart.write()
    Traceback (most recent call last):
    ...
    bql.errors.FieldMutationError: cannot assign `logged` of a realized Uart in write(): a device's state lives in cells once it is realized; keep `logged` in a BqlCell
    """

    def __init__(self) -> None:
        """Construct the device; subclasses assign their cells after calling this."""
        self._bql_realized = BqlCell(False)

    @requires_bql
    def realize(self) -> None:
        """Finish setting the device up, under the BQL; subclasses extend it via `super()`.

        >>> import bql
        >>> dev = bql.Device()
        >>> with bql.locked():
        ...     dev.realize(); dev.realized
        True
        >>> bql.Device().realize()
        Traceback (most recent call last):
        ...
        bql.errors.BqlNotHeldError: Device.realize() requires the BQL, and this thread does not hold it
        """
        self._realized_cell().set(True)

    @property
    def realized(self) -> bool:
        """Whether `realize()` has run (needs the BQL, like any cell read)."""
        return self._realized_cell().get()

    def _realized_cell(self) -> BqlCell[bool]:
        # Created in __init__; made here for a subclass that forgot super().__init__().
        cell: BqlCell[bool] = vars(self).setdefault("_bql_realized", BqlCell(False))
        return cell

    @requires_bql
    def reset(self) -> None:
        """Put the device in its reset state, under the BQL; the base does nothing.

        >>> import bql
        >>> with bql.locked():
        ...     bql.Device().reset()
        """

    def irq_outputs(self) -> tuple[InterruptSource, ...]:
        """Return the interrupt outputs, in the order `connect_irq()` numbers them.

        >>> import bql
        >>> class Uart(bql.Device):
        ...     def __init__(self) -> None:
        ...         super().__init__()
        ...         self.irq = bql.InterruptSource()
        ...         self.dma = [bql.InterruptSource(), bql.InterruptSource()]
        >>> len(Uart().irq_outputs())
        3
        """
        return tuple(_interrupt_sources(_instance_values(self)))

    def connect_irq(self, n: int, sink: IRQSink) -> None:
        """Wire output `n` to `sink` (an `IRQLine`, anything with `set(level)`, a callable).

        >>> import bql
        >>> bql.Device().connect_irq(0, bql.IRQLine())
        Traceback (most recent call last):
        ...
        bql.errors.NoSuchOutputError: Device has no interrupt output 0: it has 0 outputs
        """
        if isinstance(n, bool) or not hasattr(type(n), "__index__"):  # True would be 1
            raise TypeError(f"an interrupt output number is an int, not {type(n).__name__}")
        n = operator.index(n)
        outputs = self.irq_outputs()
        if not 0 <= n < len(outputs):
            raise NoSuchOutputError(
                f"{type(self).__name__} has no interrupt output {short_repr(n)}: "
                f"it has {len(outputs)} outputs"
                + (f" (0..{len(outputs) - 1})" if outputs else "")
            )
        outputs[n].connect(sink)

    @requires_bql
    def save_state(self) -> dict[str, Any]:
        """Return the migration state: by default each cell field's value, by field name.

        A `BqlCell` contributes its value, a `BqlRefCell` a deep copy of its inner value,
        a list or tuple of cells a list of theirs (`bql.state_fields`). Devices with QEMU
        VMState names override this and `apply_state()`.

        >>> import bql
        >>> class Dev(bql.Device):
        ...     def __init__(self) -> None:
        ...         super().__init__()
        ...         self.level = bql.BqlCell(1)
        ...         self.fifo = bql.BqlRefCell([1, 2])
        >>> with bql.locked():
        ...     Dev().save_state()
        {'level': 1, 'fifo': [1, 2]}
        """
        return {
            name: saved_value(field, _saved_cell)
            for name, field in state_fields(self, _instance_values(self))
        }

    @requires_bql
    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a migration state, all or nothing.

        Runs `apply_state(state)` and then `post_load()`. If either raises, the device is
        put back as it was; a `ValueError` or a BQL error (a cell borrowed meanwhile) goes
        on, any other error (from a malformed or hostile state) becomes a `ValueError`.

        >>> import bql
        >>> class Dev(bql.Device):
        ...     def __init__(self) -> None:
        ...         super().__init__()
        ...         self.pos = bql.BqlCell(0)
        ...     def post_load(self) -> None:
        ...         if not 0 <= self.pos.get() < 16:
        ...             raise ValueError(f"pos {self.pos.get()} out of range")
        >>> dev = Dev()
        >>> bql.lock()
        >>> dev.load_state({"pos": 3}); dev.pos.get()
        3
        >>> dev.load_state({"pos": 99})
        Traceback (most recent call last):
        ...
        ValueError: pos 99 out of range
        >>> dev.pos.get()
        3
        >>> bql.unlock()
        """
        if not isinstance(state, Mapping):
            # SPEC §2.3: a state that fails validation raises ValueError, whatever the cause.
            raise ValueError(  # noqa: TRY004
                f"a migration state is a dict, not {type(state).__name__}"
            )
        before = self.save_state()
        try:
            self.apply_state(state)
            self.post_load()
        except BaseException as exc:
            self._restore(before, exc)
            if isinstance(exc, (ValueError, BqlError)) or not isinstance(exc, Exception):
                raise
            raise ValueError(
                f"invalid migration state for {type(self).__name__}: {short_repr(exc)}"
            ) from exc

    def _restore(self, before: Mapping[str, Any], exc: BaseException) -> None:
        """Put back the state saved before a failed `load_state()`; a failure to do so
        becomes a note on `exc`, which is the error to report."""
        try:
            self.apply_state(before)
        except Exception as error:
            add_note(exc, f"bql: restoring the previous state failed too: {short_repr(error)}")

    def apply_state(self, state: Mapping[str, Any]) -> None:
        """Write a state into the device (called by `load_state()`, under the BQL).

        The default is the inverse of the default `save_state()`. It checks the keys,
        copies every value and borrows every `BqlRefCell` first, and writes nothing when
        one of these fails. Overrides may raise half-way: `load_state()` restores the
        previous state.
        """
        fields = dict(state_fields(self, _instance_values(self)))
        self.check_state_keys(state, fields)
        pairs = [
            pair
            for name, field in fields.items()
            for pair in cell_values(type(self), name, field, state[name])
        ]
        with ExitStack() as borrows:
            for cell in {id(cell): cell for cell, _ in pairs}.values():  # once each
                if isinstance(cell, BqlRefCell):
                    _inner(borrows.enter_context(cell.borrow_mut()), "apply_state")
            for cell, value in pairs:
                if isinstance(cell, BqlRefCell):
                    cell._value = value  # replaced whole, even with a `value` field
                else:
                    cell.set(value)

    def post_load(self) -> None:
        """Check the loaded state (QEMU's post_load); raise `ValueError` to refuse it."""

    @staticmethod
    def check_state_keys(state: Mapping[str, Any], keys: Iterable[str]) -> None:
        """Raise `ValueError` unless `state` has exactly `keys`.

        >>> import bql
        >>> bql.Device.check_state_keys({"cr": 0, "x": 1}, ["cr", "lcr"])
        Traceback (most recent call last):
        ...
        ValueError: migration state: missing key(s) lcr; unknown key(s) x
        """
        expected = list(keys)
        missing = [k for k in expected if k not in state]
        # Bounded: a mapping whose keys never end is refused, not scanned for ever.
        limit = len(expected) + MAX_EXTRA_KEYS
        scanned = list(islice(state, limit + 1))
        unknown = [k for k in scanned[:limit] if k not in expected]
        problems = []
        if missing:
            problems.append("missing key(s) " + short_list(missing))
        if unknown:
            unread = ", and more not read" if len(scanned) > limit else ""
            problems.append("unknown key(s) " + short_list(unknown) + unread)
        if problems:
            raise ValueError("migration state: " + "; ".join(problems))

    def __setattr__(self, name: str, value: Any) -> None:
        # Run-time twins of BQL007 and, with checks on, BQL001.
        check_field_write(self, name, value, sys._getframe(1), checks=STATE.checks)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        check_field_write(self, name, DELETED, sys._getframe(1), checks=STATE.checks)
        object.__delattr__(self, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device>"


class SysBusDevice(Device):
    """A device on the system bus, with memory-mapped registers.

    The vCPU side calls `read()` / `write()` directly, under the BQL (no `mmio_map`).

    >>> import bql
    >>> class Scratch(bql.SysBusDevice):
    ...     def __init__(self) -> None:
    ...         super().__init__()
    ...         self.value = bql.BqlCell(0)
    ...     def read(self, offset: int, size: int) -> int:
    ...         return self.value.get()
    ...     def write(self, offset: int, value: int, size: int) -> None:
    ...         self.value.set(value)
    >>> dev = Scratch()
    >>> with bql.locked():
    ...     dev.write(0, 42, 4); dev.read(0, 4)
    42
    """

    def read(self, offset: int, size: int) -> int:
        """Return the value of the `size`-byte register at `offset`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement read()")

    def write(self, offset: int, value: int, size: int) -> None:
        """Write `value` to the `size`-byte register at `offset`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement write()")


def _instance_values(obj: object) -> list[tuple[str, Any]]:
    """Return the instance's attributes in assignment order (``__dict__``, then slots)."""
    items = list(getattr(obj, "__dict__", {}).items())
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                items.append((name, getattr(obj, name)))
    return items


def _interrupt_sources(items: list[tuple[str, Any]]) -> Iterable[InterruptSource]:
    for _name, value in items:
        if isinstance(value, InterruptSource):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from (v for v in value if isinstance(v, InterruptSource))


def _saved_cell(cell: BqlCell[Any] | BqlRefCell[Any]) -> Any:
    """Return a deep copy of `cell`'s value (a `BqlRefCell`'s whole inner value, even one
    with a `value` field)."""
    if isinstance(cell, BqlRefCell):
        with cell.borrow() as guard:
            return copy.deepcopy(_inner(guard, "save_state"))
    return copy.deepcopy(cell.get())
