"""@without_bql on generator, async generator and coroutine functions (SPEC §2.1, §3.1.2).

A generator's body runs when it is resumed, not when it is called: the BQL is released
around each resume (next, send, throw, close and their async forms) and taken back in
between, so a cell touched in the body is BQL006 at that cell operation, and
`with bql.locked():` works inside. The wrapper delegates as `yield from` does.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import AsyncIterator, Iterator

import bql
import pytest

from tests.runtime.twin_markers import assert_twin_at, marker_row

FILE = __file__


def row(marker: str) -> int:
    return marker_row(FILE, marker)


def assert_twin(error: BaseException, rule: str, marker: str) -> None:
    assert_twin_at(error, rule, FILE, marker)


cell = bql.BqlCell(5)


@bql.without_bql
def polls() -> Iterator[bool]:
    """Yield whether the BQL is held, twice."""
    yield bql.is_locked()
    yield bql.is_locked()


@bql.without_bql
def touches() -> Iterator[int]:
    yield 1
    yield cell.get()  # GEN-GET


@bql.without_bql
def locks_inside() -> Iterator[int]:
    with bql.locked():
        value = cell.get()
    yield value
    with bql.locked():
        yield cell.get()  # paused while the body holds the BQL
    yield int(bql.is_locked())


@bql.without_bql
def echo() -> Iterator[object]:
    received: object = "start"
    try:
        while True:
            received = yield (received, bql.is_locked())
    except KeyError as error:
        yield ("caught", error.args[0], bql.is_locked())
        return "done"
    finally:
        log.append(("finally", bql.is_locked()))


log: list[tuple[str, bool]] = []


@bql.without_bql
async def co_touches() -> int:
    return cell.get()  # CO-GET


@bql.without_bql
async def agen() -> AsyncIterator[bool]:
    yield bql.is_locked()
    await asyncio.sleep(0)
    yield bql.is_locked()


@bql.without_bql
async def agen_touches() -> AsyncIterator[int]:
    yield cell.get()  # AGEN-GET


@bql.without_bql
async def agen_echo() -> AsyncIterator[object]:
    received: object = None
    try:
        while True:
            received = yield (received, bql.is_locked())
    except KeyError:
        yield ("caught", bql.is_locked())
    finally:
        log.append(("afinally", bql.is_locked()))


def test_the_wrapper_is_of_the_same_kind_and_keeps_the_metadata():
    assert inspect.isgeneratorfunction(polls)
    assert inspect.isasyncgenfunction(agen)
    assert inspect.iscoroutinefunction(co_touches)
    assert (polls.__name__, polls.__doc__) == ("polls", "Yield whether the BQL is held, twice.")
    assert polls.__bql_without__ is True
    assert polls.__wrapped__.__name__ == "polls"


def test_calling_a_generator_function_runs_nothing_and_releases_nothing(bql_held):
    generator = touches()
    assert bql.is_locked()
    generator.close()
    assert bql.is_locked()


def test_the_body_runs_without_the_bql_and_the_consumer_keeps_it(bql_held):
    seen = []
    for value in polls():
        seen.append((value, bql.is_locked()))
    assert seen == [(False, True), (False, True)]
    assert bql.is_locked()


def test_without_the_bql_the_generator_just_runs():
    assert list(polls()) == [False, False]
    assert not bql.is_locked()


def test_a_cell_touched_in_the_body_is_bql006_at_the_operation(bql_held):
    generator = touches()
    assert next(generator) == 1
    with pytest.raises(bql.BqlNotHeldError) as info:
        next(generator)
    assert_twin(info.value, "BQL006", "GEN-GET")
    assert bql.is_locked()


def test_locked_inside_the_body_works_also_across_a_yield(bql_held):
    assert list(locks_inside()) == [5, 5, 0]
    assert bql.is_locked()


def test_send_throw_close_and_the_return_value_reach_the_body(bql_held):
    log.clear()
    generator = echo()
    assert next(generator) == ("start", False)
    assert generator.send(7) == (7, False)
    assert generator.throw(KeyError("k")) == ("caught", "k", False)
    with pytest.raises(StopIteration) as stop:
        next(generator)
    assert stop.value.value == "done"
    assert log == [("finally", False)]
    assert bql.is_locked()


def test_close_runs_the_body_cleanup_without_the_bql(bql_held):
    log.clear()
    generator = echo()
    next(generator)
    generator.close()
    assert log == [("finally", False)]
    assert bql.is_locked()


def test_yield_from_the_wrapper_delegates_everything(bql_held):
    def outer() -> Iterator[object]:
        result = yield from echo()
        yield ("result", result)

    log.clear()
    generator = outer()
    assert next(generator) == ("start", False)
    assert generator.send(1) == (1, False)
    assert generator.throw(KeyError("x")) == ("caught", "x", False)
    assert next(generator) == ("result", "done")
    assert log == [("finally", False)]


def test_an_exception_from_the_body_goes_on_and_the_bql_is_taken_back(bql_held):
    @bql.without_bql
    def fails() -> Iterator[int]:
        yield 1
        raise ValueError("body")

    with pytest.raises(ValueError, match="body"):
        list(fails())
    assert bql.is_locked()


def test_a_coroutine_run_by_asyncio_run_is_bql006_at_the_operation(bql_held):
    with pytest.raises(bql.BqlNotHeldError) as info:
        asyncio.run(co_touches())
    assert_twin(info.value, "BQL006", "CO-GET")
    assert bql.is_locked()


def test_an_awaited_coroutine_is_bql006_at_the_operation_not_the_await(bql_held):
    async def main() -> int:
        return await co_touches()

    with pytest.raises(bql.BqlNotHeldError) as info:
        asyncio.run(main())
    assert_twin(info.value, "BQL006", "CO-GET")


def test_an_async_generator_body_runs_without_the_bql(bql_held):
    async def main() -> list[tuple[bool, bool]]:
        return [(value, bql.is_locked()) async for value in agen()]

    assert asyncio.run(main()) == [(False, True), (False, True)]
    assert bql.is_locked()


def test_a_cell_touched_in_an_async_generator_is_bql006_at_the_operation(bql_held):
    async def main() -> list[int]:
        return [value async for value in agen_touches()]

    with pytest.raises(bql.BqlNotHeldError) as info:
        asyncio.run(main())
    assert_twin(info.value, "BQL006", "AGEN-GET")
    assert bql.is_locked()


def test_asend_athrow_and_aclose_reach_the_async_body(bql_held):
    async def main() -> list[object]:
        generator = agen_echo()
        seen = [await generator.asend(None), await generator.asend(3)]
        seen.append(await generator.athrow(KeyError("k")))
        await generator.aclose()
        return seen

    log.clear()
    assert asyncio.run(main()) == [(None, False), (3, False), ("caught", False)]
    assert log == [("afinally", False)]
    assert bql.is_locked()


def test_a_plain_function_is_still_released_for_the_call(bql_held):
    @bql.without_bql
    def plain() -> bool:
        return bql.is_locked()

    assert (plain(), bql.is_locked()) == (False, True)


def test_the_row_is_the_operation_in_a_generator_driven_by_a_for_loop(bql_held):
    @bql.without_bql
    def nested() -> Iterator[int]:
        yield from (n for n in [1])
        yield cell.get()  # GEN-NESTED

    with pytest.raises(bql.BqlNotHeldError) as info:
        for _ in nested():
            pass
    assert_twin(info.value, "BQL006", "GEN-NESTED")
    assert bql.is_locked()


def test_breaking_out_of_the_loops_closes_each_body_without_the_bql(bql_held):
    log.clear()
    for _ in echo():
        break
    gc.collect()  # the abandoned generator is closed when it is freed

    async def main() -> None:
        async for _ in agen_echo():
            break
        await asyncio.sleep(0)

    asyncio.run(main())  # closes the abandoned async generator on its way out
    assert log == [("finally", False), ("afinally", False)]
    assert bql.is_locked()
