"""Renderers: format name → a function that turns a Report into text (SPEC §3.2).

A renderer only formats: it reads diagnostics and the sources the CLI gathered, and never
touches files, configuration or exit codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bqlint.diagnostics import Applicability, Diagnostic

if TYPE_CHECKING:
    from bqlint.engine import Report


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What a renderer may know beyond the report."""

    color: bool = False
    # Paths are shown relative to `cwd` when below it; SARIF URIs relative to `root`.
    cwd: Path = field(default_factory=Path.cwd)
    root: Path = field(default_factory=Path.cwd)
    # Findings resolved by --fix in this run, for the summary line.
    fixed: int = 0
    unsafe_fixes: bool = False
    # -q/--quiet and --output-file leave the summary out of the report.
    show_summary: bool = True


Renderer = Callable[["Report", RenderOptions], str]


def display_path(path: Path, cwd: Path) -> str:
    """Return `path` relative to `cwd` when it is below it, else absolute (POSIX slashes)."""
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def plural(count: int, noun: str) -> str:
    """Return "1 error", "2 errors", "2 hidden fixes"."""
    ending = "es" if noun.endswith(("s", "x", "ch", "sh")) else "s"
    return f"{count} {noun}{'' if count == 1 else ending}"


def is_fixable(d: Diagnostic, options: RenderOptions) -> bool:
    """Return whether `--fix` (with this run's --unsafe-fixes) would fix `d`: ruff's `[*]`."""
    if d.fix is None or not d.fix.edits:
        return False
    return d.fix.applicability is Applicability.SAFE or options.unsafe_fixes


def closing(report: Report, options: RenderOptions) -> list[str]:
    """Return the summary as the last block of a text format, or nothing with -q."""
    return [summary(report, options)] if options.show_summary else []


def summary(report: Report, options: RenderOptions) -> str:
    """Return the closing lines of the text formats: counts, then what --fix could do."""
    remaining = len(report.diagnostics)
    if options.fixed:
        total = remaining + options.fixed
        lines = [f"Found {plural(total, 'error')} ({options.fixed} fixed, {remaining} remaining)."]
    elif remaining or report.not_analysed or report.internal_errors:
        lines = [f"Found {plural(remaining, 'error')}."]
    else:
        return "All checks passed!"
    if report.not_analysed:
        lines[0] = lines[0][:-1] + f"; {plural(len(report.not_analysed), 'file')} could not be analysed."
    crashed = len({path for path, _ in report.internal_errors})
    if crashed:  # never "All checks passed!" beside an internal error
        lines[0] = lines[0][:-1] + f"; {plural(crashed, 'file')} could not be checked (internal error)."
    fixes = [d.fix for d in report.diagnostics if d.fix is not None and d.fix.edits]
    safe = sum(1 for f in fixes if f.applicability is Applicability.SAFE)
    unsafe = len(fixes) - safe
    if options.unsafe_fixes:
        safe, unsafe = safe + unsafe, 0
    if safe:
        lines.append(f"[*] {safe} fixable with the `--fix` option.")
    if unsafe:
        lines.append(f"({plural(unsafe, 'hidden fix')} can be enabled with the `--unsafe-fixes` option.)")
    return "\n".join(lines)


def renderers() -> dict[str, Renderer]:
    """Return every output format by name, the default first."""
    from bqlint.report import concise, full, github, gitlab, json, junit, sarif

    return {
        "full": full.render,
        "concise": concise.render,
        "json": json.render,
        "sarif": sarif.render,
        "github": github.render,
        "gitlab": gitlab.render,
        "junit": junit.render,
    }


FORMAT_NAMES = ("full", "concise", "json", "sarif", "github", "gitlab", "junit")


# The formats whose text is JSON: an escape written into it must itself be escaped.
JSON_FORMATS = frozenset({"json", "sarif", "gitlab"})


def render(format_name: str, report: Report, options: RenderOptions) -> str:
    """Return `report` in `format_name`; the text ends without a trailing newline.

    Every format is valid UTF-8: a byte of a file name that is not UTF-8 (a lone surrogate
    in the name, as Python decodes it) reads `\\udce9` in every format, as the text formats
    and Python's `backslashreplace` write it; in a JSON format that is the value of the
    string (its backslash escaped). SARIF URIs percent-encode the byte itself (`%E9`).
    """
    return escape_undecodable(renderers()[format_name](report, options), json=format_name in JSON_FORMATS)


def escape_undecodable(text: str, *, json: bool = False) -> str:
    """Return `text` with each lone surrogate written as the escape `\\udcXX` (for a
    JSON document with its backslash doubled, so that the string's value is that escape)."""
    if text.isascii():
        return text
    backslash = "\\\\" if json else "\\"
    return "".join(f"{backslash}u{ord(char):04x}" if 0xD800 <= ord(char) <= 0xDFFF else char for char in text)
