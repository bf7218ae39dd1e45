from __future__ import annotations

import json

import pytest

from bqlint.fixes import UnparsableFix, add_noqa, add_noqa_by_row
from bqlint.suppression import Suppressions
from tests.cli.conftest import word_findings


def _add(tmp_path, text: str) -> str:
    return add_noqa(text, word_findings(tmp_path / "a.py", text))[0]


def test_noqa_is_appended_to_each_reported_line(tmp_path):
    assert (
        _add(tmp_path, "OLD = 1\nx = 2\nOLD = OLD\n") == "OLD = 1  # noqa: BQL007\nx = 2\nOLD = OLD  # noqa: BQL007\n"
    )


def test_codes_merge_into_an_existing_noqa(tmp_path):
    assert _add(tmp_path, "OLD = 1  # noqa: E501 long\n") == "OLD = 1  # noqa: E501, BQL007 long\n"


def test_codes_merge_into_an_existing_bqlint_ignore(tmp_path):
    assert (
        _add(tmp_path, "OLD = 1  # bqlint: ignore[BQL002] why\n") == "OLD = 1  # bqlint: ignore[BQL002, BQL007] why\n"
    )


def test_line_with_another_comment_gets_a_second_comment(tmp_path):
    assert _add(tmp_path, "OLD = 1  # type: ignore\n") == "OLD = 1  # type: ignore  # noqa: BQL007\n"


def test_finding_inside_a_multiline_string_gets_noqa_after_the_string(tmp_path):
    assert _add(tmp_path, 'x = """\nOLD\n"""\n') == 'x = """\nOLD\n"""  # noqa: BQL007\n'


def test_finding_on_a_backslash_continued_row_gets_noqa_after_the_continuation(tmp_path):
    assert _add(tmp_path, "y = OLD + \\\n    1\n") == "y = OLD + \\\n    1  # noqa: BQL007\n"


def _row_as_reported(monkeypatch):
    """Write each directive on the finding's own row: a continued row then cannot hold it."""
    monkeypatch.setattr(Suppressions, "noqa_row", lambda self, row: row)


def test_add_noqa_refuses_a_result_that_would_not_parse(tmp_path, monkeypatch):
    _row_as_reported(monkeypatch)
    text = "y = OLD + \\\n    1\n"
    with pytest.raises(UnparsableFix):
        add_noqa(text, word_findings(tmp_path / "a.py", text))


def test_a_row_that_cannot_hold_a_directive_costs_the_file_no_other_one(tmp_path, monkeypatch):
    _row_as_reported(monkeypatch)
    text = "OLD = 1\ny = OLD + \\\n    1\nOLD = 2\n"
    after, rows, refused = add_noqa_by_row(text, word_findings(tmp_path / "a.py", text))
    assert after == "OLD = 1  # noqa: BQL007\ny = OLD + \\\n    1\nOLD = 2  # noqa: BQL007\n"
    assert rows == 2
    assert [why.split(":")[0] for why in refused] == ["row 2"]


def test_add_noqa_command_then_check_is_clean(project, fake_engine, invoke):
    root = project({"a.py": "OLD = 1\nRISKY = 2  # noqa: E501\n"})
    result = invoke("check", "--add-noqa")
    assert result.exit_code == 0
    assert "Added 2 noqa directives." in result.stderr
    assert (root / "a.py").read_text() == "OLD = 1  # noqa: BQL007\nRISKY = 2  # noqa: E501, BQL007\n"
    assert invoke("check").exit_code == 0


def test_add_noqa_command_adds_what_it_can_and_exits_2_for_a_row_it_cannot(
    project, fake_engine, invoke, monkeypatch
):
    _row_as_reported(monkeypatch)
    root = project({"a.py": "y = OLD + \\\n    1\nOLD = 2\n"})
    result = invoke("check", "--add-noqa")
    assert result.exit_code == 2
    assert (root / "a.py").read_text() == "y = OLD + \\\n    1\nOLD = 2  # noqa: BQL007\n"
    assert f"error: not adding noqa to {root / 'a.py'}, row 1: the result would not parse" in result.stderr
    assert "Added 1 noqa directive." in result.stderr


BACKSLASH_DEVICE = """import bql


class D(bql.Device):
    def __init__(self) -> None:
        self.x = 0

    def a(self) -> None:
        self.x = 1

    def b(self) -> None:
        self.x = 1 + \\
            2
"""


def test_a_finding_on_a_backslash_continued_statement_is_suppressed_after_it(project, invoke):
    root = project({"pyproject.toml": "", "dev.py": BACKSLASH_DEVICE})
    found = json.loads(invoke("check", "--no-cache", "--output-format", "json", "dev.py").stdout)
    assert [(d["code"], d["location"]["row"], d["noqa_row"]) for d in found] == [
        ("BQL001", 9, 9),
        ("BQL001", 12, 13),
    ]
    result = invoke("check", "--no-cache", "--add-noqa", "dev.py")
    assert result.exit_code == 0
    assert "Added 2 noqa directives." in result.stderr
    lines = (root / "dev.py").read_text().splitlines()
    assert (lines[8], lines[12]) == ("        self.x = 1  # noqa: BQL001", "            2  # noqa: BQL001")
    assert invoke("check", "--no-cache", "dev.py").exit_code == 0


def test_add_noqa_leaves_unused_suppressions_alone(project, fake_engine, invoke):
    root = project({"a.py": "x = 1  # bqlint: ignore[BQL002]\n"})
    result = invoke("check", "--add-noqa")
    assert result.exit_code == 0
    assert "Added 0 noqa directives." in result.stderr
    assert (root / "a.py").read_text() == "x = 1  # bqlint: ignore[BQL002]\n"
