"""`gitlab`: a GitLab Code Quality report (a JSON array of issues), as ruff writes one.

Each issue has GitLab's required `description`, `check_name`, `fingerprint`, `severity` and
`location` (`path` relative to the project root, `lines.begin`). The fingerprint hashes the
code, the path, the enclosing function and the line's collapsed text, numbered by occurrence,
so an unchanged finding keeps it when lines move (GitLab compares reports by fingerprint).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bqlint.diagnostics import Diagnostic
from bqlint.report import RenderOptions
from bqlint.rules import rule_by_code
from bqlint.source_file import python_lines

if TYPE_CHECKING:
    from bqlint.engine import Report


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix().lstrip("/")


def _line(d: Diagnostic, sources: dict[Path, str]) -> str:
    # Python's rows, as baseline and SARIF fingerprints use: str.splitlines() also breaks
    # at a form feed and so hashed the row above the finding's (crash14 #12).
    lines = python_lines(sources.get(d.path) or "")
    row = d.span.start.row
    return " ".join(lines[row - 1].split()) if 0 < row <= len(lines) else ""


def issue(d: Diagnostic, path: str, fingerprint: str) -> dict[str, Any]:
    """Return one finding as a Code Quality issue."""
    rule = rule_by_code(d.code)
    return {
        "type": "issue",
        "check_name": d.code,
        "description": f"{d.code} {d.message}",
        "content": {"body": rule.url() if rule is not None else ""},
        "categories": ["Bug Risk"],
        "severity": "major",
        "engine_name": "bqlint",
        "fingerprint": fingerprint,
        "location": {"path": path, "lines": {"begin": d.span.start.row, "end": d.span.end.row}},
    }


def render(report: Report, options: RenderOptions) -> str:
    seen: Counter[str] = Counter()
    issues = []
    for d in sorted(report.diagnostics, key=Diagnostic.sort_key):
        path = _relative(d.path, options.root)
        key = "\0".join((d.code, path, d.scope, _line(d, report.sources)))
        seen[key] += 1
        fingerprint = hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogateescape")).hexdigest()
        issues.append(issue(d, path, fingerprint))
    return json.dumps(issues, indent=2, ensure_ascii=False)
