"""Baselines: record today's findings, then report only new ones (SPEC §3.2).

A finding's fingerprint is code + file (relative to the project root) + enclosing function
+ its line's text with whitespace collapsed; never the row, so edits above a finding keep it
matched. Matching counts multiplicity: two recorded fingerprints absorb two findings.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from bqlint.config import ConfigError
from bqlint.diagnostics import Diagnostic
from bqlint.report import escape_undecodable
from bqlint.source_file import python_lines

FORMAT_VERSION = 1


def _relative(path: Path, root: Path) -> str:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (BQL998): keep the path as named
        resolved = path.absolute()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def line_text(sources: Mapping[Path, str], diagnostic: Diagnostic) -> str:
    """Return the finding's primary line with whitespace collapsed ("" when unknown)."""
    text = sources.get(diagnostic.path)
    if text is None:
        return ""
    lines = python_lines(text)
    row = diagnostic.span.start.row
    return " ".join(lines[row - 1].split()) if 0 < row <= len(lines) else ""


def fingerprint(diagnostic: Diagnostic, root: Path, sources: Mapping[Path, str]) -> str:
    """Return the finding's row-independent fingerprint."""
    parts = (
        diagnostic.code,
        _relative(diagnostic.path, root),
        diagnostic.scope,
        line_text(sources, diagnostic),
    )
    # A file name byte that is not UTF-8 (a lone surrogate) is hashed as the byte it is.
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def write_baseline(
    path: Path, diagnostics: Sequence[Diagnostic], root: Path, sources: Mapping[Path, str]
) -> None:
    """Write the findings to `path` as JSON, readable enough to review in a diff."""
    entries = [
        {
            "code": d.code,
            "file": escape_undecodable(_relative(d.path, root)),
            "scope": d.scope,
            "line": line_text(sources, d),
            "fingerprint": fingerprint(d, root, sources),
        }
        for d in diagnostics
    ]
    entries.sort(key=lambda e: (e["file"], e["code"], e["scope"], e["line"]))
    document = {"version": FORMAT_VERSION, "findings": entries}
    try:
        # As for --output-file: the folders are made (a CI step names `reports/baseline.json`).
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None


def read_baseline(path: Path) -> Counter[str]:
    """Return the multiset of fingerprints recorded in `path`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: baseline is not valid JSON: {exc}") from None
    findings = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(findings, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str) for entry in findings
    ):
        raise ConfigError(f"{path}: not a bqlint baseline (expected `findings` with fingerprints)")
    return Counter(entry["fingerprint"] for entry in findings)


def filter_baseline(
    diagnostics: Sequence[Diagnostic], recorded: Counter[str], root: Path, sources: Mapping[Path, str]
) -> list[Diagnostic]:
    """Return the findings the baseline does not absorb, in their original order."""
    remaining = Counter(recorded)
    new: list[Diagnostic] = []
    for diagnostic in diagnostics:
        key = fingerprint(diagnostic, root, sources)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            new.append(diagnostic)
    return new
