from __future__ import annotations

import pytest

from bqlint.fixes import UnparsableFix, add_noqa
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


def test_add_noqa_refuses_a_result_that_would_not_parse(tmp_path):
    text = "y = OLD + \\\n    1\n"
    with pytest.raises(UnparsableFix):
        add_noqa(text, word_findings(tmp_path / "a.py", text))


def test_add_noqa_command_then_check_is_clean(project, fake_engine, invoke):
    root = project({"a.py": "OLD = 1\nRISKY = 2  # noqa: E501\n"})
    result = invoke("check", "--add-noqa")
    assert result.exit_code == 0
    assert "Added 2 noqa directives." in result.stderr
    assert (root / "a.py").read_text() == "OLD = 1  # noqa: BQL007\nRISKY = 2  # noqa: E501, BQL007\n"
    assert invoke("check").exit_code == 0


def test_add_noqa_command_leaves_a_file_it_would_break(project, fake_engine, invoke):
    root = project({"a.py": "y = OLD + \\\n    1\n"})
    result = invoke("check", "--add-noqa")
    assert (root / "a.py").read_text() == "y = OLD + \\\n    1\n"
    assert "not adding noqa" in result.stderr


def test_add_noqa_leaves_unused_suppressions_alone(project, fake_engine, invoke):
    root = project({"a.py": "x = 1  # bqlint: ignore[BQL002]\n"})
    result = invoke("check", "--add-noqa")
    assert result.exit_code == 0
    assert "Added 0 noqa directives." in result.stderr
    assert (root / "a.py").read_text() == "x = 1  # bqlint: ignore[BQL002]\n"
