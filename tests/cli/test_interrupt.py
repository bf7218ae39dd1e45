"""Ctrl-C ends a run with exit 130 and one line on stderr: no abort, no traceback, no
"findings" status, and the `--jobs` workers are stopped too (crash6 #3). SIGTERM and SIGHUP
end it the same way, with 143 and 129 (crash13 #08).

The interrupt is sent once the run is analysing (its analysis thread or its workers exist),
which is when the SIGABRT used to happen: the interpreter's shutdown stopped the analysis
thread inside libcst's native parser.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bqlint.parallel import can_fork

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc and sends SIGINT")

WAIT_SECONDS = 60.0


def borrowing_device(methods: int) -> str:
    """A device whose methods borrow one cell and call each other (slow to analyse)."""
    lines = [
        "import bql",
        "",
        "",
        "class Big(bql.Device):",
        "    def __init__(self):",
        "        super().__init__()",
        "        self.regs = bql.BqlRefCell([0])",
    ]
    for i in range(methods):
        lines += [
            "",
            f"    def m{i}(self):",
            "        with self.regs.borrow_mut() as g:",
            f"            g[0] = {i}",
            f"            self.m{(5 * i + 3) % methods}()",
        ]
    return "\n".join(lines) + "\n"


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found.update(int(word) for word in handle.read().split())
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bqlint", "check", "--no-cache", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_until(process: subprocess.Popen[bytes], ready: object) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not ready():  # type: ignore[operator]
        assert process.poll() is None, "the run ended before it was interrupted"
        assert time.monotonic() < deadline, "the run never started analysing"
        time.sleep(0.01)


def test_ctrl_c_while_parsing_exits_130_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    (tmp_path / "big.py").write_text(borrowing_device(2500))
    for delay in (0.0, 0.3):
        process = _start(tmp_path, "--jobs", "1", "big.py")
        _wait_until(process, lambda: _threads(process.pid) >= 2)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT_SECONDS)
        assert (process.returncode, out, err) == (130, b"", b"error: interrupted\n")


@pytest.mark.skipif(not can_fork(), reason="worker processes need fork")
def test_ctrl_c_stops_the_worker_processes(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    for n in range(8):  # enough modules for the analysis to use the workers
        (tmp_path / f"dev{n}.py").write_text(borrowing_device(800))
    process = _start(tmp_path, "--jobs", "2", ".")
    _wait_until(process, lambda: len(_children(process.pid)) >= 2)
    workers = _children(process.pid)
    process.send_signal(signal.SIGINT)  # the main process only: it must stop its workers
    out, err = process.communicate(timeout=WAIT_SECONDS)
    assert (process.returncode, out, err) == (130, b"", b"error: interrupted\n")
    deadline = time.monotonic() + WAIT_SECONDS
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in workers if _alive(pid)] == []


def test_ctrl_c_waits_for_an_overwrite_in_place_to_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bqlint import writing

    target = tmp_path / "dev.py"
    target.write_bytes(b"old\n")
    new = b"new text\n" * 1000
    real_overwrite = writing._overwrite
    reached: list[bool] = []

    def interrupted_midway(fd: int, data: bytes) -> None:
        os.write(fd, data[:10])
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between two writes of the same file
        reached.append(True)  # not raised here: the overwrite goes on
        real_overwrite(fd, data)

    monkeypatch.setattr(writing, "_overwrite", interrupted_midway)
    held = os.open(target, os.O_RDONLY)
    try:
        with pytest.raises(KeyboardInterrupt):
            writing.rewrite_in_place(target, held, b"old\n", new)
    finally:
        os.close(held)
    assert reached == [True]
    assert target.read_bytes() == new
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.py"]


@pytest.mark.parametrize(
    ("stop", "status", "message"),
    [(signal.SIGTERM, 143, b"error: terminated\n"), (signal.SIGHUP, 129, b"error: hung up\n")],
    ids=["SIGTERM", "SIGHUP"],
)
def test_sigterm_and_sighup_end_a_run_as_ctrl_c_does(
    tmp_path: Path, stop: signal.Signals, status: int, message: bytes
) -> None:
    """crash13 #08: what `timeout`, a cancelled CI job or a closed terminal sends."""
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    (tmp_path / "big.py").write_text(borrowing_device(2500))
    process = _start(tmp_path, "--jobs", "1", "--fix", "big.py")
    _wait_until(process, lambda: _threads(process.pid) >= 2)
    process.send_signal(stop)
    out, err = process.communicate(timeout=WAIT_SECONDS)
    assert (process.returncode, out, err) == (status, b"", message)


def test_sigterm_waits_until_the_temporary_file_is_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bqlint import writing
    from bqlint.interrupt import Terminated, stops_interrupt

    target = tmp_path / "dev.py"
    target.write_bytes(b"old\n")
    real_copy = writing._temporary_copy

    def terminated_after_the_copy(path: Path, data: bytes) -> str:
        temporary = real_copy(path, data)
        os.kill(os.getpid(), signal.SIGTERM)  # between the temporary file and the rename
        return temporary

    monkeypatch.setattr(writing, "_temporary_copy", terminated_after_the_copy)
    with stops_interrupt(), pytest.raises(Terminated) as raised:
        writing.replace_atomically(target, b"new\n", target.stat())
    assert raised.value.number == signal.SIGTERM
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.py"]


def test_a_stop_signal_ignored_by_the_caller_stays_ignored() -> None:
    from bqlint.interrupt import stops_interrupt

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as `nohup bqlint check` starts it
    try:
        with stops_interrupt():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)
