"""Standard streams the shell closed (`2>&-`, `>&-`, `<&-`; crash13 #01-#03): a closed stderr
silences the warnings and nothing else, a closed stdout is an error unless the report goes to
--output-file, a closed stdin is an error for what reads it. Never "bqlint crashed".

These run bqlint in a real process: only there can a standard descriptor be closed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bqlint.progress import progress_for

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="closes POSIX descriptors")

DEVICE = """\
import bql
from bql import BqlCell


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.level = BqlCell(0)
        self.count = 0

    def reset(self) -> None:
        self.level = 3

    def write(self, v: int) -> None:
        self.count = v
"""

FINDINGS = [
    "dev.py:12:9: BQL007 [*] cell field `self.level` is rebound in `Uart.reset()`, outside construction",
    "dev.py:15:9: BQL001 device field `self.count` is assigned in `Uart.write()`, outside construction",
]
SUMMARY = ["Found 2 errors.", "[*] 1 fixable with the `--fix` option."]


def bqlint(args: list[str], cwd: Path, closed: int, **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run bqlint with descriptor `closed` closed; the other two are pipes (stdin empty)."""
    return subprocess.run(
        [sys.executable, "-m", "bqlint", *args],
        cwd=cwd,
        input=b"",
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1", **env},
        preexec_fn=lambda: os.close(closed),
        timeout=120,
    )


@pytest.fixture
def device(tmp_path: Path) -> Path:
    (tmp_path / "dev.py").write_text(DEVICE)
    return tmp_path


@pytest.mark.parametrize("debug", ["", "1"])
def test_closed_stderr_still_prints_the_report_with_the_normal_exit_code(device: Path, debug: str) -> None:
    result = bqlint(
        ["check", "--no-cache", "--output-format", "concise", "dev.py"], device, 2, BQLINT_DEBUG=debug
    )
    assert (result.returncode, result.stdout.decode().splitlines()) == (1, FINDINGS + SUMMARY)


def test_closed_stderr_drops_warnings_and_not_into_stdout(device: Path) -> None:
    (device / "empty").mkdir()
    result = bqlint(["check", "--no-cache", "empty"], device, 2)  # "warning: no Python files found"
    assert (result.returncode, result.stdout) == (0, b"")


def test_no_stream_is_no_terminal_for_the_progress_bar() -> None:
    assert progress_for(None, quiet=False).stream is None


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-cache", "dev.py"],
        ["check", "--no-cache", "--output-format", "json", "dev.py"],
        ["check", "--show-files", "dev.py"],
        ["rules"],
        ["--version"],
        ["server"],
    ],
    ids=" ".join,
)
def test_closed_stdout_is_one_clean_error_and_exit_2(device: Path, args: list[str]) -> None:
    result = bqlint(args, device, 1)
    assert (result.returncode, result.stderr.decode()) == (
        2,
        "error: cannot write to standard output: Bad file descriptor\n",
    )


def test_closed_stdout_with_output_file_writes_the_report(device: Path) -> None:
    args = ["check", "--no-cache", "--output-format", "concise", "--output-file", "report.txt", "dev.py"]
    result = bqlint(args, device, 1)
    assert (result.returncode, result.stderr) == (1, b"")
    assert (device / "report.txt").read_text().splitlines() == FINDINGS


@pytest.mark.parametrize(
    "args",
    [["check", "--no-cache", "-"], ["check", "--no-cache", "--stdin-filename", "x.py"], ["server"]],
    ids=" ".join,
)
def test_closed_stdin_is_one_clean_error_and_exit_2(device: Path, args: list[str]) -> None:
    result = bqlint(args, device, 0)
    assert (result.returncode, result.stdout, result.stderr.decode()) == (
        2,
        b"",
        "error: cannot read standard input: Bad file descriptor\n",
    )
