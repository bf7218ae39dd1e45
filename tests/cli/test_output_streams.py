"""Standard output that fails or cannot hold the report: a full device, a closed pipe, a
stdout whose encoding lacks the report's characters. None is a bqlint bug (blind crash2 #04,
#05): a clean one-line error and exit 2, a quiet end, or the report written anyway.

These run bqlint in a real process: only there is stdout a file descriptor the shell opened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.dom.minidom
from pathlib import Path

import pytest

# A device whose class, method and field names are not ASCII (nor all cp1252): three findings.
WIDE = """\
import bql


class 設備(bql.Device):
    def __init__(self) -> None:
        self.ñ = bql.BqlCell(0)
        self.寄存器 = bql.BqlRefCell([0])
        self.x = 0

    def 書く(self) -> None:
        self.ñ = 3
        self.x = 1

    def twice(self) -> None:
        with self.寄存器.borrow_mut():
            self.寄存器.borrow()
"""

FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full here")


def bqlint(args: list[str], cwd: Path, stdout: object, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}
    environment.update(NO_COLOR="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "bqlint", *args],
        cwd=cwd,
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        env=environment,
        timeout=120,
    )


@pytest.fixture
def wide(tmp_path: Path) -> Path:
    (tmp_path / "wide.py").write_text(WIDE, encoding="utf-8")
    return tmp_path


@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-cache", "wide.py"],
        ["check", "--no-cache", "--output-format", "json", "wide.py"],
        ["check", "--no-cache", "--statistics", "wide.py"],
        ["check", "--no-cache", "--diff", "wide.py"],
        ["check", "--show-files", "wide.py"],
        ["check", "--show-settings", "wide.py"],
        ["check", "--help"],
        ["rules"],
        ["explain", "BQL002"],
        ["--version"],
    ],
    ids=lambda args: " ".join(args),
)
def test_full_device_is_one_clean_error_and_exit_2(wide: Path, args: list[str]) -> None:
    with FULL.open("wb") as full:
        result = bqlint(args, wide, full)
    assert (result.returncode, result.stderr.decode()) == (
        2,
        "error: cannot write to standard output: No space left on device\n",
    )


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE here")
@pytest.mark.parametrize("args", [["check", "--no-cache", "wide.py"], ["rules"], ["--version"]], ids=" ".join)
def test_closed_pipe_ends_quietly_as_cat_does(wide: Path, args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before bqlint writes, as `| head -1` once it has its line
    try:
        result = bqlint(args, wide, write)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (-signal.SIGPIPE, b"")
