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


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
@pytest.mark.parametrize("output_format", ["json", "sarif", "gitlab", "junit", "github"])
def test_machine_formats_are_utf8_whatever_the_stdout_encoding(
    wide: Path, encoding: str, output_format: str
) -> None:
    args = ["check", "--no-cache", "-q", "--output-format", output_format, "wide.py"]
    result = bqlint(args, wide, subprocess.PIPE, PYTHONIOENCODING=encoding)
    assert (result.returncode, result.stderr) == (1, b"")
    utf8 = bqlint(args, wide, subprocess.PIPE, PYTHONIOENCODING="utf-8")
    assert result.stdout == utf8.stdout
    text = result.stdout.decode("utf-8")
    if output_format == "junit":
        xml.dom.minidom.parseString(result.stdout)
    elif output_format == "github":
        assert text.count("::error ") == 3
    else:
        json.loads(text)
    assert "設備" in text


@pytest.mark.parametrize("output_format", ["full", "concise"])
def test_text_formats_replace_what_the_stdout_encoding_cannot_hold(wide: Path, output_format: str) -> None:
    args = ["check", "--no-cache", "-q", "--output-format", output_format, "wide.py"]
    result = bqlint(args, wide, subprocess.PIPE, PYTHONIOENCODING="cp1252")
    assert (result.returncode, result.stderr) == (1, b"")
    text = result.stdout.decode("cp1252")
    assert "self.ñ" in text  # cp1252 has it
    assert "設備" not in text and "??.??()" in text
    if output_format == "concise":
        assert text.splitlines() == [
            "wide.py:11:9: BQL007 [*] cell field `self.ñ` is rebound in `??.??()`, outside construction",
            "wide.py:12:9: BQL001 device field `self.x` is assigned in `??.??()`, outside construction",
            "wide.py:16:13: BQL003 `self.???` is borrowed again while it is already mutably borrowed",
        ]


def test_source_fixed_through_stdin_keeps_every_character(wide: Path) -> None:
    args = ["check", "--no-cache", "-q", "--fix", "--stdin-filename", "wide.py"]
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}
    result = subprocess.run(
        [sys.executable, "-m", "bqlint", *args],
        cwd=wide,
        input=WIDE.encode("utf-8"),
        capture_output=True,
        env={**environment, "PYTHONIOENCODING": "cp1252"},
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout.decode("utf-8") == WIDE.replace("self.ñ = 3", "self.ñ.set(3)")


def many_findings(count: int) -> str:
    """A device that assigns a plain field `count` times outside construction (BQL001 each)."""
    lines = ["import bql", "", "", "class Uart(bql.SysBusDevice):", "    def write(self, v: int) -> None:"]
    return "\n".join(lines + ["        self.count = v"] * count) + "\n"


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE here")
@pytest.mark.parametrize("output_format", ["full", "json"])
def test_reader_closing_the_pipe_mid_report_ends_as_cat_does(tmp_path: Path, output_format: str) -> None:
    (tmp_path / "dev.py").write_text(many_findings(1000))
    args = ["check", "--no-cache", "--exit-zero", "--output-format", output_format, "dev.py"]
    first, returncode, err = _reader_gone_after_16_bytes(tmp_path, args)
    assert first
    assert (returncode, err) == (-signal.SIGPIPE, b"")


def _reader_gone_after_16_bytes(folder: Path, args: list[str]) -> tuple[bytes, int, bytes]:
    """Run bqlint with `args` in `folder`, its stdout a pipe whose reader takes 16 bytes and
    goes; return those bytes, the exit status and stderr."""
    read, write = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "bqlint", *args], cwd=folder, stdout=write, stderr=subprocess.PIPE
    )
    os.close(write)
    try:
        # The output is far bigger than a pipe holds: bqlint is still writing it when the
        # reader goes, as `bqlint check | head -1` once head has its line.
        first = os.read(read, 16)
    finally:
        os.close(read)
    _, err = process.communicate(timeout=120)
    return first, process.returncode, err


@pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="no SIGPIPE here")
def test_reader_closing_the_pipe_mid_diff_ends_as_cat_does(tmp_path: Path) -> None:
    # As for the report: a diff bigger than a pipe holds is not cut short without a word.
    lines = ["import bql", "", "", "class Uart(bql.SysBusDevice):", "    def __init__(self) -> None:"]
    lines += ["        super().__init__()", "        self.level = bql.BqlCell(0)", "", "    def write(self, v: int) -> None:"]
    (tmp_path / "dev.py").write_text("\n".join(lines + ["        self.level = v"] * 2000) + "\n")
    first, returncode, err = _reader_gone_after_16_bytes(tmp_path, ["check", "--no-cache", "--diff", "dev.py"])
    assert first == b"--- a/dev.py\n+++"
    assert (returncode, err) == (-signal.SIGPIPE, b"")
