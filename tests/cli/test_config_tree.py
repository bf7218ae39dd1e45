"""Per-folder configuration as ruff resolves it: nearest file, --config, --isolated, extend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bqlint.config import Overrides
from bqlint.config_tree import Configurations, merge_tables
from bqlint.patterns import rebase
from tests.cli.conftest import BROKEN


def _reported(result) -> list[str]:
    return sorted(Path(item["filename"]).name for item in json.loads(result.stdout))


def test_a_sub_folder_config_governs_the_files_below_it(project, invoke):
    project(
        {
            "pyproject.toml": "[tool.bqlint]\nignore = []\n",
            "sub/pyproject.toml": '[tool.bqlint]\nignore = ["BQL999"]\n',
            "top.py": BROKEN,
            "sub/low.py": BROKEN,
            "sub/deeper/lower.py": BROKEN,
        }
    )
    result = invoke("check", ".", "--output-format", "json")
    assert result.exit_code == 1
    assert _reported(result) == ["top.py"]


def test_a_sub_folder_bqlint_toml_governs_too(project, invoke):
    project({"sub/bqlint.toml": 'ignore = ["BQL999"]\n', "top.py": BROKEN, "sub/low.py": BROKEN})
    assert _reported(invoke("check", "--output-format", "json")) == ["top.py"]


def test_sub_folder_exclude_is_relative_to_its_own_folder(project, invoke):
    project(
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "sub/pyproject.toml": '[tool.bqlint]\nextend-exclude = ["/gen"]\n',
            "gen/top.py": BROKEN,
            "sub/gen/low.py": BROKEN,
        }
    )
    result = invoke("check", "--output-format", "json")
    assert _reported(result) == ["top.py"]


def test_config_option_overrides_every_folder(project, invoke):
    project(
        {
            "strict.toml": "select = ['ALL']\n",
            "sub/pyproject.toml": '[tool.bqlint]\nignore = ["BQL999"]\n',
            "sub/low.py": BROKEN,
        }
    )
    assert invoke("check").exit_code == 0
    assert _reported(invoke("check", "--config", "strict.toml", "--output-format", "json")) == ["low.py"]


def test_a_config_file_from_another_folder_reads_its_paths_from_the_working_directory(project, invoke, monkeypatch):
    """crash14 #12, as ruff does: `cd proj && bqlint check --config ../shared/pyproject.toml .`
    applies the shared file's patterns to `proj`: `tests/*` is ignored, and the anchored
    `/gen/` excludes only the top `gen/`, not `sub/gen/`."""
    root = project(
        {
            "shared/pyproject.toml": (
                '[tool.bqlint]\nextend-exclude = ["/gen/"]\n[tool.bqlint.per-file-ignores]\n"tests/*" = ["BQL999"]\n'
            ),
            "proj/a.py": BROKEN,
            "proj/tests/t.py": BROKEN,
            "proj/gen/g.py": BROKEN,
            "proj/sub/gen/keep.py": BROKEN,
        }
    )
    monkeypatch.chdir(root / "proj")
    result = invoke("check", "--config", "../shared/pyproject.toml", "--output-format", "json", ".")
    assert result.exit_code == 1
    assert _reported(result) == ["a.py", "keep.py"]


def test_an_anchored_exclude_never_matches_a_bare_name_outside_the_project(project, invoke, monkeypatch):
    """Outside the root only patterns that match at any depth (`.venv`) can apply: `/gen/`
    is the project's top `gen/`, not a `gen/` folder elsewhere."""
    root = project(
        {
            "shared/bqlint.toml": 'extend-exclude = ["/gen/", "build"]\n',
            "proj/x.py": "x = 1\n",
            "other/gen/g.py": BROKEN,
            "other/build/b.py": BROKEN,
        }
    )
    monkeypatch.chdir(root / "proj")
    result = invoke("check", "--config", "../shared/bqlint.toml", "--output-format", "json", "../other")
    assert _reported(result) == ["g.py"]


def test_isolated_ignores_every_config_file_even_a_broken_one(project, invoke):
    project({"pyproject.toml": "[tool.bqlint\n", "sub/bqlint.toml": "ignore = ['BQL999']\n", "sub/a.py": BROKEN})
    assert invoke("check").exit_code == 2
    result = invoke("check", "--isolated", "--output-format", "json")
    assert result.exit_code == 1
    assert _reported(result) == ["a.py"]


def test_config_and_isolated_together_is_a_usage_error(project, invoke):
    project({"a.toml": "", "a.py": "x = 1\n"})
    assert invoke("check", "--config", "a.toml", "--isolated").exit_code == 2


def test_extend_inherits_and_the_child_overrides(project, invoke):
    project(
        {
            "pyproject.toml": '[tool.bqlint]\nignore = ["BQL999"]\nextend-exclude = ["sub/gen"]\n',
            "sub/pyproject.toml": '[tool.bqlint]\nextend = "../pyproject.toml"\nextend-exclude = ["old"]\n',
            "sub/a.py": BROKEN,
            "sub/gen/b.py": "x = (\n",
            "sub/old/c.py": "x = (\n",
            "other/pyproject.toml": '[tool.bqlint]\nextend = "../pyproject.toml"\nignore = []\n',
            "other/d.py": BROKEN,
        }
    )
    result = invoke("check", "--output-format", "json")
    # sub inherits `ignore` and the rebased `sub/gen`, and adds `old`; other overrides `ignore`.
    assert _reported(result) == ["d.py"]
    settings = Configurations(Path.cwd()).for_path(Path("sub/a.py"))
    assert settings.extend_exclude == ("/gen", "old")
    assert settings.extends == (Path.cwd().resolve() / "pyproject.toml",)


def test_extend_cycle_is_an_error(project, invoke):
    root = project(
        {
            "bqlint.toml": 'extend = "sub/bqlint.toml"\n',
            "sub/bqlint.toml": 'extend = "../bqlint.toml"\n',
            "a.py": "x = 1\n",
        }
    )
    result = invoke("check")
    assert result.exit_code == 2
    assert "key `extend` makes a cycle" in result.stderr
    assert str(root.resolve() / "sub" / "bqlint.toml") in result.stderr


def test_extend_of_a_missing_file_names_both(project, invoke):
    root = project({"bqlint.toml": 'extend = "nope.toml"\n', "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert f"{root.resolve() / 'bqlint.toml'}: key `extend`: {root.resolve() / 'nope.toml'}" in result.stderr


def test_an_error_in_an_extended_file_names_that_file(project, invoke):
    root = project({"base.toml": "nope = 1\n", "bqlint.toml": 'extend = "base.toml"\n', "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert f"{root.resolve() / 'base.toml'}: unknown key `nope`" in result.stderr


def test_merge_adds_extend_lists_and_replaces_the_rest(tmp_path: Path):
    base = {"select": ["BQL001"], "extend-select": ["BQL002"], "extend-exclude": ["a"], "exclude": ["/x/y"]}
    child = {"select": ["BQL003"], "extend-select": ["BQL004"], "extend-exclude": ["b"], "extend": "../p"}
    merged = merge_tables(base, tmp_path, child, tmp_path / "x")
    assert merged == {
        "select": ["BQL003"],
        "extend-select": ["BQL002", "BQL004"],
        "extend-exclude": ["a", "b"],
        "exclude": ["/y"],
    }


def test_rebase_keeps_what_can_still_match():
    root = Path("/p")
    assert rebase("gen", root, root / "sub") == ("gen",)  # unanchored: any depth
    assert rebase("sub/gen/*.py", root, root / "sub") == ("/gen/*.py",)
    assert rebase("*/gen", root, root / "sub") == ("/gen",)
    assert rebase("other/gen", root, root / "sub") == ()
    # The folder itself matches, and so does everything in it (crash14 #5; was None).
    assert rebase("/sub", root, root / "sub") == ("*",)
    assert rebase("**/gen/x", root, root / "sub") == ("**/gen/x",)
    assert rebase("!sub/keep/x.py", root, root / "sub") == ("!/keep/x.py",)
    assert rebase("gen/x", root / "sub", root) == ("/sub/gen/x",)  # to a higher root


def test_analysis_settings_apply_per_config_group(project, invoke):
    """A device base configured at the root makes the root's class a device; the sub
    folder's own config does not list it, so its identical class is no device there."""
    device = (
        "from periph import Peripheral\n\n\n"
        "class Dev(Peripheral):\n"
        "    def __init__(self) -> None:\n"
        "        self.count = 0\n\n"
        "    def poke(self) -> None:\n"
        "        self.count = 1\n"
    )
    project(
        {
            "pyproject.toml": '[tool.bqlint]\ndevice-bases = ["periph.Peripheral"]\n',
            "periph.py": "class Peripheral:\n    pass\n",
            "dev.py": device,
            "sub/pyproject.toml": "[tool.bqlint]\n",
            "sub/periph.py": "class Peripheral:\n    pass\n",
            "sub/dev.py": device,
        }
    )
    result = invoke("check", "--output-format", "json")
    items = json.loads(result.stdout)
    assert [(Path(i["filename"]).relative_to(Path.cwd()).as_posix(), i["code"], i["location"]["row"]) for i in items] == [
        ("dev.py", "BQL001", 9)
    ]


def test_configurations_cache_one_settings_per_file(project):
    project({"pyproject.toml": "[tool.bqlint]\n", "a/b/c.py": "", "a/d.py": ""})
    configs = Configurations(Path.cwd(), Overrides())
    assert configs.for_path(Path("a/b/c.py")) is configs.for_path(Path("a/d.py"))


@pytest.mark.parametrize(
    ("sub_config", "passes"),
    [
        # Only what is reported differs: one pass, each file selected by its own settings.
        ('ignore = ["BQL007"]\n', ["pyproject.toml"]),
        # The analysis differs: a pass of its own.
        ('ignore = ["BQL007"]\ndevice-bases = ["x.Base"]\n', ["pyproject.toml", "sub/pyproject.toml"]),
    ],
)
def test_each_file_is_reported_once_by_its_own_configuration(project, invoke, monkeypatch, sub_config, passes):
    """A run may report a context file (a finding whose related location is in its files);
    a file of another configuration is selected by that configuration, in a pass of its own
    when its analysis differs."""
    from bqlint import engine
    from bqlint.diagnostics import Diagnostic, Position, Span

    root = project(
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "a.py": "x = 1\n",
            "sub/pyproject.toml": "[tool.bqlint]\n" + sub_config,
            "sub/b.py": "y = 2\n",
        }
    )
    runs = []

    def run(settings, files, *, context=(), stdin=None, explicit=(), settings_for=None, **options):
        runs.append(settings.config_path)
        everything = [Path(p).resolve() for p in (*files, *context)]
        found = [
            Diagnostic("BQL007", "cell-rebinding", "m", Span(p, Position(1, 1), Position(1, 2)))
            for p in everything
            if settings_for(p).is_enabled("BQL007", p)
        ]
        return engine.Report(sorted(found, key=Diagnostic.sort_key), {}, len(files))

    monkeypatch.setattr(engine, "run", run)
    result = invoke("check", "--output-format", "json")
    assert sorted(str(p.relative_to(root.resolve())) for p in runs) == passes
    assert [item["filename"] for item in json.loads(result.stdout)] == [str(root.resolve() / "a.py")]


def test_cache_dir_inherited_through_extend_stays_relative_to_its_file(project):
    root = project(
        {
            "pyproject.toml": '[tool.bqlint]\ncache-dir = "build/lint-cache"\n',
            "sub/bqlint.toml": 'extend = "../pyproject.toml"\n',
            "sub/a.py": "",
        }
    )
    settings = Configurations(Path.cwd()).for_path(Path("sub/a.py"))
    assert settings.cache_dir == root.resolve() / "build" / "lint-cache"


@pytest.mark.parametrize(
    ("pattern", "new", "rebased"),
    [
        ("**/tests/*", "tests", ("**/tests/*", "/*")),
        ("**/tests/gen_*.py", "tests", ("**/tests/gen_*.py", "/gen_*.py")),
        ("**/tests/gen_*.py", "src/tests", ("**/tests/gen_*.py", "/gen_*.py")),
        ("**/tests/gen_*.py", "src", ("**/tests/gen_*.py",)),
        ("**/tests", "tests", ("*",)),  # the new root is a matched folder: all below it
        ("**/tests/", "a/tests", ("*",)),
        ("a/**/b/*.py", "a/b", ("**/b/*.py", "/*.py")),
        ("a/**", "a/x", ("*",)),
        ("a/**/c", "b", ()),
        ("!**/tests/*", "tests", ("!**/tests/*", "!/*")),
    ],
)
def test_rebase_through_double_stars_is_exact(pattern, new, rebased):
    root = Path("/p")
    assert rebase(pattern, root, root / new) == rebased


def test_double_star_patterns_inherited_by_a_folder_they_name_still_match(project, invoke):
    # crash14 #5: the root's `**/tests/*` matched tests/x.py; tests/bqlint.toml extending it
    # lost the match (and the exclude), reporting BQL999 three times.
    project(
        {
            "pyproject.toml": (
                '[tool.bqlint]\nextend-exclude = ["**/tests/gen_*.py"]\n'
                '[tool.bqlint.per-file-ignores]\n"**/tests/*" = ["BQL999"]\n"!**/tests/unit/*" = ["BQL998"]\n'
            ),
            "tests/bqlint.toml": 'extend = "../pyproject.toml"\ninit-methods = ["setup"]\n',
            "tests/test_dev.py": BROKEN,
            "tests/gen_dev.py": "x = (\n",
            "tests/unit/test_u.py": BROKEN,
            "src/bad.py": BROKEN,
        }
    )
    result = invoke("check", "--no-cache", "-q", "--output-format", "concise", ".")
    assert (result.exit_code, result.stdout) == (1, "src/bad.py:3:7: BQL999 cannot parse this file: invalid syntax\n")
    settings = Configurations(Path.cwd()).for_path(Path("tests/test_dev.py"))
    assert settings.extend_exclude == ("**/tests/gen_*.py", "/gen_*.py")
    assert [(p, sorted(c)) for p, c in settings.per_file_ignores] == [
        ("**/tests/*", ["BQL999"]),
        ("/*", ["BQL999"]),
        ("!**/tests/unit/*\n/unit/*", ["BQL998"]),
    ]
    assert settings.is_enabled("BQL998", Path("tests/unit/test_u.py"))
    assert settings.is_enabled("BQL998", Path("tests/unit/deeper/tests/unit/x.py"))
    assert not settings.is_enabled("BQL998", Path("tests/test_dev.py"))


def test_a_negated_key_inherited_by_a_folder_it_names_or_misses(project):
    project(
        {
            "pyproject.toml": '[tool.bqlint.per-file-ignores]\n"!/tests/*" = ["BQL001"]\n"!/src/*" = ["BQL002"]\n',
            "tests/bqlint.toml": 'extend = "../pyproject.toml"\n',
        }
    )
    settings = Configurations(Path.cwd()).for_path(Path("tests/x.py"))
    # Every file of tests/ matches `/tests/*` (now `/*`: a top-level file or folder), so its
    # negation applies to none; none matches `/src/*`, so its negation applies to all.
    assert [(p, sorted(c)) for p, c in settings.per_file_ignores] == [("!/*", ["BQL001"]), ("*", ["BQL002"])]
    for name in ("tests/x.py", "tests/a/b/y.py"):
        assert settings.is_enabled("BQL001", Path(name))
        assert not settings.is_enabled("BQL002", Path(name))
