"""Baselines: record today's findings, then report only new ones (SPEC §3.2).

A finding's fingerprint is code + file (relative to the baseline file's folder) + enclosing
function + its line's text with whitespace collapsed; never the row, so edits above a
finding keep it matched. Matching counts multiplicity: two recorded fingerprints absorb two.

The baseline's folder is one anchor for every file, whatever the working directory (crash8
#5) and whichever sub-project a file is in: `services/a/uart.py` and `services/b/uart.py`
are two names (crash13 #14). Older versions are still read, and matched as they were
written: version 2 named each file relative to its own project root (`find_context_root`),
which gave both of those `uart.py`; version 1 relative to the run's root.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bqlint.config import ConfigError
from bqlint.diagnostics import Diagnostic
from bqlint.discovery import find_context_root
from bqlint.writing import write_atomically
from bqlint.report import escape_undecodable
from bqlint.source_file import python_lines

FORMAT_VERSION = 3
# Files relative to: the run's root (1), each file's project root (2), the baseline's folder (3).
READ_VERSIONS = (1, 2, 3)


@dataclasses.dataclass(frozen=True, slots=True)
class Baseline:
    """A baseline read from disk: its format version, the multiset of fingerprints and the
    folder it is in (what version 3 names files relative to)."""

    version: int
    fingerprints: Counter[str]
    folder: Path


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (BQL998): keep the path as named
        return path.absolute()


def _relative(path: Path, root: Path) -> str:
    resolved = _resolved(path)
    try:
        return resolved.relative_to(_resolved(root)).as_posix()
    except ValueError:
        return resolved.as_posix()


def _relative_to_folder(path: Path, folder: Path) -> str:
    """Return `path` relative to `folder`, with `..` when it is not below it."""
    resolved = _resolved(path)
    try:
        return Path(os.path.relpath(resolved, folder)).as_posix()
    except ValueError:  # Windows: another drive, which no relative path reaches
        return resolved.as_posix()


def baseline_folder(path: Path) -> Path:
    """Return the folder of the baseline file `path` (of its target, when it is a link)."""
    return _resolved(path).parent


class FileNames:
    """How a baseline names files: relative to the baseline's folder (`folder`, version 3),
    to each file's project root (version 2, found once per folder), or to the run's root
    (`run_root`, version 1)."""

    def __init__(self, run_root: Path, folder: Path, version: int = FORMAT_VERSION) -> None:
        self.run_root = run_root
        self.folder = folder
        self.version = version
        self._roots: dict[Path, Path] = {}

    def name(self, path: Path) -> str:
        """Return the name `path` has in a baseline of this version."""
        if self.version == 1:
            return _relative(path, self.run_root)
        if self.version == 3:
            return _relative_to_folder(path, self.folder)
        folder = _resolved(path).parent
        root = self._roots.get(folder)
        if root is None:
            root = self._roots[folder] = find_context_root(folder)
        return _relative(path, root)


def line_text(sources: Mapping[Path, str], diagnostic: Diagnostic) -> str:
    """Return the finding's primary line with whitespace collapsed ("" when unknown)."""
    text = sources.get(diagnostic.path)
    if text is None:
        return ""
    lines = python_lines(text)
    row = diagnostic.span.start.row
    return " ".join(lines[row - 1].split()) if 0 < row <= len(lines) else ""


def fingerprint(diagnostic: Diagnostic, names: FileNames, sources: Mapping[Path, str]) -> str:
    """Return the finding's row-independent fingerprint."""
    parts = (
        diagnostic.code,
        names.name(diagnostic.path),
        diagnostic.scope,
        line_text(sources, diagnostic),
    )
    # A file name byte that is not UTF-8 (a lone surrogate) is hashed as the byte it is.
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def write_baseline(
    path: Path, diagnostics: Sequence[Diagnostic], root: Path, sources: Mapping[Path, str]
) -> None:
    """Write the findings to `path` as JSON, readable enough to review in a diff."""
    names = FileNames(root, baseline_folder(path))
    entries = [
        {
            "code": d.code,
            "file": escape_undecodable(names.name(d.path)),
            "scope": d.scope,
            "line": line_text(sources, d),
            "fingerprint": fingerprint(d, names, sources),
        }
        for d in diagnostics
    ]
    entries.sort(key=lambda e: (e["file"], e["code"], e["scope"], e["line"]))
    document = {"version": FORMAT_VERSION, "findings": entries}
    try:
        # As for --output-file: the folders are made (a CI step names `reports/baseline.json`).
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None


def read_baseline(path: Path) -> Baseline:
    """Return the fingerprints recorded in `path`; ConfigError (exit 2) naming the file when
    it cannot be read or is not a bqlint baseline of a version this bqlint reads."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    document = _decode(path, data)
    version = document.get("version") if isinstance(document, dict) else None
    findings = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(findings, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str) for entry in findings
    ):
        raise ConfigError(f"{path}: not a bqlint baseline (expected `findings` with fingerprints)")
    if type(version) is not int or version not in READ_VERSIONS:  # `true` is not 1
        shown = "no version" if version is None else f"unknown version {json.dumps(version)[:40]}"
        known = ", ".join(str(v) for v in READ_VERSIONS[:-1]) + f" and {READ_VERSIONS[-1]}"
        raise ConfigError(f"{path}: not a bqlint baseline: {shown} (this bqlint reads versions {known})")
    return Baseline(version, Counter(entry["fingerprint"] for entry in findings), baseline_folder(path))


def _decode(path: Path, data: bytes) -> Any:
    """Return the JSON document in `data`, or raise ConfigError saying why it is none."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise ConfigError(
            f"{path}: not a bqlint baseline: not UTF-8 text (byte 0x{byte:02x} at offset {exc.start})"
        ) from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ConfigError(f"{path}: not a bqlint baseline: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, NaN, an integer too long to convert
        raise ConfigError(f"{path}: not a bqlint baseline: not valid JSON: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def filter_baseline(
    diagnostics: Sequence[Diagnostic], recorded: Baseline, root: Path, sources: Mapping[Path, str]
) -> list[Diagnostic]:
    """Return the findings the baseline does not absorb, in their original order."""
    remaining = Counter(recorded.fingerprints)
    names = FileNames(root, recorded.folder, recorded.version)
    new: list[Diagnostic] = []
    for diagnostic in diagnostics:
        key = fingerprint(diagnostic, names, sources)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            new.append(diagnostic)
    return new
