"""@releases_bql, @requires_bql, @without_bql: markers, metadata, and their run-time checks."""

from __future__ import annotations

import asyncio
import functools
import inspect
import operator
import sys
import threading

import bql
import pytest

DECORATORS = [
    (bql.releases_bql, "__bql_releases__"),
    (bql.requires_bql, "__bql_requires__"),
    (bql.without_bql, "__bql_without__"),
]


@pytest.mark.parametrize(("decorator", "marker"), DECORATORS)
def test_decorators_keep_metadata_and_set_a_marker(decorator, marker):
    def step(x: int, *, y: int = 1) -> int:
        """Add y."""
        return x + y

    wrapped = decorator(step)
    assert wrapped.__name__ == "step"
    assert wrapped.__doc__ == "Add y."
    assert wrapped.__qualname__ == step.__qualname__
    assert inspect.signature(wrapped) == inspect.signature(step)
    assert getattr(wrapped, marker) is True


@pytest.mark.parametrize(("decorator", "marker"), DECORATORS)
def test_decorators_work_on_methods_static_and_class_methods(
    bql_held, decorator, marker
):
    class Dev:
        def __init__(self) -> None:
            self.n = 2

        @decorator
        def double(self) -> int:
            return self.n * 2

        @decorator
        @staticmethod
        def one() -> int:
            return 1

        @decorator
        @classmethod
        def name(cls) -> str:
            return cls.__name__

    dev = Dev()
    if decorator is bql.without_bql:
        assert (dev.double(), Dev.one(), dev.name()) == (4, 1, "Dev")
        assert bql.is_locked()  # taken back after each call
    else:
        assert (dev.double(), Dev.one(), dev.name()) == (4, 1, "Dev")
    assert getattr(Dev.double, marker) is True


def test_releasing_function_refuses_a_caller_holding_a_borrow_even_if_it_would_not_release(
    bql_held,
):
    calls = []

    @bql.releases_bql
    def maybe_wait(wait: bool) -> None:
        calls.append(wait)
        if wait:
            with bql.unlocked():
                pass

    cell = bql.BqlRefCell(0)
    guard = cell.borrow_mut()
    guard_line = sys._getframe().f_lineno - 1
    with pytest.raises(bql.BqlUnlockError) as info:
        maybe_wait(False)
    assert calls == []
    assert str(info.value).startswith(
        "test_releasing_function_refuses_a_caller_holding_a_borrow_even_if_it_would_not"
        "_release.<locals>.maybe_wait() may release the BQL: cannot call it while 1 "
        "borrow is alive: borrow_mut() at "
    )
    function = (
        "test_releasing_function_refuses_a_caller_holding_a_borrow_even_if_it_would_not"
        "_release"
    )
    assert info.value.borrows == (
        f"borrow_mut() at {__file__}:{guard_line} in {function}",
    )
    guard.release()
    maybe_wait(True)
    assert calls == [True]
    assert bql.is_locked()


def test_releasing_function_checks_nothing_without_the_bql_or_with_checks_off():
    @bql.releases_bql
    def wait() -> int:
        return 1

    assert wait() == 1
    bql.set_checks(False)
    with bql.locked():
        guard = bql.BqlRefCell(0).borrow_mut()
        assert wait() == 1
        guard.release()


def test_calling_a_releasing_function_with_a_borrow_alive_raises(bql_held):
    @bql.releases_bql
    def wait_for_host() -> None:
        with bql.unlocked():
            pass

    cell = bql.BqlRefCell(0)
    with cell.borrow_mut(), pytest.raises(bql.BqlUnlockError):
        wait_for_host()
    wait_for_host()


def test_requires_bql_refuses_a_thread_without_the_bql():
    @bql.requires_bql
    def reset() -> str:
        return "done"

    with pytest.raises(
        bql.BqlNotHeldError,
        match=r"reset\(\) requires the BQL, and this thread does not hold it",
    ):
        reset()
    with bql.locked():
        assert reset() == "done"


def test_requires_bql_is_checked_per_thread(bql_held):
    @bql.requires_bql
    def reset() -> None:
        pass

    errors = []

    def other():
        try:
            reset()
        except bql.BqlNotHeldError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert len(errors) == 1
    reset()


def test_requires_bql_checks_nothing_with_checks_off():
    bql.set_checks(False)

    @bql.requires_bql
    def reset() -> int:
        return 1

    assert reset() == 1


def test_requires_bql_on_a_coroutine_function_checks_when_it_runs():
    @bql.requires_bql
    async def poll() -> int:
        return 3

    assert inspect.iscoroutinefunction(poll)
    with pytest.raises(bql.BqlNotHeldError):
        asyncio.run(poll())

    async def locked_poll() -> int:
        with bql.locked():
            return await poll()

    assert asyncio.run(locked_poll()) == 3


def test_without_bql_function_touching_a_cell_is_refused():
    count = bql.BqlCell(0)

    @bql.without_bql
    def worker() -> int:
        return count.get()

    with pytest.raises(bql.BqlNotHeldError):
        worker()


def test_without_bql_function_may_take_the_bql_itself():
    count = bql.BqlCell(0)

    @bql.without_bql
    def worker() -> int:
        with bql.locked():
            return count.update(lambda n: n + 1)

    assert worker() == 1
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    with bql.locked():
        assert count.get() == 2


def test_without_bql_called_by_the_holder_runs_without_it_and_retakes_it(bql_held):
    count = bql.BqlCell(0)
    seen = []

    @bql.without_bql
    def worker() -> None:
        seen.append(bql.is_locked())
        with pytest.raises(bql.BqlNotHeldError):
            count.get()
        with bql.locked():
            count.set(5)

    worker()
    assert seen == [False]
    assert bql.is_locked()
    assert count.get() == 5


def test_without_bql_called_by_the_holder_with_a_borrow_alive_raises(bql_held):
    cell = bql.BqlRefCell(0)

    @bql.without_bql
    def worker() -> None:
        pytest.fail("must not run")

    with cell.borrow(), pytest.raises(bql.BqlUnlockError):
        worker()
    assert bql.is_locked()


def test_without_bql_retakes_the_bql_when_the_function_raises(bql_held):
    @bql.without_bql
    def worker() -> None:
        raise OSError("device gone")

    with pytest.raises(OSError):
        worker()
    assert bql.is_locked()


def test_without_bql_on_a_coroutine_function(bql_held):
    @bql.without_bql
    async def worker() -> bool:
        return bql.is_locked()

    assert asyncio.run(worker()) is False
    assert bql.is_locked()


# rt14 #09: a generator's body runs at each resume, not at the call (SPEC §3.1.2), so the
# contract of @requires_bql / @releases_bql is checked at each resume.


@bql.requires_bql
def _requiring_gen():
    sent = yield bql.is_locked()
    yield sent


@bql.requires_bql
async def _requiring_agen():
    yield bql.is_locked()


def test_requires_bql_generator_is_checked_when_resumed_not_when_made():
    made_without = _requiring_gen()  # nothing runs yet: no error
    with bql.locked():
        assert next(made_without) is True
        assert made_without.send("x") == "x"  # sent values reach the body
        made_under = _requiring_gen()
    with pytest.raises(bql.BqlNotHeldError) as info:
        next(made_under)
    assert str(info.value).startswith("_requiring_gen() requires the BQL, and this thread does not hold it")
    assert info.value.rule == "BQL006"


def test_requires_bql_async_generator_is_checked_when_resumed():
    async def consume(agen):
        return [x async for x in agen]

    with bql.locked():
        made_under = _requiring_agen()
    with pytest.raises(bql.BqlNotHeldError, match=r"^_requiring_agen\(\) requires the BQL"):
        asyncio.run(consume(made_under))
    made_without = _requiring_agen()
    with bql.locked():
        assert asyncio.run(consume(made_without)) == [True]


def test_requires_bql_generator_passes_throw_close_and_return_value():
    @bql.requires_bql
    def gen():
        try:
            yield 1
        except KeyError:
            yield 2
        return 3

    with bql.locked():
        g = gen()
        assert next(g) == 1
        assert g.throw(KeyError()) == 2
        with pytest.raises(StopIteration) as stop:
            next(g)
        assert stop.value.value == 3
        g2 = gen()
        next(g2)
    g2.close()  # closing is not checked: the garbage collector may close anywhere


def test_releases_bql_generator_is_checked_when_resumed():
    @bql.releases_bql
    def waits():
        yield "waited"

    cell = bql.BqlRefCell(0)
    with bql.locked():
        with cell.borrow():
            made = waits()  # nothing runs yet: no error
        assert list(made) == ["waited"]
        later = waits()
        refused = r"waits\(\) may release the BQL: cannot call it"
        with cell.borrow(), pytest.raises(bql.BqlUnlockError, match=refused):
            next(later)


# rt14 #13: a region run without the BQL that takes it and keeps it is named as such; an
# exception ending it goes on unchanged, with a note, instead of a re-entrancy error.


@bql.without_bql
def _keeps_the_bql(fail: bool) -> str:
    bql.lock()
    if fail:
        raise ValueError("the real failure")
    return "done"


def test_a_without_bql_function_that_raises_holding_the_bql_keeps_its_exception():
    with bql.locked():
        with pytest.raises(ValueError, match="^the real failure") as info:
            _keeps_the_bql(True)
        assert info.value.__notes__ == [
            "bql: _keeps_the_bql() (@without_bql) returned holding the BQL: "
            "it took the BQL and did not release it"
        ]
        assert bql.is_locked()


def test_a_without_bql_function_that_returns_holding_the_bql_is_named():
    with bql.locked():
        with pytest.raises(bql.BqlError) as info:
            _keeps_the_bql(False)
        assert str(info.value) == (
            "_keeps_the_bql() (@without_bql) returned holding the BQL: it took the BQL and did not release it"
        )
        assert bql.is_locked()


def test_an_unlocked_block_that_raises_holding_the_bql_keeps_its_exception():
    with bql.locked():
        with pytest.raises(KeyError) as info, bql.unlocked():
            bql.lock()
            raise KeyError("the real failure")
        assert info.value.__notes__ == [
            "bql: the `with bql.unlocked():` block ended holding the BQL: "
            "it took the BQL and did not release it"
        ]
        with pytest.raises(bql.BqlError, match=r"^the `with bql.unlocked\(\):` block ended holding the BQL"):
            with bql.unlocked():
                bql.lock()
        assert bql.is_locked()


def test_a_without_bql_coroutine_that_raises_holding_the_bql_keeps_its_exception():
    @bql.without_bql
    async def keeps() -> None:
        bql.lock()
        raise ValueError("the real failure")

    with bql.locked():
        with pytest.raises(ValueError, match="^the real failure") as info:
            keeps().send(None)
        (note,) = info.value.__notes__
        assert note.startswith("bql: test_a_without_bql_coroutine_that_raises_holding_the_bql_keeps_its")


class _Handler:
    def __call__(self, x: int) -> int:
        return x + 1


@pytest.mark.parametrize(
    ("target", "name"),
    [(functools.partial(operator.add, 1), "add"), (_Handler(), "_Handler.__call__")],
)
def test_contracts_on_callables_without_a_qualname_raise_their_own_errors(target, name):
    # A partial or a callable object has no __qualname__: the check must still raise the
    # BQL error, naming what runs, and not AttributeError.
    with pytest.raises(bql.BqlNotHeldError) as info:
        bql.requires_bql(target)(1)
    assert str(info.value).startswith(
        f"{name}() requires the BQL, and this thread does not hold it"
    )
    cell = bql.BqlRefCell(0)
    with bql.locked():
        assert bql.requires_bql(target)(1) == 2
        guard = cell.borrow()
        with pytest.raises(bql.BqlUnlockError) as unlock_info:
            bql.releases_bql(target)(1)
        guard.release()
        assert bql.releases_bql(target)(1) == 2
    assert str(unlock_info.value).startswith(
        f"{name}() may release the BQL: cannot call it while 1 borrow is alive"
    )
    assert bql.without_bql(target)(1) == 2


@pytest.mark.parametrize(("decorator", "marker"), DECORATORS)
def test_a_contract_written_above_property_checks_each_access(decorator, marker):
    class Dev:
        def __init__(self) -> None:
            self.level = bql.BqlCell(3)

        @decorator
        @property
        def current(self) -> int:
            """The level."""
            return self.level.get()

        @decorator
        @current.setter
        def current(self, value: int) -> None:
            self.level.set(value)

        @decorator
        @functools.cached_property
        def first(self) -> int:
            return self.level.get()

    owner = r"^test_a_contract_written_above_property_checks_each_access\.<locals>\."
    assert isinstance(Dev.__dict__["current"], property)
    assert Dev.current.__doc__ == "The level."
    assert getattr(Dev.current.fget, marker) is True
    assert getattr(Dev.current.fset, marker) is True
    dev = Dev()
    if decorator is bql.requires_bql:
        with pytest.raises(bql.BqlNotHeldError, match=owner + r"Dev\.current\(\) requires the BQL"):
            dev.current
        with pytest.raises(bql.BqlNotHeldError, match=owner + r"Dev\.current\(\) requires the BQL"):
            dev.current = 4
        with pytest.raises(bql.BqlNotHeldError, match=owner + r"Dev\.first\(\) requires the BQL"):
            dev.first
    with bql.locked():
        if decorator is bql.without_bql:  # the getter runs without the BQL
            with pytest.raises(bql.BqlNotHeldError, match=r"^BqlCell\.get\(\)"):
                dev.current
            return
        dev.current = 5
        assert (dev.current, dev.first) == (5, 5)
        guard = bql.BqlRefCell(0).borrow()
        if decorator is bql.releases_bql:
            with pytest.raises(bql.BqlUnlockError, match=owner + r"Dev\.current\(\) may release"):
                dev.current
        guard.release()
