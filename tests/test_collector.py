"""bqlint.collector: the collector is paused inside a group and left as it was after it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bqlint.collector import collector_paused


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class _Node:
    """An object in a reference cycle, so that only the collector can free it."""

    def __init__(self) -> None:
        self.me = self


def test_the_collector_is_disabled_inside_and_enabled_after(collector_enabled):
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled_and_nothing_is_frozen(collector_enabled):
    gc.disable()
    with collector_paused() as pause:
        pause.set_aside_live_objects()
        assert gc.get_freeze_count() == 0
    assert not gc.isenabled()


def test_set_aside_objects_are_thawed_and_cycles_made_after_them_are_freed(collector_enabled):
    with collector_paused() as pause:
        pause.set_aside_live_objects()
        assert gc.get_freeze_count() > 0
        kept = _Node()  # made after the freeze: collected when the pause ends
        probe = [id(kept)]
        del kept
    assert gc.get_freeze_count() == 0
    assert not any(id(o) == probe[0] and type(o) is _Node for o in gc.get_objects())


def test_objects_someone_else_froze_are_left_frozen(collector_enabled):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused() as pause:
            pause.set_aside_live_objects()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
