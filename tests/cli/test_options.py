from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.cli.conftest import BROKEN


@pytest.fixture
def broken(project):
    return project({"bad.py": BROKEN, "good.py": "x = 1\n"})


def test_select_limits_the_rules(broken, invoke):
    assert invoke("check", "--select", "BQL007").exit_code == 0
    assert invoke("check", "--select", "BQL9").exit_code == 1


def test_select_accepts_comma_separated_codes_and_prefixes(broken, invoke):
    assert invoke("check", "--select", "BQL001,BQL00").exit_code == 0
    assert invoke("check", "--select", "BQL001,ALL").exit_code == 1


def test_ignore_drops_a_code(broken, invoke):
    assert invoke("check", "--ignore", "BQL999").exit_code == 0


def test_extend_select_adds_to_select(broken, invoke):
    assert invoke("check", "--select", "BQL001", "--extend-select", "BQL999").exit_code == 1


def test_unknown_code_on_the_command_line_exits_2(broken, invoke):
    result = invoke("check", "--ignore", "XYZ1")
    assert result.exit_code == 2
    assert "--ignore: unknown rule code or prefix `XYZ1`" in result.stderr


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "sarif", "github", "gitlab", "junit"])
def test_every_output_format_exits_1_with_findings(broken, invoke, fmt):
    result = invoke("check", "--output-format", fmt)
    assert result.exit_code == 1
    assert "BQL999" in result.stdout


def test_json_output_is_a_parsable_array_with_absolute_filenames(broken, invoke):
    items = json.loads(invoke("check", "--output-format", "json").stdout)
    assert [i["code"] for i in items] == ["BQL999"]
    assert items[0]["filename"] == str(broken / "bad.py")


def test_json_output_of_a_clean_run_is_an_empty_array(project, invoke):
    project({"a.py": "x = 1\n"})
    result = invoke("check", "--output-format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_sarif_root_is_the_project_root(broken, invoke):
    run = json.loads(invoke("check", "--output-format", "sarif").stdout)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == broken.as_uri() + "/"
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "bad.py"


def test_junit_output_is_xml(broken, invoke):
    root = ET.fromstring(invoke("check", "--output-format", "junit").stdout)
    assert root.find("testsuite/testcase").get("name") == "bqlint.BQL999"


def test_github_output(broken, invoke):
    line = invoke("check", "--output-format", "github").stdout
    assert re.match(r"::error title=bqlint \(BQL999\),file=bad\.py,line=\d+,col=\d+,endLine=\d+,endColumn=\d+::", line)


def test_concise_output(broken, invoke):
    lines = invoke("check", "--output-format", "concise").stdout.splitlines()
    assert re.match(r"bad\.py:\d+:\d+: BQL999 cannot parse", lines[0])
    assert lines[-1] == "Found 1 error."


def test_statistics(broken, invoke):
    result = invoke("check", "--statistics")
    assert result.exit_code == 1
    assert result.stdout == "1  BQL999  [ ] syntax-error\n"


def test_statistics_as_json(broken, invoke):
    rows = json.loads(invoke("check", "--statistics", "--output-format", "json").stdout)
    assert rows == [{"code": "BQL999", "name": "syntax-error", "count": 1, "fixable": False}]


def test_color_always_and_never(broken, invoke):
    assert "\x1b[" in invoke("check", "--color", "always").stdout
    assert "\x1b[" not in invoke("check", "--color", "never").stdout


def test_color_auto_is_off_when_not_a_terminal(broken, invoke):
    assert "\x1b[" not in invoke("check", "--color", "auto").stdout


def test_stdin_is_checked_under_its_name(project, invoke):
    root = project({})
    result = invoke("check", "--stdin-filename", "pkg/mod.py", "--output-format", "json", input=BROKEN)
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["filename"] == str(root / "pkg" / "mod.py")


def test_stdin_name_longer_than_a_file_name_can_be_is_only_a_label(project, invoke):
    # The name is never opened: one the file system refuses to look up (ENAMETOOLONG) is
    # still the name the finding is reported under, in a folder or not.
    root = project({})
    for name in ("a" * 300 + ".py", "sub/" + "b" * 300 + "/mod.py"):
        result = invoke("check", "--stdin-filename", name, "--output-format", "json", input=BROKEN)
        assert result.exit_code == 1, result.stderr
        assert json.loads(result.stdout)[0]["filename"] == str(root / name)


def test_stdin_clean_source_exits_0(project, invoke):
    project({})
    assert invoke("check", "--stdin-filename", "mod.py", "-", input="x = 1\n").exit_code == 0


def test_stdin_with_other_paths_is_a_usage_error(project, invoke):
    project({"a.py": "x = 1\n"})
    assert invoke("check", "--stdin-filename", "mod.py", "a.py", input="x = 1\n").exit_code == 2


def test_stdin_excluded_name_with_force_exclude_is_not_checked(project, invoke):
    project({"pyproject.toml": '[tool.bqlint]\nextend-exclude = ["gen/"]\n'})
    result = invoke("check", "--force-exclude", "--stdin-filename", "gen/x.py", input=BROKEN)
    assert result.exit_code == 0
    assert result.stdout == ""


def test_baseline_and_write_baseline_together_is_a_usage_error(broken, invoke):
    assert invoke("check", "--baseline", "b.json", "--write-baseline", "c.json").exit_code == 2


def test_add_noqa_with_fix_is_a_usage_error(broken, invoke):
    assert invoke("check", "--add-noqa", "--fix").exit_code == 2


def test_full_format_shows_a_related_location_in_a_context_file(project, invoke, monkeypatch):
    from bqlint import engine
    from bqlint.diagnostics import Diagnostic, Position, Related, Span

    root = project({"dev.py": "import bql\nflush()\n", "bus.py": "import bql\n\ndef flush():\n    bql.unlock()\n"})

    def run(settings, files, *, context=(), stdin=None, explicit=(), **options):
        dev, bus = root / "dev.py", root / "bus.py"
        related = (Related("the BQL may be released here", Span(bus, Position(4, 5), Position(4, 17))),)
        d = Diagnostic("BQL002", "borrow-across-unlock", "m", Span(dev, Position(2, 1), Position(2, 8)), related)
        return engine.Report([d], {dev: (root / "dev.py").read_text()}, 1)

    monkeypatch.setattr(engine, "run", run)
    text = invoke("check", "dev.py").stdout
    assert " ::: bus.py:4:5" in text
    assert "4 |     bql.unlock()" in text
    assert "  |     ------------ the BQL may be released here" in text
