"""Run independent pieces of one check in forked worker processes (`--jobs N`).

The task is a closure over the run's data; forking hands it to the workers without pickling
it, and only the plain results (facts, diagnostics) travel back. Results are returned by
index, so the caller assembles them in a fixed order whatever finished first.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bqlint.interrupt import ignore_in_worker

# multiprocessing and concurrent.futures are imported when a pool is started: a run in one
# process (--jobs 1, or too few files to share) does not pay for them.

T = TypeVar("T")

_TASK: Callable[[int], Any] | None = None


def can_fork() -> bool:
    import multiprocessing as mp

    return "fork" in mp.get_all_start_methods()


def available_cpus() -> int:
    """Return the number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def run_indexed(
    task: Callable[[int], T],
    order: Sequence[int],
    jobs: int,
    done: Callable[[int], None] = lambda index: None,
    lost: Callable[[int], T] | None = None,
) -> dict[int, T]:
    """Return {i: task(i)} for i in `order` (biggest first is best), over `jobs` processes.

    `done(i)` is called in this process as each piece finishes (for the progress bar). When
    a worker dies (killed, out of memory), the pieces not finished are run again one per
    fresh worker, so that only the piece that kills its worker is lost: `lost(i)` stands
    for it (without `lost`, the run fails).
    """
    global _TASK
    results: dict[int, T] = {}
    if jobs <= 1 or len(order) <= 1 or not can_fork():
        _run_here(task, order, results, done)
        return results
    import multiprocessing as mp
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    _TASK = task
    try:
        # A pool of futures, not multiprocessing.Pool: a worker killed by the system (out of
        # memory) fails the run with BrokenProcessPool instead of hanging it.
        context = mp.get_context("fork")
        try:
            # More workers than CPUs only compete for them (`--jobs 64` on two CPUs ran 9x slower).
            workers = min(jobs, len(order), max(2, available_cpus()))
            with _pool(workers, context) as pool:
                futures = [pool.submit(_call, index) for index in order]
                for future in as_completed(futures):
                    index, result = future.result()
                    results[index] = result
                    done(index)
        except BrokenProcessPool:
            for index in [i for i in order if i not in results]:
                results[index] = _alone(index, context, lost)
                done(index)
        except OSError as exc:
            if exc.errno not in _CANNOT_START:
                raise
            # No worker could be started (too few file descriptors or processes left, no
            # memory to fork): the rest runs here, with the same results.
            _run_here(task, order, results, done)
    finally:
        _TASK = None
    return results


# What starting a pool (its pipes, the forks) fails with when the system is short of room.
_CANNOT_START = frozenset({errno.EMFILE, errno.ENFILE, errno.EAGAIN, errno.ENOMEM})


def _run_here(
    task: Callable[[int], T], order: Sequence[int], results: dict[int, T], done: Callable[[int], None]
) -> None:
    """Run the pieces of `order` not in `results` yet in this process."""
    for index in order:
        if index not in results:
            results[index] = task(index)
            done(index)


def _alone(index: int, context: Any, lost: Callable[[int], T] | None) -> T:
    """Run piece `index` in a worker of its own; `lost(index)` if that worker dies too."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        with _pool(1, context) as pool:
            result: T = pool.submit(_call, index).result()[1]
            return result
    except BrokenProcessPool:
        if lost is None:
            raise
        return lost(index)


def _pool(workers: int, context: Any) -> Any:
    """A pool of `workers` forked processes that leave Ctrl-C to this one (bqlint.interrupt)."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=context, initializer=ignore_in_worker, initargs=(os.getpid(),))


def _call(index: int) -> tuple[int, Any]:
    assert _TASK is not None
    return index, _TASK(index)
