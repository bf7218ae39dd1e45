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


@pytest.mark.parametrize("option", ["--write-baseline", "--output-file"])
def test_a_hard_link_of_a_checked_file_is_refused(project, invoke, option):
    # crash6 #1: a second name of the same inode is the checked file (compared by identity).
    root = project({"pyproject.toml": "", "dev.py": DEV})
    os.link(root / "dev.py", root / "hard.txt")
    result = invoke("check", "--no-cache", option, "hard.txt", ".")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{USAGE}{option} hard.txt: {READ}"
    assert (root / "dev.py").read_text() == DEV


def test_the_baseline_the_run_reads_is_refused_as_the_output_file(project, invoke):
    root = project({"pyproject.toml": "", "dev.py": DEV})
    assert invoke("check", "--no-cache", "--write-baseline", "bl.json", ".").exit_code == 0
    recorded = (root / "bl.json").read_bytes()
    os.link(root / "bl.json", root / "bl_hard.json")
    for target in ("bl.json", "bl_hard.json"):
        result = invoke("check", "--no-cache", "--baseline", "bl.json", "--output-file", target, ".")
        assert result.exit_code == 2
        assert result.stderr == f"{USAGE}--output-file {target}: {READ}"
    assert (root / "bl.json").read_bytes() == recorded


@pytest.mark.parametrize("option", ["--write-baseline", "--output-file"])
@pytest.mark.parametrize("target", [".gitignore", ".git/info/exclude"])
def test_an_ignore_file_the_walk_reads_is_refused(project, invoke, option, target):
    root = project({"pyproject.toml": "", "dev.py": DEV, ".gitignore": "build/\n", ".git/info/exclude": "tmp/\n"})
    result = invoke("check", "--no-cache", option, target, ".")
    assert result.exit_code == 2
    assert result.stderr == f"{USAGE}{option} {target}: {READ}"
    assert (root / ".gitignore").read_text() == "build/\n"
    assert (root / ".git/info/exclude").read_text() == "tmp/\n"


def test_a_hard_link_of_a_configuration_file_looked_at_is_refused(project, invoke):
    # sub/pyproject.toml does not configure bqlint, but the run reads it to find out.
    root = project({"pyproject.toml": "[tool.bqlint]\n", "sub/pyproject.toml": "[tool.other]\n", "sub/dev.py": DEV})
    os.link(root / "sub/pyproject.toml", root / "settings.txt")
    result = invoke("check", "--no-cache", "--output-file", "settings.txt", "sub/dev.py")
    assert result.exit_code == 2
    assert result.stderr == f"{USAGE}--output-file settings.txt: {CONFIG}"
    assert (root / "sub/pyproject.toml").read_text() == "[tool.other]\n"
