"""Interrupt lines: a device's `InterruptSource` outputs and the `IRQLine` sinks they drive.

An `InterruptSource` is a cell like the others: driving it needs the BQL, because the
sink (an interrupt controller, a test probe) runs device-side code synchronously. It is
also a call *out* of the device, so drive it after ending any `BqlRefCell` borrow.

>>> import bql
>>> line = bql.IRQLine()
>>> irq = bql.InterruptSource()
>>> irq.connect(line)
>>> with bql.locked():
...     irq.raise_(); irq.lower(); irq.pulse()
>>> line.level, line.edges
(False, 2)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .errors import BqlNotHeldError
from .in_place import InPlaceRefused
from .lock import _HELD, on_checks_changed
from .messages import short_repr
from .twins import not_held_error

__all__ = ["IRQLine", "IRQSink", "InterruptSource"]


class _LevelSink(Protocol):
    def set(self, level: bool) -> None: ...


IRQSink = _LevelSink | Callable[[bool], None]
"""What an output can be connected to: an object with `set(level)` (`IRQLine`) or a callable."""


class IRQLine:
    """A sink for an interrupt output: remembers the level, counts rising edges.

    `on_change(level)` is called each time the level actually changes.

    >>> import bql
    >>> seen = []
    >>> line = bql.IRQLine(on_change=seen.append)
    >>> line.set(True); line.set(True); line.set(False)
    >>> line.level, line.edges, seen
    (False, 1, [True, False])
    """

    __slots__ = ("edges", "level", "on_change")

    def __init__(self, on_change: Callable[[bool], None] | None = None) -> None:
        """Create a line at level low, with no edges seen."""
        self.level = False
        self.edges = 0
        self.on_change = on_change

    def set(self, level: bool) -> None:
        """Drive the line to `level`; count a rising edge and call `on_change` on a change.

        >>> import bql
        >>> line = bql.IRQLine()
        >>> line.set(True); line.edges
        1
        """
        level = bool(level)
        if level == self.level:
            return
        self.level = level
        if level:
            self.edges += 1
        if self.on_change is not None:
            self.on_change(level)

    def __repr__(self) -> str:
        return f"IRQLine(level={self.level}, edges={self.edges})"


def _not_held() -> BqlNotHeldError:
    """Return the BQL006 twin: driving an output is a cell operation."""
    return not_held_error("InterruptSource.set() without the BQL held by this thread")


class InterruptSource(InPlaceRefused):
    """An interrupt output of a device; unconnected, driving it does nothing.

    >>> import bql
    >>> irq = bql.InterruptSource()
    >>> with bql.locked():
    ...     irq.raise_()  # not connected: nothing happens
    >>> irq.raise_()
    Traceback (most recent call last):
    ...
    bql.errors.BqlNotHeldError: InterruptSource.set() without the BQL held by this thread
    """

    __slots__ = ("_sink",)

    def __init__(self) -> None:
        """Create an unconnected output."""
        self._sink: Callable[[bool], None] | None = None

    def connect(self, sink: IRQSink | None) -> None:
        """Connect the output to `sink` (an `IRQLine`, anything with `set(level)`, or a callable).

        `None` disconnects it. Normally called through `Device.connect_irq()`.

        >>> import bql
        >>> irq = bql.InterruptSource()
        >>> irq.connect(print)
        >>> with bql.locked():
        ...     irq.pulse()
        True
        False
        """
        if sink is None:
            self._sink = None
        elif callable(setter := getattr(sink, "set", None)):
            self._sink = setter
        elif callable(sink):
            self._sink = sink
        else:
            raise TypeError(
                f"cannot connect an interrupt output to {short_repr(sink)}"
            )

    @property
    def connected(self) -> bool:
        """Whether the output is connected to a sink."""
        return self._sink is not None

    def set(self, level: bool) -> None:
        """Drive the output to `level`.

        >>> import bql
        >>> line = bql.IRQLine()
        >>> irq = bql.InterruptSource()
        >>> irq.connect(line)
        >>> with bql.locked():
        ...     irq.set(True)
        >>> line.level
        True
        """
        try:
            if not _HELD.held:
                raise _not_held()
        except AttributeError:  # a thread that never took the BQL
            raise _not_held() from None
        if self._sink is not None:
            self._sink(bool(level))

    def raise_(self) -> None:
        """Drive the output high.

        >>> import bql
        >>> irq, line = bql.InterruptSource(), bql.IRQLine()
        >>> irq.connect(line)
        >>> with bql.locked():
        ...     irq.raise_()
        >>> line.level
        True
        """
        self.set(True)

    def lower(self) -> None:
        """Drive the output low.

        >>> import bql
        >>> irq, line = bql.InterruptSource(), bql.IRQLine()
        >>> irq.connect(line)
        >>> with bql.locked():
        ...     irq.raise_(); irq.lower()
        >>> line.level
        False
        """
        self.set(False)

    def pulse(self) -> None:
        """Drive the output high, then low.

        >>> import bql
        >>> irq, line = bql.InterruptSource(), bql.IRQLine()
        >>> irq.connect(line)
        >>> with bql.locked():
        ...     irq.pulse()
        >>> line.level, line.edges
        (False, 1)
        """
        self.set(True)
        self.set(False)

    def __repr__(self) -> str:
        return f"InterruptSource(connected={self.connected})"


def _set_unchecked(self: InterruptSource, level: bool) -> None:
    if self._sink is not None:
        self._sink(bool(level))


_set_unchecked.__name__ = "set"
_set_unchecked.__qualname__ = "InterruptSource.set"
_set_unchecked.__doc__ = InterruptSource.set.__doc__
_set_checked = InterruptSource.set


def _install(enabled: bool) -> None:
    InterruptSource.set = _set_checked if enabled else _set_unchecked  # type: ignore[method-assign]


on_checks_changed(_install)
