"""Caching and worker processes change nothing: the same JSON, byte for byte, as one plain run.

The reference is `--no-cache --jobs 1`, which analyses every parsed module as one project; the
cached and parallel runs analyse independent groups (bqlint.groups) in workers. Every fixture
folder as one big project (so every fixture file) and every multi-module fixture project is
compared cold and warm — every single-file project too with BQLINT_EQUIVALENCE_FULL=1; the
multi-module projects are then edited (touch, a callee that now releases the BQL, revert,
delete a module, rename one) and compared after each edit, as whole runs and subset runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bqlint import engine
from bqlint.cache import Cache
from bqlint.cli import main
from bqlint.config import Settings
from bqlint.report import RenderOptions, render
from tests.fixture_markers import FIXTURES, PL011, ROOT, groups, projects


@pytest.fixture(autouse=True)
def small_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use worker processes even for small projects, so that the tests exercise them."""
    monkeypatch.setattr(engine, "_PARALLEL_FACTS", 1)
    monkeypatch.setattr(engine, "_PARALLEL_ANALYSIS", 1)


def _json(report: engine.Report) -> str:
    return render("json", report, RenderOptions(cwd=ROOT, root=ROOT))


def _projects() -> list[tuple[str, list[Path]]]:
    full = os.environ.get("BQLINT_EQUIVALENCE_FULL") == "1"
    found = [(name, files) for name, files in projects() if full or len(files) > 1]
    found += [(group.name + "/*", sorted(group.rglob("*.py"))) for group in groups()]
    return found


PROJECTS = _projects()


@pytest.mark.parametrize(("name", "files"), PROJECTS, ids=[name for name, _ in PROJECTS])
def test_fixture_project_json_is_the_same_cold_warm_and_in_parallel(
    name: str, files: list[Path], tmp_path: Path
) -> None:
    context = sorted(PL011.glob("*.py")) if any("pl011_broken" in str(f) for f in files) else []
    settings = Settings(root=ROOT)
    reference = _json(engine.run(settings, files, context=context))
    for label in ("cold", "warm"):
        cache = Cache(tmp_path / "cache", ROOT)
        report = engine.run(settings, files, context=context, jobs=2, cache=cache)
        cache.flush()
        assert _json(report) == reference, f"{name}: {label} run differs"


FOLDERS = sorted(
    {p.parent for p in FIXTURES.rglob("__init__.py") if not (p.parent.parent / "__init__.py").exists()}
)
FOLDERS += [FIXTURES / "rules" / "BQL002" / "namespace_pkg"]
if os.environ.get("BQLINT_EQUIVALENCE_FULL") != "1":
    # The richest: cross-module chains, packages of devices, duplicate names, namespace packages.
    FOLDERS = [f for f in FOLDERS if f.name in ("uartdev", "i2cpkg", "same_name_project", "namespace_pkg")]


def _cli_json(root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["check", "--output-format", "json", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def _same(root: Path, step: str) -> None:
    """Compare cold/warm cached parallel runs with the plain run, whole and given one file."""
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if ".bqlint_cache" not in p.parts)
    for subset in ([], files[-1:]):
        reference = _cli_json(root, "--no-cache", "--jobs", "1", *subset)
        for label in ("cold or partly warm", "warm"):
            assert _cli_json(root, "--jobs", "2", *subset) == reference, f"{step}: {label} {subset}"
    assert _cli_json(root, "--jobs", "1") == _cli_json(root, "--no-cache", "--jobs", "2"), f"{step}: jobs 1"


_TOP_DEF = re.compile(r"^def \w+\([^)]*\)[^:]*:\n", re.MULTILINE)


def _release_in_a_callee(root: Path) -> Path | None:
    """Make the first module-level function of some module release the BQL; return that file."""
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        match = _TOP_DEF.search(text)
        if match is None:
            continue
        body = "    bql.unlock()\n    bql.lock()\n"
        path.write_text("import bql\n" + text[: match.end()] + body + text[match.end() :])
        return path
    return None


@pytest.mark.parametrize("folder", FOLDERS, ids=[str(f.relative_to(FIXTURES)) for f in FOLDERS])
def test_edits_keep_cached_parallel_runs_equal_to_plain_runs(
    folder: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(engine, "_PARALLEL_FACTS", 256)
    root = tmp_path / "project"
    shutil.copytree(folder, root / folder.name)
    (root / "pyproject.toml").write_text("")
    monkeypatch.chdir(root)
    _same(root, "start")
    files = sorted(p for p in root.rglob("*.py") if p.name != "__init__.py")
    files[0].write_text(files[0].read_text() + "\n# touched\n")
    _same(root, "touch")
    before = {p: p.read_text() for p in root.rglob("*.py")}
    changed = _release_in_a_callee(root)
    if changed is not None:
        _same(root, f"callee {changed.name} releases the BQL")
        changed.write_text(before[changed])
        _same(root, "revert")
    victim = files[-1]
    victim.unlink()
    _same(root, f"delete {victim.name}")
    moved = files[0]
    moved.rename(moved.with_name("renamed_" + moved.name))
    _same(root, f"rename {moved.name}")


def test_the_json_compared_is_not_empty() -> None:
    """The comparisons above would pass vacuously if nothing were found; the fixtures find things."""
    files = sorted((FIXTURES / "rules" / "BQL002").rglob("*.py"))
    assert len(json.loads(_json(engine.run(Settings(root=ROOT), files)))) > 10
