"""`bqlint clean` on a cache it cannot remove says so and exits 2 (crash6 #13): never
"Removed" for a cache that is still there."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bqlint import cache as cache_module

DEVICE = "import bql\n\nbql.unlock()\n"


def _filled_cache(project, invoke) -> Path:
    root = project({"pyproject.toml": "[tool.bqlint]\n", "dev.py": DEVICE})
    invoke("check", "-q", ".")
    directory = root / ".bqlint_cache"
    assert cache_module.is_cache_directory(directory)
    return directory


def test_a_cache_that_cannot_be_removed_is_an_error_and_the_next_clean_still_finds_it(
    project, invoke, monkeypatch
):
    directory = _filled_cache(project, invoke)
    builds = sorted(p.name for p in directory.iterdir() if p.is_dir())
    assert builds

    def refuse(path, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    with monkeypatch.context() as patched:
        patched.setattr(os, "unlink", refuse)
        result = invoke("clean")
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot remove the cache {directory}: Read-only file system; it is still there\n"
    assert sorted(p.name for p in directory.iterdir() if p.is_dir()) == builds
    # The tag goes last: what could not be removed is still a cache the next clean removes.
    assert cache_module.is_cache_directory(directory)
    result = invoke("clean")
    assert result.exit_code == 0
    assert result.stderr == f"Removed {directory}\n"
    assert not directory.exists()


def _can_mount() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="needs root and `unshare -m` for a read-only bind mount")
def test_a_cache_on_a_read_only_mount_is_reported_not_removed(project, invoke):
    directory = _filled_cache(project, invoke)
    before = sorted(str(p) for p in directory.rglob("*"))
    script = (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && '
        '"$2" -m bqlint clean; echo "rc=$?"'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(directory), sys.executable],
        capture_output=True,
        text=True,
        check=False,
        cwd=directory.parent,
    )
    assert done.stdout == "rc=2\n"
    assert done.stderr == f"error: cannot remove the cache {directory}: Read-only file system; it is still there\n"
    assert sorted(str(p) for p in directory.rglob("*")) == before
