"""One run: parse, build the model, analyse, run rules, suppress, sort."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from bqlint.config import Settings
from bqlint.diagnostics import Diagnostic, Position, Span
from bqlint.suppression import apply_suppressions


@dataclass
class Report:
    """The outcome of one run, for the CLI and the renderers."""

    diagnostics: list[Diagnostic]
    # Text of every file that has a diagnostic (code frames, fixes), keyed like Diagnostic.path.
    sources: dict[Path, str] = field(default_factory=dict)
    files_checked: int = 0


def run(
    settings: Settings,
    files: Sequence[Path],
    *,
    context: Sequence[Path] = (),
    stdin: tuple[Path, str] | None = None,
) -> Report:
    """Check `files` (report on them), reading `context` files only for cross-module facts.

    `stdin` is (name, text) of a file read from standard input; it is reported under that name.
    Paths in the report are absolute.
    """
    diagnostics: list[Diagnostic] = []
    sources: dict[Path, str] = {}
    inputs: list[tuple[Path, str]] = [(p.resolve(), p.read_text(encoding="utf-8", errors="replace")) for p in files]
    if stdin is not None:
        inputs.append((stdin[0].resolve(), stdin[1]))
    for path, text in inputs:
        try:
            cst.parse_module(text)
        except cst.ParserSyntaxError as exc:
            sources[path] = text
            pos = Position(exc.raw_line, exc.raw_column + 1)
            diagnostics.append(
                Diagnostic("BQL999", "syntax-error", f"cannot parse: {exc.message}", Span(path, pos, pos))
            )
    # Suppression comments, per reported file; this also drops disabled codes and adds BQL100.
    reported: list[Diagnostic] = []
    for path, text in inputs:
        kept = apply_suppressions(path, text, [d for d in diagnostics if d.path == path], settings)
        if kept:
            sources[path] = text
        reported.extend(kept)
    reported.sort(key=Diagnostic.sort_key)
    return Report(reported, sources, len(inputs))
