"""Contracts on functions: `@releases_bql`, `@requires_bql`, `@without_bql`.

``bqlint`` reads them to follow the BQL across calls; at run time they cost one flag test:

* `releases_bql` marks a function that may release the BQL for a while (blocking I/O,
  waiting for another thread). It checks on entry that the caller holds no `BqlRefCell`
  borrow (`BqlUnlockError`), so the bug shows on every call, not only on the calls that
  happen to release.
* `requires_bql` checks on entry that the current thread holds the BQL.

  For both, a generator's or async generator's body runs at each resume, not at the
  call (SPEC §3.1.2): the check is made before each resume (`next()`, `send()`,
  `throw()`, `asend()`, ...), not when the generator is made.
* `without_bql` marks a function that runs without the BQL (a worker thread, an I/O
  callback). Called by a thread that holds the BQL, it releases the BQL for the call and
  takes it back after (like `with bql.unlocked():`), so that it really runs without it:
  a cell touched inside raises `BqlNotHeldError` unless inside `with bql.locked():`.
  A generator's or async generator's body runs at each resume, not at the call: the BQL
  is released around each resume (`bql.without`).

Each sets a marker attribute (``__bql_releases__``, ``__bql_requires__``,
``__bql_without__``), keeps the function's metadata (`functools.wraps`) and works on
plain functions, methods, static and class methods, properties (each of the getter,
setter and deleter is checked), coroutine functions, generator and async generator
functions, and any other callable (a `functools.partial`, an object with `__call__`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from .lock import _HELD, STATE, unlock_error
from .messages import callable_name
from .twins import not_held_error
from .checked_generators import checked_generator, is_generator_kind
from .without import without_wrapper

__all__ = ["releases_bql", "requires_bql", "without_bql"]

F = TypeVar("F", bound=Callable[..., Any])


def releases_bql(fn: F) -> F:
    """Mark `fn` as a function that may release the BQL; refuse to call it with a borrow alive.

    >>> import bql
    >>> @bql.releases_bql
    ... def wait_for_host() -> None:
    ...     pass  # releases the BQL only sometimes; the check does not depend on it
    >>> wait_for_host.__bql_releases__
    True
    >>> bql.lock()
    >>> wait_for_host()
    >>> cell = bql.BqlRefCell(0)
    >>> with cell.borrow():
    ...     wait_for_host()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bql.errors.BqlUnlockError: wait_for_host() may release the BQL: cannot call it while 1 borrow is alive: borrow() at ...
    >>> bql.unlock()
    """

    def check(func: Callable[..., Any]) -> None:
        if STATE.live and STATE.checks and getattr(_HELD, "held", False):
            raise unlock_error(
                f"{callable_name(func)}() may release the BQL: cannot call it"
            )

    def check_resume(func: Callable[..., Any]) -> None:
        if STATE.live:
            check(func)

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        if is_generator_kind(func):
            return checked_generator(func, check_resume)
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                check(func)
                return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if STATE.live:
                check(func)
            return func(*args, **kwargs)

        return wrapper

    return _decorate(fn, wrap, "__bql_releases__")


def requires_bql(fn: F) -> F:
    """Check on entry to `fn` that the current thread holds the BQL.

    >>> import bql
    >>> @bql.requires_bql
    ... def reset() -> str:
    ...     return "reset"
    >>> with bql.locked():
    ...     reset()
    'reset'
    >>> reset()
    Traceback (most recent call last):
    ...
    bql.errors.BqlNotHeldError: reset() requires the BQL, and this thread does not hold it
    """

    def check(func: Callable[..., Any]) -> None:
        # BQL006 through calls: bqlint reports the call of a @requires_bql function.
        raise not_held_error(
            f"{callable_name(func)}() requires the BQL, and this thread does not hold it", func
        )

    def check_resume(func: Callable[..., Any]) -> None:
        if not getattr(_HELD, "held", False) and STATE.checks:
            check(func)

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        if is_generator_kind(func):
            return checked_generator(func, check_resume)
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if not getattr(_HELD, "held", False) and STATE.checks:
                    check(func)
                return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not getattr(_HELD, "held", False) and STATE.checks:
                check(func)
            return func(*args, **kwargs)

        return wrapper

    return _decorate(fn, wrap, "__bql_requires__")


def without_bql(fn: F) -> F:
    """Run `fn` without the BQL: a holder releases it for the call and takes it back after.

    >>> import bql
    >>> count = bql.BqlCell(0)
    >>> @bql.without_bql
    ... def worker() -> int:
    ...     with bql.locked():
    ...         return count.update(lambda n: n + 1)
    >>> worker()
    1
    >>> @bql.without_bql
    ... def careless() -> int:
    ...     return count.get()
    >>> with bql.locked():
    ...     careless()
    Traceback (most recent call last):
    ...
    bql.errors.BqlNotHeldError: BqlCell.get() without the BQL held by this thread

    A generator's body runs when it is resumed, not when it is called: the BQL is released
    around each resume and taken back before the value is handed on.

    >>> @bql.without_bql
    ... def polls():
    ...     yield bql.is_locked()
    ...     yield bql.is_locked()
    >>> with bql.locked():
    ...     list(polls()), bql.is_locked()
    ([False, False], True)
    """

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        return without_wrapper(func, function_kind(func))

    return _decorate(fn, wrap, "__bql_without__")


def function_kind(func: Callable[..., Any]) -> str:
    """Return which kind of function `func` is, by when its body runs."""
    if inspect.isasyncgenfunction(func):
        return "async generator"
    if inspect.iscoroutinefunction(func):
        return "coroutine"
    if inspect.isgeneratorfunction(func):
        return "generator"
    return "function"


def _decorate(
    fn: F, wrap: Callable[[Callable[..., Any]], Callable[..., Any]], marker: str
) -> F:
    """Apply `wrap` to `fn` and set `marker`, looking through static and class methods and
    properties: a contract written above ``@property`` checks each access, as one below it."""
    if isinstance(fn, (staticmethod, classmethod)):
        return cast(F, type(fn)(_marked(wrap, fn.__func__, marker)))
    if isinstance(fn, property):
        accessors = (fn.fget, fn.fset, fn.fdel)
        fget, fset, fdel = (
            None if accessor is None else _marked(wrap, accessor, marker)
            for accessor in accessors
        )
        return cast(F, type(fn)(fget, fset, fdel, fn.__doc__))
    if isinstance(fn, functools.cached_property):
        return cast(F, functools.cached_property(_marked(wrap, fn.func, marker)))
    return cast(F, _marked(wrap, fn, marker))


def _marked(
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]],
    func: Callable[..., Any],
    marker: str,
) -> Callable[..., Any]:
    """Return `wrap(func)` with `marker` set on it."""
    wrapped = wrap(func)
    setattr(wrapped, marker, True)
    return wrapped
