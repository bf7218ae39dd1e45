"""`./gen`, `sub//x.py` and `sub/./x.py` in patterns mean what ruff reads them as: the path
relative to the folder of the file that wrote them (crash13 #19: they matched nothing)."""

from __future__ import annotations

import pytest

from bqlint.patterns import normalize_pattern

FILES = {
    "a.py": "x = OLD\n",
    "gen/g.py": "x = OLD\n",
    "lib/gen/g.py": "x = OLD\n",
    "sub/x.py": "x = OLD\n",
    "tests/t.py": "x = OLD\n",
}


def _checked(result) -> list[str]:
    return sorted({line.split(":")[0] for line in result.stdout.splitlines() if "BQL007" in line})


@pytest.mark.parametrize(
    ("pattern", "normal"),
    [
        ("./gen", "/gen"),
        ("./gen/", "/gen/"),
        ("gen/./", "/gen/"),
        ("./tests/*", "tests/*"),
        ("sub//x.py", "sub/x.py"),
        ("sub/./x.py", "sub/x.py"),
        ("//gen", "/gen"),
        ("!./gen", "!/gen"),
        ("**/./x", "**/x"),
        ("gen", "gen"),
        ("/gen/", "/gen/"),
        ("./.venv", "/.venv"),
        ("...", "..."),
    ],
)
def test_dot_segments_and_empty_segments_are_dropped(pattern, normal):
    assert normalize_pattern(pattern) == normal


@pytest.mark.parametrize(
    ("option", "pattern", "left"),
    [
        ("--exclude", "./gen", ["a.py", "lib/gen/g.py", "sub/x.py", "tests/t.py"]),
        ("--extend-exclude", "./gen/", ["a.py", "lib/gen/g.py", "sub/x.py", "tests/t.py"]),
        ("--extend-exclude", "sub//x.py", ["a.py", "gen/g.py", "lib/gen/g.py", "tests/t.py"]),
        ("--extend-exclude", "sub/./x.py", ["a.py", "gen/g.py", "lib/gen/g.py", "tests/t.py"]),
    ],
)
def test_command_line_dot_patterns_exclude_from_the_working_directory(
    project, fake_engine, invoke, option, pattern, left
):
    project(FILES)
    result = invoke("check", "--output-format", "concise", option, pattern, ".")
    assert _checked(result) == left


def test_configured_dot_patterns_apply_from_the_configuration_folder(project, fake_engine, invoke):
    toml = '[tool.bqlint]\nextend-exclude = ["./gen/"]\nper-file-ignores = {"./tests/*" = ["BQL007"]}\n'
    project({**FILES, "pyproject.toml": toml})
    result = invoke("check", "--output-format", "concise", ".")
    assert _checked(result) == ["a.py", "lib/gen/g.py", "sub/x.py"]


@pytest.mark.parametrize("pattern", [".", "./", "./.", "/."])
def test_a_pattern_naming_the_folder_itself_is_a_clear_error(project, invoke, pattern):
    project({"bqlint.toml": f'extend-exclude = ["{pattern}"]\n', "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"key `extend-exclude`: pattern {pattern!r}: `.` is the folder itself, not a file in it;"
        " write `*` to match everything\n"
    )


def test_dot_dot_after_dot_is_still_refused(project, invoke):
    project({"a.py": "x = 1\n"})
    result = invoke("check", "--exclude", "./../x")
    assert result.exit_code == 2
    assert "--exclude: pattern './../x': `..` cannot reach outside" in result.stderr
