"""Unreadable files and folders (crash7 #3), with real permissions: a named unreadable file
is BQL998 and the others are still checked (never a usage error); a file in a folder bqlint
may not search is BQL998 (never a crash); a folder that cannot be listed, and a context
module that cannot be read, are named on stderr instead of dropping findings silently.

Root reads anything, so as root the runs drop the capabilities that let it (`capsh`)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

DEVICE = """\
import bql
from pkg import h


class D(bql.SysBusDevice):
    def __init__(self):
        self.regs = bql.BqlRefCell([0])
        self.x = 0

    def m(self):
        with self.regs.borrow_mut() as g:
            h.flush()
        self.x = 1
"""
CALLEE = "import bql\n\n\ndef flush():\n    bql.unlock()\n"
BQL001 = "dev.py:13:9: BQL001 device field `self.x` is assigned in `D.m()`, outside construction"
BQL002 = "dev.py:12:13: BQL002 `self.regs` is still borrowed where `h.flush()` may release the BQL"

pytestmark = pytest.mark.skipif(
    os.geteuid() == 0 and shutil.which("capsh") is None, reason="as root, needs capsh to drop CAP_DAC_OVERRIDE"
)


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "proj"
    (root / "pkg" / "locked").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "h.py").write_text(CALLEE)
    (root / "pkg" / "locked" / "m.py").write_text("import bql\n")
    (root / "dev.py").write_text(DEVICE)
    yield root
    for path in (root / "pkg" / "h.py", root / "pkg" / "locked"):
        path.chmod(0o755)


def _lock(*paths: Path) -> None:
    for path in paths:
        path.chmod(0o000)


def _bqlint(root: Path, *args: str) -> tuple[int, str, str]:
    command = [sys.executable, "-m", "bqlint", "check", "--output-format", "concise", *args]
    if os.geteuid() == 0:
        command = ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", shlex.join(command)]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr


def test_the_callee_is_found_when_everything_is_readable(tree: Path) -> None:
    code, out, err = _bqlint(tree, "--no-cache", "dev.py")
    assert (code, err) == (1, "")
    assert out.splitlines() == [BQL002, BQL001, "Found 2 errors."]


def test_a_named_unreadable_file_is_bql998_and_the_others_are_checked(tree: Path) -> None:
    _lock(tree / "pkg" / "h.py")
    code, out, err = _bqlint(tree, "--no-cache", "dev.py", "pkg/h.py")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        BQL001,
        "pkg/h.py:1:1: BQL998 cannot read this file: permission denied",
        "Found 2 errors.",
    ]


def test_a_named_file_in_a_folder_that_cannot_be_searched_is_bql998_not_a_crash(tree: Path) -> None:
    _lock(tree / "pkg" / "locked")
    code, out, err = _bqlint(tree, "--no-cache", "pkg/locked/m.py", "dev.py")
    assert code == 1
    assert out.splitlines() == [
        BQL002,
        BQL001,
        "pkg/locked/m.py:1:1: BQL998 cannot read this file: permission denied",
        "Found 3 errors.",
    ]
    assert err == (
        f"warning: {tree / 'pkg' / 'locked'}: cannot read this folder (permission denied); "
        "its files were not read as context\n"
    )


@pytest.mark.parametrize("cache", [["--no-cache"], []], ids=["no-cache", "cache"])
def test_an_unreadable_context_module_is_named_on_stderr(tree: Path, cache: list[str]) -> None:
    _lock(tree / "pkg" / "h.py")
    for _ in range(2):  # cold, then warm: the warning is not lost to the cache
        code, out, err = _bqlint(tree, *cache, "dev.py")
        assert (code, out.splitlines()) == (1, [BQL001, "Found 1 error."])
        assert err == (
            f"warning: {tree / 'pkg' / 'h.py'}: cannot read this file: permission denied; not read as "
            "context, so any finding that runs through it is missing\n"
        )


def test_an_unreadable_folder_met_while_walking_is_named(tree: Path) -> None:
    _lock(tree / "pkg" / "h.py", tree / "pkg" / "locked")
    code, out, err = _bqlint(tree, "--no-cache", ".")
    assert code == 1
    assert out.splitlines() == [
        BQL001,
        "pkg/h.py:1:1: BQL998 cannot read this file: permission denied",
        "Found 2 errors.",
    ]
    assert err == (
        f"warning: {tree / 'pkg' / 'locked'}: cannot read this folder (permission denied); "
        "its files were not checked\n"
    )
    code, out, err = _bqlint(tree, "--no-cache", "--show-files", ".")
    assert code == 0
    assert out.splitlines() == [str(tree / "dev.py"), str(tree / "pkg" / "__init__.py"), str(tree / "pkg" / "h.py")]
    assert "pkg/locked: cannot read this folder (permission denied); its files were not checked" in err


def test_a_symlink_to_a_folder_is_not_reported_as_unreadable(tree: Path, tmp_path: Path) -> None:
    (tree / "link").symlink_to(tmp_path / "nowhere")
    (tree / "dir_link").symlink_to(tree / "pkg")
    code, out, err = _bqlint(tree, "--no-cache", ".")
    assert (code, err) == (1, "")


def test_an_unreadable_module_nothing_imports_is_not_mentioned(tree: Path) -> None:
    (tree / "pkg" / "other.py").write_text("import bql\n")
    _lock(tree / "pkg" / "other.py")
    try:
        code, out, err = _bqlint(tree, "--no-cache", "dev.py")
    finally:
        (tree / "pkg" / "other.py").chmod(0o644)
    assert (code, out.splitlines(), err) == (1, [BQL002, BQL001, "Found 2 errors."], "")


def test_a_named_folder_that_can_be_listed_but_not_searched_is_a_warning_not_a_crash(tree: Path) -> None:
    (tree / "pkg" / "locked").chmod(0o644)  # `r` without `x`: open() works, stat() inside does not
    code, out, err = _bqlint(tree, "--no-cache", "pkg/locked")
    assert (code, out) == (0, "")
    assert err == (
        f"warning: {tree / 'pkg' / 'locked'}: cannot read this folder (permission denied); its files were not checked\n"
        "warning: no Python files found under the given paths\n"
    )
