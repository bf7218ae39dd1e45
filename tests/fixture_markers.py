"""Collect `# expect:` / `# related:` markers from fixtures and compare them with findings.

A fixture file is one project; a folder directly under a fixture group is one multi-module
project. Markers are read from comment tokens, so a `#` inside a string is never a marker.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bqlint.config import Settings, find_config, read_table, settings_from_table
from bqlint.diagnostics import Diagnostic
from bqlint.engine import run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PL011 = ROOT / "runtime" / "pl011"


@dataclass(frozen=True)
class Marker:
    kind: str  # "expect" | "related"
    code: str
    tag: str
    path: Path
    row: int


def markers(path: Path) -> Iterator[Marker]:
    """Yield the markers of one file (a file that does not tokenize yields none past the error)."""
    text = path.read_text()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = []
        for row, line in enumerate(text.splitlines(), 1):
            if "# expect:" in line or "# related:" in line:
                tokens.append(tokenize.TokenInfo(tokenize.COMMENT, line[line.index("#"):], (row, 0), (row, 0), line))
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        for segment in token.string.split("#"):
            segment = segment.strip()
            for kind in ("expect", "related"):
                if segment.startswith(kind + ":"):
                    for entry in segment[len(kind) + 1 :].split(","):
                        words = entry.split()
                        if words and words[0].startswith("BQL"):
                            tag = words[1] if len(words) > 1 and len(words[1]) <= 2 else ""
                            yield Marker(kind, words[0], tag, path.resolve(), token.start[0])


def groups() -> list[Path]:
    """Return the fixture groups: fixtures/rules/<CODE>/ and every other folder of fixtures/."""
    found = sorted(p for p in (FIXTURES / "rules").iterdir() if p.is_dir()) if (FIXTURES / "rules").is_dir() else []
    found += sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "rules")
    return found


def projects() -> Iterator[tuple[str, list[Path]]]:
    """Yield (id, files): each file of a group is a project, each folder of a group is one too."""
    for group in groups():
        for entry in sorted(group.iterdir()):
            if entry.suffix == ".py":
                yield str(entry.relative_to(FIXTURES)), [entry]
            elif entry.is_dir() and any(entry.rglob("*.py")):
                yield str(entry.relative_to(FIXTURES)) + "/", sorted(entry.rglob("*.py"))


def check_project(files: list[Path]) -> list[Diagnostic]:
    context = sorted(PL011.glob("*.py")) if any("pl011_broken" in str(f) for f in files) else []
    return run(project_settings(files), files, context=context).diagnostics


def project_settings(files: list[Path]) -> Settings:
    """Settings of a fixture project: its own bqlint.toml / pyproject.toml, else the defaults."""
    config = find_config(files[0].parent)
    if config is not None and FIXTURES in config.parents:
        return settings_from_table(config, read_table(config))
    return Settings(root=ROOT)


def compare(files: list[Path], found: list[Diagnostic]) -> list[str]:
    """Return human-readable mismatches between markers and findings (empty when equal)."""
    marks = [m for f in files for m in markers(f)]
    expected = {(m.path, m.row, m.code) for m in marks if m.kind == "expect"}
    actual = {(d.path, d.span.start.row, d.code): d for d in found}
    problems = []
    for key in sorted(expected - actual.keys(), key=str):
        problems.append(f"missing  {key[0].name}:{key[1]} {key[2]}")
    for key in sorted(actual.keys() - expected, key=str):
        problems.append(f"extra    {key[0].name}:{key[1]} {key[2]}  ({actual[key].message})")
    related = {(m.path, m.row, m.code) for m in marks if m.kind == "related"}
    covered = set()
    for key, diag in actual.items():
        if key not in expected:
            continue
        for rel in diag.related:
            spot = (rel.span.path, rel.span.start.row, diag.code)
            if (spot[0], spot[1]) == (key[0], key[1]) or spot in expected:
                continue  # a row cannot carry both markers of one code: primary rows may be related
            covered.add(spot)
            if spot not in related:
                problems.append(
                    f"unmarked related {spot[0].name}:{spot[1]} of {diag.code} at {key[0].name}:{key[1]} ({rel.message})"
                )
    for spot in sorted(related - covered, key=str):
        problems.append(f"related marker not reported {spot[0].name}:{spot[1]} {spot[2]}")
    return problems
