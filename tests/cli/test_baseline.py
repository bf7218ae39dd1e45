from __future__ import annotations

import json
from pathlib import Path

SOURCE = "def f():\n    OLD = 1\n    OLD = 1\n"


def test_write_baseline_records_findings_and_exits_0(project, fake_engine, invoke):
    root = project({"a.py": SOURCE})
    result = invoke("check", "--write-baseline", "baseline.json")
    assert result.exit_code == 0
    document = json.loads((root / "baseline.json").read_text())
    assert document["version"] == 1
    assert [(e["code"], e["file"], e["scope"], e["line"]) for e in document["findings"]] == [
        ("BQL007", "a.py", "f", "OLD = 1"),
        ("BQL007", "a.py", "f", "OLD = 1"),
    ]


def test_baseline_hides_recorded_findings_even_when_rows_shift(project, fake_engine, invoke):
    root = project({"a.py": SOURCE})
    invoke("check", "--write-baseline", "baseline.json")
    assert invoke("check", "--baseline", "baseline.json").exit_code == 0
    (root / "a.py").write_text("import os\n\n\n" + SOURCE.replace("    OLD = 1\n", "        OLD   =  1\n", 1))
    assert invoke("check", "--baseline", "baseline.json").exit_code == 0


def test_baseline_counts_multiplicity(project, fake_engine, invoke):
    root = project({"a.py": SOURCE})
    invoke("check", "--write-baseline", "baseline.json")
    (root / "a.py").write_text(SOURCE + "    OLD = 1\n")
    result = invoke("check", "--baseline", "baseline.json", "--output-format", "concise")
    assert result.exit_code == 1
    assert result.stdout.count("BQL007") == 1


def test_baseline_reports_a_new_finding_only(project, fake_engine, invoke):
    root = project({"a.py": SOURCE})
    invoke("check", "--write-baseline", "baseline.json")
    (root / "a.py").write_text(SOURCE + "    x = RISKY\n")
    result = invoke("check", "--baseline", "baseline.json", "--output-format", "concise")
    assert result.stdout.splitlines()[0] == "a.py:4:9: BQL007 `RISKY` is rebound"
    assert result.stdout.count("BQL007") == 1


def test_write_baseline_makes_missing_folders(project, fake_engine, invoke):
    root = project({"a.py": SOURCE})
    result = invoke("check", "--write-baseline", "no/such/dir/bl.json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads((root / "no/such/dir/bl.json").read_text())["findings"]) == 2


def test_write_baseline_that_cannot_be_written_is_a_clean_error(project, fake_engine, invoke):
    root = project({"a.py": SOURCE, "taken": "a file, not a folder\n"})
    result = invoke("check", "--write-baseline", "taken/bl.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: taken/bl.json: cannot write baseline: ")
    assert "please report" not in result.stderr
    if Path("/dev/full").exists():
        result = invoke("check", "--write-baseline", "/dev/full")
        assert (result.exit_code, result.stderr) == (
            2,
            "error: /dev/full: cannot write baseline: No space left on device\n",
        )
    assert (root / "taken").read_text() == "a file, not a folder\n"


def test_missing_baseline_exits_2(project, invoke):
    project({"a.py": "x = 1\n"})
    result = invoke("check", "--baseline", "nope.json")
    assert result.exit_code == 2
    assert result.stderr == "error: nope.json: cannot read baseline: No such file or directory\n"


def test_malformed_baseline_exits_2(project, invoke):
    project({"a.py": "x = 1\n", "b.json": '{"findings": [1]}'})
    result = invoke("check", "--baseline", "b.json")
    assert result.exit_code == 2
    assert "not a bqlint baseline" in result.stderr
