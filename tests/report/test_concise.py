from __future__ import annotations

from bqlint.report import render
from tests.report.sample import OPTIONS, empty_report, sample_report


def test_concise_matches_golden(golden):
    golden("concise.txt", render("concise", sample_report(), OPTIONS))


def test_concise_line_is_path_row_column_code_message():
    first = render("concise", sample_report(), OPTIONS).splitlines()[0]
    assert first.startswith("broken, file.py:1:1: BQL999 cannot parse")


def test_concise_clean_run_prints_only_all_checks_passed():
    assert render("concise", empty_report(), OPTIONS) == "All checks passed!"
