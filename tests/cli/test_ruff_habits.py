"""The CLI habits of ruff users: `-`, -q, -v, --output-file, --show-files, --show-settings,
--exclude, FORCE_COLOR / NO_COLOR, and `[*]` on fixable findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import BROKEN


@pytest.fixture
def broken(project):
    return project({"bad.py": BROKEN, "good.py": "x = 1\n"})


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_dash_reads_standard_input(project, invoke):
    project({})
    result = invoke("check", "-", "--output-format", "concise", input=BROKEN)
    assert result.exit_code == 1
    assert result.stdout.startswith("-:3:7: BQL999 ")


def test_dash_with_stdin_filename_reports_under_that_name(project, invoke):
    root = project({})
    result = invoke("check", "-", "--stdin-filename", "pkg/m.py", "--output-format", "json", input=BROKEN)
    assert json.loads(result.stdout)[0]["filename"] == str(root / "pkg" / "m.py")


def test_dash_with_other_paths_is_a_usage_error(project, invoke):
    project({"a.py": "x = 1\n"})
    assert invoke("check", "-", "a.py", input="x = 1\n").exit_code == 2


def test_dash_clean_source_exits_0(project, invoke):
    project({})
    result = invoke("check", "-", input="x = 1\n")
    assert (result.exit_code, result.stdout) == (0, "All checks passed!\n")


def test_quiet_prints_the_findings_only(broken, invoke):
    result = invoke("check", "-q", "--output-format", "concise")
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith("bad.py:3:7: BQL999 cannot parse this file")
    assert result.stderr == ""


def test_quiet_clean_run_prints_nothing(project, invoke):
    project({"a.py": "x = 1\n"})
    result = invoke("check", "--quiet")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_quiet_and_verbose_together_is_a_usage_error(broken, invoke):
    assert invoke("check", "-q", "-v").exit_code == 2


def test_verbose_says_config_files_skips_and_timings_on_stderr(project, invoke):
    root = project(
        {
            "pyproject.toml": '[tool.bqlint]\nextend-exclude = ["gen"]\n',
            ".gitignore": "scratch.py\n",
            "a.py": "x = 1\n",
            "gen/b.py": "x = 1\n",
            "scratch.py": "x = (\n",
        }
    )
    result = invoke("check", "-v", "--output-format", "concise")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed!\n"
    lines = result.stderr.splitlines()
    assert f"bqlint: {root.resolve() / 'pyproject.toml'} governs 1 file:" in lines
    assert "bqlint:   checked a.py" in lines
    assert "bqlint:   skipped gen (excluded by configuration)" in lines
    assert "bqlint:   skipped scratch.py (ignored by .gitignore)" in lines
    assert "bqlint: checked 1 file, 0 findings" in lines
    assert lines[-1].startswith("bqlint: timings: discovery ") and " analysis " in lines[-1]


def test_verbose_without_config_names_the_defaults(project, invoke):
    project({"a.py": "x = 1\n"})
    assert "bqlint: the defaults (no configuration file) governs 1 file:" in invoke("check", "-v").stderr


def test_output_file_gets_the_report_and_the_summary_is_still_printed(broken, invoke):
    result = invoke("check", "--output-format", "json", "--output-file", "report.json")
    assert result.exit_code == 1
    assert [item["code"] for item in json.loads(Path("report.json").read_text())] == ["BQL999"]
    assert result.stdout == "Found 1 error.\n"


def test_output_file_in_a_folder_that_does_not_exist_yet_is_written(broken, invoke):
    # ruff makes the folders of --output-file too (astral-sh/ruff#11550).
    result = invoke("check", "--output-format", "json", "--output-file", "reports/lint/bqlint.json")
    assert result.exit_code == 1
    assert [item["code"] for item in json.loads(Path("reports/lint/bqlint.json").read_text())] == ["BQL999"]


def test_output_file_with_full_format_has_no_colour_and_no_summary(broken, invoke):
    result = invoke("check", "--color", "always", "--output-file", "out.txt")
    text = Path("out.txt").read_text()
    assert "error[BQL999]" in text and "\x1b[" not in text and "Found" not in text
    assert result.stdout == "Found 1 error.\n"


def test_output_file_with_quiet_prints_nothing(broken, invoke):
    result = invoke("check", "-q", "--output-file", "out.txt")
    assert (result.exit_code, result.stdout) == (1, "")
    assert "BQL999" in Path("out.txt").read_text()


def test_show_files_lists_what_would_be_checked(project, invoke):
    root = project({"a.py": "x = (\n", "pkg/b.py": "", "gen/c.py": "", "notes.txt": ""})
    result = invoke("check", "--show-files", "--exclude", "gen")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [str(root / "a.py"), str(root / "pkg" / "b.py")]


def test_show_settings_prints_the_governing_configuration(project, invoke):
    root = project(
        {
            "pyproject.toml": '[tool.bqlint]\nignore = ["BQL001"]\n',
            "sub/bqlint.toml": 'extend = "../pyproject.toml"\ncell-types = ["x.Cell"]\n',
            "sub/a.py": "",
        }
    )
    result = invoke("check", "--show-settings", "sub/a.py")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Resolved settings for: {(root / 'sub' / 'a.py').as_posix()}"
    assert f"Settings path: {root.resolve() / 'sub' / 'bqlint.toml'}" in lines
    assert f"Extends: ['{root.resolve() / 'pyproject.toml'}']" in lines
    assert "ignore = ['BQL001']" in lines
    assert "cell-types = ['x.Cell']" in lines


def test_exclude_replaces_the_configured_exclude(project, invoke):
    project({"pyproject.toml": '[tool.bqlint]\nexclude = ["a.py"]\n', "a.py": BROKEN, "b.py": BROKEN})
    assert invoke("check", "--show-files").stdout.count("\n") == 1
    shown = invoke("check", "--show-files", "--exclude", "b.py").stdout
    assert shown.splitlines() == [str(Path.cwd() / "a.py")]


def test_extend_exclude_adds_to_the_configured_exclude(project, invoke):
    project({"pyproject.toml": '[tool.bqlint]\nexclude = ["a.py"]\n', "a.py": "", "b.py": "", "c.py": ""})
    shown = invoke("check", "--show-files", "--extend-exclude", "b.py,x/y").stdout
    assert shown.splitlines() == [str(Path.cwd() / "c.py")]


def test_command_line_exclude_anchored_to_the_working_directory(project, invoke, monkeypatch):
    root = project({"bqlint.toml": "", "sub/gen/a.py": "", "sub/b.py": ""})
    monkeypatch.chdir(root / "sub")
    shown = invoke("check", "--show-files", "--exclude", "/gen").stdout
    assert shown.splitlines() == [str(root / "sub" / "b.py")]


def test_force_color_colours_when_not_a_terminal(broken, invoke, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in invoke("check").stdout
    assert "\x1b[" not in invoke("check", "--color", "never").stdout


def test_no_color_wins_over_force_color(broken, invoke, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in invoke("check").stdout
    assert "\x1b[" in invoke("check", "--color", "always").stdout


def test_concise_marks_fixable_findings_and_says_how_to_fix(project, fake_engine, invoke):
    project({"a.py": "OLD = 1\nRISKY = 2\n"})
    result = invoke("check", "--output-format", "concise")
    assert result.stdout.splitlines() == [
        "a.py:1:1: BQL007 [*] `OLD` is rebound",
        "a.py:2:1: BQL007 `RISKY` is rebound",
        "Found 2 errors.",
        "[*] 1 fixable with the `--fix` option.",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]
    unsafe = invoke("check", "--output-format", "concise", "--unsafe-fixes").stdout.splitlines()
    assert unsafe[1] == "a.py:2:1: BQL007 [*] `RISKY` is rebound"
    assert unsafe[-1] == "[*] 2 fixable with the `--fix` option."
