"""A file whose absolute path is longer than the system accepts (PATH_MAX, 4,096 bytes on
Linux) is found by the walk and reported as BQL998 with the reason (crash6 #15), never left
out of the run with "no Python files found" and exit 0."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tests.robustness.conftest import DEVICE

FOLDER = "x" * 99  # one level of nesting: 100 bytes with its "/"


def _bury(top: Path, name: str, text: str) -> str:
    """Write `name` below enough nested folders of `top` that its absolute path is over
    4,096 bytes (made relative to each folder in turn: no call sees the whole path);
    return its path relative to `top`."""
    depth = (4096 - len(str(top))) // (len(FOLDER) + 1) + 1
    here = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(FOLDER, dir_fd=here)
            below = os.open(FOLDER, os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = below
        fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=here)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
    finally:
        os.close(here)
    relative = "/".join([FOLDER] * depth + [name])
    with pytest.raises(OSError) as too_long:
        os.stat(top / relative)
    assert too_long.value.errno == errno.ENAMETOOLONG
    return relative


def test_a_file_too_deep_to_open_is_bql998_beside_the_others(tmp_path: Path, cli) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    (tmp_path / "dev.py").write_text(DEVICE)
    deep = _bury(tmp_path, "deep_dev.py", DEVICE)
    result = cli("--output-format", "concise", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL",
        f"{deep}:1:1: BQL998 cannot read this file: file name too long",
        "Found 2 errors.",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]


def test_a_tree_whose_only_file_is_too_deep_is_not_empty(tmp_path: Path, cli) -> None:
    deep = _bury(tmp_path, "deep_dev.py", DEVICE)
    result = cli("--output-format", "concise", ".")
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"{deep}:1:1: BQL998 cannot read this file: file name too long",
        "Found 1 error.",
    ]


def test_the_walk_still_enters_a_named_symlinked_folder_but_no_symlinked_folder_below(tmp_path: Path, cli) -> None:
    # The walk lists folders through descriptors now; what it enters is os.walk's choice.
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "dev.py").write_text(DEVICE)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
    named = cli("--output-format", "concise", "link")
    assert named.stdout.splitlines() == [
        "link/dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL",
        "Found 1 error.",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]
    walked = cli("--output-format", "concise", ".")
    assert walked.stdout.splitlines() == [
        "real/dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL",
        "Found 1 error.",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]


def test_a_tree_deeper_than_the_recursion_limit_is_walked(tmp_path: Path, cli) -> None:
    """1,100 nested folders (crash9 #3): the walk recursed once per level past Python's
    limit, and each level looked up every folder above it again."""
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    depth = 1100
    here = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("a", dir_fd=here)
            below = os.open("a", os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = below
        fd = os.open("dev.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=here)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(DEVICE)
    finally:
        os.close(here)
    try:
        result = cli("--output-format", "concise", ".")
        assert result.exit_code == 1
        finding = "dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL"
        assert result.stdout.splitlines()[0] == "a/" * depth + finding
    finally:
        _remove_chain(tmp_path, depth)  # shutil.rmtree (pytest's clean-up) recurses per level


def _remove_chain(top: Path, depth: int) -> None:
    """Remove the `a/a/.../dev.py` chain below `top`, deepest first (its paths stay under
    PATH_MAX, 2 bytes a level)."""
    (top / ("a/" * depth + "dev.py")).unlink()
    for level in range(depth, 0, -1):
        os.rmdir(top / ("a/" * level))
