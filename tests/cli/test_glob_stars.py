"""Runs of `*` in ignore patterns (`.gitignore`, `exclude`, `extend-exclude`,
`per-file-ignores`) are read as git reads them, in time linear in the path (crash6 #14).

pathspec turns each `*` into its own `[^/]*`; a run of them against a path that does not
match backtracked exponentially (11 stars: 10 s). A run is one `*`, or `**` when it is a
whole path segment, as in git's wildmatch.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bqlint.patterns import collapse_stars, glob_spec
from tests.cli.test_real_rules import DEVICE

LONG_NAME = "sub/uart_pl011_device_model_v2.py"


@pytest.mark.parametrize(
    ("pattern", "collapsed"),
    [
        ("sub/***********z.py", "sub/*z.py"),
        ("x**y.py", "x*y.py"),
        ("sub/***/z.py", "sub/**/z.py"),
        ("***/z.py", "**/z.py"),
        ("sub/***", "sub/**"),
        ("!a***b", "!a*b"),
        ("a\\***", "a\\**"),  # an escaped star is literal; the run after it is one `*`
        ("[*]**x", "[*]*x"),
        ("[!]**]a", "[!]**]a"),  # stars inside a class are members, kept
        ("**", "**"),
        ("a/**/b", "a/**/b"),
        ("*.py", "*.py"),
    ],
)
def test_runs_of_stars_collapse_as_in_git(pattern: str, collapsed: str) -> None:
    assert collapse_stars(pattern) == collapsed


def test_a_long_run_of_stars_against_a_path_that_does_not_match() -> None:
    # Exponential before: this would not finish. Now one `*`.
    spec = glob_spec(["sub/" + "*" * 40 + "z.py"])
    assert not spec.match_file(LONG_NAME)
    assert spec.match_file("sub/uart_pl011_device_model_v2_z.py")


PATHS = [
    "z.py",
    "a/z.py",
    "sub/z.py",
    "sub/a/z.py",
    "sub/a/b/z.py",
    "sub/ab",
    "sub/xy.py",
    "xay.py",
    "sub/uart_z.py",
    LONG_NAME,
]
PATTERNS = [
    "sub/***/z.py",
    "sub/***",
    "***/z.py",
    "sub/a***",
    "x***y.py",
    "sub/****z.py",
    "**/*****z.py",
    "sub/**",
]


@pytest.mark.skipif(shutil.which("git") is None, reason="compares with git check-ignore")
@pytest.mark.parametrize("pattern", PATTERNS)
def test_matches_agree_with_git_check_ignore(tmp_path: Path, pattern: str) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(pattern + "\n")
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *PATHS], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stderr
    git_says = done.stdout.split()
    spec = glob_spec([pattern])
    assert [p for p in PATHS if spec.match_file(p)] == git_says


STARS = "*" * 30


def _rows(invoke) -> list[str]:  # type: ignore[no-untyped-def]
    result = invoke("check", "--no-cache", "--output-format", "concise", ".")
    return [line for line in result.stdout.splitlines() if line.startswith("sub/")]


def test_gitignore_with_a_run_of_stars(project, invoke):  # type: ignore[no-untyped-def]
    project({"pyproject.toml": "[tool.bqlint]\n", LONG_NAME: DEVICE, "sub/uart_z.py": DEVICE})
    (Path.cwd() / ".git").mkdir()
    (Path.cwd() / ".gitignore").write_text(f"sub/{STARS}z.py\n")
    assert _rows(invoke) == [
        f"{LONG_NAME}:10:9: BQL007 [*] cell field `self.level` is rebound in `Dev.reset()`, "
        "outside construction"
    ]


@pytest.mark.parametrize("key", ["exclude", "extend-exclude"])
def test_exclude_with_a_run_of_stars(project, invoke, key: str):  # type: ignore[no-untyped-def]
    config = f'[tool.bqlint]\n{key} = ["sub/{STARS}z.py"]\n'
    project({"pyproject.toml": config, LONG_NAME: DEVICE, "sub/uart_z.py": DEVICE})
    assert [row.split(":")[0] for row in _rows(invoke)] == [LONG_NAME]


def test_per_file_ignores_with_a_run_of_stars(project, invoke):  # type: ignore[no-untyped-def]
    config = f'[tool.bqlint]\nper-file-ignores = {{ "sub/{STARS}z.py" = ["BQL007"] }}\n'
    project({"pyproject.toml": config, LONG_NAME: DEVICE, "sub/uart_z.py": DEVICE})
    assert [row.split(":")[0] for row in _rows(invoke)] == [LONG_NAME]
