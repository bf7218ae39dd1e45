"""Only regular files are read (a FIFO never blocks); what cannot be read is BQL998 at row 1,
column 1 with the reason, and every other file is still checked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bqlint import reading
from tests.robustness.conftest import DEVICE, messages, rows


def test_fifo_in_checked_folder_is_bql998_and_does_not_block(tmp_path: Path, cli) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    os.mkfifo(tmp_path / "f.py")
    result = cli("--output-format", "concise", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL",
        "f.py:1:1: BQL998 cannot read this file: not a regular file (a FIFO)",
        "Found 2 errors.",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]


def test_fifo_beside_a_named_file_is_context_and_skipped_quietly(tmp_path: Path, cli) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    os.mkfifo(tmp_path / "f.py")
    result = cli("--output-format", "concise", "dev.py")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:-2] == [
        "dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL"
    ]
    assert result.stderr == ""


def test_fifo_named_as_a_file_or_as_context(tmp_path: Path, check) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    os.mkfifo(tmp_path / "f.py")
    report = check("f.py", "dev.py", context=("f.py",))
    assert rows(report) == [("dev.py", "BQL002", 12, 13), ("f.py", "BQL998", 1, 1)]
    assert rows(check("dev.py", context=("f.py",))) == [("dev.py", "BQL002", 12, 13)]


def test_directory_named_like_a_module_is_bql998(tmp_path: Path, check) -> None:
    (tmp_path / "d.py").mkdir()
    assert messages(check("d.py")) == {"d.py": "cannot read this file: not a regular file (a directory)"}


def test_dangling_symlink_is_bql998(tmp_path: Path, check) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    report = check("dev.py", "gone.py")
    assert rows(report) == [("dev.py", "BQL002", 12, 13), ("missing.py", "BQL998", 1, 1)]
    assert messages(report)["missing.py"] == (
        "cannot read this file: it does not exist (removed, or a dangling symlink)"
    )


def test_file_removed_after_discovery_is_bql998(tmp_path: Path, check) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    (tmp_path / "late.py").write_text("x = 1\n")
    (tmp_path / "late.py").unlink()
    report = check("late.py", "dev.py")
    assert rows(report) == [("dev.py", "BQL002", 12, 13), ("late.py", "BQL998", 1, 1)]


def test_file_removed_between_stat_and_open_is_bql998(tmp_path: Path, check, monkeypatch) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    (tmp_path / "late.py").write_text("x = 1\n")
    real_open = os.open

    def vanishing_open(path: object, flags: int, *args: object) -> int:
        if str(path).endswith("late.py"):
            raise FileNotFoundError(2, "No such file or directory")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(reading.os, "open", vanishing_open)
    report = check("late.py", "dev.py")
    assert rows(report) == [("dev.py", "BQL002", 12, 13), ("late.py", "BQL998", 1, 1)]
    assert messages(report)["late.py"] == "cannot read this file: it was removed while bqlint ran"


def test_unreadable_file_is_bql998_with_the_reason(tmp_path: Path, check, monkeypatch) -> None:
    # Injected: the tests may run as root, who can read a chmod 000 file.
    (tmp_path / "dev.py").write_text(DEVICE)
    (tmp_path / "secret.py").write_text("x = 1\n")
    real_open = os.open

    def denying_open(path: object, flags: int, *args: object) -> int:
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(reading.os, "open", denying_open)
    report = check("secret.py", "dev.py")
    assert rows(report) == [("dev.py", "BQL002", 12, 13), ("secret.py", "BQL998", 1, 1)]
    assert messages(report)["secret.py"] == "cannot read this file: permission denied"


def test_file_that_becomes_a_fifo_after_the_stat_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "f.py"
    os.mkfifo(fifo)
    with pytest.raises(reading.UnreadableSource, match=r"not a regular file \(a FIFO\)"):
        reading._require_regular(os.stat(fifo).st_mode)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # what read_source_bytes does: returns at once
    os.close(fd)


def test_symlink_loop_beside_the_checked_file_does_not_crash(tmp_path: Path, cli) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    named = cli("--output-format", "concise", "dev.py")
    assert named.exit_code == 1
    assert named.stdout.splitlines()[0].startswith("dev.py:12:13: BQL002 ")
    walked = cli("--output-format", "concise", ".")
    assert walked.stdout.splitlines() == [
        "a.py:1:1: BQL998 cannot read this file: too many levels of symbolic links",
        "b.py:1:1: BQL998 cannot read this file: too many levels of symbolic links",
        "dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL",
        "Found 3 errors.",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]


def test_add_noqa_leaves_a_fifo_alone(tmp_path: Path, cli) -> None:
    (tmp_path / "dev.py").write_text(DEVICE)
    os.mkfifo(tmp_path / "f.py")
    result = cli("--add-noqa", ".")
    assert (result.exit_code, result.stderr) == (0, "Added 1 noqa directive.\n")
    assert "# noqa: BQL002" in (tmp_path / "dev.py").read_text()
