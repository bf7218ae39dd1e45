"""Rows are Python's rows everywhere a row is mapped to a line of text: fixes, suppressions,
code frames, baseline and SARIF fingerprints (issue 9: `str.splitlines()` broke at more)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bqlint.baseline import line_text
from bqlint.config import Settings
from bqlint.diagnostics import Diagnostic, Edit, Position, Span
from bqlint.fixes import apply_edits, fix_text
from bqlint.report.sarif import _line_hash
from bqlint.source import line_starts, python_lines
from bqlint.suppression import apply_suppressions, noqa_row, parse_suppressions
from tests.fix.devices import device

PATH = Path("/p/dev.py")
ODD = "\x0c\x0b\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", []),
        ("a", ["a"]),
        ("a\n", ["a"]),
        ("a\n\n", ["a", ""]),
        ("a\r\nb\rc\nd", ["a", "b", "c", "d"]),
        (f"a{ODD}b\nc", [f"a{ODD}b", "c"]),
        ("\r\r\n\n", ["", "", ""]),
    ],
)
def test_python_lines_break_only_at_python_line_breaks(text, lines):
    assert python_lines(text) == lines
    assert "".join(python_lines(text, keepends=True)) == text
    assert line_starts(text)[-1] == len(text)


def test_python_lines_agree_with_the_tokenizer_rows():
    text = f"x = 1  # a{ODD}b\r\ny = 2\rz = 3\n"
    rows = [node.lineno for node in ast.parse(text).body]
    assert rows == [1, 2, 3]
    assert [python_lines(text)[row - 1][:1] for row in rows] == ["x", "y", "z"]


def test_an_edit_after_odd_characters_lands_on_its_row():
    text = f"a = 1  # x{ODD}y\nb = OLD\n"
    assert apply_edits(text, [Edit("NEW", Position(2, 5), Position(2, 8))]) == f"a = 1  # x{ODD}y\nb = NEW\n"


def test_unused_suppression_fix_after_odd_characters_removes_only_the_comment():
    text = f"x = 1  # c{ODD}d\ny = 2  # bqlint: ignore[BQL002]\n"
    found = apply_suppressions(PATH, text, [], Settings())
    assert [(d.code, d.span.start.row) for d in found] == [("BQL100", 2)]
    assert fix_text(text, found).text == f"x = 1  # c{ODD}d\ny = 2\n"


def test_suppression_rows_follow_lone_carriage_returns():
    text = "x = 1\ry = 2  # noqa: BQL002\r"
    assert list(parse_suppressions(text).by_row) == [2]
    assert noqa_row('s = """\r\r"""\r', 2) == 3


def test_baseline_and_sarif_read_the_reported_row():
    text = f"a = 1  # {ODD}\nb = 2\n"
    d = Diagnostic("BQL007", "n", "m", Span(PATH, Position(2, 1), Position(2, 2)))
    assert line_text({PATH: text}, d) == "b = 2"
    plain = {PATH: "a = 1\nb = 2\n"}
    assert _line_hash(d, {PATH: text}) == _line_hash(d, plain)


def test_code_frame_shows_the_reported_row_after_odd_characters(project, invoke):
    project({"a.py": device(f"# a{ODD}b", "self.level = 3")})
    result = invoke("check", "--output-format", "full")
    assert "12 |         self.level = 3\n" in result.stdout
