"""File names with control characters in the text outputs: escaped as Python's repr() escapes
them (`\\x1b`, `\\n`, `\\r`, `\\t`, `\\x7f`), so that a name can neither forge a line of output
nor send a terminal escape sequence (issue 9 leftover, blind crash2). JSON and the other
machine formats escape by their own encoding and keep the name as it is."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import re
from pathlib import Path

from bqlint.terminal import printable
from tests.fix.devices import device

# Each name holds one kind of character that must not reach a terminal raw.
NAMES = {
    "esc\x1b[31m.py": "esc\\x1b[31m.py",
    "nl\nx.py": "nl\\nx.py",
    "cr\rx.py": "cr\\rx.py",
    "tab\tx.py": "tab\\tx.py",
    "del\x7fx.py": "del\\x7fx.py",
    "csi\x9bx.py": "csi\\x9bx.py",
}
REBOUND = device("self.level = 3")  # BQL007 at 11:9, with a safe fix
MESSAGE = "cell field `self.level` is rebound in `Gpio.write()`, outside construction"
# Anything a terminal would act on: C0 controls but the newline, DEL, C1 controls.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _names(project) -> Path:
    return project({name: REBOUND for name in NAMES})


def test_printable_escapes_controls_as_repr_does_and_keeps_the_rest() -> None:
    assert printable("a\x1b[31m\n\r\t\x7f\x9b\u2028\udcffb") == "a\\x1b[31m\\n\\r\\t\\x7f\\x9b\\u2028\\udcffb"
    assert printable("dév/寄存器 x\\y.py") == "dév/寄存器 x\\y.py"


def test_concise_escapes_control_characters_in_paths(project, invoke) -> None:
    _names(project)
    result = invoke("check", "--no-cache", "--output-format", "concise", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        *sorted(f"{shown}:11:9: BQL007 [*] {MESSAGE}" for shown in NAMES.values()),
        "Found 6 errors.",
        "[*] 6 fixable with the `--fix` option.",
    ]


def test_full_escapes_control_characters_in_the_location_line(project, invoke) -> None:
    _names(project)
    result = invoke("check", "--no-cache", ".")
    assert result.exit_code == 1
    arrows = [line for line in result.stdout.splitlines() if line.startswith("  --> ")]
    assert arrows == sorted(f"  --> {shown}:11:9" for shown in NAMES.values())
    assert not RAW.search(result.stdout)
    assert result.stdout.count("\n") == len(result.stdout.splitlines())  # no \r or other breaks


def test_statistics_and_show_files_send_nothing_raw(project, invoke) -> None:
    root = _names(project)
    statistics = invoke("check", "--no-cache", "--statistics", ".")
    assert statistics.stdout == "6  BQL007  [*] cell-rebinding\n"
    shown = invoke("check", "--show-files", ".")
    assert shown.stdout.splitlines() == sorted(printable(str(root / name)) for name in NAMES)


def test_verbose_and_diff_escape_the_names_they_print(project, invoke) -> None:
    project({"esc\x1b[31m.py": REBOUND})
    verbose = invoke("check", "--no-cache", "-v", "--output-format", "concise", ".")
    assert "bqlint:   checked esc\\x1b[31m.py" in verbose.stderr.splitlines()
    assert not RAW.search(verbose.stderr)
    diff = invoke("check", "--no-cache", "--diff", ".")
    assert diff.stdout.splitlines()[:2] == ["--- a/esc\\x1b[31m.py", "+++ b/esc\\x1b[31m.py"]


def test_warnings_on_stderr_escape_the_names(project, invoke) -> None:
    root = project({"nl\nwarning: forged.py": "import bql\n(x): int = 1\nlevel = bql.BqlCell(0)\n"})
    result = invoke("check", "--no-cache", "--output-format", "concise", ".")
    assert result.stderr == (
        f"warning: {root}/nl\\nwarning: forged.py: could not be analysed "
        "(libcst cannot parse line 2: parser error: error at 2:5); Python accepts it\n"
    )


def test_a_fix_that_cannot_be_written_names_the_file_escaped(project, invoke) -> None:
    root = project({"esc\x1b[31m.py": REBOUND})
    (root / "esc\x1b[31m.py").chmod(0o444)
    result = invoke("check", "--no-cache", "--fix", "--output-format", "concise", ".")
    assert result.exit_code == 2
    assert "esc\\x1b[31m.py: read-only, not fixed" in result.stderr.splitlines()
    assert not RAW.search(result.stderr)


def test_json_keeps_the_name_as_it_is(project, invoke) -> None:
    root = project({"esc\x1b[31m.py": REBOUND})
    result = invoke("check", "--no-cache", "--output-format", "json", ".")
    [finding] = json.loads(result.stdout)
    assert finding["filename"] == str(root / "esc\x1b[31m.py")


def test_junit_escapes_the_name_to_stay_well_formed_xml(project, invoke) -> None:
    project({"esc\x1b[31m.py": REBOUND})
    result = invoke("check", "--no-cache", "--output-format", "junit", ".")
    [case] = ET.fromstring(result.stdout).findall("testsuite/testcase")
    assert (case.get("file"), case.get("line")) == ("esc\\x1b[31m.py", "11")


def test_clean_names_the_removed_cache_escaped(tmp_path, invoke, monkeypatch) -> None:
    root = tmp_path / "p\x1b[2Jroj"
    root.mkdir()
    monkeypatch.chdir(root)
    (root / "a.py").write_text(REBOUND)
    invoke("check", ".")
    result = invoke("clean")
    assert result.stderr == f"Removed {printable(str(root))}/.bqlint_cache\n"
    assert "\\x1b[2J" in result.stderr


def test_show_settings_escapes_the_paths_it_names(tmp_path, invoke, monkeypatch) -> None:
    root = tmp_path / "p\x1b[2Jroj"
    root.mkdir()
    monkeypatch.chdir(root)
    (root / "bqlint.toml").write_text("")
    result = invoke("check", "--show-settings", ".")
    assert result.exit_code == 0
    assert "\\x1b[2J" in result.stdout
    assert not RAW.search(result.stdout)


def test_errors_naming_a_path_escape_it(project, invoke) -> None:
    project({"a.py": REBOUND})
    result = invoke("check", "--config", "no\x1b[31m\nsuch.toml", ".")
    assert result.exit_code == 2
    assert result.stderr == "error: no\\x1b[31m\\nsuch.toml: configuration file not found\n"
