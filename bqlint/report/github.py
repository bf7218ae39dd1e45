"""`github`: GitHub Actions workflow commands, one `::error` annotation per finding."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bqlint.report import RenderOptions, display_path
from bqlint.terminal import printable

if TYPE_CHECKING:
    from bqlint.engine import Report


def escape_data(text: str) -> str:
    """Escape a command's message as GitHub's toolkit does (`%`, CR, LF); other control
    characters are shown escaped (`\\x1b`), so that a comment quoted in a message cannot
    colour or rewrite the log (crash8)."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """Escape a command property: the message escapes plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, options: RenderOptions) -> str:
    lines = []
    for d in report.diagnostics:
        properties = {
            "title": f"bqlint ({d.code})",
            "file": display_path(d.path, options.cwd),
            "line": str(d.span.start.row),
            "col": str(d.span.start.column),
            "endLine": str(d.span.end.row),
            "endColumn": str(d.span.end.column),
        }
        joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
        lines.append(f"::error {joined}::{escape_data(d.message)}")
    return "\n".join(lines)
