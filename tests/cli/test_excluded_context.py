"""Excluded and git-ignored modules the checked code imports are read as context, never reported.

Excluding a file says "do not report on it", not "Python never runs it": generated register
maps and vendored helpers are excluded and still imported. A call from a checked file into
one that releases the BQL under a borrow is a finding in the checked file, whether the
callee is excluded by `extend-exclude`, by `.gitignore`, or left out of a pre-commit run by
`--force-exclude` (crash15 #3); a finding located in the excluded module itself is never
reported, even when its chain runs through a checked file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bqlint import engine
from bqlint.config import Settings
from bqlint.config_tree import Configurations
from bqlint.discovery import discover

HOST = """\
import bql


def push() -> None:
    bql.unlock()
    bql.lock()
"""

# Has its own bug, whose chain runs into the checked pkg/dev.py (`dev.settle()` releases the BQL).
HOST_WITH_BUG = """\
import bql
from bql import BqlRefCell

from pkg import dev


def push() -> None:
    bql.unlock()
    bql.lock()


class Mirror(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = BqlRefCell([0])

    def sync(self) -> None:
        with self.regs.borrow_mut() as r:
            r[0] = 1
            dev.settle()
"""

DEV = """\
import bql
from bql import BqlRefCell
from gen import host


def settle() -> None:
    bql.unlock()
    bql.lock()


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = BqlRefCell([0])

    def write(self) -> None:
        with self.regs.borrow_mut() as r:
            r[0] = 1
            host.push()
"""

EXCLUDE_GEN = '[tool.bqlint]\nextend-exclude = ["gen/"]\n'
DEV_FINDING = "pkg/dev.py:19:13: BQL002 `self.regs` is still borrowed where `host.push()` may release the BQL"
HOST_FINDING = (
    "gen/host.py:20:13: BQL002 `self.regs` is still borrowed where `dev.settle()` may release the BQL"
)


@pytest.fixture
def tree(project):
    def write(config: str = EXCLUDE_GEN, host: str = HOST, **more: str) -> Path:
        files = {"pkg/__init__.py": "", "pkg/dev.py": DEV, "gen/__init__.py": "", "gen/host.py": host}
        root = project({"pyproject.toml": config, **files, **more})
        (root / ".git").mkdir(exist_ok=True)
        return root

    return write


def _concise(invoke, *args: str) -> tuple[int, list[str]]:
    result = invoke("check", "--no-cache", "--output-format", "concise", *args)
    return result.exit_code, [line for line in result.stdout.splitlines() if ": BQL" in line]


def test_a_call_into_a_module_excluded_by_extend_exclude_is_followed(tree, invoke):
    tree()
    assert _concise(invoke, ".") == (1, [DEV_FINDING])


def test_a_call_into_an_excluded_module_is_followed_in_a_force_exclude_run_of_one_file(tree, invoke):
    tree()
    assert _concise(invoke, "--force-exclude", "pkg/dev.py") == (1, [DEV_FINDING])
    # pre-commit names every changed file: the excluded one is dropped, its callee still read.
    assert _concise(invoke, "--force-exclude", "pkg/dev.py", "gen/host.py") == (1, [DEV_FINDING])


def test_a_call_into_a_git_ignored_module_is_followed(tree, invoke):
    tree(config="", **{".gitignore": "gen/\n"})
    assert _concise(invoke, ".") == (1, [DEV_FINDING])
    assert _concise(invoke, "pkg/dev.py") == (1, [DEV_FINDING])


def test_an_excluded_file_pattern_is_followed_too(tree, invoke):
    tree(config='[tool.bqlint]\nextend-exclude = ["gen/host.py"]\n')
    assert _concise(invoke, ".") == (1, [DEV_FINDING])


def test_the_chain_of_the_finding_runs_into_the_excluded_module(tree, invoke):
    tree()
    result = invoke("check", "--no-cache", "--output-format", "json", ".")
    rows = [
        (r["location"]["row"], Path(r["filename"]).relative_to(Path.cwd()).as_posix())
        for r in json.loads(result.stdout)[0]["related"]
    ]
    assert rows == [(17, "pkg/dev.py"), (5, "gen/host.py")]


def test_an_excluded_modules_own_finding_is_never_reported(tree, invoke):
    # Without the exclusion both are found (the excluded one touches pkg/dev.py: SPEC §3.2
    # would report it in a subset run); excluded, gen/host.py is never reported on.
    tree(config="", host=HOST_WITH_BUG)
    assert _concise(invoke, ".") == (1, [HOST_FINDING, DEV_FINDING])
    tree(host=HOST_WITH_BUG)
    assert _concise(invoke, ".") == (1, [DEV_FINDING])
    assert _concise(invoke, "--force-exclude", "pkg/dev.py") == (1, [DEV_FINDING])
    assert _concise(invoke, "--force-exclude", "pkg/dev.py", "gen/host.py") == (1, [DEV_FINDING])
    assert _concise(invoke, "--jobs", "2", ".") == (1, [DEV_FINDING])
    (Path.cwd() / "pyproject.toml").write_text("")
    (Path.cwd() / ".gitignore").write_text("gen/\n")
    assert _concise(invoke, ".") == (1, [DEV_FINDING])


def test_an_excluded_module_nobody_imports_is_not_read(tree, invoke):
    # A vendored module that does not compile: read, it would warn or be BQL999.
    tree(**{"gen/broken.py": "import bql\n\ndef f(:\n", "gen/deep/vendored.py": "import bql\n\ndef f(:\n"})
    result = invoke("check", "--no-cache", "--output-format", "concise", ".")
    assert (result.exit_code, result.stderr) == (1, "")
    assert [line for line in result.stdout.splitlines() if ": BQL" in line] == [DEV_FINDING]


def test_a_folder_named_alone_still_reads_no_context_from_outside_it(tree, invoke):
    tree()  # README: naming a folder checks that folder alone
    assert _concise(invoke, "pkg/") == (0, [])


def test_excluded_modules_are_found_by_import_name_only(tree):
    root = tree(**{"gen/sub/__init__.py": "", "gen/sub/regs.py": "", "gen/other.py": ""})
    found = discover([root], Configurations(root))
    assert found.files == [root / "pkg" / "__init__.py", root / "pkg" / "dev.py"]
    gen = root / "gen"
    assert found.excluded.modules_for(["gen.host.push"]) == [gen / "__init__.py", gen / "host.py"]
    assert found.excluded.modules_for(["gen.sub.regs.Regs"]) == [
        gen / "__init__.py", gen / "sub" / "__init__.py", gen / "sub" / "regs.py"
    ]
    assert found.excluded.modules_for(["os.path", "bql", "host", "pkg.dev"]) == []


def test_cache_and_jobs_give_the_same_report(tree, invoke):
    tree(host=HOST_WITH_BUG)
    reference = invoke("check", "--no-cache", "--output-format", "json", ".").stdout
    for args in (["--jobs", "2"], [], [], ["--jobs", "2"]):  # cold, then warm caches
        result = invoke("check", "--output-format", "json", *args, ".")
        assert result.stdout == reference


def test_the_engine_alone_reads_no_excluded_module(tree):
    # Without discovery's list of what it left out, a run reads only the files it is given.
    root = tree()
    files = [root / "pkg" / "__init__.py", root / "pkg" / "dev.py"]
    assert engine.run(Settings(root=root), files).diagnostics == []


def test_the_engine_reports_nothing_located_in_an_excluded_module_even_through_a_chain(tree):
    root = tree(host=HOST_WITH_BUG)
    files = [root / "pkg" / "__init__.py", root / "pkg" / "dev.py"]
    excluded = discover([root], Configurations(root)).excluded.modules_for
    report = engine.run(Settings(root=root), files, excluded=excluded)
    found = [(d.path, d.code, d.span.start.row) for d in report.diagnostics]
    assert found == [(root / "pkg" / "dev.py", "BQL002", 19)]
