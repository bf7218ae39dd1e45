"""`concise`: one line per finding, `path:row:col: CODE message`, then the summary.

As in ruff, a finding that `--fix` would fix is marked `[*]` after its code. A control
character in a path is escaped (`esc\x1b[31m.py`): a file name cannot forge a line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bqlint.report import RenderOptions, closing, display_path, is_fixable
from bqlint.terminal import printable

if TYPE_CHECKING:
    from bqlint.engine import Report


def render(report: Report, options: RenderOptions) -> str:
    lines = []
    for d in report.diagnostics:
        start = d.span.start
        where = f"{printable(display_path(d.path, options.cwd))}:{start.row}:{start.column}:"
        code = d.code
        if options.color:
            where = click.style(where, bold=True)
            code = click.style(code, fg="red", bold=True)
        mark = " [*]" if is_fixable(d, options) else ""
        lines.append(f"{where} {code}{mark} {printable(d.message)}")
    lines.extend(closing(report, options))
    return "\n".join(lines)
