"""Waiting for another thread without timing assertions: poll a condition up to a bound."""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT_S = 10  # generous upper bound for an I/O thread; never a timing assertion


def wait_until(condition: Callable[[], bool], limit: float = WAIT_S) -> bool:
    """Poll `condition` until it holds or `limit` seconds pass; return whether it held."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
