"""`gitlab`: GitLab Code Quality JSON, validated against the required shape (tests/conftest.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import jsonschema
import pytest

from bqlint.engine import Report
from bqlint.report import render
from tests.report.sample import BORROW_ACROSS_UNLOCK, DEV, OPTIONS, SOURCES, empty_report, sample_report
from tests.schemas import validate_gitlab


def _issues(report: Report) -> list[dict]:
    return json.loads(render("gitlab", report, OPTIONS))


def test_gitlab_matches_golden(golden):
    golden("gitlab.json", render("gitlab", sample_report(), OPTIONS))


def test_gitlab_issue_has_the_required_keys_and_relative_path():
    issue = next(i for i in _issues(sample_report()) if i["check_name"] == "BQL002")
    assert issue["description"] == "BQL002 `self.regs` is still borrowed where `update()` may release the BQL"
    assert issue["severity"] == "major"
    assert issue["location"] == {"path": "pkg/dev.py", "lines": {"begin": 14, "end": 14}}
    assert issue["content"]["body"].endswith("/docs/rules/BQL002.md")
    assert len(issue["fingerprint"]) == 64


def test_gitlab_clean_report_is_an_empty_array():
    assert _issues(empty_report()) == []


def test_gitlab_fingerprints_are_unique_and_survive_moved_lines():
    first = _issues(sample_report())
    assert len({i["fingerprint"] for i in first}) == len(first)
    moved = replace(
        BORROW_ACROSS_UNLOCK,
        span=replace(BORROW_ACROSS_UNLOCK.span, start=replace(BORROW_ACROSS_UNLOCK.span.start, row=16)),
    )
    shifted = SOURCES[DEV].replace("    def write(", "\n\n    def write(")
    (again,) = _issues(Report([moved], {DEV: shifted}))
    (before,) = [i for i in first if i["check_name"] == "BQL002"]
    assert again["fingerprint"] == before["fingerprint"]
    assert again["location"]["lines"]["begin"] == 16


def test_two_identical_findings_get_different_fingerprints():
    twice = [BORROW_ACROSS_UNLOCK, replace(BORROW_ACROSS_UNLOCK, span=replace(BORROW_ACROSS_UNLOCK.span))]
    issues = _issues(Report(twice, dict(SOURCES)))
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]


def test_the_schema_rejects_what_gitlab_rejects():
    good = render("gitlab", sample_report(), OPTIONS)
    validate_gitlab(good)
    issue = {
        "description": "x",
        "check_name": "c",
        "fingerprint": "f",
        "severity": "major",
        "location": {"path": "a", "lines": {"begin": 1}},
    }
    validate_gitlab(json.dumps([issue]))
    for broken in (
        {**issue, "severity": "fatal"},
        {**issue, "location": {"path": "a"}},
        {key: value for key, value in issue.items() if key != "description"},
        {**issue, "location": {"path": "/abs", "lines": {"begin": 1}}},
        {**issue, "categories": ["Bugs"]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate_gitlab(json.dumps([broken]))


def test_the_fingerprint_hashes_the_finding_s_own_row_below_a_form_feed():
    # crash14 #12: str.splitlines() broke at the \f, so row 14 hashed row 13's text.
    text = SOURCES[DEV].replace("\n", "\n# page\f break\n", 1)
    finding = replace(
        BORROW_ACROSS_UNLOCK,
        span=replace(BORROW_ACROSS_UNLOCK.span, start=replace(BORROW_ACROSS_UNLOCK.span.start, row=15)),
    )
    row = text.split("\n")[14]
    assert row.strip() == SOURCES[DEV].split("\n")[13].strip()
    (got,) = _issues(Report([finding], {DEV: text}))
    key = "\0".join(("BQL002", "pkg/dev.py", "Uart.write", " ".join(row.split())))
    assert got["fingerprint"] == hashlib.sha256(f"{key}\0{1}".encode()).hexdigest()
    (plain,) = _issues(Report([BORROW_ACROSS_UNLOCK], dict(SOURCES)))
    assert got["fingerprint"] == plain["fingerprint"]
