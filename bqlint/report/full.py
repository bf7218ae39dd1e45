"""`full` (the default): a code frame per finding, in the manner of rustc and ruff.

    error[BQL002]: `self.regs` is still borrowed where `update()` may release the BQL
      --> dev.py:12:13
       |
    10 |         with self.regs.borrow_mut() as regs:
       |              ---------------------- mutable borrow of `self.regs` starts here
    11 |             regs.dr = value
    12 |             self.update()
       |             ^^^^^^^^^^^^^
       |
      ::: bus.py:3:5
       |
     3 |     bql.unlock()
       |     ------------ the BQL may be released here
       |
    help: end the `with` block before calling `update()`

Related locations in the same file and near the primary one share its frame (`-` marks);
the others get a frame of their own, introduced by `:::`. A chain that crosses files reads
in call order: borrow, each call, unlock, each step under its own file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bqlint.diagnostics import Diagnostic, Span
from bqlint.report import RenderOptions, closing, display_path
from bqlint.source_file import python_lines
from bqlint.terminal import display_width, printable, printable_source

if TYPE_CHECKING:
    from bqlint.engine import Report

# A related location within this many rows of a frame's rows joins that frame.
NEARBY_ROWS = 8
# Unannotated runs longer than this inside a frame are elided with `...`.
MAX_GAP = 3
TAB = "    "


@dataclass(frozen=True, slots=True)
class Annotation:
    span: Span
    label: str
    primary: bool


@dataclass(slots=True)
class Frame:
    path: Path
    annotations: list[Annotation]

    def rows(self) -> set[int]:
        return {a.span.start.row for a in self.annotations}

    def is_near(self, span: Span) -> bool:
        return span.path == self.path and any(abs(span.start.row - row) <= NEARBY_ROWS for row in self.rows())


class Style:
    """click.style when colour is on, identity otherwise."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, **styles: object) -> str:
        return click.style(text, **styles) if self.color and text else text  # type: ignore[arg-type]


def build_frames(d: Diagnostic) -> list[Frame]:
    """Group the primary and related spans into frames, the primary's frame first.

    A chain that crosses files is shown in call order: a step joins only the frame of the
    step before it (when near), so going back to an earlier file opens a new frame there.
    """
    frames = [Frame(d.path, [Annotation(d.span, "", True)])]
    crosses_files = any(r.span.path != d.path for r in d.related)
    for related in d.related:
        annotation = Annotation(related.span, related.message, False)
        for frame in frames[-1:] if crosses_files else frames:
            if frame.is_near(related.span):
                frame.annotations.append(annotation)
                break
        else:
            frames.append(Frame(related.span.path, [annotation]))
    return frames


def _display(line: str) -> str:
    return printable_source(line, TAB)


def _underline(line: str, span: Span, row: int) -> tuple[int, int]:
    """Return the offset and width, in terminal columns, of the marks for `span` on `row`:
    what precedes the span and the span itself as the frame prints them (tabs expanded,
    controls as pictures, wide characters two columns, combining marks none)."""
    start = span.start.column if span.start.row == row else 1
    end = span.end.column if span.end.row == row else len(line) + 1
    offset = display_width(_display(line[: start - 1]))
    width = display_width(_display(line[start - 1 : max(end, start) - 1]))
    return offset, max(width, 1)


def _frame_lines(
    frame: Frame, shown: str, lines: list[str] | None, width: int, style: Style, first: bool
) -> list[str]:
    """Return the lines of one frame: the `-->`/`:::` location, the gutter, source and marks."""
    pad = " " * width
    anchor = min(frame.annotations, key=lambda a: (not a.primary, a.span.start.row, a.span.start.column)).span
    arrow = "-->" if first else ":::"
    out = [f"{pad}{style(arrow, fg='blue', bold=True)} {shown}:{anchor.start.row}:{anchor.start.column}"]
    bar = style("|", fg="blue", bold=True)
    if lines is None:
        for a in sorted(frame.annotations, key=lambda a: (a.span.start.row, a.span.start.column)):
            if a.label:
                out.append(f"{pad} {style('=', fg='blue', bold=True)} {printable(a.label)}")
        return out
    out.append(f"{pad} {bar}")
    annotated = sorted(frame.rows())
    previous: int | None = None
    for row in annotated:
        if previous is not None and row - previous > 1:
            if row - previous - 1 > MAX_GAP:
                out.append(style("...", fg="blue", bold=True))
            else:
                for between in range(previous + 1, row):
                    out.append(_source_line(between, lines, width, style))
        text = lines[row - 1] if 0 < row <= len(lines) else ""
        out.append(_source_line(row, lines, width, style))
        on_row = [a for a in frame.annotations if a.span.start.row == row]
        for a in sorted(on_row, key=lambda a: (not a.primary, a.span.start.column)):
            offset, size = _underline(text, a.span, row)
            mark, colour = ("^", "red") if a.primary else ("-", "blue")
            marks = style(mark * size + (f" {printable(a.label)}" if a.label else ""), fg=colour, bold=True)
            out.append(f"{pad} {bar} {' ' * offset}{marks}")
        previous = row
    out.append(f"{pad} {bar}")
    return out


def _source_line(row: int, lines: list[str], width: int, style: Style) -> str:
    text = lines[row - 1] if 0 < row <= len(lines) else ""
    gutter = style(str(row).rjust(width), fg="blue", bold=True)
    return f"{gutter} {style('|', fg='blue', bold=True)} {_display(text)}".rstrip()


def render_diagnostic(d: Diagnostic, sources: dict[Path, str], options: RenderOptions) -> str:
    """Return one finding's header, frames and help."""
    style = Style(options.color)
    frames = build_frames(d)
    width = len(str(max(a.span.start.row for f in frames for a in f.annotations)))
    level = style(f"error[{d.code}]", fg="red", bold=True)
    out = [f"{level}: {style(printable(d.message), bold=True)}"]
    for index, frame in enumerate(frames):
        text = sources.get(frame.path)
        lines = python_lines(text) if text is not None else None
        shown = printable(display_path(frame.path, options.cwd))
        out.extend(_frame_lines(frame, shown, lines, width, style, index == 0))
    # The help says how to fix; without one, the fix's own title does.
    help_text = d.help or (d.fix.message if d.fix is not None else None)
    if help_text:
        out.append(f"{style('help', fg='cyan', bold=True)}: {printable(help_text)}")
    return "\n".join(out)


def render(report: Report, options: RenderOptions) -> str:
    blocks = [render_diagnostic(d, report.sources, options) for d in report.diagnostics]
    blocks.extend(closing(report, options))
    return "\n\n".join(blocks)
