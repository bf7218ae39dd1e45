"""--fix and --add-noqa never write a file that was not analysed: BQL998/BQL999, or a file
libcst cannot parse even though Python compiles it (issue 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint import engine
from bqlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Span
from bqlint.fixes import NotAnalysed, add_noqa, fix_text
from tests.fix.devices import device

# Python compiles a parenthesised annotated target; libcst's parser rejects it.
LIBCST_REJECTS = "(x): int = 1\n"


def _rebinding(path, row: int) -> Diagnostic:
    start, end = Position(row, 9), Position(row, 23)
    fix = Fix("Use `.set()`", Applicability.SAFE, (Edit("self.level.set(3)", start, end),))
    return Diagnostic("BQL007", "cell-rebinding", "m", Span(path, start, end), fix=fix)


@pytest.mark.parametrize("code", ["BQL998", "BQL999"])
def test_fix_and_add_noqa_skip_a_file_reported_as_not_analysed(project, invoke, monkeypatch, code):
    text = device("self.level = 3")
    root = project({"a.py": text})
    path = (root / "a.py").resolve()

    def run(*args, **kwargs):
        first = Diagnostic(code, "x", "cannot read", Span(path, Position(1, 1), Position(1, 2)))
        return engine.Report([first, _rebinding(path, 11)], {path: text}, 1)

    monkeypatch.setattr(engine, "run", run)
    for option in ("--fix", "--add-noqa", "--diff"):
        result = invoke("check", option)
        assert (root / "a.py").read_text(encoding="utf-8") == text
        assert result.stdout.count("+++") == 0
    assert invoke("check", "--fix").exit_code == 1


def test_fix_refuses_text_that_libcst_cannot_parse():
    text = LIBCST_REJECTS + "y = OLD\n"
    fix = Fix("f", Applicability.SAFE, (Edit("NEW", Position(2, 5), Position(2, 8)),))
    finding = Diagnostic("BQL007", "n", "m", Span(Path("a.py"), Position(2, 5), Position(2, 8)), fix=fix)
    with pytest.raises(NotAnalysed, match="it was not analysed"):
        fix_text(text, [finding])
    with pytest.raises(NotAnalysed):
        add_noqa(text, [finding])


def test_unused_suppression_in_a_file_libcst_cannot_parse_is_not_fixed(project, invoke):
    text = LIBCST_REJECTS + "y = 2  # noqa: BQL002\n"
    root = project({"a.py": text, "b.py": "y = 2  # noqa: BQL002\n"})
    result = invoke("check", "--fix")
    assert (root / "a.py").read_text(encoding="utf-8") == text
    assert (root / "b.py").read_text(encoding="utf-8") == "y = 2\n"
    assert "not fixing" in result.stderr and "it was not analysed" in result.stderr


def test_fix_leaves_a_file_with_a_syntax_error(project, invoke):
    text = "import bql\n(x): int = 1\ny = 2  # bqlint: ignore[BQL002]\n"
    root = project({"a.py": text})
    invoke("check", "--fix")
    invoke("check", "--add-noqa")
    assert (root / "a.py").read_text(encoding="utf-8") == text


def test_fix_never_rereads_a_file_whose_analysed_text_is_missing(project, invoke, monkeypatch):
    text = device("self.level = 3")
    root = project({"a.py": text})
    path = (root / "a.py").resolve()
    monkeypatch.setattr(engine, "run", lambda *a, **k: engine.Report([_rebinding(path, 11)], {}, 1))
    result = invoke("check", "--fix")
    assert (root / "a.py").read_text(encoding="utf-8") == text
    assert "its analysed text was lost" in result.stderr
