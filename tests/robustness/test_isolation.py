"""An internal error while analysing one file is reported against that file (on stderr, naming
the file and the exception, asking for a bug report); every other file is still checked and
reported, and the exit code is 2. Faults are injected by monkeypatching, in the modules the
engine imports them from when it analyses a group."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bqlint.analysis import interprocedural
from bqlint.isolation import without_faulty
from bqlint.model import build, project
from bqlint.rules.borrow_across_unlock import BorrowAcrossUnlock
from bqlint.rules.context import Finding, RuleContext
from tests.robustness.conftest import DEVICE, rows


def _two_devices(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(DEVICE)
    (tmp_path / "b.py").write_text(DEVICE)


def test_rule_that_raises_on_one_file_costs_only_that_file(tmp_path: Path, check, cli, monkeypatch) -> None:
    _two_devices(tmp_path)
    real = BorrowAcrossUnlock.check

    def faulty(self: BorrowAcrossUnlock, ctx: RuleContext) -> Iterator[Finding]:
        if ctx.module.source.path.name == "a.py":
            raise KeyError("injected")
        return real(self, ctx)

    monkeypatch.setattr(BorrowAcrossUnlock, "check", faulty)
    report = check("a.py", "b.py")
    assert rows(report) == [("b.py", "BQL002", 12, 13)]
    assert [(p.name, e) for p, e in report.internal_errors] == [("a.py", "KeyError: 'injected'")]
    result = cli("--output-format", "concise", ".")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "b.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL",
        "Found 1 error; 1 file could not be checked (internal error).",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]
    assert result.stderr == (
        f"error: internal error while checking {tmp_path / 'a.py'}: KeyError: 'injected'\n"
        "This is a bug in bqlint; please report it with this file. Other files were checked.\n"
    )


def test_fault_in_the_project_wide_analysis_is_pinned_to_its_file(tmp_path: Path, check, monkeypatch) -> None:
    _two_devices(tmp_path)
    real = interprocedural.analyze_project

    def faulty(functions, cfgs=None):  # type: ignore[no-untyped-def]
        if any(fn.module.source.path.name == "a.py" for fn in functions):
            raise RecursionError("injected")
        return real(functions, cfgs)

    monkeypatch.setattr(interprocedural, "analyze_project", faulty)
    report = check("a.py", "b.py")
    assert rows(report) == [("b.py", "BQL002", 12, 13)]
    assert [(p.name, e) for p, e in report.internal_errors] == [("a.py", "RecursionError: injected")]


def test_fault_while_building_a_cfg_costs_one_pass(tmp_path: Path, check, monkeypatch) -> None:
    # A CFG is built one function at a time: the faulty module is left out before the fixed
    # point, which then runs once (no bisection over the other modules).
    _two_devices(tmp_path)
    real_build, real_analyze = interprocedural.build_cfg, interprocedural.analyze_project
    passes: list[int] = []

    def faulty_build(fn):  # type: ignore[no-untyped-def]
        if fn.module.source.path.name == "a.py":
            raise AttributeError("injected")
        return real_build(fn)

    def counted(functions, cfgs=None):  # type: ignore[no-untyped-def]
        passes.append(len(functions))
        return real_analyze(functions, cfgs)

    monkeypatch.setattr(interprocedural, "build_cfg", faulty_build)
    monkeypatch.setattr(interprocedural, "analyze_project", counted)
    report = check("a.py", "b.py")
    assert rows(report) == [("b.py", "BQL002", 12, 13)]
    assert [(p.name, e) for p, e in report.internal_errors] == [("a.py", "AttributeError: injected")]
    assert len(passes) == 1


def test_fault_while_building_the_model_is_pinned_to_its_file(tmp_path: Path, check, monkeypatch) -> None:
    _two_devices(tmp_path)
    real = build.build_project

    def faulty(modules, settings):  # type: ignore[no-untyped-def]
        if any(m.source.path.name == "b.py" for m in modules):
            raise ValueError("injected")
        return real(modules, settings)

    monkeypatch.setattr(build, "build_project", faulty)
    report = check("a.py", "b.py")
    assert rows(report) == [("a.py", "BQL002", 12, 13)]
    assert [(p.name, e) for p, e in report.internal_errors] == [("b.py", "ValueError: injected")]


def test_fault_while_parsing_is_pinned_to_its_file(tmp_path: Path, check, monkeypatch) -> None:
    _two_devices(tmp_path)
    real = project.collect_symbols

    def faulty(module, tree):  # type: ignore[no-untyped-def]
        if module.source.path.name == "a.py":
            raise AttributeError("injected")
        return real(module, tree)

    monkeypatch.setattr(project, "collect_symbols", faulty)
    report = check("a.py", "b.py")
    assert rows(report) == [("b.py", "BQL002", 12, 13)]
    assert [(p.name, e) for p, e in report.internal_errors] == [("a.py", "AttributeError: injected")]


def test_without_faulty_drops_each_culprit_and_keeps_the_rest() -> None:
    def phase(items: list[int]) -> int:
        if 3 in items or 7 in items:
            raise ValueError(f"bad {min(i for i in items if i in (3, 7))}")
        return sum(items)

    total, dropped = without_faulty(phase, list(range(10)))
    assert total == sum(range(10)) - 3 - 7
    assert [(item, str(exc)) for item, exc in dropped] == [(3, "bad 3"), (7, "bad 7")]


def test_without_faulty_reraises_a_fault_no_item_causes() -> None:
    def phase(items: list[int]) -> int:
        raise ValueError("always")

    with pytest.raises(ValueError, match="always"):
        without_faulty(phase, [1, 2, 3])
