"""Worker processes (`--jobs`): results by index, errors raised, a killed worker never hangs the run."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from bqlint.parallel import can_fork, run_indexed

pytestmark = pytest.mark.skipif(not can_fork(), reason="worker processes need fork")


def test_results_come_back_by_index_whatever_finishes_first():
    finished: list[int] = []

    def slow_first(i: int) -> int:
        time.sleep(0.2 if i == 0 else 0)
        return i * i

    assert run_indexed(slow_first, [0, 1, 2, 3], 2, finished.append) == {0: 0, 1: 1, 2: 4, 3: 9}
    assert sorted(finished) == [0, 1, 2, 3]


def test_an_error_in_a_worker_is_raised_here():
    def fails(i: int) -> int:
        if i == 1:
            raise ValueError("boom in 1")
        return i

    with pytest.raises(ValueError, match="boom in 1"):
        run_indexed(fails, [0, 1, 2], 2)


def test_a_killed_worker_fails_the_run_instead_of_hanging_it():
    def killed(i: int) -> int:
        if i == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    with pytest.raises(BrokenProcessPool):
        run_indexed(killed, [0, 1, 2, 3], 2)


def test_one_job_runs_in_this_process():
    pid = os.getpid()
    assert run_indexed(lambda i: os.getpid() == pid, [0, 1], 1) == {0: True, 1: True}


def test_only_the_piece_that_kills_its_worker_is_lost():
    def killed(i: int) -> int:
        if i == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    assert run_indexed(killed, [0, 1, 2, 3, 4], 2, lost=lambda i: -1) == {0: 0, 1: 1, 2: -1, 3: 3, 4: 4}


def test_a_group_whose_worker_dies_is_an_internal_error_of_its_files_only(tmp_path, monkeypatch):
    from bqlint import engine
    from bqlint.config import Settings

    device = "import bql\n\n\nclass D{n}(bql.Device):\n    def m(self) -> None:\n        self.x = 1\n"
    for n in range(12):
        (tmp_path / f"d{n}.py").write_text(device.format(n=n))
    real = engine.analyse_group

    def dies_on_d3(members, facts, settings):
        if any(m.source.path.name == "d3.py" for m in members):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(members, facts, settings)

    monkeypatch.setattr(engine, "analyse_group", dies_on_d3)
    monkeypatch.setattr(engine, "_PARALLEL_ANALYSIS", 2)
    files = sorted(tmp_path.glob("*.py"))
    report = engine.run(Settings(root=tmp_path), files, jobs=2, cache=None)
    assert [p.name for p, _ in report.internal_errors] == ["d3.py"]
    assert "died" in report.internal_errors[0][1]
    assert sorted({d.path.name for d in report.diagnostics}) == sorted(f"d{n}.py" for n in range(12) if n != 3)


def test_no_more_workers_than_cpus_however_many_jobs_are_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bqlint.parallel.available_cpus", lambda: 2)

    def pid(i: int) -> int:
        time.sleep(0.05)
        return os.getpid()

    pids = set(run_indexed(pid, list(range(12)), 64).values())
    assert 1 <= len(pids) <= 2


def test_a_reading_worker_that_dies_costs_nothing(tmp_path, monkeypatch):
    """crash10 #1: a worker reading facts killed (twice for its chunk) crashed the run; its
    files are read in this process instead, and every finding is still reported."""
    from bqlint import engine, fact_reading
    from bqlint.config import Settings

    device = "import bql\n\n\nclass D{n}(bql.Device):\n    def m(self) -> None:\n        self.x = 1\n"
    for n in range(12):
        (tmp_path / f"d{n}.py").write_text(device.format(n=n))
    parent = os.getpid()
    real = fact_reading.extract_facts

    def dies_in_a_worker_on_d3(text, name, *args, **kwargs):
        if name == "d3" and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(text, name, *args, **kwargs)

    monkeypatch.setattr(fact_reading, "extract_facts", dies_in_a_worker_on_d3)
    monkeypatch.setattr(fact_reading, "_FACTS_CHUNK", 2)
    monkeypatch.setattr(engine, "_PARALLEL_FACTS", 2)
    files = sorted(tmp_path.glob("*.py"))
    report = engine.run(Settings(root=tmp_path), files, jobs=2, cache=None)
    assert report.internal_errors == []
    assert sorted({d.path.name for d in report.diagnostics}) == sorted(f"d{n}.py" for n in range(12))


def test_a_pool_that_cannot_start_runs_the_pieces_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """crash13 #18: too few file descriptors for the pool's pipes (EMFILE) is not a crash."""
    import errno

    from bqlint import parallel

    def no_descriptors(workers: int, context: object) -> None:
        raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))

    monkeypatch.setattr(parallel, "_pool", no_descriptors)
    finished: list[int] = []
    here = os.getpid()
    assert run_indexed(lambda i: (i * i, os.getpid() == here), [2, 0, 1], 2, finished.append) == {
        0: (0, True),
        1: (1, True),
        2: (4, True),
    }
    assert finished == [2, 0, 1]


def test_other_errors_of_the_pool_are_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from bqlint import parallel

    def refused(workers: int, context: object) -> None:
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(parallel, "_pool", refused)
    with pytest.raises(PermissionError):
        run_indexed(lambda i: i, [0, 1], 2)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="sets a POSIX resource limit")
def test_jobs_with_few_file_descriptors_report_as_one_process_does(tmp_path) -> None:
    import resource
    import subprocess
    import sys

    device = "import bql\n\n\nclass D(bql.SysBusDevice):\n    def w(self) -> None:\n        self.x = 1\n"
    for n in range(20):
        (tmp_path / f"d{n}.py").write_text(device)

    def run(jobs: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "bqlint", "check", "--no-cache", "--output-format=concise", "--jobs", jobs],
            cwd=tmp_path,
            capture_output=True,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (12, 12)),
            timeout=120,
        )

    alone, pooled = run("1"), run("2")
    assert (alone.returncode, alone.stdout.count(b"BQL001")) == (1, 20)
    assert (pooled.returncode, pooled.stdout, pooled.stderr) == (alone.returncode, alone.stdout, alone.stderr)
