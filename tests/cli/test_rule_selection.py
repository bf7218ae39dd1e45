"""Rule selection as in ruff (crash14 #6): the more specific selector wins, a tie goes to
`ignore`, and the command line's selection applies over the configuration's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint.config import Overrides, load_settings
from bqlint.rules import rule_codes
from tests.cli.conftest import BROKEN

REPORTED = "bad.py:3:7: BQL999 cannot parse this file: invalid syntax\n"


@pytest.mark.parametrize(
    ("config", "options", "reported"),
    [
        ("", ["--select", "BQL999", "--ignore", "BQL"], True),
        ("", ["--ignore", "BQL", "--select", "BQL999"], True),
        ("", ["--ignore", "ALL", "--select", "BQL999"], True),
        ("", ["--select", "BQL999", "--ignore", "BQL999"], False),  # a tie: ignore wins
        ("", ["--select", "BQL99", "--ignore", "BQL999"], False),
        ('select = ["BQL999"]\nignore = ["BQL99"]\n', [], True),
        ('select = ["BQL9"]\nignore = ["BQL999"]\n', [], False),
        ('select = ["BQL"]\nignore = ["BQL9"]\nextend-select = ["BQL999"]\n', [], True),
        ('ignore = ["BQL999"]\n', ["--select", "BQL999"], True),
        ('ignore = ["BQL999"]\n', ["--extend-select", "BQL999"], True),
        ('ignore = ["BQL"]\n', ["--select", "BQL999"], True),
        ('select = ["BQL999"]\n', ["--ignore", "BQL"], False),
        ('select = ["BQL999"]\n', ["--select", "BQL001"], False),
        ('select = ["BQL001"]\n', ["--ignore", "BQL001"], False),  # nothing left selected
    ],
)
def test_selection_follows_ruff(project, invoke, config, options, reported):
    project({"pyproject.toml": "[tool.bqlint]\n" + config, "bad.py": BROKEN})
    result = invoke("check", "--no-cache", "-q", "--output-format", "concise", *options)
    assert (result.exit_code, result.stdout) == ((1, REPORTED) if reported else (0, ""))


def _enabled(tmp_path: Path, config: str, overrides: Overrides = Overrides()) -> list[str]:
    (tmp_path / "bqlint.toml").write_text(config)
    settings = load_settings(tmp_path, overrides=overrides)
    return [code for code in rule_codes() if settings.is_enabled(code, tmp_path / "a.py")]


def test_the_most_specific_selector_wins_per_code(tmp_path: Path):
    config = 'select = ["BQL00"]\nignore = ["BQL0"]\nextend-select = ["BQL1"]\n'
    assert _enabled(tmp_path, config) == [
        "BQL001", "BQL002", "BQL003", "BQL004", "BQL005", "BQL006", "BQL007", "BQL100",
    ]  # fmt: skip
    overrides = Overrides(ignore=("BQL00",), extend_select=("BQL003",))
    assert _enabled(tmp_path, config, overrides) == ["BQL003", "BQL100"]


def test_command_line_select_replaces_the_configured_selection(tmp_path: Path):
    config = 'select = ["BQL001"]\nignore = ["BQL002", "BQL9"]\n'
    assert _enabled(tmp_path, config, Overrides(select=("BQL00", "BQL999"))) == [
        "BQL001", "BQL002", "BQL003", "BQL004", "BQL005", "BQL006", "BQL007", "BQL999",
    ]  # fmt: skip


def test_show_settings_lists_what_was_enabled_and_what_ignore_turned_off(tmp_path: Path):
    (tmp_path / "bqlint.toml").write_text('select = ["BQL00"]\nignore = ["BQL0", "BQL9"]\n')
    settings = load_settings(tmp_path, overrides=Overrides(select=("BQL002",), ignore=("BQL9",)))
    assert (sorted(settings.select), sorted(settings.ignore)) == (["BQL002"], ["BQL998", "BQL999"])
    settings = load_settings(tmp_path, overrides=Overrides(select=("BQL002", "BQL998"), ignore=("BQL9",)))
    assert (sorted(settings.select), sorted(settings.ignore)) == (["BQL002", "BQL998"], ["BQL999"])
    settings = load_settings(tmp_path)
    assert sorted(settings.select) == ["BQL001", "BQL002", "BQL003", "BQL004", "BQL005", "BQL006", "BQL007"]
    assert sorted(settings.ignore) == ["BQL998", "BQL999"]
