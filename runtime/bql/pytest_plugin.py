"""The `bql` pytest plugin: a `bql_held` fixture, and a clean BQL state for every test.

Registered as the ``bql`` pytest11 entry point. Like QEMU's ``bql::start_test()``, a test
that requests `bql_held` runs with the BQL held by its thread. After every test
(doctests included) the runtime is reset: the BQL released, live borrows forgotten, the
checks switched back to their default, so one broken test does not poison the next.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from .errors import BqlError
from .lock import _HELD, lock, reset_for_tests, unlock

__all__ = ["bql_held"]


@pytest.fixture
def bql_held() -> Iterator[None]:
    """Hold the BQL for the test (released after it, even if the test left a borrow alive)."""
    if not getattr(_HELD, "held", False):
        lock()
    yield
    if getattr(_HELD, "held", False):
        try:
            unlock()
        except BqlError:
            reset_for_tests()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """Reset the runtime once the test's own fixtures have been torn down."""
    yield
    reset_for_tests()
