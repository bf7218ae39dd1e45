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

from .lock import _HELD, lock, relock, unlock
from .messages import callable_name
from .twins import WITHOUT_BQL_CODES

__all__ = ["without_wrapper"]


def without_wrapper(func: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """Return the wrapper running `func` without the BQL; `kind` is "function",
    "coroutine", "generator" or "async generator"."""
    wrapper = _BUILDERS[kind](func)
    WITHOUT_BQL_CODES.add(wrapper.__code__)
    return wrapper


def _release(body_holds: bool, owed: bool) -> bool:
    """Before a body step: release the consumer's BQL, unless the body holds it (it paused
    inside `with bql.locked():`). Return whether the consumer is owed the BQL back."""
    if not body_holds and getattr(_HELD, "held", False):
        unlock()
        return True
    return owed


def _take_back(owed: bool) -> tuple[bool, bool]:
    """After a body step: give the consumer its BQL back if it is owed and the body does not
    hold the BQL itself. Return (whether the body holds the BQL, whether it is still owed).

    A body paused inside `with bql.locked():` keeps the BQL, the consumer meanwhile holding
    it too: it is given back when the body leaves that block."""
    body_holds = bool(getattr(_HELD, "held", False))
    if owed and not body_holds:
        lock()
        return False, False
    return body_holds, owed


def _function(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not getattr(_HELD, "held", False):
            return func(*args, **kwargs)
        unlock()
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            relock(_kept_by(func), exc)
            raise
        relock(_kept_by(func), None)
        return result

    return wrapper


def _coroutine(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
        if not getattr(_HELD, "held", False):
            return await func(*args, **kwargs)
        unlock()
        try:
            result = await func(*args, **kwargs)
        except BaseException as exc:
            relock(_kept_by(func), exc)
            raise
        relock(_kept_by(func), None)
        return result

    return async_wrapper


def _kept_by(func: Callable[..., Any]) -> str:
    return f"{callable_name(func)}() (@without_bql) returned"


def _generator(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def generator_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        body: Generator[Any, Any, Any] = func(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        body_holds = owed = False
        while True:
            owed = _release(body_holds, owed)
            try:
                if thrown is None:
                    value = body.send(sent)
                else:
                    error, thrown = thrown, None
                    value = body.throw(error)
            except StopIteration as stop:
                return stop.value
            finally:
                body_holds, owed = _take_back(owed)
            try:
                sent = yield value
            except GeneratorExit:
                owed = _release(body_holds, owed)
                try:
                    body.close()
                finally:
                    _take_back(owed)
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
        body_holds = owed = False
        while True:
            owed = _release(body_holds, owed)
            try:
                if thrown is None:
                    value = await body.asend(sent)
                else:
                    error, thrown = thrown, None
                    value = await body.athrow(error)
            except StopAsyncIteration:
                return
            finally:
                body_holds, owed = _take_back(owed)
            try:
                sent = yield value
            except GeneratorExit:
                owed = _release(body_holds, owed)
                try:
                    await body.aclose()
                finally:
                    _take_back(owed)
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
