"""A file name that is not UTF-8 (`lat\\xe9.py`, legal on Linux) never crashes a run, and
every format stays valid UTF-8 with the byte written as `\\udce9`, as the text formats write
it (crash6 #4); SARIF URIs percent-encode the byte itself."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.robustness.conftest import DEVICE

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")

NAME = os.fsdecode(b"lat\xe9.py")
SHOWN = "lat\\udce9.py"
MESSAGE = "`self.regs` is still borrowed where `bql.unlock()` releases the BQL"


@pytest.fixture
def root(project) -> Path:
    root = project({"pyproject.toml": "[tool.bqlint]\n"})
    (root / NAME).write_text(DEVICE, encoding="utf-8")
    return root


def _document(invoke, *args: str) -> str:
    result = invoke("check", "--no-cache", *args, ".")
    assert result.exit_code == 1
    assert result.stderr == ""
    return result.stdout_bytes.decode("utf-8")  # strict: raises on a byte that is not UTF-8


def test_json_names_the_file_with_the_escape(root, invoke):
    findings = json.loads(_document(invoke, "--output-format", "json"))
    assert [(f["filename"], f["code"], f["location"]["row"]) for f in findings] == [
        (f"{root}/{SHOWN}", "BQL002", 12)
    ]


def test_gitlab_names_the_file_with_the_escape(root, invoke):
    issues = json.loads(_document(invoke, "--output-format", "gitlab"))
    assert [(i["location"]["path"], i["check_name"], i["location"]["lines"]["begin"]) for i in issues] == [
        (SHOWN, "BQL002", 12)
    ]


def test_sarif_percent_encodes_the_byte_relative_to_the_root(root, invoke):
    log = json.loads(_document(invoke, "--output-format", "sarif"))
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert locations == [{"uri": "lat%E9.py", "uriBaseId": "%SRCROOT%"}]


@pytest.mark.parametrize(
    ("output_format", "line"),
    [
        ("github", f"::error title=bqlint (BQL002),file={SHOWN},line=12,col=13,endLine=12,endColumn=25::{MESSAGE}"),
        ("concise", f"{SHOWN}:12:13: BQL002 {MESSAGE}"),
    ],
)
def test_the_line_formats_write_the_same_escape(root, invoke, output_format, line):
    assert _document(invoke, "--output-format", output_format).splitlines()[0] == line


def test_junit_writes_the_same_escape(root, invoke):
    assert f'<testsuite name="{SHOWN}" tests="1" failures="1"' in _document(invoke, "--output-format", "junit")


def test_an_output_file_is_utf8_too(root, invoke):
    result = invoke("check", "--no-cache", "-q", "--output-format", "json", "--output-file", "out.json", ".")
    assert result.exit_code == 1
    findings = json.loads((root / "out.json").read_bytes().decode("utf-8"))
    assert [f["filename"] for f in findings] == [f"{root}/{SHOWN}"]


def test_a_baseline_records_the_file_and_absorbs_its_findings(root, invoke):
    written = invoke("check", "--no-cache", "--write-baseline", "bl.json", ".")
    assert written.exit_code == 0
    assert written.stderr == "Wrote 1 findings to bl.json.\n"
    document = json.loads((root / "bl.json").read_bytes().decode("utf-8"))
    assert [(e["file"], e["code"]) for e in document["findings"]] == [(SHOWN, "BQL002")]
    result = invoke("check", "--no-cache", "--baseline", "bl.json", ".")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed!\n"


def test_an_undecodable_stdin_filename_in_gitlab(root, invoke):
    result = invoke(
        "check", "--no-cache", "--output-format", "gitlab", "--stdin-filename", os.fsdecode(b"x\xff.py"), "-",
        input=DEVICE,
    )
    assert result.exit_code == 1
    issues = json.loads(result.stdout_bytes.decode("utf-8"))
    assert [i["location"]["path"] for i in issues] == ["x\\udcff.py"]
