from __future__ import annotations

import pytest

from bqlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Span
from bqlint.fixes import UnparsableFix, apply_edits, fix_text
from tests.cli.conftest import word_findings


def test_edits_apply_from_the_end_so_positions_stay_valid():
    text = "ab\ncd\n"
    edits = [
        Edit("X", Position(1, 1), Position(1, 2)),
        Edit("YY", Position(2, 2), Position(2, 3)),
        Edit("!", Position(3, 1), Position(3, 1)),
    ]
    assert apply_edits(text, edits) == "Xb\ncYY\n!"


def test_overlapping_edits_are_refused():
    with pytest.raises(ValueError):
        apply_edits("abc", [Edit("", Position(1, 1), Position(1, 3)), Edit("", Position(1, 2), Position(1, 4))])


def test_columns_count_characters_not_bytes():
    assert apply_edits("é = OLD\n", [Edit("NEW", Position(1, 5), Position(1, 8))]) == "é = NEW\n"


def test_overlapping_fixes_are_left_for_the_next_pass(tmp_path):
    path = tmp_path / "a.py"
    first = Diagnostic(
        "BQL007",
        "n",
        "m",
        Span(path, Position(1, 1), Position(1, 2)),
        fix=Fix("f", Applicability.SAFE, (Edit("y", Position(1, 1), Position(1, 2)),)),
    )
    second = Diagnostic(
        "BQL007",
        "n",
        "m",
        Span(path, Position(1, 1), Position(1, 2)),
        fix=Fix("f", Applicability.SAFE, (Edit("z", Position(1, 1), Position(1, 2)),)),
    )
    result = fix_text("x = 1\n", [first, second])
    assert result.text == "y = 1\n"
    assert result.applied == 1
    assert result.skipped == [second]


def test_unsafe_fixes_need_the_flag(tmp_path):
    text = "RISKY = 1\n"
    findings = word_findings(tmp_path / "a.py", text)
    assert fix_text(text, findings).text == text
    assert fix_text(text, findings, unsafe=True).text == "CHECKED = 1\n"


def test_a_fix_whose_result_does_not_parse_is_refused(tmp_path):
    text = "BREAK = 1\n"
    with pytest.raises(UnparsableFix):
        fix_text(text, word_findings(tmp_path / "a.py", text))


def test_fix_writes_safe_fixes_and_reports_what_remains(project, fake_engine, invoke):
    root = project({"a.py": "OLD = 1\nRISKY = 2\n"})
    result = invoke("check", "--fix", "--output-format", "concise")
    assert (root / "a.py").read_text() == "NEW = 1\nRISKY = 2\n"
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "a.py:2:1: BQL007 `RISKY` is rebound",
        "Found 2 errors (1 fixed, 1 remaining).",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]
    assert len(fake_engine) == 2  # checked again after writing


def test_fix_with_unsafe_fixes_fixes_everything_and_exits_0(project, fake_engine, invoke):
    root = project({"a.py": "OLD = 1\nRISKY = 2\n"})
    result = invoke("check", "--fix", "--unsafe-fixes")
    assert result.exit_code == 0
    assert (root / "a.py").read_text() == "NEW = 1\nCHECKED = 2\n"
    assert result.stdout == "Found 2 errors (2 fixed, 0 remaining).\n"


def test_fix_refuses_to_write_a_file_that_would_not_parse(project, fake_engine, invoke):
    root = project({"a.py": "BREAK = 1\nOLD = 2\n", "b.py": "OLD = 3\n"})
    result = invoke("check", "--fix", "--output-format", "concise")
    assert (root / "a.py").read_text() == "BREAK = 1\nOLD = 2\n"
    assert (root / "b.py").read_text() == "NEW = 3\n"
    assert "not fixing" in result.stderr and "a.py" in result.stderr and "would not parse" in result.stderr
    assert result.exit_code == 1
    assert "a.py:1:1: BQL007 [*] `BREAK` is rebound" in result.stdout


def test_diff_prints_the_fixes_without_writing_and_exits_1(project, fake_engine, invoke):
    root = project({"a.py": "OLD = 1\n"})
    result = invoke("check", "--diff")
    assert result.exit_code == 1
    assert (root / "a.py").read_text() == "OLD = 1\n"
    assert result.stdout == "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-OLD = 1\n+NEW = 1\n"
    assert "Would fix 1 error." in result.stderr


def test_diff_shows_what_fix_writes_when_fixes_take_two_passes(project, fake_engine, invoke):
    """As ruff's: the diff is of the text `--fix` would write, fixed again until stable."""
    root = project({"a.py": "STALE = 1\nOLD = 2\n"})
    diff = invoke("check", "--diff")
    assert (root / "a.py").read_text() == "STALE = 1\nOLD = 2\n"
    assert diff.stdout == "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n-STALE = 1\n-OLD = 2\n+NEW = 1\n+NEW = 2\n"
    assert "Would fix 3 errors." in diff.stderr
    fixed = invoke("check", "--fix")
    assert (root / "a.py").read_text() == "NEW = 1\nNEW = 2\n"
    assert fixed.stdout == "Found 3 errors (3 fixed, 0 remaining).\n"


def test_diff_without_fixes_exits_0(project, fake_engine, invoke):
    project({"a.py": "RISKY = 1\n"})
    result = invoke("check", "--diff")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_fix_from_stdin_prints_the_fixed_source(project, fake_engine, invoke):
    root = project({})
    result = invoke("check", "--fix", "--stdin-filename", "a.py", input="OLD = 1\nRISKY = 2\n")
    assert result.stdout == "NEW = 1\nRISKY = 2\n"
    assert "RISKY" in result.stderr
    assert result.exit_code == 1
    assert not (root / "a.py").exists()


def test_fixes_of_suppressed_findings_are_not_applied(project, fake_engine, invoke):
    root = project({"a.py": "OLD = 1  # noqa: BQL007\n"})
    assert invoke("check", "--fix").exit_code == 0
    assert (root / "a.py").read_text() == "OLD = 1  # noqa: BQL007\n"


def test_fix_keeps_windows_line_endings(project, fake_engine, invoke):
    root = project({})
    (root / "a.py").write_bytes(b"x = 1\r\nOLD = 2\r\n")
    assert invoke("check", "--fix").exit_code == 0
    assert (root / "a.py").read_bytes() == b"x = 1\r\nNEW = 2\r\n"


@pytest.mark.parametrize(
    "edits",
    [
        [("X", (2, 1), (2, 5)), ("Y", (2, 3), (2, 4))],  # overlapping inside one fix
        [("X", (2, 1), (900, 1))],  # ends past the end of the file
        [("X", (2, 4), (2, 1))],  # ends before it starts
        [("X", (2, 1), (2, 99))],  # past the end of its row
        [("X", (0, 1), (2, 1))],  # before the first row
    ],
)
def test_a_fix_whose_edits_do_not_fit_the_text_is_not_applied(tmp_path, edits):
    # crash11 #5: a forged cache entry's fix crashed --fix (overlap) or deleted the rest of the file.
    text = "a = 1\nb = 2\nKEEP = 3\n"
    plan = Fix("f", Applicability.SAFE, tuple(Edit(c, Position(*s), Position(*e)) for c, s, e in edits))
    finding = Diagnostic("BQL007", "n", "m", Span(tmp_path / "a.py", Position(2, 1), Position(2, 2)), fix=plan)
    result = fix_text(text, [finding])
    assert (result.text, result.applied) == (text, 0)
