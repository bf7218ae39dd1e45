from __future__ import annotations

import json

from bqlint.engine import Report
from bqlint.report import render
from tests.report.sample import CELL_REBINDING, DEV, OPTIONS, empty_report, sample_report

KEYS = {
    "cell",
    "code",
    "end_location",
    "filename",
    "fix",
    "location",
    "message",
    "name",
    "noqa_row",
    "related",
    "severity",
    "url",
}


def test_json_matches_golden(golden):
    golden("json.json", render("json", sample_report(), OPTIONS))


def test_json_keys_are_exactly_specs():
    for item in json.loads(render("json", sample_report(), OPTIONS)):
        assert set(item) == KEYS
        assert item["cell"] is None
        assert item["severity"] == "error"
        assert set(item["location"]) == set(item["end_location"]) == {"row", "column"}
        for related in item["related"]:
            assert set(related) == {"message", "filename", "location", "end_location"}


def test_json_fix_has_applicability_message_and_edits():
    item = next(i for i in json.loads(render("json", sample_report(), OPTIONS)) if i["code"] == "BQL007")
    assert item["fix"] == {
        "applicability": "safe",
        "message": "replace the assignment with `self.level.set(3)`",
        "edits": [
            {
                "content": "self.level.set(3)",
                "location": {"column": 9, "row": 17},
                "end_location": {"column": 23, "row": 17},
            }
        ],
    }
    assert item["name"] == "cell-rebinding"
    assert item["url"].endswith("/docs/rules/BQL007.md")
    assert item["filename"] == str(DEV)


def test_json_is_sorted_by_filename_row_column_code():
    report = sample_report()
    report.diagnostics.reverse()
    items = json.loads(render("json", report, OPTIONS))
    keys = [(i["filename"], i["location"]["row"], i["location"]["column"], i["code"]) for i in items]
    assert keys == sorted(keys)


def test_json_noqa_row_is_the_last_row_of_a_multiline_string():
    text = 'x = """a\nb\n"""\n'
    moved = CELL_REBINDING.__class__(
        CELL_REBINDING.code,
        CELL_REBINDING.name,
        "m",
        CELL_REBINDING.span.__class__(
            DEV, CELL_REBINDING.span.start.__class__(1, 5), CELL_REBINDING.span.start.__class__(3, 4)
        ),
    )
    (item,) = json.loads(render("json", Report([moved], {DEV: text}), OPTIONS))
    assert item["noqa_row"] == 3


def test_json_clean_run_is_an_empty_array():
    assert json.loads(render("json", empty_report(), OPTIONS)) == []
