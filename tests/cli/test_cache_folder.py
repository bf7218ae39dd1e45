"""Where the cache may be written (crash4, minor items): a folder without bqlint's
CACHEDIR.TAG that holds anything else is never written into and a warning says so (not under
-q); one that holds only what bqlint writes (a restore that lost its tag) is taken over; a
folder with another tool's CACHEDIR.TAG is refused; with no [tool.bqlint] the cache goes to
the folder of the nearest pyproject.toml, not into the source folder bqlint runs from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bqlint import cache as cache_module

DEVICE = "import bql\n\n\nclass D(bql.Device):\n    def m(self):\n        self.x = 1\n"
CARGO_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by cargo.\n"


def _tree(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_foreign_folder_is_left_alone_with_one_warning(project, invoke):
    root = project({"pyproject.toml": "", "dev.py": DEVICE, ".bqlint_cache/notes.txt": "mine\n"})
    result = invoke("check", "--jobs", "1", "dev.py")
    assert result.exit_code == 1
    assert result.stderr == (
        f"warning: {root / '.bqlint_cache'} is not a bqlint cache (no CACHEDIR.TAG) and holds other "
        "files; the cache was not written (remove the folder, or set cache-dir)\n"
    )
    assert sorted(os.listdir(root / ".bqlint_cache")) == ["notes.txt"]
    quiet = invoke("check", "--jobs", "1", "-q", "dev.py")
    assert (quiet.exit_code, quiet.stderr) == (1, "")


def test_a_folder_holding_only_bqlint_entries_is_taken_over(project, invoke):
    root = project({"pyproject.toml": "", "dev.py": DEVICE, ".bqlint_cache/.gitignore": "*\n"})
    (root / ".bqlint_cache" / "0.1.0-0123456789abcdef").mkdir()
    result = invoke("check", "--jobs", "1", "dev.py")
    assert (result.exit_code, result.stderr) == (1, "")
    assert cache_module.is_cache_directory(root / ".bqlint_cache")
    assert (root / ".bqlint_cache" / "0.1.0-0123456789abcdef").is_dir()  # nothing deleted
    assert list((root / ".bqlint_cache").glob("*/facts.json"))


def test_another_tools_cache_named_by_the_environment_is_refused(project, invoke, monkeypatch):
    root = project({"pyproject.toml": "", "dev.py": DEVICE, "target/CACHEDIR.TAG": CARGO_TAG})
    monkeypatch.setenv("BQLINT_CACHE_DIR", "target")
    before = _tree(root / "target")
    result = invoke("check", "--jobs", "1", "dev.py")
    assert result.exit_code == 1
    assert result.stderr == (
        f"warning: {root / 'target'} holds another tool's CACHEDIR.TAG; the cache was not written\n"
    )
    assert _tree(root / "target") == before


@pytest.mark.parametrize("marker", ["pyproject.toml", "bqlint.toml"])
def test_without_tool_bqlint_the_cache_is_at_the_nearest_pyproject(project, invoke, monkeypatch, marker):
    text = '[project]\nname = "x"\n' if marker == "pyproject.toml" else ""
    root = project({marker: text, "pkg/dev.py": DEVICE})
    monkeypatch.chdir(root / "pkg")
    result = invoke("check", "--jobs", "1", "-q", "dev.py")
    assert result.exit_code == 1
    assert not (root / "pkg" / ".bqlint_cache").exists()
    assert cache_module.is_cache_directory(root / ".bqlint_cache")
    cleaned = invoke("clean")
    assert cleaned.stderr == f"Removed {root / '.bqlint_cache'}\n"


@pytest.mark.parametrize("setting", ["config", "env"])
def test_a_cache_dir_that_steps_up_out_of_a_new_folder_is_the_folder_it_names(project, invoke, monkeypatch, setting):
    # crash11 #1: `newdir/..` is the project root; it was taken over (a `*` .gitignore and a
    # CACHEDIR.TAG in it) because `newdir` did not exist when the folder was looked at.
    config = '[tool.bqlint]\ncache-dir = "newdir/.."\n' if setting == "config" else ""
    root = project({"pyproject.toml": config, "dev.py": DEVICE})
    if setting == "env":
        monkeypatch.setenv("BQLINT_CACHE_DIR", str(root / "newdir" / ".."))
    for _ in range(2):
        result = invoke("check", "--jobs", "1", "dev.py")
        assert result.exit_code == 1
        assert "is not a bqlint cache" in result.stderr
    assert sorted(os.listdir(root)) == ["dev.py", "pyproject.toml"]


# ---- no cache beside a file that is in no project (crash13 #15) ----------------------------
def _elsewhere(tmp_path: Path) -> Path:
    """A package outside the working directory with no configuration and no .git above it,
    as site-packages is; tmp_path itself holds neither."""
    vendor = tmp_path / "site-packages" / "vendorpkg"
    vendor.mkdir(parents=True)
    (vendor / "__init__.py").write_text("")
    (vendor / "dev.py").write_text(DEVICE)
    return vendor


def _caches(*tops: Path) -> list[Path]:
    return sorted(p for top in tops for p in top.rglob(".bqlint_cache"))


def test_a_file_in_no_project_outside_the_working_directory_is_checked_uncached(project, invoke, tmp_path):
    # The cache went to the top of that file's package tree: site-packages, /etc, /dev.
    root = project({"mine.py": "x = 1\n"})
    vendor = _elsewhere(tmp_path)
    result = invoke("check", "--jobs", "1", "--output-format", "concise", str(vendor / "dev.py"))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"{vendor / 'dev.py'}:6:9: BQL001 device field `self.x` is assigned in `D.m()`, outside construction"
    )
    assert _caches(tmp_path) == []
    stdin = invoke("check", "--jobs", "1", "--stdin-filename", str(vendor / "x.py"), "-", input=DEVICE)
    assert stdin.exit_code == 1
    assert _caches(tmp_path) == []
    assert invoke("check", "--jobs", "1", "mine.py").exit_code == 0
    assert _caches(tmp_path) == [root / ".bqlint_cache"]  # the working directory's own still is


@pytest.mark.parametrize("marker", [".git", "pyproject.toml"])
def test_a_file_outside_the_working_directory_in_a_project_keeps_its_cache(project, invoke, tmp_path, marker):
    project({})
    vendor = _elsewhere(tmp_path)
    top = tmp_path / "site-packages"
    if marker == ".git":
        (top / ".git").mkdir()
    else:
        (top / "pyproject.toml").write_text("")
    assert invoke("check", "--jobs", "1", str(vendor / "dev.py")).exit_code == 1
    assert _caches(tmp_path) == [top / ".bqlint_cache"]  # the top of its package tree, as before
