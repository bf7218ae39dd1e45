"""Generator wrappers that check a contract before each resume of the body.

`@requires_bql` and `@releases_bql` check on entry; a generator's body is entered at each
resume (`next()`, `send()`, `throw()`; `asend()`, `athrow()` for an async generator), not
when the generator is made (SPEC §3.1.2). The wrapper delegates as `yield from` does:
sent values, thrown exceptions, `close()` and the return value reach the body unchanged.
Closing is not checked: it may happen anywhere (the garbage collector closes a generator
dropped unfinished), and what the body's `finally` does is checked by the cells.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

__all__ = ["checked_generator", "is_generator_kind"]

Check = Callable[[Callable[..., Any]], None]


def is_generator_kind(func: Callable[..., Any]) -> bool:
    """Whether calling `func` makes a generator or an async generator."""
    return inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)


def checked_generator(func: Callable[..., Any], check: Check) -> Callable[..., Any]:
    """Wrap the generator (or async generator) function `func`: `check(func)` before each resume."""
    if inspect.isasyncgenfunction(func):
        return _async_generator(func, check)
    return _generator(func, check)


def _generator(func: Callable[..., Any], check: Check) -> Callable[..., Any]:
    @functools.wraps(func)
    def generator_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        body: Generator[Any, Any, Any] = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            check(func)
            try:
                if thrown is None:
                    value = body.send(sent)
                else:
                    error, thrown = thrown, None
                    value = body.throw(error)
            except StopIteration as stop:
                return stop.value
            try:
                sent = yield value
            except GeneratorExit:
                body.close()
                raise
            except BaseException as error:  # thrown in by the consumer: goes to the body
                thrown, sent = error, None

    return generator_wrapper


def _async_generator(func: Callable[..., Any], check: Check) -> Callable[..., Any]:
    @functools.wraps(func)
    async def async_generator_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        body: AsyncGenerator[Any, Any] = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            check(func)
            try:
                if thrown is None:
                    value = await body.asend(sent)
                else:
                    error, thrown = thrown, None
                    value = await body.athrow(error)
            except StopAsyncIteration:
                return
            try:
                sent = yield value
            except GeneratorExit:
                await body.aclose()
                raise
            except BaseException as error:  # thrown in by the consumer: goes to the body
                thrown, sent = error, None

    return async_generator_wrapper
