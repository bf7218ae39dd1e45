"""`--statistics`: how many findings of each code, most frequent first (as ruff prints them)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

from bqlint.diagnostics import Applicability
from bqlint.report import plural

if TYPE_CHECKING:
    from bqlint.engine import Report


def count_codes(report: Report, unsafe_fixes: bool = False) -> list[dict[str, object]]:
    """Return one row per code: code, name, count, fixable; by count descending, then code."""
    counts = Counter(d.code for d in report.diagnostics)
    names = {d.code: d.name for d in report.diagnostics}
    fixable = {
        d.code
        for d in report.diagnostics
        if d.fix is not None and d.fix.edits and (unsafe_fixes or d.fix.applicability is Applicability.SAFE)
    }
    ordered = sorted(counts, key=lambda code: (-counts[code], code))
    return [{"code": c, "name": names[c], "count": counts[c], "fixable": c in fixable} for c in ordered]


def render_statistics(report: Report, *, as_json: bool = False, unsafe_fixes: bool = False) -> str:
    """Return the table (or a JSON array with `--output-format json`)."""
    rows = count_codes(report, unsafe_fixes)
    if as_json:
        return json.dumps(rows, indent=2)
    if not rows:
        unchecked = len({path for path, _ in (*report.not_analysed, *report.internal_errors)})
        return f"No findings; {plural(unchecked, 'file')} could not be checked." if unchecked else "All checks passed!"
    width = max(len(str(row["count"])) for row in rows)
    return "\n".join(
        f"{str(row['count']).rjust(width)}  {row['code']}  {'[*]' if row['fixable'] else '[ ]'} {row['name']}"
        for row in rows
    )
