"""Subset runs (SPEC §3.2): given some files, report every finding whose primary location or
any related location lies in one of them, so that changing only a callee blocks its caller."""

from __future__ import annotations

import json

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
