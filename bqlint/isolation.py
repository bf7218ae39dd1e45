"""Keep an internal error in one file from costing the others (STYLE §7).

Per-file steps catch their own errors; a project-wide step (building the model, the fixed
point over all functions) that raises is re-run without the file that makes it raise,
found by bisection over its inputs, so the other files are still checked and reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def describe(exc: BaseException) -> str:
    """Return `Type: message` for an internal error, as the CLI prints it."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def without_faulty(
    phase: Callable[[list[T]], R], items: Sequence[T]
) -> tuple[R, list[tuple[T, BaseException]]]:
    """Return `phase(items)`, leaving out each item whose presence makes it raise.

    Also return the items left out with the error each caused. An error that no single
    item causes (the phase fails even when it should not) propagates.
    """
    kept = list(items)
    dropped: list[tuple[T, BaseException]] = []
    while True:
        try:
            return phase(kept), dropped
        except Exception as exc:
            found = _first_failing(phase, kept, exc)
            if found is None:
                raise
            index, error = found
            dropped.append((kept.pop(index), error))


def _first_failing(
    phase: Callable[[list[T]], R], items: list[T], error: BaseException
) -> tuple[int, BaseException] | None:
    """Return the index of the item that makes the shortest failing prefix fail, and its error."""
    low, high = 0, len(items)  # items[:high] fails; items[:low] is not known to fail
    while high - low > 1:
        middle = (low + high) // 2
        try:
            phase(items[:middle])
        except Exception as exc:
            high, error = middle, exc
        else:
            low = middle
    if high == 0:
        return None
    if low == 0 and high == 1:
        try:
            phase([])
        except Exception:
            return None  # fails with no input at all: not any file's fault
    return high - 1, error
