"""A progress bar on standard error for long runs: shown only on a terminal, never in CI.

It appears once a run has taken `DELAY` seconds (short runs print nothing), redraws at most
ten times a second, and erases itself when the run ends, so the report starts on a clean line.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import TextIO

DELAY = 1.0
_WIDTH = 24


class Progress:
    """Counts files done out of a total, per phase ("reading", "checking")."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.label = ""
        self.done = 0
        self.total = 0
        self._drawn = 0.0
        self._visible = False

    def phase(self, label: str, total: int) -> None:
        self.label, self.done, self.total = label, 0, total
        self._draw()

    def advance(self, count: int = 1) -> None:
        self.done += count
        self._draw()

    def finish(self) -> None:
        if self._visible and self.stream is not None:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._visible = False

    def _draw(self) -> None:
        if self.stream is None:
            return
        now = time.monotonic()
        if now - self.started < DELAY or (now - self._drawn < 0.1 and self.done < self.total):
            return
        self._drawn = now
        filled = _WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        line = f"bqlint: {self.label:<8} [{bar}] {self.done}/{self.total} files"
        # Short of the last column: a line that wraps leaves rows that `\r` cannot redraw.
        self.stream.write("\r" + line[: terminal_columns(self.stream) - 1])
        self.stream.flush()
        self._visible = True


def terminal_columns(stream: TextIO) -> int:
    """Return the width of the terminal `stream` shows on: `COLUMNS` when set (as
    shutil.get_terminal_size reads it), else the terminal's own, else shutil's fallback."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns or shutil.get_terminal_size().columns
    except (OSError, ValueError):
        return shutil.get_terminal_size().columns


def progress_for(stream: TextIO | None, *, quiet: bool) -> Progress:
    """Return a progress bar on `stream` when it is a terminal, not in CI and not quiet
    (None, a stderr the shell closed, is no terminal)."""
    shown = not quiet and not os.environ.get("CI") and stream is not None and stream.isatty()
    return Progress(stream if shown else None)
