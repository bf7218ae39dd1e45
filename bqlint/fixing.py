"""`check --fix`, `--diff` and `--add-noqa`: turn a report's fixes into written files.

Runs after the engine (cli → checking → here): applies edits to the exact text that was
analysed, writes only files that did not change meanwhile, and re-checks until stable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bqlint import engine
from bqlint.diagnostics import NOT_ANALYSED_CODES, Diagnostic
from bqlint.fixes import UnparsableFix, add_noqa_by_row, fix_text, is_applicable, unified_diff
from bqlint.output import write_text
from bqlint.reading import DecodedSource, safe_resolve
from bqlint.terminal import printable
from bqlint.writing import NotWritten, write_if_unchanged

if TYPE_CHECKING:
    from bqlint.checking import CheckOptions

# --fix re-checks and fixes again until nothing changes, at most this many times.
MAX_FIX_PASSES = 10


def _by_path(diagnostics: Sequence[Diagnostic]) -> dict[Path, list[Diagnostic]]:
    grouped: dict[Path, list[Diagnostic]] = {}
    for d in diagnostics:
        grouped.setdefault(d.path, []).append(d)
    return grouped


def _source(report: engine.Report, path: Path, stdin: tuple[Path, str] | None) -> str | None:
    """Return the exact text that was analysed (fixes apply to it, never to a re-read)."""
    if stdin is not None and path == stdin[0]:
        return stdin[1]
    return report.sources.get(path)


def _fixed_texts(
    report: engine.Report, unsafe: bool, stdin: tuple[Path, str] | None, refused: set[Path]
) -> tuple[dict[Path, tuple[str, str]], dict[Path, int]]:
    """Return {path: (before, after)} for every file whose fixes apply, and the fixes applied
    to each."""
    changes: dict[Path, tuple[str, str]] = {}
    applied: dict[Path, int] = {}
    for path, diagnostics in _by_path(report.diagnostics).items():
        if path in refused or not any(is_applicable(d, unsafe) for d in diagnostics):
            continue
        before = _source(report, path, stdin)
        if any(d.code in NOT_ANALYSED_CODES for d in diagnostics):
            continue
        if before is None:  # never re-read instead: the edits' rows belong to the analysed text
            lost = f"error: not fixing {path}: its analysed text was lost (a bug in bqlint)"
            click.echo(printable(lost), err=True)
            refused.add(path)
            continue
        try:
            result = fix_text(before, diagnostics, unsafe=unsafe)
        except UnparsableFix as exc:
            click.echo(printable(f"error: not fixing {path}: {exc}; the file is left unchanged"), err=True)
            refused.add(path)
            continue
        if result.text != before:
            changes[path] = (before, result.text)
            applied[path] = result.applied
    return changes, applied


def print_diff(
    report: engine.Report,
    options: CheckOptions,
    stdin: tuple[Path, str] | None,
    check_now: Callable[[tuple[Path, str] | None, Mapping[Path, DecodedSource] | None], engine.Report],
) -> int:
    """Print as a unified diff what `--fix` would write, without writing; return 1 if it
    would change anything. As `--fix` does, the fixed texts are checked and fixed again
    until nothing changes (fixes that overlap apply one pass apart), here in memory."""
    changes: dict[Path, tuple[str, str]] = {}
    edited: dict[Path, DecodedSource] = {}
    refused: set[Path] = set()
    applied = 0
    for _ in range(MAX_FIX_PASSES):
        found, counts = _fixed_texts(report, options.unsafe_fixes, stdin, refused)
        if not found:
            break
        for path, (before, after) in found.items():
            changes[path] = (changes.get(path, (before, ""))[0], after)
            applied += counts[path]
            if stdin is not None and path == stdin[0]:
                stdin = (path, after)
            else:
                edited[safe_resolve(path)] = DecodedSource(after)
        report = check_now(stdin, edited)
    for path, (before, after) in sorted(changes.items()):
        shown = Path(os.path.relpath(path)) if path.is_relative_to(Path.cwd()) else path
        write_text(unified_diff(shown, before, after), sys.stdout)  # whole, or a closed pipe
    if applied and not options.quiet:
        click.echo(f"Would fix {applied} error{'s' if applied != 1 else ''}.", err=True)
    return 1 if changes else 0


def fix_until_stable(
    report: engine.Report,
    options: CheckOptions,
    stdin: tuple[Path, str] | None,
    check_now: Callable[[tuple[Path, str] | None, Mapping[Path, DecodedSource] | None], engine.Report],
) -> tuple[engine.Report, int, tuple[Path, str] | None, bool]:
    """Apply fixes and re-check until nothing changes; return the final report, the fixes
    written, the fixed standard input, and whether some file's fixes could not be written."""
    fixed = 0
    refused: set[Path] = set()
    unwritten = False
    for _ in range(MAX_FIX_PASSES):
        changes, counts = _fixed_texts(report, options.unsafe_fixes, stdin, refused)
        if not changes:
            break
        for path, (before, after) in changes.items():
            if stdin is not None and path == stdin[0]:
                stdin = (path, after)
            elif not _write(path, before, after, "not fixed", report.analysed_paths.get(path)):
                refused.add(path)
                unwritten = True
                continue
            fixed += counts[path]
        report = check_now(stdin, None)
    return report, fixed, stdin, unwritten


def _write(path: Path, before: str, after: str, outcome: str, analysed: Path | None = None) -> bool:
    """Write `after` over `path` (the `analysed` file, when `path` is the symlink it was given
    by) if it still holds `before`; report a failure and return False."""
    try:
        write_if_unchanged(analysed or path, before, after)
    except NotWritten as exc:
        shown = Path(os.path.relpath(path)) if path.is_relative_to(Path.cwd()) else path
        click.echo(printable(f"{shown}: {exc}, {outcome}"), err=True)
        return False
    return True


def _identity(path: Path) -> tuple[int, int]:
    """Return (device, inode) of the file at `path`, which its hard links share."""
    try:
        status = os.stat(path)
    except OSError:
        return (-1, hash(path))
    return (status.st_dev, status.st_ino)


def add_noqa_to_files(report: engine.Report, quiet: bool = False) -> int:
    """Add `# noqa: CODE` to every row with a finding; return 2 if a file could not be written
    or a row could not be given its directive (the file's other rows still are)."""
    added = 0
    unwritten = False
    written: set[tuple[int, int]] = set()  # files (device, inode) given their directives
    for path, diagnostics in _by_path(report.diagnostics).items():
        # A syntax error cannot be suppressed by adding to the file, nor an unused suppression by another.
        wanted = [d for d in diagnostics if d.code not in ("BQL999", "BQL100")]
        before = _source(report, path, None)
        if not wanted or before is None or any(d.code in NOT_ANALYSED_CODES for d in diagnostics):
            continue
        try:
            after, rows, refused = add_noqa_by_row(before, wanted)
        except UnparsableFix as exc:
            refusal = f"error: not adding noqa to {path}: {exc}; the file is left unchanged"
            click.echo(printable(refusal), err=True)
            unwritten = True
            continue
        for why in refused:
            # README exit codes: a file that could not be given its directives is exit 2.
            click.echo(printable(f"error: not adding noqa to {path}, {why}"), err=True)
            unwritten = True
        if rows:
            target = report.analysed_paths.get(path) or path
            if _write(path, before, after, "noqa not added", target):
                # A second name of one file (a hard link) finds its directives there already.
                if (identity := _identity(target)) not in written:
                    added += rows
                written.add(identity)
            else:
                unwritten = True
    if not quiet:
        click.echo(f"Added {added} noqa directive{'s' if added != 1 else ''}.", err=True)
    return 2 if unwritten else 0
