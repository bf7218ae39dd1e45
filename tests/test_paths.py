"""bqlint.paths answers as `Path.resolve()` and `is_file()` do, with each folder asked once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bqlint import paths


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Plain files, a symlinked file and folder, a dangling link, a loop and a package."""
    (tmp_path / "real" / "pkg").mkdir(parents=True)
    (tmp_path / "real" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "real" / "pkg" / "mod.py").write_text("")
    (tmp_path / "real" / "other.py").write_text("")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "alias.py").symlink_to(tmp_path / "real" / "other.py")
    (tmp_path / "real" / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "real" / "loop.py").symlink_to(tmp_path / "real" / "loop.py")
    paths.forget()
    return tmp_path


def _outcome(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except (OSError, RuntimeError) as exc:
        return type(exc)


def test_resolved_is_path_resolve(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree / "real")
    cases = [
        tree / "real" / "other.py",
        tree / "real" / "alias.py",
        tree / "linked" / "other.py",
        tree / "linked" / "alias.py",
        tree / "linked" / "pkg" / "mod.py",
        tree / "linked" / "pkg" / ".." / "other.py",
        tree / "linked" / "missing" / "x.py",
        tree / "real" / "dangling.py",
        tree / "real" / "loop.py",
        tree / "real" / "loop.py" / "x.py",
        tree / "linked",
        Path("pkg/mod.py"),
        Path("../linked/alias.py"),
        Path("/"),
    ]
    for _ in range(2):  # cold, then from what the first pass learnt
        for path in cases:
            assert _outcome(lambda: paths.resolved(path)) == _outcome(path.resolve), path


def test_package_folders_and_forgetting(tree: Path) -> None:
    assert paths.is_package_folder(tree / "linked" / "pkg")
    assert not paths.is_package_folder(tree / "real")
    (tree / "real" / "__init__.py").write_text("")
    assert not paths.is_package_folder(tree / "real")  # asked once per run
    paths.forget()
    assert paths.is_package_folder(tree / "real")
    target = tree / "real" / "other.py"
    assert paths.resolved(tree / "real" / "moved.py") == tree.resolve() / "real" / "moved.py"
    (tree / "real" / "moved.py").symlink_to(target)
    paths.forget()
    assert paths.resolved(tree / "real" / "moved.py") == target.resolve()
    assert os.path.islink(tree / "real" / "moved.py")
