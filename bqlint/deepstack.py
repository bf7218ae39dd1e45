"""Run the analysis on a thread with a large stack and a raised recursion limit.

CPython compiles expressions nested about 3,000 deep (`x + x + …`, implicit string
concatenation, attribute, call and subscript chains); libcst and bqlint's walks follow
such trees recursively, which needs more than the default 1,000 frames and 8 MiB of stack.
The stack of a thread is reserved, not committed: untouched pages cost nothing.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 100_000
_THREAD_NAME = "bqlint-deep-stack"


def on_deep_stack(function: Callable[P, R]) -> Callable[P, R]:
    """Make `function` run on a deep-stack thread (directly when already on one)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if threading.current_thread().name == _THREAD_NAME:
            return function(*args, **kwargs)
        outcome: list[R] = []
        failure: list[BaseException] = []

        def target() -> None:
            saved = sys.getrecursionlimit()
            sys.setrecursionlimit(max(saved, RECURSION_LIMIT))
            try:
                outcome.append(function(*args, **kwargs))
            except BaseException as exc:  # re-raised in the calling thread
                failure.append(exc)
            finally:
                if sys.getrecursionlimit() == max(saved, RECURSION_LIMIT):
                    sys.setrecursionlimit(saved)

        try:
            previous = threading.stack_size(STACK_BYTES)
        except (ValueError, RuntimeError):  # no settable stack size here: run as we are
            return function(*args, **kwargs)
        try:
            thread = threading.Thread(target=target, name=_THREAD_NAME, daemon=True)
            thread.start()
        except RuntimeError:  # the stack could not be reserved (a tight `ulimit -v`)
            return function(*args, **kwargs)
        finally:
            threading.stack_size(previous)
        thread.join()
        if failure:
            raise failure[0]
        return outcome[0]

    return wrapper
