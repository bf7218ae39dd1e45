"""Option values that used to mean something else than written (crash4, minor items):
`--select=` / `--select ,,` selected every rule; `--config /dev/null` said "not found"."""

from __future__ import annotations

import pytest

USAGE = "Usage: main check [OPTIONS] [PATHS]...\nTry 'main check --help' for help.\n\nError: "  # CliRunner's name


@pytest.mark.parametrize("args", [("--select=",), ("--select", ",,"), ("--select", " , "), ("--select=", "--select=,")])
def test_an_empty_select_is_a_usage_error(project, invoke, args):
    project({"pyproject.toml": "", "dev.py": "OLD\n"})
    result = invoke("check", "--no-cache", *args, "dev.py")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == USAGE + "--select: no rule code given; name codes or prefixes, or `ALL`\n"


def test_an_empty_part_beside_a_code_still_selects_that_code(project, invoke, fake_engine):
    project({"pyproject.toml": "", "dev.py": "OLD\n"})
    result = invoke("check", "--no-cache", "--output-format", "concise", "--select", "BQL007,,", "dev.py")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "dev.py:1:1: BQL007 [*] `OLD` is rebound"


def test_config_that_is_not_a_regular_file_says_so(project, invoke):
    project({"pyproject.toml": "", "dev.py": ""})
    result = invoke("check", "--no-cache", "--config", "/dev/null", "dev.py")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: /dev/null: not a regular file; --config takes a pyproject.toml or bqlint.toml\n"
    )
    missing = invoke("check", "--no-cache", "--config", "nowhere.toml", "dev.py")
    assert missing.exit_code == 2
    assert missing.stderr == "error: nowhere.toml: configuration file not found\n"
