"""`json`: a ruff-compatible JSON array, one object per finding (SPEC §3.2).

Keys are ruff's (`cell`, `code`, `end_location`, `filename`, `fix`, `location`, `message`,
`noqa_row`, `url`) plus `name`, `severity` and `related`; filenames are absolute.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bqlint.diagnostics import Diagnostic, Position
from bqlint.report import RenderOptions
from bqlint.rules import rule_by_code
from bqlint.suppression import noqa_row

if TYPE_CHECKING:
    from bqlint.engine import Report


def location(position: Position) -> dict[str, int]:
    return {"column": position.column, "row": position.row}


def to_dict(d: Diagnostic, sources: dict[Path, str]) -> dict[str, Any]:
    """Return one finding as ruff's JSON object, with bqlint's `related` locations."""
    rule = rule_by_code(d.code)
    fix = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "message": d.fix.message,
            "edits": [
                {"content": e.content, "location": location(e.start), "end_location": location(e.end)}
                for e in d.fix.edits
            ],
        }
    text = sources.get(d.path)
    return {
        "cell": None,
        "code": d.code,
        "end_location": location(d.span.end),
        "filename": str(d.path),
        "fix": fix,
        "location": location(d.span.start),
        "message": d.message,
        "name": d.name,
        "noqa_row": noqa_row(text, d.span.start.row) if text is not None else d.span.start.row,
        "related": [
            {
                "message": r.message,
                "filename": str(r.span.path),
                "location": location(r.span.start),
                "end_location": location(r.span.end),
            }
            for r in d.related
        ],
        "severity": "error",
        "url": rule.url() if rule is not None else None,
    }


def render(report: Report, options: RenderOptions) -> str:
    ordered = sorted(report.diagnostics, key=Diagnostic.sort_key)
    return json.dumps([to_dict(d, report.sources) for d in ordered], indent=2, ensure_ascii=False)
