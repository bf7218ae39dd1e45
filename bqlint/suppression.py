"""Suppression comments: which findings they drop, and what BQL100 reports (SPEC §3.2).

A line directive, on the row a finding is reported (its `noqa_row`), is one of
`# bqlint: ignore[BQL002, BQL003]`, bare `# bqlint: ignore` (every code), `# noqa: BQL002`
or bare `# noqa`, each optionally followed by a reason. `# bqlint: ignore-file` (optionally
`[codes]`) in the comment block before the first statement covers the whole file.
Comments are found with `tokenize`, so a `#` inside a string is never a directive.

BQL100 reports a directive that suppresses nothing: no finding on its row was dropped by
it. One that drops a finding of any of its codes is used, even if it lists others (the
corpus' `partially_used_suppression.py`). As in ruff's RUF100, the message says why each
code matched nothing: no finding on this line, not enabled (selection, `ignore`,
`per-file-ignores`), or unknown code. Other tools' comments are left alone: bare `# noqa`
and a `noqa` that lists no `BQL` code are never reported. A directive that lists BQL100 is
never reported itself. An unused `ignore-file` in the header is not reported; one placed
after the first statement (where it has no effect) is. The fix removes the directive.
"""

from __future__ import annotations

import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bqlint.config import Settings, all_codes
from bqlint.diagnostics import NOT_ANALYSED_CODES, Applicability, Diagnostic, Edit, Fix, Position, Span
from bqlint.source_file import python_lines

BQLINT_RE = re.compile(
    r"#\s*bqlint:\s*(?P<kind>ignore-file|ignore)(?:\[(?P<codes>[^\]]*)\]|(?![\w\[-]))", re.IGNORECASE
)
NOQA_RE = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:(?:\s*,\s*|\s+)[A-Z]+[0-9]+)*))?(?![\w-])", re.IGNORECASE
)
_CODE_SPLIT_RE = re.compile(r"[\s,]+")
_OWN_CODE_RE = re.compile(r"BQL[0-9]+")
UNUSED_CODE = "BQL100"


@dataclass(frozen=True, slots=True)
class Directive:
    """One suppression directive inside a comment."""

    kind: str  # "ignore", "noqa" or "ignore-file"
    row: int
    # 1-based columns of the directive text (the reason that may follow is not included).
    start: int
    end: int
    # None for a bare directive (every code).
    codes: tuple[str, ...] | None
    # 1-based columns of the code list, for fixes; (0, 0) when bare.
    codes_span: tuple[int, int] = (0, 0)
    # The columns to delete to remove the directive and its reason (the whole comment when
    # it holds nothing else, with the spaces before it; the line's trailing spaces after it).
    removal: tuple[int, int] = (0, 0)
    in_header: bool = True
    # Just after the last non-blank character before the directive (of the code, when it
    # opens the comment), and the line's end: directives removed together up to the end
    # of the line take the blanks before them too.
    blank_from: int = 0
    line_end: int = 0

    def covers(self, code: str) -> bool:
        return self.codes is None or code in self.codes


@dataclass(slots=True)
class Suppressions:
    """Every directive of one file, and the row each row's findings are suppressed on."""

    by_row: dict[int, list[Directive]] = field(default_factory=dict)
    file_directives: list[Directive] = field(default_factory=list)
    # Rows inside a multi-line string map to the string's last row, and a row ending in a
    # backslash continuation to the row after the continuation, where a comment is legal
    # (as ruff's noqa_row; a parenthesised statement keeps each row: a comment fits on each).
    row_map: dict[int, int] = field(default_factory=dict)

    def noqa_row(self, row: int) -> int:
        # A string may end on a continued row, and a continuation may end inside a string;
        # each step goes to a later row, so this ends.
        while row in self.row_map:
            row = self.row_map[row]
        return row


def _split_codes(raw: str) -> tuple[str, ...]:
    return tuple(code.upper() for code in _CODE_SPLIT_RE.split(raw) if code)


def _directives_in_comment(comment: str, row: int, col0: int, line: str, in_header: bool) -> list[Directive]:
    found: list[Directive] = []
    code_end = len(line[:col0].rstrip()) + 1
    matches = [("bqlint", m) for m in BQLINT_RE.finditer(comment)] + [
        ("noqa", m) for m in NOQA_RE.finditer(comment)
    ]
    for family, match in sorted(matches, key=lambda item: item[1].start()):
        raw_codes = match.group("codes")
        codes = None if raw_codes is None else _split_codes(raw_codes)
        kind = "noqa" if family == "noqa" else match.group("kind").lower()
        next_hash = comment.find("#", match.end())
        part_end = next_hash if next_hash != -1 else len(comment)  # the line's end: its blanks go too
        if match.start() == 0 and next_hash == -1:
            removal = (code_end, col0 + part_end + 1)
        elif match.start() == 0:
            removal = (col0 + 1, col0 + part_end + 1)
        elif next_hash == -1:
            removal = (col0 + len(comment[: match.start()].rstrip()) + 1, col0 + part_end + 1)
        else:  # between two comments: the space before the next one stays
            removal = (col0 + match.start() + 1, col0 + part_end + 1)
        codes_span = (0, 0)
        if raw_codes is not None:
            codes_span = (col0 + match.start("codes") + 1, col0 + match.end("codes") + 1)
        found.append(
            Directive(
                kind=kind,
                row=row,
                start=col0 + match.start() + 1,
                end=col0 + match.end() + 1,
                codes=codes,
                codes_span=codes_span,
                removal=removal,
                in_header=in_header,
                blank_from=col0 + len(comment[: match.start()].rstrip()) + 1 if match.start() else code_end,
                line_end=col0 + len(comment) + 1,
            )
        )
    return found


_LAYOUT_TOKENS = frozenset(
    (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.INDENT, tokenize.DEDENT)
)


class _Header:
    """Track whether the tokens so far are only comments, blank lines and a module docstring.

    `ignore-file` belongs there ("near the top"): before the first statement other than the
    docstring.
    """

    def __init__(self) -> None:
        self.open = True
        self.in_docstring = False
        self.docstring_done = False

    def see(self, kind: int) -> None:
        if not self.open:
            return
        if kind == tokenize.NEWLINE and self.in_docstring:
            self.in_docstring, self.docstring_done = False, True
        elif kind == tokenize.STRING and not self.docstring_done:
            self.in_docstring = True
        elif kind not in _LAYOUT_TOKENS:
            self.open = False


@lru_cache(maxsize=64)
def parse_suppressions(text: str) -> Suppressions:
    """Return the directives of `text`, found lexically; a tokenize error keeps those before it."""
    result = Suppressions()
    lines = python_lines(text)
    header = _Header()
    fstring_rows: list[int] = []
    # Rows end where Python's end (a lone \r too), each fed with "\n" so tokenize agrees.
    readline = iter([line + "\n" for line in lines]).__next__
    # The row the previous token ended on, unless it ended a line (NEWLINE, NL): a token that
    # starts on a later row follows a backslash continuation (tokenize emits nothing for it).
    continued_from: int | None = None
    try:
        for token in tokenize.generate_tokens(readline):
            kind, string, (row, col), (end_row, _), _ = token
            if continued_from is not None and row > continued_from and not fstring_rows:
                for inner in range(continued_from, row):
                    result.row_map[inner] = row
            continued_from = None if kind in (tokenize.NEWLINE, tokenize.NL) else end_row
            header.see(kind)
            in_header = header.open
            if kind == tokenize.COMMENT:
                line = lines[row - 1] if row - 1 < len(lines) else string
                for directive in _directives_in_comment(string, row, col, line, in_header):
                    if directive.kind == "ignore-file":
                        result.file_directives.append(directive)
                    else:
                        result.by_row.setdefault(row, []).append(directive)
                continue
            start_row = row
            if kind == getattr(tokenize, "FSTRING_START", -1):
                fstring_rows.append(row)
            elif kind == getattr(tokenize, "FSTRING_END", -1) and fstring_rows:
                start_row = fstring_rows.pop()
            elif kind != tokenize.STRING:
                continue
            for inner in range(start_row, end_row):
                result.row_map[inner] = end_row
    except (tokenize.TokenError, SyntaxError):
        pass
    return result


def noqa_row(text: str, row: int) -> int:
    """Return the row where a suppression for a finding on `row` must be written."""
    if "\n" not in text and "\r" not in text:
        return row
    return parse_suppressions(text).noqa_row(row)


def _might_have_directives(text: str, *, reportable_only: bool = False) -> bool:
    """Return whether `text` may hold a directive; with `reportable_only`, one that BQL100
    could report when nothing is suppressed: a `bqlint` directive or a `noqa` listing one of
    bqlint's codes, so "bql" in any case (a bare `# noqa` or other tools' codes never are)."""
    lowered = text.lower()
    if "noqa" not in lowered and "bqlint" not in lowered:
        return False
    return not reportable_only or "bql" in lowered


def apply_suppressions(
    path: Path, text: str, diagnostics: Sequence[Diagnostic], settings: Settings
) -> list[Diagnostic]:
    """Drop disabled and suppressed findings of `path`; add BQL100 for unused directives.

    Disabled codes (`settings.is_enabled`) are dropped first, so a directive never counts as
    used by a finding that would not have been reported anyway.
    """
    enabled = [d for d in diagnostics if settings.is_enabled(d.code, d.path)]
    if not settings.honour_suppressions or not _might_have_directives(text, reportable_only=not enabled):
        return enabled
    suppressions = parse_suppressions(text)
    header = [d for d in suppressions.file_directives if d.in_header]
    if any(d.codes is None for d in header):
        return []
    file_codes = {code for d in header for code in d.codes or ()}
    used: dict[Directive, set[str]] = {}
    kept: list[Diagnostic] = []
    for diagnostic in enabled:
        if diagnostic.code in file_codes:
            continue
        row = suppressions.noqa_row(diagnostic.span.start.row)
        matching = [d for d in suppressions.by_row.get(row, []) if d.covers(diagnostic.code)]
        for directive in matching:
            used.setdefault(directive, set()).add(diagnostic.code)
        if not matching:
            kept.append(diagnostic)
    # A file that could not be read or parsed was not analysed: whether a directive would
    # suppress something there is unknown, so none is reported as unused.
    analysed = not any(d.code in NOT_ANALYSED_CODES for d in diagnostics)
    if analysed and settings.is_enabled(UNUSED_CODE, path):
        kept.extend(_unused(path, suppressions, used, settings))
    return kept


def _unused(
    path: Path, suppressions: Suppressions, used: dict[Directive, set[str]], settings: Settings
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for directives in suppressions.by_row.values():
        unused: list[tuple[Directive, dict[str, str]]] = []
        for directive in directives:
            if directive in used or (directive.codes is not None and UNUSED_CODE in directive.codes):
                continue
            if directive.codes is None:
                if directive.kind == "ignore":
                    unused.append((directive, {}))
                continue
            own = [c for c in directive.codes if directive.kind != "noqa" or _OWN_CODE_RE.fullmatch(c)]
            if own:
                unused.append((directive, _reasons(own, path, settings)))
        removed = [d for d, reasons in unused if not _foreign(d, reasons)]
        pieces = _removal_pieces(removed)
        found.extend(_unused_diagnostic(path, d, reasons, pieces.get(d)) for d, reasons in unused)
    for directive in suppressions.file_directives:
        if not directive.in_header:
            span = Span(
                path, Position(directive.row, directive.start), Position(directive.row, directive.end)
            )
            message = "`# bqlint: ignore-file` has no effect after the first statement"
            help_text = "move it to the comment block at the top of the file"
            found.append(Diagnostic(UNUSED_CODE, "unused-suppression", message, span, help=help_text))
    return found


def _reasons(codes: Sequence[str], path: Path, settings: Settings) -> dict[str, str]:
    """Say why each code of an unused directive suppressed nothing."""
    known = set(all_codes())
    reasons: dict[str, str] = {}
    for code in codes:
        if code not in known:
            reasons[code] = "unknown code"
        elif not settings.is_enabled(code, path):
            reasons[code] = "not enabled"
        else:
            reasons[code] = "no finding on this line"
    return reasons


def _foreign(directive: Directive, reasons: dict[str, str]) -> list[str]:
    """Return the codes of a `noqa` list that are other tools' (they stay when it is fixed)."""
    return [c for c in directive.codes or () if c not in reasons]


def _removal_pieces(removed: list[Directive]) -> dict[Directive, tuple[int, int]]:
    """Return the columns each removed directive of one row deletes, so that the fixes of
    directives removed together apply in one pass and leave what removing them all leaves.

    Each directive's own removal is right when it goes alone; neighbours' overlap (both take
    the blanks between them). Overlapping removals are merged and the merged span is split
    between them at their starts; a merged span that ends the line takes the blanks before
    it too.
    """
    pieces: dict[Directive, tuple[int, int]] = {}
    ordered = sorted(removed, key=lambda d: d.removal)
    runs: list[list[Directive]] = []
    for directive in ordered:
        if runs and directive.removal[0] <= max(d.removal[1] for d in runs[-1]):
            runs[-1].append(directive)
        else:
            runs.append([directive])
    for run in runs:
        first = run[0]
        start, end = first.removal[0], max(d.removal[1] for d in run)
        if end == first.line_end:
            start = min(start, first.blank_from)
        bounds = [start, *(d.removal[0] for d in run[1:]), end]
        for i, directive in enumerate(run):
            pieces[directive] = (bounds[i], bounds[i + 1])
    return pieces


def _unused_diagnostic(
    path: Path, directive: Directive, reasons: dict[str, str], removal: tuple[int, int] | None = None
) -> Diagnostic:
    """Build BQL100 for a directive that suppressed nothing; the fix removes it (the columns
    `removal`, else its own).

    In a `noqa` list, other tools' codes stay: only bqlint's codes are removed.
    """
    span = Span(path, Position(directive.row, directive.start), Position(directive.row, directive.end))
    if not reasons:
        message = "`# bqlint: ignore` suppresses nothing on this line"
    else:
        listed = ", ".join(f"`{code}` ({why})" for code, why in reasons.items())
        message = f"unused suppression of {listed}"
    row = directive.row
    foreign = _foreign(directive, reasons)
    if foreign:
        start, end = directive.codes_span
        edit = Edit(", ".join(dict.fromkeys(foreign)), Position(row, start), Position(row, end))
        fix = Fix("remove bqlint's codes from the suppression", Applicability.SAFE, (edit,))
        help_text = f"remove {', '.join(f'`{c}`' for c in reasons)} from the suppression"
    else:
        start, end = removal or directive.removal
        edit = Edit("", Position(row, start), Position(row, end))
        fix = Fix("remove the suppression", Applicability.SAFE, (edit,))
        help_text = "remove the suppression comment"
    return Diagnostic(UNUSED_CODE, "unused-suppression", message, span, help=help_text, fix=fix)
