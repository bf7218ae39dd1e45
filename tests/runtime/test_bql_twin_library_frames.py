"""Twins whose innermost caller is standard-library code (asyncio, threading, contextlib).

SPEC §2.3.1: a twin's location is the one §3.1 would report, and bqlint reports only in
the checked files: the runtime skips standard-library frames as it skips its own, out to
the nearest user frame. A thread whose stack holds no user frame is located at its
target's definition when that is user code; a target that is a bound cell method (or a
`functools.partial` of one) leaves the thread's `run()` line as the location, since where
the thread was created is recorded nowhere the runtime can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import linecache
import threading
from collections.abc import Callable
from types import CodeType

import bql
import pytest
from bql.twins import is_library_code

from tests.runtime.twin_markers import assert_twin_at, marker_row

FILE = __file__


def row(marker: str) -> int:
    return marker_row(FILE, marker)


def assert_twin(error: BaseException, rule: str, marker: str) -> None:
    assert_twin_at(error, rule, FILE, marker)


def error_in_thread(make: Callable[[], threading.Thread]) -> BaseException:
    """Start and join the thread `make()` returns; return the exception that ended it."""
    seen: list[BaseException] = []
    hook = threading.excepthook
    threading.excepthook = lambda args: seen.append(args.exc_value)  # type: ignore[assignment,misc]
    try:
        thread = make()
        thread.start()
        thread.join(10)
    finally:
        threading.excepthook = hook
    assert len(seen) == 1
    return seen[0]


@bql.requires_bql  # NEEDS-DEF
def needs() -> int:
    return 1


@bql.requires_bql
async def needs_async() -> int:
    return 1


def test_a_requires_bql_coroutine_run_by_asyncio_run_is_at_that_call():
    with pytest.raises(bql.BqlNotHeldError) as info:
        asyncio.run(needs_async())  # RUN-CALL
    assert_twin(info.value, "BQL006", "RUN-CALL")


def test_a_requires_bql_coroutine_awaited_is_at_the_await():
    async def main() -> int:
        return await needs_async()  # AWAIT-CALL

    with pytest.raises(bql.BqlNotHeldError) as info:
        asyncio.run(main())
    assert_twin(info.value, "BQL006", "AWAIT-CALL")


def test_a_cell_method_called_back_by_the_event_loop_is_at_the_user_frame_running_the_loop():
    cell = bql.BqlCell(0)

    async def main() -> None:
        asyncio.get_running_loop().call_soon(cell.set, 1)
        await asyncio.sleep(0)

    seen: list[BaseException] = []

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        seen.append(context["exception"])  # type: ignore[arg-type]

    async def run() -> None:
        asyncio.get_running_loop().set_exception_handler(handler)
        await main()

    asyncio.run(run())  # LOOP-RUN
    (error,) = seen
    assert_twin(error, "BQL006", "LOOP-RUN")


def test_an_exitstack_callback_run_without_the_bql_is_at_the_with(bql_held):
    cell = bql.BqlCell(0)
    with bql.unlocked(), pytest.raises(bql.BqlNotHeldError) as info:
        with contextlib.ExitStack() as stack:  # EXIT-WITH
            stack.callback(cell.set, 1)
    assert_twin(info.value, "BQL006", "EXIT-WITH")


def test_a_requires_bql_thread_target_is_at_its_definition():
    error = error_in_thread(lambda: threading.Thread(target=needs))
    assert_twin(error, "BQL006", "NEEDS-DEF")


def test_a_partial_of_a_requires_bql_function_as_a_timer_is_at_its_definition():
    error = error_in_thread(lambda: threading.Timer(0.001, functools.partial(needs)))
    assert_twin(error, "BQL006", "NEEDS-DEF")


def test_a_requires_bql_method_as_a_thread_target_is_at_its_definition():
    class Worker:
        @bql.requires_bql  # METHOD-DEF
        def work(self) -> None:
            pass

    error = error_in_thread(lambda: threading.Thread(target=Worker().work))
    assert_twin(error, "BQL006", "METHOD-DEF")


def test_a_user_target_calling_a_cell_is_at_the_operation():
    cell = bql.BqlCell(0)

    def target() -> None:
        cell.set(1)  # TARGET-OP

    error = error_in_thread(lambda: threading.Thread(target=functools.partial(target)))
    assert_twin(error, "BQL006", "TARGET-OP")


def test_a_bound_cell_method_as_the_target_is_located_in_threading_run():
    # The documented limit: no user frame, no user target; the Thread's creation is unknown.
    cell = bql.BqlCell(0)
    error = error_in_thread(lambda: threading.Thread(target=cell.set, args=(1,)))
    assert isinstance(error, bql.BqlNotHeldError)
    assert (error.rule, error.path) == ("BQL006", threading.__file__)
    line = linecache.getline(threading.__file__, error.row).strip()
    assert line == "self._target(*self._args, **self._kwargs)"


def _code(filename: str) -> CodeType:
    return compile("pass", filename, "exec")


def test_library_code_is_the_runtime_the_standard_library_and_frozen_modules():
    assert is_library_code(bql.lock.__code__)
    assert is_library_code(threading.Thread.run.__code__)
    assert is_library_code(_code("<frozen importlib._bootstrap>"))
    assert not is_library_code(pytest.raises.__code__)  # site-packages: user code for bqlint
    assert not is_library_code(_code.__code__)
    assert not is_library_code(_code("<string>"))


@bql.requires_bql  # NEEDS-ASYNC-DEF
async def needs_async_too() -> int:
    return 1


def test_a_requires_bql_coroutine_run_by_a_loop_in_a_library_started_thread_is_at_its_definition():
    # No user frame on the thread's stack, and its target (asyncio.run) is library code.
    coroutine = needs_async_too()
    error = error_in_thread(lambda: threading.Thread(target=asyncio.run, args=(coroutine,)))
    assert_twin(error, "BQL006", "NEEDS-ASYNC-DEF")
