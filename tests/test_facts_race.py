"""Per-file facts survive CPython 3.11's shared AST-builder state: a spurious SystemError from
another thread's concurrent parse is retried, never taken as a fact about the file."""

from __future__ import annotations

import ast

import pytest

from bqlint import facts


def test_a_spurious_ast_system_error_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ast.parse
    calls = []

    def flaky(text: str) -> ast.Module:
        calls.append(text)
        if len(calls) == 1:
            raise SystemError("AST constructor recursion depth mismatch (before=27, after=25)")
        return real(text)

    monkeypatch.setattr(facts.ast, "parse", flaky)
    found = facts.extract_facts(
        "import bql\nfrom .regs import Regs\nLEVEL = bql.BqlCell(0)\n", "pkg.dev", False, ("bql",)
    )
    assert len(calls) == 2
    assert found.imports == ("bql", "pkg.regs", "pkg.regs.Regs")
    assert found.relevant


def test_a_persistent_system_error_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> ast.Module:
        raise SystemError("broken")

    monkeypatch.setattr(facts.ast, "parse", broken)
    with pytest.raises(SystemError):
        facts.extract_facts("import bql\n", "dev", False, ("bql",))
