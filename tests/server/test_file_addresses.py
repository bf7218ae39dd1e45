"""Addresses a client sends that name no regular file (crash9 #1, #4): the server reads
nothing from a FIFO or a device and checks no folder or impossible name as a file."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from bqlint.server import disk_digest, file_path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.py"
    os.mkfifo(fifo)
    done: list[bytes | None] = []
    worker = threading.Thread(target=lambda: done.append(disk_digest(fifo.as_uri())), daemon=True)
    worker.start()
    worker.join(10)
    assert done == [None]  # answered at once, not blocked waiting for a writer


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_is_not_read() -> None:
    assert disk_digest("file:///dev/zero") is None


def test_a_regular_file_has_a_digest(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("x = 1\n")
    assert disk_digest(module.as_uri()) is not None


@pytest.mark.parametrize("uri", ["file:", "file:///", "file:///tmp/%00a.py", "untitled:Untitled-1"])
def test_addresses_that_name_no_file(uri: str) -> None:
    assert file_path(uri) is None
    assert disk_digest(uri) is None
