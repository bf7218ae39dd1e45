from __future__ import annotations

from bqlint.report import render
from bqlint.report.github import escape_data, escape_property
from tests.report.sample import OPTIONS, empty_report, sample_report


def test_github_matches_golden(golden):
    golden("github.txt", render("github", sample_report(), OPTIONS))


def test_message_escapes_percent_cr_lf():
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"


def test_other_control_characters_are_shown_escaped():
    # crash8: an ESC quoted from a suppression comment reached the Actions log raw.
    assert escape_data("unused `# noqa: \x1b[31mBQL001`\t") == "unused `# noqa: \\x1b[31mBQL001`\\t"


def test_properties_also_escape_colon_and_comma():
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_github_annotation_shape():
    line = render("github", sample_report(), OPTIONS).splitlines()[1]
    assert line.startswith("::error title=bqlint (BQL002),file=pkg/dev.py,line=14,col=13,endLine=14,endColumn=21::")


def test_github_escapes_file_property_and_message():
    line = render("github", sample_report(), OPTIONS).splitlines()[0]
    assert "file=broken%2C file.py," in line
    assert line.endswith("::cannot parse: expected `:`, 100%25 sure, line%0Abreak")


def test_github_clean_run_prints_nothing():
    assert render("github", empty_report(), OPTIONS) == ""
