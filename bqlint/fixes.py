"""Apply fixes and add `# noqa` comments to the analysed text; refuse any result that does
not parse and compile again, and any file that was not analysed.

Edits use the diagnostics' 1-based, end-exclusive positions, with rows split where Python
splits them (`source.python_lines`). Fixes whose edits overlap an already accepted fix are
left for the next pass (the CLI re-checks after fixing). Writing is `writing.py`'s job.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bqlint.diagnostics import Applicability, Diagnostic, Edit, Position
from bqlint.source_file import line_starts, python_lines
from bqlint.suppression import Directive, Suppressions, parse_suppressions
from bqlint.terminal import printable


class UnparsableFix(Exception):
    """The fixed text of a file does not parse; the file is left untouched."""


class NotAnalysed(UnparsableFix):
    """The file itself does not parse or compile, so it was not analysed: never fixed."""


def offsets(text: str) -> list[int]:
    """Return the offset where each 1-based row starts (one extra entry for the end)."""
    return line_starts(text)


def _exact_offset(starts: list[int], text: str, position: Position) -> int | None:
    """Return the offset of `position` in `text`, or None when it lies outside the text."""
    if not 1 <= position.row <= len(starts) or position.column < 1:
        return None
    base = starts[position.row - 1]
    limit = starts[position.row] if position.row < len(starts) else len(text)
    offset = base + position.column - 1
    return offset if offset <= limit else None


def _ranges(starts: list[int], text: str, edits: Sequence[Edit]) -> list[tuple[int, int]] | None:
    """Return the offsets of `edits` in `text`, or None when one lies outside it, ends before
    it starts, or overlaps another: such a fix (a damaged or foreign cache entry) is not
    applied (crash11 #5: one deleted the rest of a file)."""
    ranges: list[tuple[int, int]] = []
    for edit in edits:
        start, end = _exact_offset(starts, text, edit.start), _exact_offset(starts, text, edit.end)
        if start is None or end is None or end < start:
            return None
        ranges.append((start, end))
    ordered = sorted(ranges)
    if any(next_start < end for (_, end), (next_start, _) in zip(ordered, ordered[1:], strict=False)):
        return None
    return ranges


def edits_fit(starts: list[int], text: str, edits: Sequence[Edit]) -> bool:
    """Whether `edits` lie inside `text` (rows starting at `starts`, from `offsets`) and do
    not overlap: what `apply_edits` accepts."""
    return _ranges(starts, text, edits) is not None


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Return `text` with `edits` applied (from the end); ValueError when one lies outside
    the text or they overlap."""
    ranges = _ranges(offsets(text), text, edits)
    if ranges is None:
        raise ValueError("edits outside the text or overlapping")
    for (start, end), edit in sorted(zip(ranges, edits), reverse=True, key=lambda item: item[0]):
        text = text[:start] + edit.content + text[end:]
    return text


def is_applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    """Return whether `diagnostic` has a fix that this run may apply."""
    fix = diagnostic.fix
    if fix is None or not fix.edits:
        return False
    return fix.applicability is Applicability.SAFE or unsafe


@dataclass
class FixResult:
    """The fixed text of one file and how many findings the fixes resolved."""

    text: str
    applied: int = 0
    skipped: list[Diagnostic] = field(default_factory=list)


def fix_text(text: str, diagnostics: Sequence[Diagnostic], *, unsafe: bool = False) -> FixResult:
    """Apply every applicable, non-overlapping fix of `diagnostics` to `text`.

    Raises UnparsableFix when the result does not parse with libcst.
    """
    starts = offsets(text)
    taken: list[tuple[int, int]] = []
    edits: list[Edit] = []
    result = FixResult(text)
    for diagnostic in diagnostics:
        if not is_applicable(diagnostic, unsafe):
            continue
        assert diagnostic.fix is not None
        ranges = _ranges(starts, text, diagnostic.fix.edits)
        if ranges is None:
            continue
        if any(s < te and ts < e or s == e == ts == te for s, e in ranges for ts, te in taken):
            result.skipped.append(diagnostic)
            continue
        taken.extend(ranges)
        edits.extend(diagnostic.fix.edits)
        result.applied += 1
    if not edits:
        return result
    fixed = apply_edits(text, edits)
    ensure_parses(fixed, original=text)
    result.text = fixed
    return result


def ensure_parses(text: str, *, original: str | None = None) -> None:
    """Raise UnparsableFix unless `text` parses with libcst and compiles with Python.

    When it does not and `original` does not either, raise NotAnalysed: that file was never
    analysed (BQL999, or a parser limit), so nothing may be written to it.
    """
    problem = _parse_problem(text)
    if problem is None:
        return
    if original is not None:
        before = _parse_problem(original)
        if before is not None:
            raise NotAnalysed(f"it was not analysed ({before})")
    raise UnparsableFix(f"the result would not parse ({problem})")


def _parse_problem(text: str) -> str | None:
    """Return why `text` does not parse with libcst or compile with Python, or None."""
    import libcst as cst  # here: only a fix is parsed again, and a run may parse nothing else

    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return f"{exc.message} at {exc.raw_line}:{exc.raw_column + 1}"
    except Exception as exc:  # libcst raises other errors for some invalid trees
        return str(exc) or type(exc).__name__
    try:
        with warnings.catch_warnings():  # the user's own SyntaxWarnings are not ours to print
            warnings.simplefilter("ignore")
            compile(text, "<fixed>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} at {exc.lineno}:{exc.offset}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return str(exc) or type(exc).__name__
    return None


def unified_diff(path: Path, before: str, after: str) -> str:
    """Return a unified diff of one file, as `--diff` prints it.

    Lines are split at `\n` only, as `patch` and `git apply` read them: a lone `\r` (an old
    Mac line end, which Python accepts) stays inside its line, so the diff applies to give
    exactly what `--fix` writes. A last line without a line end gets git's marker.
    """
    name = printable(path.as_posix().lstrip("/"))  # git's style: a/src/x.py, never a//abs/x.py
    out: list[str] = []
    for line in difflib.unified_diff(
        _newline_lines(before), _newline_lines(after), fromfile=f"a/{name}", tofile=f"b/{name}"
    ):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _newline_lines(text: str) -> list[str]:
    """Split `text` after each `\n` (only), keeping the line ends."""
    lines = [part + "\n" for part in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def add_noqa(text: str, diagnostics: Sequence[Diagnostic]) -> tuple[str, int]:
    """Return `text` with `# noqa: CODE` on each finding's noqa row, and the rows changed.

    Codes merge into an existing `# noqa: ...` or `# bqlint: ignore[...]` on the row.
    Raises UnparsableFix when the result would not parse (a row inside a string, say).
    """
    if not diagnostics:
        return text, 0
    suppressions = parse_suppressions(text)
    wanted: dict[int, list[str]] = {}
    for diagnostic in diagnostics:
        row = suppressions.noqa_row(diagnostic.span.start.row)
        codes = wanted.setdefault(row, [])
        if diagnostic.code not in codes:
            codes.append(diagnostic.code)
    lines = python_lines(text, keepends=True)
    changed = 0
    for row, codes in sorted(wanted.items()):
        if row > len(lines):
            continue
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        new_body = _merge_noqa(body, [d for d in suppressions.by_row.get(row, [])], codes)
        if new_body != body:
            lines[row - 1] = new_body + ending
            changed += 1
    result = "".join(lines)
    if changed:
        ensure_parses(result, original=text)
    return result, changed


def noqa_edit(lines: Sequence[str], suppressions: Suppressions, diagnostic: Diagnostic) -> Edit | None:
    """Return the edit that adds `diagnostic`'s code to the directive of its noqa row (or a
    new `# noqa` comment there), as `add_noqa` would, without checking that the result
    parses; None when the row already suppresses it. `lines`: the text's rows, no breaks."""
    row = suppressions.noqa_row(diagnostic.span.start.row)
    if row > len(lines):
        return None
    body = lines[row - 1]
    new_body = _merge_noqa(body, list(suppressions.by_row.get(row, [])), [diagnostic.code])
    if new_body == body:
        return None
    return Edit(new_body, Position(row, 1), Position(row, len(body) + 1))


def add_noqa_by_row(text: str, diagnostics: Sequence[Diagnostic]) -> tuple[str, int, list[str]]:
    """Return `text` with every noqa row's directive that keeps the file parsing, the rows
    changed, and why each other row was refused ("row N: reason").

    All rows at once first (one parse); when that result does not parse, row by row, so one
    row that cannot hold a comment does not cost the file its other directives. Raises
    NotAnalysed when the file itself does not parse.
    """
    try:
        after, changed = add_noqa(text, diagnostics)
        return after, changed, []
    except NotAnalysed:
        raise
    except UnparsableFix:
        pass
    suppressions = parse_suppressions(text)
    by_row: dict[int, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_row.setdefault(suppressions.noqa_row(diagnostic.span.start.row), []).append(diagnostic)
    refused: list[str] = []
    changed = 0
    for row, found in sorted(by_row.items()):
        try:
            # A comment added to one row moves no other row: the rows stay valid.
            text, rows = add_noqa(text, found)
        except UnparsableFix as exc:
            refused.append(f"row {row}: {exc}")
            continue
        changed += rows
    return text, changed, refused


def _merge_noqa(body: str, directives: list[Directive], codes: list[str]) -> str:
    """Return `body` with `codes` added to its first directive, or a new `# noqa` comment."""
    for directive in directives:
        if directive.codes is None:
            return body
        missing = [c for c in codes if c not in directive.codes]
        if not missing:
            return body
        _, end = directive.codes_span
        separator = ", " if directive.codes else ""
        return body[: end - 1] + separator + ", ".join(missing) + body[end - 1 :]
    # Only blanks: str.rstrip() would also drop a \x0c or \x85 that is part of a comment.
    return body.rstrip(" \t") + "  # noqa: " + ", ".join(codes)
