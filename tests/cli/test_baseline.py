from __future__ import annotations

import hashlib
import json
import os
import resource
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = "def f():\n    OLD = 1\n    OLD = 1\n"


def test_write_baseline_records_findings_and_exits_0(project, fake_engine, invoke):
    root = project({"a.py": SOURCE})
    result = invoke("check", "--write-baseline", "baseline.json")
    assert result.exit_code == 0
    document = json.loads((root / "baseline.json").read_text())
    assert document["version"] == 3
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


# ---- the working directory does not matter (crash8 #5) -------------------------------------
def test_a_baseline_matches_from_any_working_directory(project, fake_engine, invoke, tmp_path):
    # `file` was relative to the working directory: written from the root, every recorded
    # finding came back as new from a sub-folder, and the other way round.
    root = project({"pyproject.toml": "", "sub/a.py": SOURCE})
    assert invoke("check", "--write-baseline", "../bl.json", ".").exit_code == 0
    document = json.loads((tmp_path / "bl.json").read_text())
    assert [e["file"] for e in document["findings"]] == ["proj/sub/a.py", "proj/sub/a.py"]
    os.chdir(root / "sub")
    assert invoke("check", "--baseline", "../../bl.json", ".").exit_code == 0
    assert invoke("check", "--write-baseline", "../../sub.json", ".").exit_code == 0
    assert (tmp_path / "sub.json").read_text() == (tmp_path / "bl.json").read_text()
    os.chdir(tmp_path)
    assert invoke("check", "--baseline", "bl.json", str(root)).exit_code == 0
    (root / "sub" / "a.py").write_text(SOURCE + "    x = RISKY\n")
    result = invoke("check", "--baseline", "bl.json", "--output-format", "concise", str(root / "sub"))
    assert result.exit_code == 1
    assert result.stdout.count("BQL007") == 1


def test_a_version_1_baseline_is_still_read_relative_to_the_runs_root(project, fake_engine, invoke):
    root = project({"pyproject.toml": "", "sub/a.py": SOURCE})
    invoke("check", "--write-baseline", "bl.json", ".")
    document = json.loads((root / "bl.json").read_text())
    # Written from the project root, version 1 named the files as version 2 does.
    (root / "bl.json").write_text(json.dumps({**document, "version": 1}))
    assert invoke("check", "--baseline", "bl.json", ".").exit_code == 0
    (root / "sub" / "a.py").write_text(SOURCE + "    x = RISKY\n")
    result = invoke("check", "--baseline", "bl.json", "--output-format", "concise", ".")
    assert (result.exit_code, result.stdout.count("BQL007")) == (1, 1)


# ---- sibling sub-projects are told apart (crash13 #14) -------------------------------------
_UART = {"services/a/pyproject.toml": "", "services/b/pyproject.toml": ""}


def test_same_named_files_of_sibling_projects_have_different_entries(project, fake_engine, invoke):
    # Each was named relative to its own project root, so both were `uart.py`: a finding
    # recorded in a hid the same finding newly written in b (exit 0 on a new bug).
    root = project({**_UART, "services/a/uart.py": SOURCE, "services/b/uart.py": "x = 1\n"})
    assert invoke("check", "--write-baseline", "baseline.json", "services").exit_code == 0
    document = json.loads((root / "baseline.json").read_text())
    assert [e["file"] for e in document["findings"]] == ["services/a/uart.py"] * 2
    (root / "services/a/uart.py").write_text("x = 1\n")
    (root / "services/b/uart.py").write_text(SOURCE)
    result = invoke("check", "--baseline", "baseline.json", "--output-format", "concise", "services")
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines() if "BQL007" in line] == [
        "services/b/uart.py",
        "services/b/uart.py",
    ]


def test_a_baseline_in_a_sub_folder_names_files_from_its_folder(project, fake_engine, invoke):
    root = project({"pyproject.toml": "", "a.py": SOURCE})
    assert invoke("check", "--write-baseline", "reports/bl.json", ".").exit_code == 0
    document = json.loads((root / "reports/bl.json").read_text())
    assert [e["file"] for e in document["findings"]] == ["../a.py", "../a.py"]
    os.chdir(root / "reports")
    assert invoke("check", "--baseline", "bl.json", "..").exit_code == 0


def _version_2_fingerprint(file: str) -> str:
    return hashlib.sha256(f"BQL007\0{file}\0f\0OLD = 1".encode()).hexdigest()[:32]


def test_a_version_2_baseline_is_still_read_relative_to_each_project_root(project, fake_engine, invoke):
    # Written before version 3: `a.py` relative to services/a, wherever the baseline is.
    root = project({**_UART, "services/a/a.py": SOURCE})
    entry = {"code": "BQL007", "file": "a.py", "scope": "f", "line": "OLD = 1"}
    entry["fingerprint"] = _version_2_fingerprint("a.py")
    (root / "reports").mkdir()
    (root / "reports/bl.json").write_text(json.dumps({"version": 2, "findings": [entry, entry]}))
    assert invoke("check", "--baseline", "reports/bl.json", "services").exit_code == 0
    (root / "services/a/a.py").write_text(SOURCE + "    x = RISKY\n")
    result = invoke("check", "--baseline", "reports/bl.json", "--output-format", "concise", "services")
    assert (result.exit_code, result.stdout.count("BQL007")) == (1, 1)
    assert result.stdout.startswith("services/a/a.py:4:9: BQL007 `RISKY` is rebound\n")


# ---- what is not a baseline is a clean error naming the file (crash8 #6) -------------------
_RECORDED = '{"version": %s, "findings": [{"fingerprint": "%s"}]}'
_READS = "(this bqlint reads versions 1, 2 and 3)"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
        (
            (_RECORDED % (2, "ab")).encode("utf-16"),
            "not UTF-8 text (byte 0xff at offset 0)",
        ),
        ((_RECORDED % (2, "a\xffb")).encode("latin-1"), "not UTF-8 text (byte 0xff at offset 46)"),
        (
            b"\xef\xbb\xbf" + (_RECORDED % (2, "ab")).encode(),
            "not valid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
        ),
        ((_RECORDED % ("NaN", "ab")).encode(), "not valid JSON: NaN is not JSON"),
        ((_RECORDED % (99, "ab")).encode(), f"unknown version 99 {_READS}"),
        ((_RECORDED % ("true", "ab")).encode(), f"unknown version true {_READS}"),
        ((_RECORDED % ("1e400", "ab")).encode(), f"unknown version Infinity {_READS}"),
        ((_RECORDED % ('"1"', "ab")).encode(), f'unknown version "1" {_READS}'),
        (b'{"findings": []}', f"no version {_READS}"),
    ],
    ids=[
        "deep", "utf-16", "bad-byte", "bom", "nan",
        "version-99", "version-true", "version-inf", "version-str", "no-version",
    ],
)
def test_a_file_that_is_not_a_baseline_is_a_clean_error(project, invoke, data, reason):
    root = project({"a.py": "x = 1\n"})
    (root / "b.json").write_bytes(data)
    result = invoke("check", "--baseline", "b.json", "a.py")
    expected = f"error: b.json: not a bqlint baseline: {reason}\n"
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", expected)


# ---- a write that fails keeps the old baseline (crash13 #17) -------------------------------
_DEVICE = """import bql


class Dev(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.level = bql.BqlCell(0)

    def reset(self) -> None:
        self.level = 3
"""


def test_a_baseline_write_that_fails_part_way_keeps_the_old_one(project, invoke):
    # Path.write_text truncated first: a full disk (here a file-size limit) left 8 KiB of
    # JSON where the good baseline was, and every later --baseline run failed with exit 2.
    root = project({f"d{i}.py": _DEVICE for i in range(60)})
    assert invoke("check", "--no-cache", "--write-baseline", "bl.json", "d0.py").exit_code == 0
    good = (root / "bl.json").read_bytes()
    assert len(json.loads(good)["findings"]) == 1

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    args = [sys.executable, "-m", "bqlint", "check", "--no-cache", "--write-baseline", "bl.json", "."]
    failed = subprocess.run(args, capture_output=True, text=True, preexec_fn=limit_file_size)
    expected = "error: bl.json: cannot write baseline: File too large\n"
    assert (failed.returncode, failed.stderr) == (2, expected)
    assert (root / "bl.json").read_bytes() == good
    assert sorted(p.name for p in root.iterdir() if not p.name.endswith(".py")) == ["bl.json"]
    assert invoke("check", "--no-cache", "--baseline", "bl.json", "d0.py").exit_code == 0


def test_a_new_baseline_gets_the_mode_a_new_file_gets(project, fake_engine, invoke):
    root = project({"a.py": SOURCE})
    umask = os.umask(0o027)
    try:
        assert invoke("check", "--write-baseline", "bl.json").exit_code == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE((root / "bl.json").stat().st_mode) == 0o640


def test_a_baseline_written_through_a_symlink_updates_its_target(project, fake_engine, invoke):
    root = project({"a.py": SOURCE, "real/bl.json": "{}"})
    (root / "bl.json").symlink_to("real/bl.json")
    (root / "real/bl.json").chmod(0o604)
    assert invoke("check", "--write-baseline", "bl.json").exit_code == 0
    assert (root / "bl.json").is_symlink()
    assert len(json.loads((root / "real/bl.json").read_text())["findings"]) == 2
    assert stat.S_IMODE((root / "real/bl.json").stat().st_mode) == 0o604
