"""The wrappers `@bql.without_bql` puts around each kind of function.

A `@without_bql` function runs without the BQL (SPEC §2.1): a thread that holds the BQL
when the function's *body* runs releases it for that while and takes it back after, as
`with bql.unlocked():` does. When the body runs depends on the kind of function:

* a plain function or a coroutine function: the body runs for the call (or the `await`);
* a generator function: calling it runs nothing (SPEC §3.1.2); the body runs at each
  resume (`next()`, `send()`, `throw()`, `close()`), so the BQL is released around each
  resume and taken back before the value reaches the consumer;
* an async generator function: the same around each `asend()`, `athrow()`, `aclose()`.

A generator wrapper delegates as `yield from` does: sent values, thrown exceptions,
`close()` and the return value all reach the body unchanged. A body that takes the BQL
itself (`with bql.locked():`) and pauses at a `yield` inside that block keeps it: the
wrapper neither takes it again nor releases it at the next resume.

The code objects of these wrappers are registered in `bql.twins.WITHOUT_BQL_CODES`: the
frame such a wrapper runs is the `@without_bql` body, where bqlint reports a cell touched
there (BQL006 at the cell operation).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any

from .lock import _HELD, lock, unlock
from .twins import WITHOUT_BQL_CODES

__all__ = ["without_wrapper"]


def without_wrapper(func: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """Return the wrapper running `func` without the BQL; `kind` is "function",
    "coroutine", "generator" or "async generator"."""
    wrapper = _BUILDERS[kind](func)
    WITHOUT_BQL_CODES.add(wrapper.__code__)
    return wrapper


def _release() -> bool:
    """Release the BQL if this thread holds it; return whether it did."""
    if getattr(_HELD, "held", False):
        unlock()
        return True
    return False


def _take_back(released: bool) -> bool:
    """After a body step: take the BQL back if it was released for the step and the body
    did not take it itself. Return whether the body now holds it (it paused inside
    `with bql.locked():`), in which case the next resume must not release it."""
    body_holds = bool(getattr(_HELD, "held", False))
    if released and not body_holds:
        lock()
    return body_holds


def _function(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not getattr(_HELD, "held", False):
            return func(*args, **kwargs)
        unlock()
        try:
            return func(*args, **kwargs)
        finally:
            lock()

    return wrapper


def _coroutine(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
        if not getattr(_HELD, "held", False):
            return await func(*args, **kwargs)
        unlock()
        try:
            return await func(*args, **kwargs)
        finally:
            lock()

    return async_wrapper


def _generator(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def generator_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        body: Generator[Any, Any, Any] = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        body_holds = False
        while True:
            released = not body_holds and _release()
            try:
                if thrown is None:
                    value = body.send(sent)
                else:
                    error, thrown = thrown, None
                    value = body.throw(error)
            except StopIteration as stop:
                return stop.value
            finally:
                body_holds = _take_back(released)
            try:
                sent = yield value
            except GeneratorExit:
                released = not body_holds and _release()
                try:
                    body.close()
                finally:
                    _take_back(released)
                raise
            except BaseException as error:  # thrown in by the consumer: goes to the body
                thrown, sent = error, None

    return generator_wrapper


def _async_generator(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    async def async_generator_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        body: AsyncGenerator[Any, Any] = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        body_holds = False
        while True:
            released = not body_holds and _release()
            try:
                if thrown is None:
                    value = await body.asend(sent)
                else:
                    error, thrown = thrown, None
                    value = await body.athrow(error)
            except StopAsyncIteration:
                return
            finally:
                body_holds = _take_back(released)
            try:
                sent = yield value
            except GeneratorExit:
                released = not body_holds and _release()
                try:
                    await body.aclose()
                finally:
                    _take_back(released)
                raise
            except BaseException as error:  # thrown in by the consumer: goes to the body
                thrown, sent = error, None

    return async_generator_wrapper


_BUILDERS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "function": _function,
    "coroutine": _coroutine,
    "generator": _generator,
    "async generator": _async_generator,
}
