"""The progress bar: on a terminal only, after about a second, never in CI, pipes or with -q."""

from __future__ import annotations

import io
import os

import pytest

from bqlint import progress as progress_module
from bqlint.progress import progress_for


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_that_counts_files_and_erases_itself(monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    bar = progress_for(stream, quiet=False)
    bar.phase("checking", 3)
    for _ in range(3):
        bar.advance()
    bar.finish()
    text = stream.getvalue()
    assert "3/3 files" in text
    assert text.endswith("\r\033[K")


def test_a_short_run_draws_nothing(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    bar = progress_for(stream, quiet=False)
    bar.phase("checking", 2)
    bar.advance(2)
    bar.finish()
    assert stream.getvalue() == ""


@pytest.mark.parametrize(
    ("tty", "ci", "quiet"), [(False, None, False), (True, "true", False), (True, None, True)]
)
def test_no_bar_in_pipes_in_ci_or_when_quiet(monkeypatch, tty, ci, quiet):
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    stream = Terminal() if tty else io.StringIO()
    bar = progress_for(stream, quiet=quiet)
    assert bar.stream is None
    bar.phase("reading", 5)
    bar.advance(5)
    bar.finish()
    assert stream.getvalue() == ""


def test_the_check_command_prints_no_progress_into_a_pipe(project, invoke, monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    project({"dev.py": "import bql\n"})
    result = invoke("check", ".")
    assert "\r" not in result.stderr


def _redraws(text: str) -> list[str]:
    return [frame for frame in text.split("\r") if frame.startswith("bqlint:")]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_each_redraw_fits_the_terminal_short_of_its_last_column(monkeypatch):
    import fcntl
    import struct
    import termios

    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 20, 0, 0))  # 20 columns
    written = io.StringIO()
    with os.fdopen(follower, "w") as terminal:
        monkeypatch.setattr(terminal, "write", written.write)
        bar = progress_for(terminal, quiet=False)
        bar.phase("checking", 2)
        bar.advance(2)
        bar.finish()
    os.close(leader)
    assert _redraws(written.getvalue()) == ["bqlint: checking [-", "bqlint: checking [#"]


def test_columns_from_the_environment_bound_the_redraw(monkeypatch):
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("COLUMNS", "11")
    stream = Terminal()  # no descriptor: COLUMNS decides
    bar = progress_for(stream, quiet=False)
    bar.phase("reading", 1)
    bar.finish()
    assert _redraws(stream.getvalue()) == ["bqlint: re"]


def test_a_terminal_of_unknown_width_gets_the_usual_fallback(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(progress_module.shutil, "get_terminal_size", lambda: os.terminal_size((40, 24)))
    assert progress_module.terminal_columns(Terminal()) == 40
