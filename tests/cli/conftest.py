"""Helpers for the CLI tests: a project on disk, an invoker, and a stand-in engine.

The stand-in engine finds the words OLD (safe fix to NEW), RISKY (unsafe fix to CHECKED),
BREAK (a fix that would not parse) and STALE (a safe fix to OLD, fixed again next pass) so fixes can be tested before the real rules land.
It goes through the real suppression step, as the engine does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bqlint import engine
from bqlint.cli import main
from bqlint.config import Settings
from bqlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Span
from bqlint.reading import DecodedSource, safe_resolve
from bqlint.source import python_lines
from bqlint.suppression import apply_suppressions

Invoke = Callable[..., Result]

# A file that does not parse; it mentions the runtime so that an engine that parses only
# relevant files still reads it when it is found by walking a directory.
BROKEN = "import bql\n\ndef f(:\n"

WORDS = {
    "OLD": ("NEW", Applicability.SAFE),
    "RISKY": ("CHECKED", Applicability.UNSAFE),
    "BREAK": ("(", Applicability.SAFE),
    "STALE": ("OLD", Applicability.SAFE),  # fixed in two passes: STALE -> OLD -> NEW
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], Path]:
    """Write {relative path: text} under tmp_path/proj, chdir there and return the directory."""
    root = tmp_path / "proj"
    root.mkdir()
    monkeypatch.chdir(root)

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return write


@pytest.fixture
def invoke() -> Invoke:
    """Run `bqlint ARGS` in-process; stdout and stderr are kept apart on the result."""

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def word_findings(path: Path, text: str) -> list[Diagnostic]:
    found = []
    for row, line in enumerate(python_lines(text), start=1):
        for match in re.finditer(r"\b(OLD|RISKY|BREAK|STALE)\b", line):
            word = match.group(1)
            new, applicability = WORDS[word]
            start, end = Position(row, match.start() + 1), Position(row, match.end() + 1)
            fix = Fix(f"replace `{word}` with `{new}`", applicability, (Edit(new, start, end),))
            found.append(
                Diagnostic(
                    "BQL007", "cell-rebinding", f"`{word}` is rebound", Span(path, start, end), fix=fix, scope="f"
                )
            )
    return found


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[Path], list[Path]]]:
    """Replace engine.run by the word finder; return the (files, context) of each call."""
    calls: list[tuple[list[Path], list[Path]]] = []

    def run(
        settings: Settings,
        files: Sequence[Path],
        *,
        context: Sequence[Path] = (),
        stdin: tuple[Path, str] | None = None,
        explicit: Sequence[Path] = (),
        edited: Mapping[Path, DecodedSource] | None = None,
        **options: object,  # jobs, cache, progress: nothing to do for the word finder
    ) -> engine.Report:
        calls.append((list(files), list(context)))
        edited = edited or {}
        # As stored, like engine.run, unless `--diff` gives the text its fixes made.
        inputs = [
            (p, edited[safe_resolve(p)].text if safe_resolve(p) in edited else p.read_bytes().decode("utf-8"))
            for p in files
        ]
        if stdin is not None:
            inputs.append(stdin)
        diagnostics: list[Diagnostic] = []
        sources = {}
        for path, text in inputs:
            kept = apply_suppressions(path, text, word_findings(path, text), settings)
            if kept:
                sources[path] = text
            diagnostics.extend(kept)
        diagnostics.sort(key=Diagnostic.sort_key)
        return engine.Report(diagnostics, sources, len(inputs))

    monkeypatch.setattr(engine, "run", run)
    return calls
