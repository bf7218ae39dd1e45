"""A file far bigger than any Python source is BQL998, not read whole; running out of
memory while reading or decoding one file is that file's BQL998, never the run's end
(crash13 #09: a 1 GiB `big.py` cost 2 GB, and under a memory limit every finding was lost)."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from bqlint import reading
from bqlint.reading import MAX_SOURCE_BYTES, UnreadableSource, read_source_bytes
from tests.robustness.conftest import DEVICE, messages, rows

TOO_LARGE = (
    "cannot read this file: it is larger than 32 MiB, the most bqlint reads of one file;"
    " a Python source is far smaller (exclude a generated file)"
)


def test_a_file_above_the_bound_is_bql998_and_the_others_are_checked(tmp_path: Path, cli) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    with open(tmp_path / "big.py", "wb") as file:
        file.truncate(MAX_SOURCE_BYTES + 1)  # sparse: no disk used
    result = cli("--output-format", "concise", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        f"big.py:1:1: BQL998 {TOO_LARGE}",
        "dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL",
    ]


def test_a_file_at_the_bound_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"x = 1\n")
    assert read_source_bytes(tmp_path / "a.py", limit=6) == b"x = 1\n"
    with pytest.raises(UnreadableSource, match="larger than 5 bytes"):
        read_source_bytes(tmp_path / "a.py", limit=5)


def test_a_file_bigger_than_its_stat_says_is_bounded_as_it_is_read() -> None:
    # /proc files stat as empty regular files, as a file that grew after the stat does.
    assert os.stat("/proc/self/status").st_size == 0
    with pytest.raises(UnreadableSource, match="larger than 10 bytes"):
        read_source_bytes(Path("/proc/self/status"), limit=10)


def test_running_out_of_memory_while_reading_is_that_files_bql998(tmp_path: Path, check, monkeypatch) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    (tmp_path / "big.py").write_text("x = 1\n")
    real_fdopen = os.fdopen

    class Exhausted:
        def __enter__(self) -> Exhausted:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self, size: int = -1) -> bytes:
            raise MemoryError

    def fdopen(fd: int, *args: object, **kwargs: object) -> object:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("big.py"):
            return Exhausted()
        return real_fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(reading.os, "fdopen", fdopen)
    report = check("big.py", "dev.py")
    assert rows(report) == [("big.py", "BQL998", 1, 1), ("dev.py", "BQL002", 12, 13)]
    assert messages(report)["big.py"] == "cannot read this file: not enough memory to read it"


def _exhausting_codec(name: str) -> codecs.CodecInfo | None:
    if name != "bqlint_test_exhausting":
        return None

    def decode(data: object, errors: str = "strict") -> tuple[str, int]:
        raise MemoryError

    return codecs.CodecInfo(codecs.utf_8_encode, decode, name="bqlint_test_exhausting")


def test_running_out_of_memory_while_decoding_is_that_files_bql998(tmp_path: Path, check) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    (tmp_path / "big.py").write_text("# -*- coding: bqlint_test_exhausting -*-\nx = 1\n")
    codecs.register(_exhausting_codec)
    try:
        report = check("big.py", "dev.py")
    finally:
        codecs.unregister(_exhausting_codec)
    assert rows(report) == [("big.py", "BQL998", 1, 1), ("dev.py", "BQL002", 12, 13)]
    assert messages(report)["big.py"] == "cannot decode this file: not enough memory to decode it"
