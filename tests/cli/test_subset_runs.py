"""Subset runs (SPEC §3.2): given some files, report every finding whose primary location or
any related location lies in one of them, so that changing only a callee blocks its caller."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

CALLER = """\
import bql

from hostio import flush


class Regs:
    def __init__(self) -> None:
        self.dr = 0


class Dma(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def write(self, offset: int, value: int, size: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs.dr = value
            flush()
"""

CALLEE_CLEAN = """\
import bql


@bql.releases_bql
def wait_for_host() -> None:
    pass


def flush() -> None:
    pass
"""

CALLEE_RELEASING = CALLEE_CLEAN.replace(
    "def flush() -> None:\n    pass", "def flush() -> None:\n    wait_for_host()"
)

UNRELATED = """\
import bql


def level() -> int:
    return 0
"""

OWN_FINDING = """\
import bql


class Dev(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.level = bql.BqlCell(0)

    def reset(self) -> None:
        self.level = 3
"""


def _rows(stdout: str) -> list[tuple[str, str, int, list[tuple[str, int]]]]:
    return [
        (
            i["filename"].rsplit("/", 1)[-1],
            i["code"],
            i["location"]["row"],
            [(r["filename"].rsplit("/", 1)[-1], r["location"]["row"]) for r in i["related"]],
        )
        for i in json.loads(stdout)
    ]


def test_changing_only_the_callee_reports_the_callers_finding_with_the_chain(project, invoke):
    project({"pyproject.toml": "", "dma.py": CALLER, "hostio.py": CALLEE_RELEASING, "misc.py": UNRELATED})
    result = invoke("check", "hostio.py", "--output-format", "json")
    assert result.exit_code == 1
    assert _rows(result.stdout) == [
        ("dma.py", "BQL002", 19, [("dma.py", 17), ("hostio.py", 10), ("hostio.py", 4)])
    ]


def test_a_file_outside_every_chain_reports_nothing_from_the_others(project, invoke):
    project({"pyproject.toml": "", "dma.py": CALLER, "hostio.py": CALLEE_RELEASING, "misc.py": UNRELATED})
    result = invoke("check", "misc.py", "--output-format", "json")
    assert (result.exit_code, result.stdout.strip()) == (0, "[]")


def test_a_clean_callee_reports_nothing(project, invoke):
    project({"pyproject.toml": "", "dma.py": CALLER, "hostio.py": CALLEE_CLEAN})
    assert invoke("check", "hostio.py", "--output-format", "json").stdout.strip() == "[]"


def test_a_context_files_own_finding_without_a_chain_into_the_subset_is_not_reported(project, invoke):
    project({"pyproject.toml": "", "dev.py": OWN_FINDING, "hostio.py": CALLEE_RELEASING, "dma.py": CALLER})
    assert _rows(invoke("check", "dev.py", "--output-format", "json").stdout) == [
        ("dev.py", "BQL007", 10, [("dev.py", 7)])
    ]
    assert [r[0] for r in _rows(invoke("check", "hostio.py", "--output-format", "json").stdout)] == ["dma.py"]


# Nested configurations (SPEC §3.2: each file is governed by the nearest configuration above
# it): a subset run analyses and filters every file it reads, given or context, under that
# file's own configuration, so it reports exactly the whole run's findings that touch it.

UNLOCKING = """\
import bql


def helper() -> None:
    bql.unlock()
    bql.lock()
"""

HOST = """\
def run_on_cpu() -> None:
    pass
"""

CALLS_HOST = """\
import qemu_host


def helper() -> None:
    qemu_host.run_on_cpu()
"""

HOLDER = """\
import bql
from callee import helper


class Holder(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def run(self) -> None:
        with self.regs.borrow_mut() as r:
            helper()
"""

BASE = """\
import bql


class Base(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.level = bql.BqlCell(0)
"""

REBINDER = """\
from base import Base


class Sub(Base):
    def bump(self) -> None:
        self.level = 3
"""


def _findings(stdout: str) -> list[tuple[str, str, int, list[tuple[str, int]]]]:
    """(path, code, row, related (path, row)) of each finding, paths relative to the cwd."""
    cwd = Path.cwd().resolve()

    def rel(name: str) -> str:
        return Path(name).relative_to(cwd).as_posix()

    return [
        (
            rel(i["filename"]),
            i["code"],
            i["location"]["row"],
            [(rel(r["filename"]), r["location"]["row"]) for r in i["related"]],
        )
        for i in json.loads(stdout)
    ]


def _check(invoke, *args: str) -> tuple[int, list[tuple[str, str, int, list[tuple[str, int]]]]]:
    result = invoke("check", "--no-cache", "--output-format", "json", *args)
    return result.exit_code, _findings(result.stdout)


@pytest.mark.parametrize(
    "sub_config",
    ['[tool.bqlint]\nignore = ["BQL002"]\n', '[tool.bqlint]\nper-file-ignores = { "caller.py" = ["BQL002"] }\n'],
    ids=["ignore", "per-file-ignores"],
)
def test_a_callers_own_config_that_ignores_the_rule_silences_it_when_only_the_callee_is_given(
    project, invoke, sub_config: str
):
    project(
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "callee.py": UNLOCKING,
            "sub/pyproject.toml": sub_config,
            "sub/caller.py": HOLDER,
        }
    )
    assert _check(invoke, ".") == (0, [])
    assert _check(invoke, "sub/caller.py") == (0, [])
    assert _check(invoke, "callee.py") == (0, [])
    assert _check(invoke, "callee.py", "--jobs", "2") == (0, [])


def test_the_same_caller_under_the_root_config_is_still_reported_from_the_callee(project, invoke):
    project(
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "callee.py": UNLOCKING,
            "sub/pyproject.toml": '[tool.bqlint]\nignore = ["BQL002"]\n',
            "sub/caller.py": HOLDER,
            "caller.py": HOLDER,
        }
    )
    expected = [("caller.py", "BQL002", 12, [("caller.py", 11), ("callee.py", 5)])]
    assert _check(invoke, ".") == (1, expected)
    assert _check(invoke, "callee.py") == (1, expected)


def test_fix_on_a_subset_never_rewrites_a_context_file_whose_config_ignores_the_rule(project, invoke):
    root = project(
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "base.py": BASE,
            "sub/pyproject.toml": '[tool.bqlint]\nignore = ["BQL007"]\n',
            "sub/s.py": REBINDER,
        }
    )
    assert _check(invoke, ".") == (0, [])
    assert _check(invoke, "--fix", "base.py") == (0, [])
    assert invoke("check", "--no-cache", "--add-noqa", "base.py").exit_code == 0
    assert (root / "sub" / "s.py").read_text(encoding="utf-8") == REBINDER
    assert (root / "base.py").read_text(encoding="utf-8") == BASE


def test_fix_on_a_subset_rewrites_a_context_file_whose_config_selects_the_rule(project, invoke):
    """The counterpart: under the root config the touching finding is reported and fixed."""
    root = project({"pyproject.toml": "[tool.bqlint]\n", "base.py": BASE, "s.py": REBINDER})
    assert _check(invoke, "base.py") == (1, [("s.py", "BQL007", 6, [("base.py", 7)])])
    assert _check(invoke, "--fix", "base.py") == (0, [])
    assert (root / "s.py").read_text(encoding="utf-8") == REBINDER.replace("self.level = 3", "self.level.set(3)")


@pytest.mark.parametrize("options", [("--no-cache",), ("--no-cache", "--jobs", "2"), ()], ids=str)
def test_a_sub_folders_unlock_points_apply_to_its_files_in_every_subset(project, invoke, options):
    """The caller's configuration names the unlock point its root-level callee reaches: the
    finding is the same whether the whole tree, only the caller or only the callee is given."""
    project(
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "qemu_host.py": HOST,
            "callee.py": CALLS_HOST,
            "sub/pyproject.toml": '[tool.bqlint]\nunlock-points = ["qemu_host.run_on_cpu"]\n',
            "sub/caller.py": HOLDER,
        }
    )
    expected = [("sub/caller.py", "BQL002", 12, [("sub/caller.py", 11), ("callee.py", 5)])]
    for paths in ((".",), ("sub/caller.py",), ("callee.py",)):
        result = invoke("check", "--output-format", "json", *options, *paths)
        assert (result.exit_code, _findings(result.stdout)) == (1, expected), paths
    assert _check(invoke, "qemu_host.py") == (0, [])


# A project with two nested configurations (and the root's): every subset of its files
# reports exactly the whole run's findings whose primary or a related location is in it.
HELPERS = """\
import bql
import qemu_host


def helper() -> None:
    bql.unlock()
    bql.lock()


def wait() -> None:
    qemu_host.run_on_cpu()
"""

TWO_HOLDS = """\
import bql
from callee import helper, wait


class Holder(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def run(self) -> None:
        with self.regs.borrow_mut() as r:
            helper()

    def poke(self) -> None:
        with self.regs.borrow_mut() as r:
            wait()
"""

SUB_OF_BASE = """\
import bql
from base import Base
from callee import wait


class S(Base):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def bump(self) -> None:
        self.level = 3

    def poke(self) -> None:
        with self.regs.borrow_mut() as r:
            wait()
"""

DEEP = """\
import bql
from base import Base
from callee import helper


class D(Base):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def bump(self) -> None:
        self.level = 3

    def run(self) -> None:
        with self.regs.borrow_mut() as r:
            helper()
"""

NESTED_PROJECT = {
    "pyproject.toml": "[tool.bqlint]\n",
    "qemu_host.py": HOST,
    "callee.py": HELPERS,
    "base.py": BASE,
    "caller.py": TWO_HOLDS,
    "other.py": REBINDER,
    "sub/pyproject.toml": '[tool.bqlint]\nignore = ["BQL007"]\nunlock-points = ["qemu_host.run_on_cpu"]\n',
    "sub/s.py": SUB_OF_BASE,
    "sub/deep/bqlint.toml": 'ignore = ["BQL002"]\n',
    "sub/deep/d.py": DEEP,
}


def test_every_subset_reports_exactly_the_whole_runs_findings_that_touch_it(project, invoke):
    """All subsets of one or two files and all but one or none (every subset with
    BQLINT_SUBSETS_FULL=1)."""
    project(NESTED_PROJECT)
    files = sorted(name for name in NESTED_PROJECT if name.endswith(".py"))
    code, whole = _check(invoke, ".")
    # Each configuration shows: the root reports BQL002 through `helper` (not `wait`) and
    # BQL007; sub/ ignores BQL007 and makes `wait` release the BQL; sub/deep/ (nearest
    # config, not merged with sub/'s) ignores BQL002 only.
    assert (code, [(path, rule, row) for path, rule, row, _ in whole]) == (
        1,
        [
            ("caller.py", "BQL002", 12),
            ("other.py", "BQL007", 6),
            ("sub/deep/d.py", "BQL007", 12),
            ("sub/s.py", "BQL002", 16),
        ],
    )
    subsets = [[f for bit, f in enumerate(files) if mask >> bit & 1] for mask in range(1, 1 << len(files))]
    if os.environ.get("BQLINT_SUBSETS_FULL") != "1":
        subsets = [s for s in subsets if len(s) <= 2 or len(s) >= len(files) - 1]
    for subset in subsets:
        expected = [f for f in whole if f[0] in subset or any(path in subset for path, _ in f[3])]
        assert _check(invoke, *subset) == (1 if expected else 0, expected), subset


def test_standard_input_is_context_for_the_other_configurations_runs(project, invoke):
    """`--stdin-filename callee.py`: the root's run reports the text read, and the sub
    folder's run reads it as context, so its caller's finding is reported under its config."""
    project(
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "qemu_host.py": HOST,
            "callee.py": "def helper() -> None:\n    pass\n",
            "sub/pyproject.toml": '[tool.bqlint]\nunlock-points = ["qemu_host.run_on_cpu"]\n',
            "sub/caller.py": HOLDER,
        }
    )
    assert _check(invoke, ".") == (0, [])
    result = invoke("check", "--no-cache", "--output-format", "json", "--stdin-filename", "callee.py", input=CALLS_HOST)
    assert (result.exit_code, _findings(result.stdout)) == (
        1,
        [("sub/caller.py", "BQL002", 12, [("sub/caller.py", 11), ("callee.py", 5)])],
    )


def test_a_run_analyses_only_the_import_groups_that_hold_a_given_file(project, invoke, monkeypatch):
    """Modules that import nothing of a given file's group cannot touch it: a subset run (and
    each other configuration's run for it) leaves them unparsed, with the same findings."""
    from bqlint import engine

    project({"pyproject.toml": "", "dma.py": CALLER, "hostio.py": CALLEE_RELEASING, "dev.py": OWN_FINDING})
    analysed: list[list[str]] = []
    real = engine.analyse_group

    def recording(members, facts, settings):
        analysed.append(sorted(m.source.path.name for m in members))
        return real(members, facts, settings)

    monkeypatch.setattr(engine, "analyse_group", recording)
    result = invoke("check", "--no-cache", "--jobs", "1", "--output-format", "json", "hostio.py")
    assert [r[:3] for r in _rows(result.stdout)] == [("dma.py", "BQL002", 19)]
    assert analysed == [["dma.py", "hostio.py"]]
    analysed.clear()
    invoke("check", "--no-cache", "--jobs", "1", "--output-format", "json", ".")
    assert analysed == [["dev.py", "dma.py", "hostio.py"]]
