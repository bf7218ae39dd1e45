"""`pytest --bql-crosscheck`: every run-time twin of the fixtures is caught by bqlint at its row.

Each case runs a pytest session inside this one (pytester): the inner tests drive broken
devices until the runtime raises, and the plugin matches each error with bqlint's findings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bql.crosscheck import static_findings

from tests.fixture_markers import FIXTURES, markers

pytest_plugins = ["pytester"]

BROKEN = FIXTURES / "pl011_broken"
RULES = FIXTURES / "rules"

# pytester's in-process runs put `sys.modules` back as it was after each run, so a module
# bqlint imports lazily during one run would be imported afresh in the next, and its classes
# would no longer be the ones earlier-imported modules hold. Load them all once, before.
static_findings([str(RULES / "BQL002" / "direct_unlock_call.py")])
# Files whose bug is a run-time error (guard_returned.py's escape is not: SPEC has no
# run-time twin of BQL005 for a returned guard, only for a use after release).
RUNNABLE_BROKEN = sorted(p.name for p in BROKEN.glob("*.py") if p.name != "guard_returned.py")

PL011_DRIVERS = '''
import importlib.util
from pathlib import Path

import bql
import pytest
from bql.chardev import MemoryChardev
from pl011.registers import RegisterOffset as R

BROKEN = Path(%(broken)r)


def board(name, backend=None):
    spec = importlib.util.spec_from_file_location("broken_" + name[:-3], BROKEN / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    backend = backend if backend is not None else MemoryChardev()
    uart = module.PL011State(chardev=backend)
    for n in range(6):
        uart.connect_irq(n, bql.IRQLine())
    return uart, backend


TRIGGERS = {
    "accept_input_inside_borrow.py": lambda u, b: (b.feed(b"ab"), u.read(R.DR, 4)),
    "borrow_across_releasing_helper.py": lambda u, b: u.write(R.LCR_H, 0x1, 4),
    "borrow_across_unlocked.py": lambda u, b: u.write(R.DR, 0x41, 4),
    "cell_op_inside_unlocked.py": lambda u, b: u.write(R.DR, 0x41, 4),
    "field_assigned_on_self.py": lambda u, b: u.write(R.DR, 0x41, 4),
    "reset_update_inside_borrow.py": lambda u, b: u.reset(),
    "update_inside_borrow.py": lambda u, b: u.write(R.IMSC, 0x10, 4),
    "update_two_calls_deep.py": lambda u, b: b.feed(b"x"),
    "write_all_inside_borrow.py": lambda u, b: u.write(R.DR, 0x41, 4),
    "write_through_shared_borrow.py": lambda u, b: u.write(R.IMSC, 0x10, 4),
}


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_bug_fires(bql_held, name):
    backend = MemoryChardev(echo=name in ("write_all_inside_borrow.py", "cell_op_inside_unlocked.py"))
    uart, backend = board(name, backend)
    uart.realize()
    if name != "reset_update_inside_borrow.py":
        uart.reset()
        uart.write(R.CR, 0x301, 4)
    with pytest.raises(bql.BqlError):
        TRIGGERS[name](uart, backend)


def test_rebinding_fires(bql_held):
    spec = importlib.util.spec_from_file_location("broken_rebinding", BROKEN / "cell_rebinding.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(bql.BqlError):
        module.PL011State().clock_hz = 1
'''


def run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, list[dict[str, object]]]]:
    report = pytester.path / "crosscheck.json"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--bql-crosscheck-report", str(report), *args)
    return result, json.loads(report.read_text())


def expected(paths: list[Path]) -> set[tuple[str, str, int]]:
    return {(m.code, str(m.path), m.row) for path in paths for m in markers(path) if m.kind == "expect"}


def test_every_runnable_pl011_broken_bug_is_caught_statically_at_its_row(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_broken=PL011_DRIVERS % {"broken": str(BROKEN)})
    result, report = run(pytester, "--bql-crosscheck-strict")
    result.assert_outcomes(passed=len(RUNNABLE_BROKEN))
    seen = {(e["rule"], e["path"], e["row"]) for e in report["runtime_errors"]}
    assert seen == expected([BROKEN / name for name in RUNNABLE_BROKEN])
    assert all(e["caught"] for e in report["runtime_errors"])
    assert {(c["rule"], c["path"], c["row"]) for c in report["confirmed"]} == seen
    result.stdout.fnmatch_lines(["*11 run-time BQL errors at 11 locations: 11 caught statically, 0 missed*"])


DICT_CALLBACK = '''
import bql


class Timer(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])
        self.handlers = {"tick": self.tick}

    def tick(self) -> None:
        with self.regs.borrow_mut() as regs:
            regs[0] += 1

    def run(self, name: str) -> None:
        with self.regs.borrow_mut() as regs:
            regs[0] = 0
            self.handlers[name]()  # a callback through a dict: bqlint cannot resolve it
'''

DICT_TEST = '''
import bql
import pytest
from timer import Timer


def test_dict_callback(bql_held):
    timer = Timer()
    timer.realize()
    with pytest.raises(bql.BorrowError):
        timer.run("tick")
'''


def row_of(source: str, text: str) -> int:
    """Return the row of `text` in `source` as pytester writes it (outer blank lines dropped)."""
    return next(n for n, line in enumerate(source.strip("\n").splitlines(), 1) if text in line)


def test_a_callback_through_a_dict_is_a_miss_with_its_reproducer(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(timer=DICT_CALLBACK, test_timer=DICT_TEST)
    row = row_of(DICT_CALLBACK, "self.handlers[name]()")
    call = row_of(DICT_TEST, 'timer.run("tick")')
    pytester.syspathinsert()
    result, report = run(pytester)
    result.assert_outcomes(passed=1)
    device = str(pytester.path / "timer.py")
    assert report == {
        "runtime_errors": [
            {"rule": "BQL003", "path": device, "row": row, "test": "test_timer.py::test_dict_callback", "caught": False}
        ],
        "confirmed": [],
    }
    result.stdout.fnmatch_lines(
        [
            "*1 run-time BQL errors at 1 locations: 0 caught statically, 1 missed*",
            f"*✗ missed*BQL003 timer.py:{row}*",
            f"bqlint missed BQL003 at {device}:{row} (raised in test_timer.py::test_dict_callback):",
            f"  device file: {device}",
            "  call chain:",
            f"    {pytester.path / 'test_timer.py'}:{call} in test_dict_callback",
            f"    {device}:{row} in run",
            f"  rerun: bqlint check --select BQL003 {device}",
        ]
    )
    assert result.ret == 0


def test_strict_fails_the_session_on_a_miss(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(timer=DICT_CALLBACK, test_timer=DICT_TEST)
    pytester.syspathinsert()
    result, _ = run(pytester, "--bql-crosscheck-strict")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*--bql-crosscheck-strict: bqlint missed a run-time error*"])


def test_without_the_option_nothing_is_recorded_or_printed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(timer=DICT_CALLBACK, test_timer=DICT_TEST)
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "bql cross-check" not in result.stdout.str()


RULE_DRIVER = '''
from pathlib import Path

import pytest

from tests.runtime.fixture_driver import drive

FILES = %(files)r


@pytest.mark.parametrize("path", FILES)
def test_drive(path):
    drive(Path(path))
'''


def rule_fixture_files() -> list[Path]:
    return sorted(p for p in RULES.glob("BQL00[1-7]/*.py"))


def test_rule_fixtures_that_run_raise_only_what_bqlint_reports_at_the_same_row(pytester: pytest.Pytester) -> None:
    files = rule_fixture_files()
    pytester.makepyfile(test_rules=RULE_DRIVER % {"files": [str(p) for p in files]})
    result, report = run(pytester)
    result.assert_outcomes(passed=len(files))
    errors = [e for e in report["runtime_errors"] if str(e["path"]).startswith(str(RULES))]
    seen = {(e["rule"], e["path"], e["row"]) for e in errors}
    misses = sorted(k for k in seen if not any(e["caught"] for e in errors if (e["rule"], e["path"], e["row"]) == k))
    # Rows agree also where CPython runs the statement on another line than the node starts
    # (a multi-line `with` enters its items at the `with` row; bql.rows finds the item).
    assert misses == []
    assert ("BQL002", str(RULES / "BQL002" / "unlocked_with_item.py"), 38) in seen
    fired = {Path(str(path)).parent.name for _, path, _ in seen}
    assert fired == {"BQL001", "BQL002", "BQL003", "BQL004", "BQL005", "BQL006", "BQL007"}
    assert seen - set(misses) <= expected(files)


SILENCED = '''
import bql


class Dev(bql.Device):
    def __init__(self):
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def noqa(self):
        with self.regs.borrow_mut() as r:
            r[0] = 1
            bql.unlock()  # noqa: BQL002

    def ignored(self):
        with self.regs.borrow_mut() as r:
            r[0] = 2
            bql.unlock()  # bqlint: ignore[BQL002] the cross-check still sees it
'''

SILENCED_TEST = '''
import bql
import pytest

from silenced import Dev


@pytest.mark.parametrize("method", ["noqa", "ignored"])
def test_silenced(method):
    with pytest.raises(bql.BqlUnlockError), bql.locked():
        getattr(Dev(), method)()
'''


def test_a_finding_silenced_by_a_comment_is_still_caught(pytester: pytest.Pytester) -> None:
    # As for `ignore` and `per-file-ignores`: bqlint saw the bug; the project chose to hide it.
    pytester.makepyfile(silenced=SILENCED, test_silenced=SILENCED_TEST)
    pytester.syspathinsert()
    result, report = run(pytester, "--bql-crosscheck-strict")
    result.assert_outcomes(passed=2)
    device = str(pytester.path / "silenced.py")
    rows = [row_of(SILENCED, "# noqa: BQL002"), row_of(SILENCED, "# bqlint: ignore[BQL002]")]
    assert sorted((e["rule"], e["path"], e["row"], e["caught"]) for e in report["runtime_errors"]) == [
        ("BQL002", device, row, True) for row in rows
    ]
    assert result.ret == 0
