"""`--output-file` replaces the old report through a temporary file and a rename: a write that
fails part-way (a full disk, a file-size limit) leaves the old report whole (crash13 #17)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bqlint.writing import write_atomically

DEVICE = """\
import bql


class Uart(bql.SysBusDevice):
    def write(self, v: int) -> None:
        self.count = v
"""


@pytest.mark.skipif(sys.platform != "linux", reason="sets a POSIX file-size limit")
def test_a_report_that_cannot_be_written_whole_keeps_the_old_one(tmp_path: Path) -> None:
    import resource

    for n in range(60):  # a JSON report of more than 8 KiB
        (tmp_path / f"d{n}.py").write_text(DEVICE)
    args = [sys.executable, "-m", "bqlint", "check", "--no-cache", "--output-format", "json"]
    args += ["--output-file", "report.json"]
    first = subprocess.run([*args, "d0.py"], cwd=tmp_path, capture_output=True, timeout=120)
    old = (tmp_path / "report.json").read_bytes()
    assert (first.returncode, len(json.loads(old))) == (1, 1)
    limited = subprocess.run(
        [*args, "."],
        cwd=tmp_path,
        capture_output=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192)),
        timeout=120,
    )
    assert (limited.returncode, limited.stdout, limited.stderr) == (
        2,
        b"",
        b"error: report.json: cannot write the report: File too large\n",
    )
    assert (tmp_path / "report.json").read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".py")) == ["report.json"]


def test_a_new_report_gets_the_mode_the_umask_gives(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_atomically(tmp_path / "report.txt", b"new\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "report.txt").read_bytes() == b"new\n"
    assert stat.S_IMODE((tmp_path / "report.txt").stat().st_mode) == 0o640


def test_a_report_keeps_its_mode_and_a_symlink_to_it_stays_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_bytes(b"old\n")
    (tmp_path / "real.txt").chmod(0o604)
    (tmp_path / "link.txt").symlink_to("real.txt")
    write_atomically(tmp_path / "link.txt", b"new\n")
    assert ((tmp_path / "link.txt").is_symlink(), (tmp_path / "real.txt").read_bytes()) == (True, b"new\n")
    assert stat.S_IMODE((tmp_path / "real.txt").stat().st_mode) == 0o604
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "real.txt"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_pipe_is_written_not_renamed_over(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that opening it to write does not block
    try:
        write_atomically(fifo, b"new\n")
        assert os.read(reader, 100) == b"new\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout here")
@pytest.mark.parametrize("into", ["pipe", "file"])
def test_dev_stdout_as_output_file_is_written_where_stdout_goes(tmp_path: Path, into: str) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    args = [sys.executable, "-m", "bqlint", "check", "--no-cache", "--output-format", "concise"]
    args += ["--output-file", "/dev/stdout", "dev.py"]
    environment = {**os.environ, "NO_COLOR": "1"}
    if into == "pipe":
        result = subprocess.run(args, cwd=tmp_path, capture_output=True, env=environment, timeout=120)
        out = result.stdout
    else:
        with (tmp_path / "out.txt").open("wb") as file:
            result = subprocess.run(
                args, cwd=tmp_path, stdout=file, stderr=subprocess.PIPE, env=environment, timeout=120
            )
        out = (tmp_path / "out.txt").read_bytes()
    assert (result.returncode, result.stderr) == (1, b"")
    assert out.decode().splitlines() == [  # the report, then the summary
        "dev.py:6:9: BQL001 device field `self.count` is assigned in `Uart.write()`, outside construction",
        "Found 1 error.",
    ]
