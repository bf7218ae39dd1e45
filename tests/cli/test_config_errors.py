"""Configuration errors are never silent (issue 9): bad TOML, bad globs, two config files."""

from __future__ import annotations

import pytest

from tests.cli.conftest import BROKEN


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[tool.bqlint\nignore = []\n", 1),  # the header itself is the typo
        ('[project]\nname = "x"\n\n[tool.bqlint]\nignore = ["BQL999"\n', 5),
        ('[tool.ruff]\nline-length = = 3\n', 2),  # broken elsewhere: still a broken pyproject
    ],
)
def test_invalid_toml_in_pyproject_exits_2_naming_file_and_line(project, invoke, text, line):
    root = project({"pyproject.toml": text, "bad.py": BROKEN})
    result = invoke("check")
    assert result.exit_code == 2
    assert f"error: {root / 'pyproject.toml'}:{line}:" in result.stderr
    assert "invalid TOML" in result.stderr


def test_invalid_toml_in_bqlint_toml_exits_2_naming_file_and_line(project, invoke):
    root = project({"bqlint.toml": 'ignore = ["BQL999"\n', "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert f"{root / 'bqlint.toml'}:1:19: invalid TOML: Unclosed array at the end of the file" in result.stderr


def test_toml_nested_deeply_is_read(project, invoke):
    # crash8 #4: valid TOML nested 1,000 deep made tomllib raise RecursionError: a crash.
    # Configuration is read on the analysis's deep stack (discovery): it is just read.
    deep = "[" * 1000 + "]" * 1000
    project({"pyproject.toml": f"[tool.other]\nx = {deep}\n\n[tool.bqlint]\n", "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 0, result.stderr
    assert "please report" not in result.stderr


def test_toml_nested_too_deeply_for_python_is_a_config_error(project, invoke):
    # Deeper than even that stack allows: a clear configuration error, not a crash.
    deep = "[" * 200_000 + "]" * 200_000
    root = project({"pyproject.toml": f"[tool.other]\nx = {deep}\n\n[tool.bqlint]\n", "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert f"error: {root / 'pyproject.toml'}: cannot read configuration: nested too deeply" in result.stderr
    assert "please report" not in result.stderr


def test_pyproject_that_is_not_utf8_exits_2(project, invoke):
    root = project({"a.py": "x = 1\n"})
    (root / "pyproject.toml").write_bytes(b"[tool.bqlint]\nignore = ['\xff']\n")
    result = invoke("check")
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr


@pytest.mark.parametrize(
    ("key", "pattern", "words"),
    [
        ("exclude", "gen\\\\", "lone backslash"),
        ("extend-exclude", "a[b", "never closed"),
        ("extend-exclude", "", "empty pattern"),
        ("extend-exclude", "   ", "empty pattern"),
        ("extend-exclude", "../other", "`..` cannot reach outside"),
        ("extend-exclude", "src/../../x", "`..` cannot reach outside"),
        ("extend-exclude", "~/x", "absolute path"),
        ("extend-exclude", "C:\\\\x", "absolute path"),
    ],
)
def test_bad_glob_patterns_are_clear_errors(project, invoke, key, pattern, words):
    project({"bqlint.toml": f'{key} = ["{pattern}"]\n', "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert f"key `{key}`" in result.stderr and words in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_per_file_ignores_pattern_is_a_clear_error(project, invoke):
    """A trailing backslash used to crash with GitIgnorePatternError."""
    project({"bqlint.toml": '[per-file-ignores]\n"tests\\\\" = ["BQL001"]\n', "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert "key `per-file-ignores`" in result.stderr and "lone backslash" in result.stderr


def test_absolute_pattern_inside_the_project_suggests_the_relative_one(project, invoke):
    root = project({"a.py": "x = 1\n"})
    (root / "bqlint.toml").write_text(f'extend-exclude = ["{root.resolve().as_posix()}/gen"]\n')
    result = invoke("check")
    assert result.exit_code == 2
    assert "write `gen`" in result.stderr


def test_valid_patterns_are_accepted(project, invoke):
    project(
        {
            "bqlint.toml": 'extend-exclude = ["/build", "gen/", "**/tmp", "a[bc]d", "!keep.py", "x\\\\[y"]\n',
            "a.py": "x = 1\n",
        }
    )
    assert invoke("check").exit_code == 0


def test_bad_command_line_pattern_is_a_usage_error(project, invoke):
    project({"a.py": "x = 1\n"})
    result = invoke("check", "--exclude", "gen\\")
    assert result.exit_code == 2
    assert "--exclude: pattern 'gen\\\\'" in result.stderr


def test_both_config_files_in_one_folder_bqlint_toml_wins_and_verbose_says_so(project, invoke):
    root = project(
        {
            "bqlint.toml": 'ignore = ["BQL999"]\n',
            "pyproject.toml": '[tool.bqlint]\nselect = ["BQL999"]\n',
            "bad.py": BROKEN,
        }
    )
    quiet = invoke("check")
    assert quiet.exit_code == 0
    assert "both" not in quiet.stderr
    loud = invoke("check", "-v")
    assert loud.exit_code == 0
    assert (
        f"bqlint: {root.resolve()}: both bqlint.toml and [tool.bqlint] in pyproject.toml; using bqlint.toml"
        in loud.stderr
    )
    assert f"bqlint: {root.resolve() / 'bqlint.toml'} governs 1 file:" in loud.stderr


def test_extend_must_be_a_path(project, invoke):
    project({"bqlint.toml": "extend = 3\n", "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert "key `extend` must be the path" in result.stderr


@pytest.mark.parametrize("key", ["extend", "cache-dir"])
def test_a_nul_in_a_path_key_exits_2_naming_the_key(project, invoke, key):
    project({"bqlint.toml": f'{key} = "\\u0000x"\n', "dev.py": "x = 1\n"})
    result = invoke("check", "dev.py")
    assert result.exit_code == 2
    assert f"key `{key}`: a path cannot contain a NUL character" in result.stderr
    assert "please report" not in result.stderr


def test_a_path_too_long_for_the_file_system_is_a_clean_error(project, invoke):
    project({"dev.py": "x = 1\n"})
    for args in (("check", "a" * 300 + ".py"), ("check", "--config", "a" * 300 + ".toml", "dev.py")):
        result = invoke(*args)
        assert result.exit_code == 2, args
        assert "please report" not in result.stderr and "too long" in result.stderr, args


def test_a_vanished_working_directory_is_a_clean_error(project, invoke, tmp_path, monkeypatch):
    root = project({"dev.py": "x = 1\n"})
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = invoke("check", "--no-cache", str(root / "dev.py"))
    assert result.exit_code == 2
    assert result.stderr == "error: the current directory no longer exists; run bqlint from an existing folder\n"
