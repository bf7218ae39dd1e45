"""`--bql-crosscheck-report FILE`: never a source or a configuration (crash6 #2), and a
report that cannot be written is one error line, not a crash of the session (crash6 #8)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bql.crosscheck import static_findings

from tests.fixture_markers import FIXTURES

pytest_plugins = ["pytester"]

# As in test_bql_crosscheck.py: import what bqlint loads lazily once, before the in-process runs.
static_findings([str(FIXTURES / "rules" / "BQL002" / "direct_unlock_call.py")])

PASSING = "def test_nothing():\n    assert True\n"
SOURCE = "refusing to overwrite a Python source file; name another file"
CONFIG = "refusing to overwrite a configuration file; name another file"


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("test_dev.py", SOURCE),
        ("dev.py", SOURCE),
        ("conftest.py", SOURCE),
        ("stub.PYI", SOURCE),
        ("pyproject.toml", CONFIG),
        ("bqlint.toml", CONFIG),
        ("setup.cfg", CONFIG),
        ("pytest.ini", CONFIG),
        ("tox.ini", CONFIG),
    ],
)
def test_a_source_or_configuration_target_is_a_usage_error_before_any_test(
    pytester: pytest.Pytester, target: str, why: str
) -> None:
    pytester.makepyfile(test_dev=PASSING)
    for name in ("dev.py", "conftest.py", "stub.PYI", "pyproject.toml", "bqlint.toml", "setup.cfg", "tox.ini"):
        (pytester.path / name).write_text("# keep\n", encoding="utf-8")
    (pytester.path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    before = {path.name: path.read_bytes() for path in pytester.path.iterdir() if path.is_file()}
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--bql-crosscheck-report", target)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines == [f"ERROR: --bql-crosscheck-report {target}: {why}", ""]
    assert "passed" not in result.stdout.str()
    assert {path.name: path.read_bytes() for path in pytester.path.iterdir() if path.is_file()} == before


def test_the_configuration_read_under_another_name_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dev=PASSING)
    ini = pytester.path / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    os.link(ini, pytester.path / "settings.txt")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--bql-crosscheck-report", "settings.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines == [f"ERROR: --bql-crosscheck-report settings.txt: {CONFIG}", ""]
    assert ini.read_text(encoding="utf-8") == "[pytest]\n"


def test_an_ordinary_report_name_is_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dev=PASSING)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--bql-crosscheck-report", "report.json")
    assert result.ret == pytest.ExitCode.OK
    assert (pytester.path / "report.json").read_text(encoding="utf-8").startswith("{")


def _targets(root: Path) -> list[tuple[str, str]]:
    (root / "adir").mkdir()
    found = [("adir", "Is a directory"), ("no/such/report.json", "No such file or directory")]
    if os.path.exists("/dev/full"):
        found.append(("/dev/full", "No space left on device"))
    return found


def test_an_unwritable_report_is_one_line_and_keeps_the_summary_and_exit_status(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dev=PASSING)
    for target, reason in _targets(pytester.path):
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--bql-crosscheck-report", target)
        assert result.ret == pytest.ExitCode.OK
        result.assert_outcomes(passed=1)
        text = result.stdout.str()
        assert "Traceback" not in text + result.stderr.str()
        assert "bql cross-check: run-time errors vs bqlint" in text
        errors = [line for line in result.stdout.lines if line.startswith("error:")]
        assert errors == [f"error: cannot write the cross-check report {target}: {reason}"]


def test_an_unwritable_report_keeps_a_failing_session_failing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_dev="def test_fails():\n    assert False\n")
    (pytester.path / "adir").mkdir()
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--bql-crosscheck-report", "adir")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["error: cannot write the cross-check report adir: Is a directory"])
