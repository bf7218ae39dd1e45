"""Which project files a subset run reads as context, and which configurations must be valid.

As in ruff, only the configurations that govern the checked files must load; a broken one
that governs only context files leaves those files out and says so once. Without any
configuration file the project is the git root, else a bounded package tree, and no cache
is written into the filesystem root.
"""

from __future__ import annotations

from pathlib import Path

from bqlint import discovery
from bqlint.cache import DIRECTORY_NAME, may_hold_cache
from bqlint.config import Settings
from tests.cli.test_subset_runs import CALLEE_RELEASING, CALLER, OWN_FINDING

BAD = "[tool.bqlint]\ncache-dir = 3\n"


def test_a_broken_config_that_governs_only_context_does_not_fail_the_run(project, fake_engine, invoke):
    root = project({"dev.py": "OLD\n", "other/pyproject.toml": BAD, "other/__init__.py": "", "other/x.py": ""})
    (root / "__init__.py").write_text("")
    result = invoke("check", "--output-format", "concise", "dev.py")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "dev.py:1:1: BQL007 [*] `OLD` is rebound"
    assert result.stderr.count("other/pyproject.toml: key `cache-dir`") == 1
    assert f"the files under {root / 'other'} were not read as context" in result.stderr
    assert all(root / "other" not in path.parents for path in fake_engine[-1][1])


def test_a_broken_config_of_a_project_sub_folder_is_named_once_and_its_files_skipped(
    project, fake_engine, invoke
):
    root = project(
        {"pyproject.toml": "", "dev.py": "", "bus.py": "", "sub/pyproject.toml": BAD, "sub/a.py": "", "sub/b.py": ""}
    )
    result = invoke("check", "dev.py")
    assert result.exit_code == 0
    assert result.stderr.count("warning:") == 1
    assert result.stderr.count("sub/pyproject.toml: key `cache-dir` must be") == 1
    assert fake_engine[-1] == ([root / "dev.py"], [root / "bus.py"])


def test_a_broken_config_that_governs_a_given_file_is_still_an_error(project, invoke):
    project({"pyproject.toml": "", "dev.py": "", "sub/pyproject.toml": BAD, "sub/a.py": ""})
    result = invoke("check", "dev.py", "sub/a.py")
    assert result.exit_code == 2
    assert "sub/pyproject.toml: key `cache-dir` must be a non-empty path string, got 3" in result.stderr
    assert "not read as context" not in result.stderr


def test_without_config_the_git_root_is_the_project(project, fake_engine, invoke):
    root = project({"a/dev.py": "", "b/caller.py": "", "c.py": ""})
    (root / ".git").mkdir()
    assert invoke("check", "a/dev.py").exit_code == 0
    assert fake_engine[-1] == ([root / "a" / "dev.py"], [root / "b" / "caller.py", root / "c.py"])


def test_without_config_or_git_only_the_package_tree_is_read(project, fake_engine, invoke):
    root = project({"dev.py": "", "bus.py": "", "pkg/__init__.py": "", "pkg/m.py": "", "loose/x.py": ""})
    assert invoke("check", "dev.py").exit_code == 0
    assert fake_engine[-1][1] == [root / "bus.py", root / "pkg" / "__init__.py", root / "pkg" / "m.py"]


def test_a_guessed_project_is_read_only_up_to_the_limit(project, fake_engine, invoke, monkeypatch):
    monkeypatch.setattr(discovery, "GUESSED_CONTEXT_LIMIT", 2)
    root = project({"dev.py": "", "a.py": "", "b.py": "", "c.py": ""})
    result = invoke("check", "dev.py")
    assert result.exit_code == 0
    assert fake_engine[-1][1] == [root / "a.py", root / "b.py"]
    assert result.stderr.count("only the first 2 files of its package tree were read as context") == 1


def test_no_default_cache_is_written_into_the_filesystem_root(tmp_path):
    top = Path("/")
    assert not may_hold_cache(top / DIRECTORY_NAME, Settings(root=top))
    (tmp_path / "pyproject.toml").write_text("")
    assert may_hold_cache(tmp_path / DIRECTORY_NAME, Settings(root=tmp_path))


def test_a_broken_config_of_the_working_directory_that_governs_no_given_file_is_a_warning(project, invoke):
    root = project({"pyproject.toml": BAD, "sub/pyproject.toml": "[tool.bqlint]\n", "sub/dev.py": OWN_FINDING})
    result = invoke("check", "--output-format", "concise", "sub/dev.py")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("sub/dev.py:10:9: BQL007 ")
    assert result.stderr.count(f"{root / 'pyproject.toml'}: key `cache-dir` must be") == 1
    assert (root / "sub" / DIRECTORY_NAME).is_dir()  # the checked file's configuration's cache
    assert invoke("check", ".").exit_code == 2


def test_without_config_a_callees_subset_run_in_a_git_repository_reports_its_callers_finding(project, invoke):
    root = project({"dev/dma.py": CALLER, "hostio.py": CALLEE_RELEASING})
    (root / ".git").mkdir()
    result = invoke("check", "--no-cache", "--output-format", "concise", "hostio.py")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "dev/dma.py:19:13: BQL002 `self.regs` is still borrowed where `flush()` may release the BQL"
    )
