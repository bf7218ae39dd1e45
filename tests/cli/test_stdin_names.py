"""`--stdin-filename` must name a file (crash9 #4): `/`, `/..` and a folder are usage
errors (exit 2), not a crash reported as a bug."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bqlint.cli import main


@pytest.mark.parametrize("name", ["/", "/..", "."])
def test_a_name_that_is_no_file_is_a_usage_error(name: str) -> None:
    result = CliRunner().invoke(main, ["check", "--no-cache", "--stdin-filename", name], input="x = 1\n")
    assert result.exit_code == 2
    assert "--stdin-filename must name a file" in result.output
    assert "bug" not in result.output


def test_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--no-cache", "--stdin-filename", str(tmp_path)], input="x = 1\n")
    assert result.exit_code == 2
    assert "--stdin-filename must name a file" in result.output
