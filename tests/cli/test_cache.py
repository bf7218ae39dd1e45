"""The persistent cache: where it lives, what a warm run re-does, and entries never trusted blindly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bqlint import cache as cache_module
from bqlint import engine
from tests.cli.test_subset_runs import CALLEE_CLEAN, CALLEE_RELEASING, CALLER, OWN_FINDING, UNRELATED

FILES = {
    "pyproject.toml": "",
    "dma.py": CALLER,
    "hostio.py": CALLEE_RELEASING,
    "dev.py": OWN_FINDING,
    "misc.py": UNRELATED,
    "plain.py": "def nothing() -> None:\n    pass\n",
}


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Record the module names of every group the engine analyses (parses) in this process."""
    calls: list[list[str]] = []
    real = engine.analyse_group

    def spy(members, facts, settings):  # type: ignore[no-untyped-def]
        calls.append(sorted(m.name for m in members))
        return real(members, facts, settings)

    monkeypatch.setattr(engine, "analyse_group", spy)
    return calls


def _json(invoke, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    result = invoke("check", "--output-format", "json", "--jobs", "1", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_first_run_creates_the_cache_with_a_gitignore_and_a_tag(project, invoke):
    root = project(FILES)
    _json(invoke, ".")
    directory = root / ".bqlint_cache"
    assert (directory / ".gitignore").read_text() == "*\n"
    assert cache_module.is_cache_directory(directory)
    assert list(directory.glob("*/facts.json")) and list(directory.glob("*/results/*/*.json"))


def test_no_cache_reads_and_writes_nothing(project, invoke):
    root = project(FILES)
    _json(invoke, ".", "--no-cache")
    assert not (root / ".bqlint_cache").exists()


def test_warm_run_parses_nothing_and_reports_the_same(project, invoke, analysed):
    project(FILES)
    cold = _json(invoke, ".")
    assert analysed  # the cold run analysed the groups
    analysed.clear()
    assert _json(invoke, ".") == cold
    assert analysed == []


def test_touching_one_module_reanalyses_only_its_group(project, invoke, analysed):
    root = project(FILES)
    _json(invoke, ".")
    analysed.clear()
    (root / "dev.py").write_text(OWN_FINDING + "\n# touched\n")
    _json(invoke, ".")
    assert analysed == [["dev"]]
    analysed.clear()
    (root / "hostio.py").write_text(CALLEE_CLEAN)
    assert _json(invoke, ".") == _json(invoke, ".", "--no-cache") != []
    assert analysed[0] == ["dma", "hostio"]


def test_cache_dir_from_config_and_from_the_environment(project, invoke, monkeypatch, tmp_path):
    root = project({**FILES, "pyproject.toml": '[tool.bqlint]\ncache-dir = "build/lint-cache"\n'})
    _json(invoke, ".")
    assert cache_module.is_cache_directory(root / "build" / "lint-cache")
    assert not (root / ".bqlint_cache").exists()
    monkeypatch.setenv("BQLINT_CACHE_DIR", str(tmp_path / "elsewhere"))
    _json(invoke, ".")
    assert cache_module.is_cache_directory(tmp_path / "elsewhere")


def test_a_bad_cache_dir_value_is_a_configuration_error(project, invoke):
    project({**FILES, "pyproject.toml": "[tool.bqlint]\ncache-dir = 3\n"})
    result = invoke("check", ".")
    assert result.exit_code == 2
    assert "cache-dir" in result.stderr


def test_clean_removes_the_cache_and_leaves_anything_else_alone(project, invoke):
    root = project({**FILES, "pyproject.toml": '[tool.bqlint]\ncache-dir = "mine"\n'})
    _json(invoke, ".")
    assert (root / "mine").is_dir()
    assert invoke("clean").exit_code == 0
    assert not (root / "mine").exists()
    (root / "mine").mkdir()
    (root / "mine" / "keep.txt").write_text("not a cache")
    result = invoke("clean")
    assert result.exit_code == 0
    assert "not a bqlint cache" in result.stderr
    assert (root / "mine" / "keep.txt").exists()


def _entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".bqlint_cache").rglob("*.json"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"",  # empty
        lambda data: data.replace(b'"BQL', b'"BQX', 1) if b'"BQL' in data else data[:-3] + b"]]]",  # bit rot
        lambda data: data.replace(b'"build":"', b'"build":"0.0.0-foreign', 1).replace(
            b'"build": "', b'"build": "x', 1
        ),
        lambda data: b"\x00\xff garbage",
        lambda data: b'{"format": 1}\n[1, 2, 3]',
    ],
    ids=["truncated", "empty", "altered", "foreign-build", "garbage", "wrong-shape"],
)
def test_damaged_entries_are_ignored_and_rewritten(project, invoke, analysed, damage):
    root = project(FILES)
    expected = _json(invoke, ".", "--no-cache")
    assert _json(invoke, ".") == expected
    for entry in _entries(root):
        entry.write_bytes(damage(entry.read_bytes()))
    analysed.clear()
    assert _json(invoke, ".") == expected
    assert analysed  # nothing damaged was trusted: the groups were analysed again
    analysed.clear()
    assert _json(invoke, ".") == expected
    assert analysed == []  # and rewritten whole


def test_an_unwritable_cache_costs_speed_not_results(project, invoke, tmp_path, monkeypatch):
    project(FILES)
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    monkeypatch.setenv("BQLINT_CACHE_DIR", str(blocker / "cache"))
    assert _json(invoke, ".") == _json(invoke, ".", "--no-cache")


def test_a_cache_dir_that_is_someone_elses_folder_is_never_written(project, invoke):
    root = project({**FILES, "pyproject.toml": '[tool.bqlint]\ncache-dir = "."\n'})
    before = sorted(p.name for p in root.iterdir())
    assert _json(invoke, ".") == _json(invoke, ".", "--no-cache")
    assert sorted(p.name for p in root.iterdir()) == before
    assert invoke("clean").exit_code == 0
    assert (root / "dma.py").exists()


def test_pruning_keeps_the_cache_under_its_bound(tmp_path):
    directory = tmp_path / "cache"
    entries = []
    for i in range(20):
        path = directory / "0.1.0-0123456789abcdef" / "results" / f"{i:02d}" / f"{i:064d}.json"
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1000 + i, 1000 + i))
        entries.append(path)
    cache_module.prune(directory, 10_000)
    kept = [p for p in entries if p.exists()]
    assert sum(p.stat().st_size for p in kept) <= 7_500
    assert kept == entries[-len(kept) :]  # the most recently used survive


def test_two_runs_at_once_leave_a_valid_cache(project, invoke):
    root = project({**FILES, **{f"extra{i}.py": OWN_FINDING for i in range(12)}})
    expected = _json(invoke, ".", "--no-cache")
    command = [sys.executable, "-m", "bqlint", "check", "--output-format", "json", "--jobs", "2", "."]
    runs = [subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [json.loads(run.communicate(timeout=120)[0]) for run in runs]
    assert all(output == expected for output in outputs)
    for entry in _entries(root):
        header = json.loads(entry.read_bytes().split(b"\n", 1)[0])
        assert header["format"] == cache_module.FORMAT
    assert not list((root / ".bqlint_cache").rglob(".tmp-*"))
    assert _json(invoke, ".") == expected


def test_a_cache_restored_into_a_checkout_at_another_path_is_used(
    project, invoke, analysed, tmp_path, monkeypatch
):
    root = project(FILES)
    _json(invoke, ".")
    moved = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(root, moved)
    monkeypatch.chdir(moved)
    analysed.clear()
    warm = _json(invoke, ".")
    assert analysed == []
    assert warm == _json(invoke, ".", "--no-cache")
    assert {item["filename"] for item in warm} == {str(moved / "dma.py"), str(moved / "dev.py")}


BASE = """\
import bql


class Regs:
    def __init__(self) -> None:
        self.dr = 0


class Base(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def write(self, offset: int, value: int, size: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs.dr = value
            self.hook()

    def hook(self) -> None:
        pass
"""

CHILD_RELEASING = """\
import bql
from base import *


class Child(Base):
    def hook(self) -> None:
        bql.unlock()
        bql.lock()
"""

CHILD_CLEAN = CHILD_RELEASING.replace("        bql.unlock()\n        bql.lock()\n", "        pass\n")


def test_an_override_in_a_subclass_module_changes_the_base_modules_findings_when_warm(project, invoke):
    root = project({"pyproject.toml": "", "base.py": BASE, "child.py": CHILD_CLEAN, "misc.py": UNRELATED})
    assert _json(invoke, ".") == []
    (root / "child.py").write_text(CHILD_RELEASING)
    found = _json(invoke, ".")
    assert [(i["filename"].rsplit("/", 1)[-1], i["code"], i["location"]["row"]) for i in found] == [
        ("base.py", "BQL002", 17)
    ]
    assert found == _json(invoke, ".", "--no-cache")
    # Given only the subclass module, the base's finding is reported: its chain runs through it.
    assert _json(invoke, "child.py") == found
    (root / "child.py").write_text(CHILD_CLEAN)
    assert _json(invoke, ".") == []


def test_the_facts_index_stays_about_twice_the_projects_size(tmp_path):
    from bqlint.facts import FileFacts

    facts = FileFacts(False, ("os",), None)
    first = cache_module.Cache(tmp_path / "c")
    for k in range(3000):
        first.put_facts(f"old{k}", facts)
    first.flush()
    second = cache_module.Cache(tmp_path / "c")
    assert [second.facts(f"old{k}") for k in range(10)] == [facts] * 10
    second.put_facts("new", facts)
    second.flush()
    index = json.loads((first.folder / "facts.json").read_bytes().split(b"\n", 1)[1])
    assert len(index) == 2 * 11 + 1000
    assert {f"old{k}" for k in range(10)} | {"new"} <= index.keys()


def test_a_cache_is_never_made_where_the_project_root_is_gone(tmp_path):
    # Blind crash8 #7: writing the cache re-created a project folder deleted meanwhile.
    from bqlint.facts import FileFacts

    root = tmp_path / "gone" / "ws"
    for directory in (root / ".bqlint_cache", root / "build" / "cache"):
        cache = cache_module.Cache(directory, root)
        cache.put_facts("k", FileFacts(False, ("os",), None))
        cache.put_results("k", [])
        cache.flush()
    assert not (tmp_path / "gone").exists()
    # Below a root that exists, a configured cache-dir's missing folders are still made.
    root.mkdir(parents=True)
    cache = cache_module.Cache(root / "build" / "cache", root)
    cache.put_facts("k", FileFacts(False, ("os",), None))
    cache.flush()
    assert cache_module.is_cache_directory(root / "build" / "cache")
    assert (cache.folder / "facts.json").is_file()


# ---- a cache is input: special files and links inside it (crash8 #3, #8) ---------------------
def _build(root: Path) -> Path:
    (build,) = (root / ".bqlint_cache").glob("0*-*")
    return build


def _special(kind: str, path: Path) -> None:
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("entry", ["results", "facts"])
def test_a_special_file_as_an_entry_is_ignored_and_rewritten(project, invoke, analysed, entry, kind):
    # Opening a FIFO waited forever; a link to /dev/zero was read whole (MemoryError).
    root = project(FILES)
    expected = _json(invoke, ".", "--no-cache")
    _json(invoke, ".")
    build = _build(root)
    path = build / "facts.json" if entry == "facts" else sorted((build / "results").rglob("*.json"))[0]
    _special(kind, path)
    analysed.clear()
    assert _json(invoke, ".") == expected
    if entry == "results":
        assert analysed  # the entry was not trusted
    assert path.is_file() and not path.is_symlink()  # rewritten whole in its place
    analysed.clear()
    assert _json(invoke, ".") == expected
    assert analysed == []


def test_an_entry_is_read_only_up_to_a_bound(tmp_path):
    from bqlint.cache_files import read_regular

    (tmp_path / "entry").write_bytes(b"x" * 100)
    assert read_regular(tmp_path, ["entry"], 100) == b"x" * 100
    assert read_regular(tmp_path, ["entry"], 99) is None
    with open(tmp_path / "huge", "wb") as file:
        file.truncate(1 << 40)  # sparse: a terabyte, never read
    assert read_regular(tmp_path, ["huge"], 1 << 20) is None


@pytest.mark.parametrize("name", ["CACHEDIR.TAG", ".gitignore"])
def test_clean_leaves_a_fifo_in_the_cache_alone(project, invoke, name):
    root = project(FILES)
    _json(invoke, ".")
    directory = root / ".bqlint_cache"
    _special("fifo", directory / name)
    result = invoke("clean")
    assert result.exit_code == 0
    if name == "CACHEDIR.TAG":  # no readable tag: not a bqlint cache
        assert result.stderr == f"warning: {directory} is not a bqlint cache; left alone\n"
        assert _build(root).is_dir()
    else:
        assert result.stderr == (
            f"Removed the bqlint cache in {directory}; kept the folder; "
            "left 1 entry that bqlint did not write: .gitignore\n"
        )
    assert (directory / name).exists()


@pytest.mark.parametrize("inner", ["build", "results", "bucket"])
def test_a_link_inside_the_cache_is_never_written_through_nor_read(
    project, invoke, analysed, tmp_path, inner
):
    # `results -> /some/user/folder` had `check` write its entries into the user's folder.
    root = project(FILES)
    expected = _json(invoke, ".", "--no-cache")
    _json(invoke, ".")
    build = _build(root)
    folder = {
        "build": build,
        "results": build / "results",
        "bucket": sorted((build / "results").iterdir())[0],
    }[inner]
    victim = tmp_path / "victim"
    shutil.copytree(folder, victim)  # valid entries: still never read through the link
    (victim / "notes.txt").write_text("user data\n")
    before = {p: p.read_bytes() for p in victim.rglob("*") if p.is_file()}
    shutil.rmtree(folder)
    folder.symlink_to(victim, target_is_directory=True)
    analysed.clear()
    result = invoke("check", "--output-format", "json", "--jobs", "1", ".")
    assert json.loads(result.stdout) == expected
    assert analysed  # what lies behind the link was not read
    assert result.stderr == (
        f"warning: {folder} is a symbolic link inside the bqlint cache; nothing was cached through it "
        "(remove the link)\n"
    )
    assert {p: p.read_bytes() for p in victim.rglob("*") if p.is_file()} == before
    assert folder.is_symlink()
    assert invoke("check", "-q", "--jobs", "1", ".").stderr == ""


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_special_gitignore_in_the_cache_is_rewritten(project, invoke, kind):
    root = project(FILES)
    expected = _json(invoke, ".", "--no-cache")
    _json(invoke, ".")
    gitignore = root / ".bqlint_cache" / ".gitignore"
    _special(kind, gitignore)
    (root / "dev.py").write_text(OWN_FINDING + "\n")  # something to write: the cache is prepared
    assert _json(invoke, ".") == expected
    assert not gitignore.is_symlink() and gitignore.read_text() == "*\n"
    second = invoke("check", "--jobs", "1", ".")
    assert (second.exit_code, second.stderr) == (1, "")
