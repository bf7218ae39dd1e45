"""The reference device lints clean: `bqlint check runtime/pl011` finds nothing (SPEC
§2.4), while each of fixtures/pl011_broken/ is caught (tests/test_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bqlint.cli import main

PL011 = Path(__file__).resolve().parents[2] / "runtime" / "pl011"


def test_pl011_package_lints_clean() -> None:
    result = CliRunner().invoke(
        main, ["check", "--no-cache", "--output-format", "concise", str(PL011)]
    )
    assert result.exit_code == 0, result.output
