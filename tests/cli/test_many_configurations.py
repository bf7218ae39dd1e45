"""Many sibling configurations cost one pass when their analysis is the same (crash4 #4).

N sub-folders, each with its own bqlint.toml, all calling into one shared package, used to
cost N passes over the whole import-connected tree (about N^2.2: 300 configurations 140 s
against 1.2 s with one). Configurations that differ only in what they select, ignore or
exclude now share one analysis; each file's findings are still selected and suppressed by
its own configuration. Also: same-text configurations with `per-file-ignores` (patterns
relative to their own folder) no longer hand each other their findings through the cache.
"""

from __future__ import annotations

import pytest

from bqlint import engine

N = 12
DEVICE = """\
import bql
from common.h import flush


class D{i}(bql.Device):
    def __init__(self):
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def m(self):
        with self.regs.borrow_mut():
            flush()
"""
FINDING = "BQL002 `self.regs` is still borrowed where `flush()` may release the BQL"


def _tree() -> dict[str, str]:
    files = {
        "pyproject.toml": "",
        "common/__init__.py": "",
        "common/h.py": "import bql\nfrom common.k import kk\n\n\ndef flush():\n    kk()\n",
        "common/k.py": "import bql\n\n\ndef kk():\n    bql.unlock()\n    bql.lock()\n",
    }
    for i in range(N):
        # Even folders: the same text, whose pattern means a different file in each folder.
        files[f"s{i}/bqlint.toml"] = 'per-file-ignores = { "d*.py" = ["BQL002"] }\n' if i % 2 == 0 else "ignore = []\n"
        files[f"s{i}/d{i}.py"] = DEVICE.format(i=i)
        files[f"s{i}/e{i}.py"] = DEVICE.format(i=i)
    return files


def _expected() -> str:
    rows = []
    for i in sorted(range(N), key=str):
        if i % 2:
            rows.append(f"s{i}/d{i}.py:12:13: {FINDING}")
        rows.append(f"s{i}/e{i}.py:12:13: {FINDING}")
    return "\n".join(rows) + "\n"


@pytest.fixture
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many modules each analysis (libcst parse and dataflow) of a group takes."""
    calls: list[int] = []
    real = engine.analyse_group

    def spy(members, facts, settings):  # type: ignore[no-untyped-def]
        calls.append(len(members))
        return real(members, facts, settings)

    monkeypatch.setattr(engine, "analyse_group", spy)
    return calls


def test_sibling_configurations_share_one_analysis_and_keep_their_own_selection(project, invoke, analysed):
    project(_tree())
    result = invoke("check", "--no-cache", "--jobs", "1", "-q", "--output-format", "concise", ".")
    assert result.exit_code == 1
    assert result.stdout == _expected()
    # 2 common modules and 2 devices per folder, each analysed once (was N + 1 passes of 2N + 2).
    assert analysed == [2 * N + 2]
    parallel = invoke("check", "--no-cache", "--jobs", "2", "-q", "--output-format", "concise", ".")
    assert (parallel.exit_code, parallel.stdout) == (1, _expected())


def test_cold_and_warm_cached_runs_agree_and_a_warm_run_analyses_nothing(project, invoke, analysed):
    project(_tree())
    for expected_calls in ([2 * N + 2], []):
        analysed.clear()
        result = invoke("check", "--jobs", "1", "-q", "--output-format", "concise", ".")
        assert result.exit_code == 1
        assert result.stdout == _expected()
        assert analysed == expected_calls


def test_a_configuration_that_changes_the_analysis_gets_its_own_pass(project, invoke, analysed):
    files = _tree()
    files["s1/bqlint.toml"] = 'device-bases = ["other.Base"]\n'
    project(files)
    result = invoke("check", "--no-cache", "--jobs", "1", "-q", "--output-format", "concise", ".")
    assert result.exit_code == 1
    assert result.stdout == _expected()
    assert analysed == [2 * N + 2, 2 * N + 2]
