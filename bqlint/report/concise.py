"""`concise`: one line per finding, `path:row:col: CODE message`, then the summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bqlint.report import RenderOptions, display_path, summary

if TYPE_CHECKING:
    from bqlint.engine import Report


def render(report: Report, options: RenderOptions) -> str:
    lines = []
    for d in report.diagnostics:
        start = d.span.start
        where = f"{display_path(d.path, options.cwd)}:{start.row}:{start.column}:"
        code = d.code
        if options.color:
            where = click.style(where, bold=True)
            code = click.style(code, fg="red", bold=True)
        lines.append(f"{where} {code} {d.message}")
    lines.append(summary(report, options))
    return "\n".join(lines)
