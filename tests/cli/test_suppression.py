from __future__ import annotations

from pathlib import Path

import pytest

from bqlint.config import Settings, resolve_codes
from bqlint.diagnostics import Diagnostic, Position, Span
from bqlint.fixes import fix_text
from bqlint.suppression import apply_suppressions, noqa_row, parse_suppressions

PATH = Path("/p/dev.py")


def finding(code: str, row: int, col: int = 1) -> Diagnostic:
    return Diagnostic(code, "name", "message", Span(PATH, Position(row, col), Position(row, col + 1)))


def kept(text: str, *findings: Diagnostic, settings: Settings | None = None) -> list[tuple[str, int]]:
    settings = settings or Settings()
    return [(d.code, d.span.start.row) for d in apply_suppressions(PATH, text, list(findings), settings)]


@pytest.mark.parametrize(
    "comment",
    [
        "# bqlint: ignore[BQL002]",
        "# bqlint: ignore[BQL002] the unlock is a test double",
        "# bqlint: ignore[BQL003, BQL002]",
        "# bqlint:ignore[bql002]",
        "# noqa: BQL002",
        "# noqa:BQL002,BQL003",
        "# noqa: BQL002 reason given here",
        "# bqlint: ignore",
        "# bqlint: ignore because it is fine",
        "# noqa",
        "# type: ignore  # noqa: BQL002",
    ],
)
def test_directive_on_the_reported_line_suppresses(comment):
    text = f"x = 1\ny = 2  {comment}\n"
    assert ("BQL002", 2) not in kept(text, finding("BQL002", 2))


def test_directive_for_another_code_does_not_suppress():
    assert ("BQL002", 1) in kept("x = 1  # bqlint: ignore[BQL003]\n", finding("BQL002", 1))


def test_directive_on_another_line_does_not_suppress():
    assert ("BQL002", 2) in kept("# bqlint: ignore[BQL002]\nx = 1\n", finding("BQL002", 2))


def test_hash_inside_a_string_is_not_a_comment():
    text = 'x = "# bqlint: ignore[BQL002]"\n'
    assert kept(text, finding("BQL002", 1)) == [("BQL002", 1)]


def test_finding_inside_a_multiline_string_is_suppressed_on_its_last_row():
    text = 'x = f("""\n{y}\n""")  # noqa: BQL002\n'
    assert noqa_row(text, 2) == 3
    assert kept(text, finding("BQL002", 2)) == []


def test_finding_on_a_backslash_continued_row_is_suppressed_on_the_continuations_last_row():
    text = "x = 1 + \\\n    2  # noqa: BQL002\n"
    assert noqa_row(text, 1) == 2
    assert kept(text, finding("BQL002", 1)) == []


def test_every_row_of_a_backslash_continuation_maps_to_its_last_row():
    text = "if a and \\\n   b and \\\n   c:\n    pass\n"
    assert [noqa_row(text, row) for row in (1, 2, 3, 4)] == [3, 3, 3, 4]


def test_a_parenthesised_statement_keeps_each_rows_own_noqa_row():
    text = "x = f(1,  # noqa: BQL002\n      2)\n"
    assert [noqa_row(text, row) for row in (1, 2)] == [1, 2]
    assert kept(text, finding("BQL002", 1)) == []


def test_a_backslash_inside_parentheses_continues_to_the_next_row():
    assert noqa_row("x = f(1, \\\n      2)\n", 1) == 2


def test_strings_and_continuations_chain_to_the_last_row():
    string_then_backslash = 'x = """a\nb""" + \\\n    1\n'
    backslash_then_string = 'x = 1 + \\\n    """a\nb"""\n'
    assert [noqa_row(string_then_backslash, row) for row in (1, 2, 3)] == [3, 3, 3]
    assert [noqa_row(backslash_then_string, row) for row in (1, 2, 3)] == [3, 3, 3]


def test_ignore_file_in_the_header_suppresses_everything():
    text = "#!/usr/bin/env python\n# bqlint: ignore-file\n\nx = 1\n"
    assert kept(text, finding("BQL002", 4), finding("BQL999", 1)) == []


def test_ignore_file_with_codes_suppresses_only_those():
    text = "# bqlint: ignore-file[BQL002]\nx = 1\n"
    assert kept(text, finding("BQL002", 2), finding("BQL003", 2)) == [("BQL003", 2)]


def test_ignore_file_after_the_module_docstring_still_applies():
    text = '"""Doc."""\n# bqlint: ignore-file\n\nimport bql\n'
    assert kept(text, finding("BQL001", 4)) == []


def test_ignore_file_after_code_has_no_effect_and_is_reported():
    text = '"""Doc."""\nimport bql\n# bqlint: ignore-file\nx = 1\n'
    assert kept(text, finding("BQL002", 4)) == [("BQL002", 4), ("BQL100", 3)]


def test_unused_directive_is_reported_at_the_directive():
    text = "x = 1  # bqlint: ignore[BQL002, BQL003]\n"
    (d,) = apply_suppressions(PATH, text, [], Settings())
    assert d.span.start == Position(1, 8)
    assert d.message == "unused suppression of `BQL002` (no finding on this line), `BQL003` (no finding on this line)"


def test_directive_that_suppresses_one_of_its_codes_is_used():
    assert kept("x = 1  # bqlint: ignore[BQL002, BQL003]\n", finding("BQL002", 1)) == []


def test_unused_bare_ignore_is_reported():
    assert kept("x = 1  # bqlint: ignore\n") == [("BQL100", 1)]


def test_bare_noqa_and_foreign_codes_are_never_reported():
    assert kept("x = 1  # noqa\ny = 2  # noqa: E501\nz = 3  # noqa: E501, BQL002\n", finding("BQL002", 3)) == []


def test_a_file_without_findings_reports_only_directives_naming_bqlint():
    # Without findings, only a `bqlint` directive or a noqa listing a BQL code (any case) can
    # be unused; a file with neither is not even tokenized.
    assert kept("x = 1  # noqa\ny = 2  # NoQA: E501\n") == []
    assert kept("x = 1  # NOQA: bql002\n") == [("BQL100", 1)]
    assert kept("x = 1  # BQLINT: IGNORE\n") == [("BQL100", 1)]
    assert kept('"""Mentions bql."""\nx = 1  # noqa: E501\n') == []


def test_texts_that_cannot_hold_a_reportable_directive_are_not_tokenized(monkeypatch):
    import bqlint.suppression as suppression

    def fail(text: str) -> None:
        raise AssertionError("tokenized")

    monkeypatch.setattr(suppression, "parse_suppressions", fail)
    device = "import bql\n\nx = bql.BqlCell(0)\n"
    assert kept(device) == []
    assert kept(device, finding("BQL002", 3)) == [("BQL002", 3)]
    assert kept("x = 1  # noqa: E501\n") == []


def test_unused_is_not_reported_when_bql100_is_disabled():
    settings = Settings(ignore=frozenset({"BQL100"}))
    assert kept("x = 1  # bqlint: ignore[BQL002]\n", settings=settings) == []


def test_directive_listing_bql100_is_not_reported():
    assert kept("x = 1  # bqlint: ignore[BQL002, BQL100]\n") == []


def test_suppressing_a_disabled_code_is_unused_as_in_ruff():
    settings = Settings(ignore=resolve_codes(["BQL002"], "test"))
    messages = [d.message for d in apply_suppressions(PATH, "x  # noqa: BQL002\n", [finding("BQL002", 1)], settings)]
    assert messages == ["unused suppression of `BQL002` (not enabled)"]


def test_unknown_codes_are_reported():
    (d,) = apply_suppressions(PATH, "x  # bqlint: ignore[BQL777]\n", [], Settings())
    assert d.message == "unused suppression of `BQL777` (unknown code)"


def test_disabled_findings_are_dropped_and_do_not_use_a_directive():
    settings = Settings(select=frozenset({"BQL003", "BQL100"}))
    assert kept("x  # bqlint: ignore[BQL002]\n", finding("BQL002", 1), settings=settings) == [("BQL100", 1)]


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("x = 1  # bqlint: ignore[BQL002]\n", "x = 1\n"),
        ("x = 1  # bqlint: ignore[BQL002, BQL003] why\n", "x = 1\n"),
        ("x = 1  # noqa: E501, BQL002\n", "x = 1  # noqa: E501\n"),
        ("x = 1  # type: ignore  # noqa: BQL002\n", "x = 1  # type: ignore\n"),
        ("x = 1  # noqa: BQL002  # type: ignore\n", "x = 1  # type: ignore\n"),
    ],
)
def test_unused_suppression_fix_removes_only_bqlints_part(line, fixed):
    unused = [d for d in apply_suppressions(PATH, line, [], Settings()) if d.code == "BQL100"]
    assert fix_text(line, unused).text == fixed


def test_directives_survive_a_tokenize_error():
    text = "x = 1  # noqa: BQL002\ny = (\n"
    assert 1 in parse_suppressions(text).by_row


def test_ignore_file_silences_a_file_that_does_not_parse(project, invoke):
    project({"bad.py": "# bqlint: ignore-file\nimport bql\ndef f(:\n"})
    assert invoke("check").exit_code == 0


def test_ignore_file_with_the_engine(project, invoke):
    project({"bad.py": "# bqlint: ignore-file[BQL999]\nimport bql\ndef f(:\n"})
    assert invoke("check").exit_code == 0


def test_unused_suppression_through_the_cli(project, invoke):
    project({"a.py": "x = 1  # bqlint: ignore[BQL002]\n"})
    result = invoke("check", "--output-format", "concise")
    assert result.exit_code == 1
    assert result.stdout.startswith("a.py:1:8: BQL100 [*] unused suppression of `BQL002`")
    assert invoke("check", "--ignore", "BQL100").exit_code == 0
