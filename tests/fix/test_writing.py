"""writing.write_if_unchanged: the file's own encoding and mode, an atomic rename, and no
write at all when the file changed, vanished, is read-only or the write fails."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from bqlint import writing
from bqlint.writing import NotWritten, source_encoding, write_if_unchanged


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".bqlint-tmp"))


def test_text_is_written_when_the_file_still_holds_what_was_analysed(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")
    write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 2\n"
    assert _leftovers(tmp_path) == []


def test_a_latin1_cookie_file_is_written_in_latin1(tmp_path):
    path = tmp_path / "a.py"
    data = b"# -*- coding: latin-1 -*-\ns = '\xe9'\nx = 1\n"
    path.write_bytes(data)
    analysed = data.decode("latin-1")
    write_if_unchanged(path, analysed, analysed.replace("x = 1", "x = 2"))
    assert path.read_bytes() == b"# -*- coding: latin-1 -*-\ns = '\xe9'\nx = 2\n"


def test_a_byte_order_mark_and_crlf_endings_are_kept(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"\xef\xbb\xbfs = '\xc3\xa9'\r\nx = 1\r\n")
    write_if_unchanged(path, "s = 'é'\r\nx = 1\r\n", "s = 'é'\r\nx = 2\r\n")
    assert path.read_bytes() == b"\xef\xbb\xbfs = '\xc3\xa9'\r\nx = 2\r\n"


def test_the_mode_of_the_file_is_kept(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")
    path.chmod(0o751)
    write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\ny = 'added by the user'\n")
    with pytest.raises(NotWritten, match="^changed on disk$"):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 1\ny = 'added by the user'\n"


def test_a_changed_line_ending_counts_as_a_change(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\r\n")
    with pytest.raises(NotWritten, match="changed on disk"):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 1\r\n"


def test_a_read_only_file_is_not_written(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")
    path.chmod(0o444)
    with pytest.raises(NotWritten, match="^read-only$"):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_deleted_file_is_not_created_again(tmp_path):
    path = tmp_path / "a.py"
    with pytest.raises(NotWritten, match="^no longer exists$"):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert not path.exists()
    assert _leftovers(tmp_path) == []


def test_a_failed_rename_leaves_the_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")

    def fail(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(NotWritten, match="^cannot be written: No space left on device$"):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 1\n"
    assert _leftovers(tmp_path) == []


def test_a_file_replaced_by_a_symlink_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere.py"
    target.write_bytes(b"x = 1\n")
    path = tmp_path / "a.py"
    path.symlink_to(target)
    with pytest.raises(NotWritten):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.is_symlink() and target.read_bytes() == b"x = 1\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_the_file_is_not_read_or_written(tmp_path):
    path = tmp_path / "a.py"
    os.mkfifo(path)
    with pytest.raises(NotWritten, match="regular file"):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert stat.S_ISFIFO(path.lstat().st_mode)


def test_a_file_python_cannot_decode_is_not_written(tmp_path):
    path = tmp_path / "a.py"
    data = b"x = 1\n\n\ns = '\xff'\n"  # past the two lines that detect_encoding reads
    path.write_bytes(data)
    with pytest.raises(NotWritten, match=r"^cannot be decoded \(utf-8: invalid start byte at byte 13\)$"):
        write_if_unchanged(path, data.decode("latin-1"), "s = 1\n")
    assert path.read_bytes() == data


def test_invalid_utf8_on_the_first_line_is_not_written(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"s = '\xff'\n")
    with pytest.raises(NotWritten, match=r"^cannot be decoded \(invalid or missing encoding declaration"):
        write_if_unchanged(path, "s = '\xff'\n", "s = 1\n")
    assert path.read_bytes() == b"s = '\xff'\n"


def test_a_fix_the_encoding_cannot_hold_is_not_written(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"# coding: ascii\nx = 1\n")
    with pytest.raises(NotWritten, match="cannot be written in ascii"):
        write_if_unchanged(path, "# coding: ascii\nx = 1\n", "# coding: ascii\nx = 'é'\n")
    assert path.read_bytes() == b"# coding: ascii\nx = 1\n"


def test_a_file_locked_by_another_writer_is_not_written(tmp_path, monkeypatch):
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")
    monkeypatch.setattr(writing, "LOCK_TIMEOUT", 0.05)
    with open(path, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(NotWritten, match="^locked by another process$"):
            write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 1\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"x = 1\n", "utf-8"),
        (b"\xef\xbb\xbfx = 1\n", "utf-8-sig"),
        (b"# -*- coding: latin-1 -*-\n", "iso-8859-1"),
        (b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n", "cp1252"),
    ],
)
def test_the_encoding_is_found_as_python_finds_it(data, encoding):
    assert source_encoding(data) == encoding


def test_a_file_system_without_locks_still_gets_the_content_check(tmp_path, monkeypatch):
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 2\n"
    with pytest.raises(NotWritten, match="changed on disk"):
        write_if_unchanged(path, "x = 1\n", "x = 3\n")


def test_a_cookie_naming_no_text_encoding_is_not_written(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"# coding: hex\nx = 1\n")
    with pytest.raises(NotWritten, match="is not a text encoding"):
        write_if_unchanged(path, "# coding: hex\nx = 1\n", "# coding: hex\nx = 2\n")
    assert path.read_bytes() == b"# coding: hex\nx = 1\n"


@pytest.mark.skipif(not hasattr(os, "chown") or os.geteuid() != 0, reason="only root can give a file away")
def test_the_owner_of_the_file_is_kept_when_allowed(tmp_path):
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 1\n")
    os.chown(path, 1234, 2345)
    path.chmod(0o640)
    write_if_unchanged(path, "x = 1\n", "x = 2\n")
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 2345, 0o640)


def test_a_hard_linked_file_is_fixed_in_place_for_every_name(tmp_path):
    path, twin = tmp_path / "a.py", tmp_path / "twin.py"
    path.write_bytes(b"x = 1\n")
    path.chmod(0o640)
    os.link(path, twin)
    inode = path.stat().st_ino
    write_if_unchanged(path, "x = 1\n", "x = 22\n")
    assert (path.read_bytes(), twin.read_bytes()) == (b"x = 22\n", b"x = 22\n")
    info = path.stat()
    assert (info.st_ino, info.st_nlink, stat.S_IMODE(info.st_mode)) == (inode, 2, 0o640)
    write_if_unchanged(path, "x = 22\n", "y\n")  # shorter: the file is truncated to the new text
    assert twin.read_bytes() == b"y\n"
    assert _leftovers(tmp_path) == []


def test_a_hard_linked_file_changed_through_its_other_name_is_not_written(tmp_path):
    path, twin = tmp_path / "a.py", tmp_path / "twin.py"
    path.write_bytes(b"x = 1\n")
    os.link(path, twin)
    twin.write_bytes(b"x = 1\ny = 'added by the user'\n")
    with pytest.raises(NotWritten, match="^changed on disk$"):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 1\ny = 'added by the user'\n"
    assert _leftovers(tmp_path) == []


def test_a_failed_in_place_write_puts_the_analysed_text_back(tmp_path, monkeypatch):
    path, twin = tmp_path / "a.py", tmp_path / "twin.py"
    path.write_bytes(b"x = 1\n")
    os.link(path, twin)
    overwrite = writing._overwrite
    calls: list[bytes] = []

    def fail_first(fd: int, data: bytes) -> None:
        calls.append(data)
        if len(calls) == 1:
            os.write(fd, data[:3])  # part of the fixed text reached the file
            raise OSError(errno.ENOSPC, "No space left on device")
        overwrite(fd, data)

    monkeypatch.setattr(writing, "_overwrite", fail_first)
    with pytest.raises(NotWritten, match="^cannot be written: No space left on device$"):
        write_if_unchanged(path, "x = 1\n", "x = 1000\n")
    assert calls == [b"x = 1000\n", b"x = 1\n"]
    assert twin.read_bytes() == b"x = 1\n"
    assert _leftovers(tmp_path) == []


def test_an_in_place_write_that_cannot_be_undone_keeps_the_fixed_text_beside_it(tmp_path, monkeypatch):
    path, twin = tmp_path / "a.py", tmp_path / "twin.py"
    path.write_bytes(b"x = 1\n")
    os.link(path, twin)

    def fail(fd: int, data: bytes) -> None:
        os.write(fd, b"x =")
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(writing, "_overwrite", fail)
    with pytest.raises(NotWritten) as raised:
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    [kept] = _leftovers(tmp_path)
    assert str(raised.value) == (
        f"partly written (Input/output error); the fixed text is in {tmp_path / kept}"
    )
    assert len(kept) == len(".XXXXXXXX.bqlint-tmp")  # named in the message, not after the file
    assert (tmp_path / kept).read_bytes() == b"x = 2\n"


def test_a_hard_linked_file_replaced_while_locked_is_not_overwritten(tmp_path, monkeypatch):
    path, twin = tmp_path / "a.py", tmp_path / "twin.py"
    path.write_bytes(b"x = 1\n")
    os.link(path, twin)
    copy = writing._temporary_copy

    def swap_then_copy(where: Path, data: bytes) -> str:
        # Another program renames a new file over the name between the check and the write.
        (tmp_path / "new.py").write_bytes(b"z = 3\n")
        os.replace(tmp_path / "new.py", path)
        return copy(where, data)

    monkeypatch.setattr(writing, "_temporary_copy", swap_then_copy)
    with pytest.raises(NotWritten, match="^changed on disk$"):
        write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert (path.read_bytes(), twin.read_bytes()) == (b"z = 3\n", b"x = 1\n")
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("length", [235, 255])
def test_a_file_with_the_longest_legal_name_is_written(tmp_path, length):
    """crash13 #04: the temporary file's name does not grow with the file's name."""
    path = tmp_path / ("a" * (length - 3) + ".py")
    path.write_bytes(b"x = 1\n")
    write_if_unchanged(path, "x = 1\n", "x = 2\n")
    assert path.read_bytes() == b"x = 2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("name", ["a.py", "b" * 252 + ".py"])
def test_the_temporary_file_has_a_fixed_length_name_beside_the_file(tmp_path, name):
    path = tmp_path / name
    temporary = Path(writing._temporary_copy(path, b"x = 2\n"))
    assert (temporary.parent, len(temporary.name), temporary.name[0], temporary.suffix) == (
        tmp_path,
        len(".XXXXXXXX.bqlint-tmp"),
        ".",
        ".bqlint-tmp",
    )
    assert temporary.read_bytes() == b"x = 2\n"
