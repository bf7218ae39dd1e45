"""`--write-baseline FILE` and `--output-file FILE` never overwrite a source (crash4 #11): a
`.py`/`.pyi` or configuration name, or any file the run checks or reads, is a usage error
(exit 2) and the file keeps every byte."""

from __future__ import annotations

import os

import pytest

# CliRunner names the program `main`.
DEV = "OLD\n"
USAGE = "Usage: main check [OPTIONS] [PATHS]...\nTry 'main check --help' for help.\n\nError: "
SOURCE = "refusing to overwrite a Python source file; name another file\n"
CONFIG = "refusing to overwrite a configuration file; name another file\n"
READ = "refusing to overwrite a file this run checks or reads; name another file\n"


@pytest.mark.parametrize("option", ["--write-baseline", "--output-file"])
@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("dev.py", SOURCE),
        ("stubs/dev.pyi", SOURCE),
        ("NEW.PY", SOURCE),
        ("pyproject.toml", CONFIG),
        ("sub/bqlint.toml", CONFIG),
    ],
)
def test_a_target_named_like_a_source_or_configuration_is_refused(project, invoke, option, target, why):
    root = project({"pyproject.toml": "[tool.bqlint]\n", "dev.py": DEV, "stubs/dev.pyi": "x: int\n"})
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    result = invoke("check", "--no-cache", option, target, "dev.py")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{USAGE}{option} {target}: {why}"
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before


@pytest.mark.parametrize("option", ["--write-baseline", "--output-file"])
def test_a_checked_file_under_another_name_is_refused(project, invoke, option):
    root = project({"pyproject.toml": "", "dev.py": DEV})
    os.symlink(root / "dev.py", root / "dev_link")
    result = invoke("check", "--no-cache", option, "dev_link")
    assert result.exit_code == 2
    assert result.stderr == f"{USAGE}{option} dev_link: {READ}"
    assert (root / "dev.py").read_text() == DEV


def test_a_context_file_and_the_configuration_given_are_refused(project, invoke):
    root = project({"bqlint.toml": "", "dev.py": DEV, "helper": DEV, "my.cfg": "ignore = []\n"})
    (root / "helper").rename(root / "helper.py")
    os.symlink(root / "helper.py", root / "helper_link")
    result = invoke("check", "--no-cache", "--output-file", "helper_link", "dev.py")
    assert result.exit_code == 2
    assert result.stderr == f"{USAGE}--output-file helper_link: {READ}"
    result = invoke("check", "--no-cache", "--config", "my.cfg", "--write-baseline", "my.cfg", "dev.py")
    assert result.exit_code == 2
    assert result.stderr == f"{USAGE}--write-baseline my.cfg: {READ}"
    assert (root / "my.cfg").read_text() == "ignore = []\n"
    assert (root / "helper.py").read_text() == DEV


def test_another_file_is_still_written(project, invoke):
    root = project({"pyproject.toml": "", "dev.py": "x = 1\n"})
    result = invoke("check", "--no-cache", "--write-baseline", "base.json", "dev.py")
    assert result.exit_code == 0
    assert result.stderr == "Wrote 0 findings to base.json.\n"
    assert (root / "base.json").is_file()
