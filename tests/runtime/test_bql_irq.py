"""InterruptSource outputs and IRQLine sinks."""

from __future__ import annotations

import bql
import pytest


def test_irq_line_counts_rising_edges_and_reports_only_changes():
    seen = []
    line = bql.IRQLine(on_change=seen.append)
    assert (line.level, line.edges) == (False, 0)
    for level in (True, True, False, False, True):
        line.set(level)
    assert (line.level, line.edges) == (True, 2)
    assert seen == [True, False, True]


def test_irq_line_without_callback():
    line = bql.IRQLine()
    line.set(True)
    assert line.level is True
    assert repr(line) == "IRQLine(level=True, edges=1)"


def test_unconnected_source_is_a_no_op(bql_held):
    irq = bql.InterruptSource()
    irq.raise_()
    irq.lower()
    irq.pulse()
    irq.set(True)
    assert not irq.connected


@pytest.mark.parametrize("operation", ["raise_", "lower", "pulse"])
def test_driving_a_source_without_the_bql_is_refused(operation):
    irq = bql.InterruptSource()
    line = bql.IRQLine()
    irq.connect(line)
    with pytest.raises(
        bql.BqlNotHeldError, match="without the BQL held by this thread"
    ):
        getattr(irq, operation)()
    with pytest.raises(bql.BqlNotHeldError):
        irq.set(True)
    assert line.edges == 0


def test_connected_source_drives_the_line(bql_held):
    seen = []
    line = bql.IRQLine(on_change=seen.append)
    irq = bql.InterruptSource()
    irq.connect(line)
    irq.raise_()
    irq.raise_()
    irq.lower()
    irq.pulse()
    irq.set(1)  # type: ignore[arg-type]
    assert (line.level, line.edges) == (True, 3)
    assert seen == [True, False, True, False, True]


def test_source_connects_to_any_callable_and_disconnects(bql_held):
    levels = []
    irq = bql.InterruptSource()
    irq.connect(levels.append)
    irq.pulse()
    irq.connect(None)
    irq.raise_()
    assert levels == [True, False]


def test_source_refuses_a_sink_it_cannot_drive():
    with pytest.raises(TypeError, match="cannot connect"):
        bql.InterruptSource().connect(42)  # type: ignore[arg-type]


def test_with_checks_off_sources_drive_without_the_bql():
    bql.set_checks(False)
    line = bql.IRQLine()
    irq = bql.InterruptSource()
    irq.connect(line)
    irq.pulse()
    assert line.edges == 1
