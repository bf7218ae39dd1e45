"""The pytest plugin: `bql_held`, and one test's leftovers never reach the next test."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

LEAKY_TESTS = """
import threading
import bql

def test_leaves_the_bql_held():
    bql.lock()

def test_bql_is_free_again():
    assert not bql.is_locked()
    bql.lock(); bql.unlock()

def test_leaves_a_borrow_alive(bql_held):
    global GUARD
    GUARD = bql.BqlRefCell(0).borrow_mut()

def test_unlock_is_not_refused_for_the_old_borrow():
    bql.lock()
    bql.unlock()

def test_leaves_checks_off():
    bql.set_checks(False)

def test_checks_are_back_on():
    assert bql.checks_enabled()

def test_finished_thread_left_the_bql_held():
    t = threading.Thread(target=bql.lock)
    t.start(); t.join()

def test_bql_is_free_after_the_thread():
    bql.lock(); bql.unlock()
"""


def test_leftovers_do_not_poison_the_next_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaky=LEAKY_TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=8)


def test_bql_held_holds_the_bql_for_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_held="""
import bql

def test_held(bql_held):
    assert bql.is_locked()
    bql.BqlCell(1).set(2)

def test_released_inside_is_fine(bql_held):
    bql.unlock()

def test_not_held_without_fixture():
    assert not bql.is_locked()
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3)
