"""Options that each replace the normal report are never combined silently (crash7 #5):
`--write-baseline` with `--diff`, `--add-noqa`, `--show-files` or `--show-settings`, and
ruff's own conflicting pairs, are usage errors (exit 2) that touch nothing; `--write-baseline`
with `--fix` or `--statistics` works."""

from __future__ import annotations

import json

import pytest

DEVICE = (
    "import bql\n\n\nclass D(bql.Device):\n"
    "    def __init__(self):\n        self.level = bql.BqlCell(0)\n        self.x = 0\n\n"
    "    def m(self):\n        self.level = 3\n        self.x = 1\n"
)

PAIRS = [
    ("--write-baseline", "--diff"),
    ("--write-baseline", "--add-noqa"),
    ("--write-baseline", "--show-files"),
    ("--write-baseline", "--show-settings"),
    ("--add-noqa", "--statistics"),
    ("--add-noqa", "--show-files"),
    ("--add-noqa", "--show-settings"),
    ("--show-files", "--show-settings"),
    ("--show-files", "--statistics"),
    ("--statistics", "--diff"),
    ("--statistics", "--show-settings"),
]


def _arguments(option: str) -> list[str]:
    return [option, "bl.json"] if option == "--write-baseline" else [option]


@pytest.mark.parametrize(("first", "second"), PAIRS)
@pytest.mark.parametrize("order", ["as-listed", "reversed"])
def test_options_that_replace_the_report_are_a_usage_error(project, invoke, first, second, order):
    root = project({"pyproject.toml": "", "dev.py": DEVICE})
    given = [*_arguments(first), *_arguments(second)]
    if order == "reversed":
        given = [*_arguments(second), *_arguments(first)]
    result = invoke("check", "--no-cache", *given, "dev.py")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"Error: {first} and {second} cannot be combined"
    assert (root / "dev.py").read_text() == DEVICE
    assert sorted(p.name for p in root.iterdir()) == ["dev.py", "pyproject.toml"]


@pytest.mark.parametrize("extra", ["--fix", "--statistics"])
def test_write_baseline_with_fix_or_statistics_writes_it(project, invoke, extra):
    root = project({"pyproject.toml": "", "dev.py": DEVICE})
    result = invoke("check", "--no-cache", extra, "--write-baseline", "bl.json", "dev.py")
    assert result.exit_code == 0
    recorded = [(e["code"], e["line"]) for e in json.loads((root / "bl.json").read_text())["findings"]]
    if extra == "--fix":  # the BQL007 was fixed; what remains is recorded
        assert recorded == [("BQL001", "self.x = 1")]
        assert "self.level.set(3)" in (root / "dev.py").read_text()
    else:
        assert recorded == [("BQL001", "self.x = 1"), ("BQL007", "self.level = 3")]
