from __future__ import annotations

import os
from pathlib import Path

from bqlint.config import load_settings
from bqlint.discovery import discover, find_project_root
from tests.cli.conftest import BROKEN


def _names(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_directories_are_walked_for_py_files_only(project):
    root = project({"a.py": "", "b.pyi": "", "c.txt": "", "pkg/d.py": ""})
    assert _names(discover([root], load_settings(root)).files, root) == ["a.py", "pkg/d.py"]


def test_gitignore_is_respected_when_walking(project, invoke):
    root = project({".gitignore": "gen/\nskip_*.py\n", "gen/bad.py": BROKEN, "skip_me.py": BROKEN, "ok.py": ""})
    assert _names(discover([root], load_settings(root)).files, root) == ["ok.py"]
    assert invoke("check").exit_code == 0


def test_gitignore_entries_for_names_that_are_not_utf8_match_them(project, invoke):
    # The ignore file was decoded with errors="replace" (U+FFFD), the paths with surrogate
    # escapes (\udcff): git ignored `d\xff.py` and `caf\xe9.py`, bqlint checked them (crash13 #06).
    root = project({"ok.py": ""})
    for name in (b"d\xff.py", b"caf\xe9.py", b"kept\xe9.py"):
        (root / os.fsdecode(name)).write_text(BROKEN)
    (root / ".gitignore").write_bytes(b"\xef\xbb\xbfd\xff.py\ncaf\xe9.py\n")
    assert _names(discover([root], load_settings(root)).files, root) == ["kept\udce9.py", "ok.py"]
    result = invoke("check", "--output-format", "concise", ".")
    checked = [line.split(":")[0] for line in result.stdout.splitlines() if "BQL999" in line]
    assert checked == ["kept\\udce9.py"]


def test_nested_gitignore_files_apply_below_their_directory(project):
    root = project(
        {
            ".gitignore": "*_gen.py\n",
            "pkg/.gitignore": "!keep_gen.py\nlocal.py\n",
            "pkg/keep_gen.py": "",
            "pkg/other_gen.py": "",
            "pkg/local.py": "",
            "local.py": "",
        }
    )
    assert _names(discover([root], load_settings(root)).files, root) == ["local.py", "pkg/keep_gen.py"]


def test_gitignore_above_the_git_root_is_not_read(tmp_path, monkeypatch):
    (tmp_path / ".gitignore").write_text("*.py\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "a.py").write_text("")
    monkeypatch.chdir(repo)
    assert _names(discover([repo], load_settings(repo)).files, repo) == ["a.py"]


def test_tool_directories_are_skipped(project):
    root = project(
        {".venv/lib/x.py": "", ".git/hooks/y.py": "", "build/z.py": "", "pkg/__pycache__/m.py": "", "m.py": ""}
    )
    assert _names(discover([root], load_settings(root)).files, root) == ["m.py"]


def test_exclude_and_extend_exclude_apply_to_walked_files(project):
    root = project(
        {
            "bqlint.toml": 'extend-exclude = ["fixtures/", "*_pb2.py"]\n',
            "fixtures/bad.py": "",
            "api_pb2.py": "",
            "ok.py": "",
            "build/kept.py": "",
        }
    )
    files = _names(discover([root], load_settings(root)).files, root)
    assert "fixtures/bad.py" not in files and "api_pb2.py" not in files and "ok.py" in files
    assert "build/kept.py" not in files  # the default excludes stay with extend-exclude


def test_exclude_replaces_the_default_list(project):
    root = project({"bqlint.toml": 'exclude = ["gen/"]\n', "build/kept.py": "", "gen/x.py": ""})
    assert _names(discover([root], load_settings(root)).files, root) == ["build/kept.py"]


def test_named_excluded_file_is_checked_unless_force_exclude(project, invoke):
    project({"bqlint.toml": 'extend-exclude = ["gen/"]\n', "gen/bad.py": BROKEN})
    assert invoke("check", "gen/bad.py").exit_code == 1
    result = invoke("check", "--force-exclude", "gen/bad.py")
    assert result.exit_code == 0


def test_force_exclude_also_applies_gitignore_to_named_files(project, invoke):
    project({".gitignore": "gen/\n", "gen/bad.py": BROKEN})
    assert invoke("check", "gen/bad.py").exit_code == 1
    assert invoke("check", "--force-exclude", "gen/bad.py").exit_code == 0


def test_force_exclude_skips_a_named_excluded_directory(project, invoke):
    project({"bqlint.toml": 'extend-exclude = ["gen/"]\n', "gen/bad.py": BROKEN})
    assert invoke("check", "gen").exit_code == 1
    assert invoke("check", "--force-exclude", "gen").exit_code == 0


def test_files_are_absolute_sorted_and_deduplicated(project):
    root = project({"b.py": "", "a.py": ""})
    found = discover([Path("b.py"), root, Path("a.py"), Path("./b.py")], load_settings(root))
    assert found.files == [root / "a.py", root / "b.py"]
    assert all(p.is_absolute() for p in found.files)


def test_named_files_make_the_rest_of_the_project_context(project, fake_engine, invoke):
    root = project({"pyproject.toml": "", "pkg/__init__.py": "", "pkg/dev.py": "", "pkg/bus.py": "", ".venv/x.py": ""})
    assert invoke("check", "pkg/dev.py").exit_code == 0
    (files, context) = fake_engine[-1]
    assert files == [root / "pkg" / "dev.py"]
    assert context == [root / "pkg" / "__init__.py", root / "pkg" / "bus.py"]


def test_checking_a_directory_reads_no_context(project, fake_engine, invoke):
    root = project({"pyproject.toml": "", "pkg/dev.py": "", "other/bus.py": ""})
    invoke("check", "pkg")
    assert fake_engine[-1] == ([root / "pkg" / "dev.py"], [])


def test_context_root_without_config_is_the_top_of_the_package_tree(tmp_path):
    (tmp_path / "outer" / "pkg" / "sub").mkdir(parents=True)
    for name in ("pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/dev.py", "pkg/bus.py"):
        (tmp_path / "outer" / name).write_text("")
    (tmp_path / "outer" / "unrelated.py").write_text("")
    assert find_project_root(tmp_path / "outer" / "pkg" / "sub" / "dev.py") == tmp_path / "outer"
    found = discover([tmp_path / "outer" / "pkg" / "sub" / "dev.py"], load_settings(tmp_path / "outer"))
    assert tmp_path / "outer" / "pkg" / "bus.py" in found.context
    assert tmp_path / "outer" / "pkg" / "sub" / "dev.py" not in found.context


def test_stdin_name_gets_context_and_is_not_its_own_context(project, fake_engine, invoke):
    root = project({"pyproject.toml": "", "dev.py": "", "bus.py": ""})
    assert invoke("check", "--stdin-filename", "dev.py", input="x = 1\n").exit_code == 0
    assert fake_engine[-1] == ([], [root / "bus.py"])


def test_named_gitignored_directory_is_walked_and_its_ignores_still_filter(project, invoke):
    root = project(
        {
            ".gitignore": "gen/\n*_tmp.py\n",
            "gen/.gitignore": "local.py\n",
            "gen/a.py": BROKEN,
            "gen/b_tmp.py": "",
            "gen/local.py": "",
            "gen/sub/c.py": "",
            "ok.py": "",
        }
    )
    (root / ".git").mkdir()
    settings = load_settings(root)
    assert _names(discover([root / "gen"], settings).files, root) == ["gen/a.py", "gen/sub/c.py"]
    # Walking the root still leaves the ignored folder out, and --force-exclude honours it.
    assert _names(discover([root], settings).files, root) == ["ok.py"]
    assert discover([root / "gen"], settings, force_exclude=True).files == []
    result = invoke("check", "--output-format", "concise", "gen")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("gen/a.py:3:7: BQL999 ")


def test_an_ignore_file_that_is_a_fifo_is_named_and_never_read(project):
    # crash8 #2: opening a FIFO `.gitignore` waited for a writer for ever.
    root = project({"a.py": "", "sub/b.py": "", ".git/info/keep": ""})
    os.mkfifo(root / ".gitignore")
    os.mkfifo(root / "sub" / ".gitignore")
    os.mkfifo(root / ".git" / "info" / "exclude")
    found = discover([root], load_settings(root))
    assert _names(found.files, root) == ["a.py", "sub/b.py"]
    assert [note.split(": ")[0] for note in found.notes] == [
        str(root / ".git/info/exclude"),
        str(root / ".gitignore"),
        str(root / "sub/.gitignore"),
    ]
    assert all("not a regular file (a FIFO)); its patterns were not applied" in note for note in found.notes)


def test_fifo_and_dangling_symlink_are_discovered_for_bql998(project):
    root = project({"ok.py": ""})
    os.mkfifo(root / "f.py")
    (root / "gone.py").symlink_to(root / "missing.py")
    assert _names(discover([root], load_settings(root)).files, root) == ["f.py", "gone.py", "ok.py"]
