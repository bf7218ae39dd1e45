"""Property tests of --fix (hypothesis, programs from hypothesmith): on device methods with
BQL007 cases, generated code spliced in and odd line breaks in comments and strings, the
fixed file compiles, a second --fix changes nothing, and only the reported rows change.

Bounded for CI; `BQLINT_FUZZ_EXAMPLES=2000` runs longer.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import hypothesmith
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bqlint.cli import main
from bqlint.source import python_lines

# Generated programs compile with warnings (`1()`); they are the programs', not bqlint's.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
EXAMPLES = int(os.environ.get("BQLINT_FUZZ_EXAMPLES", "50"))
INDENT = "        "

HEADER = """\
import bql
from bql import BqlCell, BqlRefCell


class Regs:
    def __init__(self) -> None:
        self.cr = 0


class Gpio(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.level = BqlCell(0)
        self.count = BqlCell(0)
        self.regs = BqlRefCell(Regs())

    def write(self, value: int) -> None:
        x = 1
"""
ODD = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]

values = st.sampled_from(
    ["3", "value", "value + 1", "(value)", "-value", "value if value else 0", "f'{value}'", '"a\\u2028b"']
)
# Building the grammar takes about a second: once per session, not per example.
programs = hypothesmith.from_grammar()
odd_text = st.lists(st.sampled_from(ODD + ["a", " ", "é"]), min_size=1, max_size=6).map("".join)
rebinding = st.one_of(
    st.builds(lambda f, v: f"self.{f} = {v}", st.sampled_from(["level", "count"]), values),
    st.builds(lambda op, v: f"self.level {op}= {v}", st.sampled_from(["+", "-", "*", "|", "<<"]), values),
    st.builds(lambda v, t: f"self.count = {v}  # {t}", values, odd_text),
    st.builds(lambda v: f"x = 2; self.level = {v}", values),
)
noise = st.one_of(
    st.builds(lambda t: f"# {t}", odd_text),
    st.builds(lambda t: f"s = {t!r}", odd_text),
    st.builds(lambda t: f"s = '''{t}'''", odd_text),
    st.builds(lambda t: f's = """{t}\n{t}"""', odd_text),
)


def _indented(code: str, depth: int = 1) -> str:
    return "".join(INDENT[: 4 * (depth + 1)] + line for line in python_lines(code, keepends=True))


statement = st.one_of(
    rebinding.map(_indented),
    noise.map(_indented),
    rebinding.map(lambda s: INDENT + "with self.regs.borrow() as regs:\n" + _indented(s, 2)),
    programs.map(_indented),
)


@st.composite
def devices(draw: st.DrawFn) -> str:
    """A device module: generated code before the class, and a method mixing the rest."""
    before = draw(st.one_of(st.just(""), programs))
    body = draw(st.lists(statement, min_size=1, max_size=6))
    lines = [line if line.endswith(("\n", "\r")) else line + "\n" for line in body]
    prefix = before if before.endswith(("\n", "\r")) or not before else before + "\n"
    return prefix + HEADER + "".join(lines)


def _compiles(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "device.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _check(path: Path, *options: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", "--no-cache", *options, str(path)], catch_exceptions=False)
    assert "crashed" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def _fix_rows(report: str) -> set[int]:
    rows: set[int] = set()
    for finding in json.loads(report):
        if finding["fix"] is not None and finding["fix"]["applicability"] == "safe":
            for edit in finding["fix"]["edits"]:
                rows.update(range(edit["location"]["row"], edit["end_location"]["row"] + 1))
    return rows


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(devices())
def test_fix_compiles_is_idempotent_and_changes_only_reported_rows(source: str) -> None:
    data = source.encode("utf-8")
    assume(_compiles(data))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "device.py"
        path.write_bytes(data)
        code, report, _ = _check(path, "--output-format", "json")
        assert code in (0, 1)
        rows = _fix_rows(report)
        code, _, errors = _check(path, "--fix")
        assert code in (0, 1) and "not fixing" not in errors, errors
        fixed = path.read_bytes()
        assert _compiles(fixed)
        before, after = python_lines(source), python_lines(fixed.decode("utf-8"))
        assert len(before) == len(after)
        changed = {row for row, (old, new) in enumerate(zip(before, after), start=1) if old != new}
        assert changed <= rows, (changed, rows)
        assert (fixed != data) == bool(rows)
        assert _check(path, "--fix")[0] == code
        assert path.read_bytes() == fixed


def _noqa_rows(report: str) -> set[int]:
    return {f["noqa_row"] for f in json.loads(report) if f["code"] not in ("BQL100", "BQL999")}


@settings(
    max_examples=EXAMPLES // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
@given(devices())
def test_add_noqa_compiles_changes_only_noqa_rows_and_silences_the_findings(source: str) -> None:
    data = source.encode("utf-8")
    assume(_compiles(data))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "device.py"
        path.write_bytes(data)
        rows = _noqa_rows(_check(path, "--output-format", "json")[1])
        code, _, errors = _check(path, "--add-noqa")
        assert code == 0 and "not adding" not in errors, errors
        changed_text = path.read_bytes()
        assert _compiles(changed_text)
        before, after = python_lines(source), python_lines(changed_text.decode("utf-8"))
        changed = {row for row, (old, new) in enumerate(zip(before, after), start=1) if old != new}
        assert len(before) == len(after) and changed == rows, (changed, rows)
        assert _noqa_rows(_check(path, "--output-format", "json")[1]) == set()
