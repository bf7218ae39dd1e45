from __future__ import annotations

import xml.etree.ElementTree as ET

from bqlint.report import render
from tests.report.sample import OPTIONS, empty_report, sample_report


def test_junit_matches_golden(golden):
    golden("junit.xml", render("junit", sample_report(), OPTIONS))


def test_junit_has_one_suite_per_file_and_one_failing_case_per_finding():
    root = ET.fromstring(render("junit", sample_report(), OPTIONS))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["broken, file.py", "pkg/dev.py"]
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["bqlint.BQL999", "bqlint.BQL002", "bqlint.BQL007"]
    assert all(c.find("failure") is not None for c in cases)
    assert root.get("failures") == "3"


def test_junit_clean_run_has_one_passing_testcase():
    root = ET.fromstring(render("junit", empty_report(), OPTIONS))
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 1
    assert cases[0].find("failure") is None
    assert root.get("failures") == "0"


def test_junit_matches_golden_when_clean(golden):
    golden("junit_clean.xml", render("junit", empty_report(), OPTIONS))
