"""The `bql` pytest plugin: `bql_held`, a clean BQL state per test, and `--bql-crosscheck`.

Registered as the ``bql`` pytest11 entry point. Like QEMU's ``bql::start_test()``, a test
that requests `bql_held` runs with the BQL held by its thread. After every test
(doctests included) the runtime is reset: the BQL released, live borrows forgotten, the
checks switched back to their default, so one broken test does not poison the next.

``pytest --bql-crosscheck`` records every run-time BQL error of the session and checks
with bqlint that each was caught statically (`bql.crosscheck`, SPEC §2.3.1);
``--bql-crosscheck-report FILE`` writes the JSON report, ``--bql-crosscheck-strict``
fails the session when bqlint missed one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Generator, Iterator

import pytest

from .crosscheck import Crosscheck
from .errors import BqlError
from .lock import _HELD, lock, reset_for_tests, unlock
from .report_target import report_target_problem, write_report

__all__ = ["bql_held"]

_KEY = pytest.StashKey[Crosscheck]()
# Why the report could not be written, printed once the session's summary is.
_UNWRITTEN = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the cross-check options."""
    group = parser.getgroup("bql", "bql run-time checks")
    group.addoption(
        "--bql-crosscheck",
        action="store_true",
        help="record every run-time BQL error and check that bqlint reports it statically",
    )
    group.addoption(
        "--bql-crosscheck-report",
        metavar="FILE",
        help="write the cross-check as JSON to FILE (implies --bql-crosscheck)",
    )
    group.addoption(
        "--bql-crosscheck-strict",
        action="store_true",
        help="fail the session when bqlint missed a run-time BQL error (implies --bql-crosscheck)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Start recording when the cross-check is asked for; refuse a report target that is
    a source or a configuration (a usage error, before any test runs)."""
    options = config.option
    if options.bql_crosscheck_report:
        problem = report_target_problem(options.bql_crosscheck_report, config.inipath)
        if problem is not None:
            raise pytest.UsageError(problem)
    if options.bql_crosscheck or options.bql_crosscheck_report or options.bql_crosscheck_strict:
        crosscheck = Crosscheck()
        crosscheck.start()
        config.stash[_KEY] = crosscheck


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop recording."""
    crosscheck = config.stash.get(_KEY, None)
    if crosscheck is not None:
        crosscheck.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    """Attribute the errors recorded while `item` runs to it."""
    crosscheck = item.config.stash.get(_KEY, None)
    if crosscheck is not None:
        crosscheck.test = item.nodeid
    yield
    if crosscheck is not None:
        crosscheck.test = "<session>"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Run bqlint over the files involved, write the report, fail a strict session on a miss."""
    crosscheck = session.config.stash.get(_KEY, None)
    if crosscheck is None:
        return
    crosscheck.stop()
    crosscheck.analyse()
    report_path = session.config.option.bql_crosscheck_report
    if report_path:
        problem = write_report(report_path, json.dumps(crosscheck.report(), indent=2) + "\n")
        if problem is not None:
            if session.config.pluginmanager.get_plugin("terminalreporter") is None:
                print(f"error: {problem}", file=sys.stderr)
            else:
                session.config.stash[_UNWRITTEN] = problem
    if session.config.option.bql_crosscheck_strict and crosscheck.misses:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print the cross-check table."""
    crosscheck = config.stash.get(_KEY, None)
    if crosscheck is None:
        return
    terminalreporter.section("bql cross-check: run-time errors vs bqlint")
    for line in crosscheck.table(None if config.option.verbose > 0 else 10):
        terminalreporter.write_line(line)
    if config.option.bql_crosscheck_strict and crosscheck.misses:
        terminalreporter.write_line("--bql-crosscheck-strict: bqlint missed a run-time error", red=True)
    unwritten = config.stash.get(_UNWRITTEN, None)
    if unwritten is not None:
        terminalreporter.write_line(f"error: {unwritten}", red=True)


@pytest.fixture
def bql_held() -> Iterator[None]:
    """Hold the BQL for the test (released after it, even if the test left a borrow alive)."""
    if not getattr(_HELD, "held", False):
        lock()
    yield
    if getattr(_HELD, "held", False):
        try:
            unlock()
        except BqlError:
            reset_for_tests()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """Reset the runtime once the test's own fixtures have been torn down."""
    yield
    reset_for_tests()
