"""Addresses a client sends that name no regular file (crash9 #1, #4): the server reads
nothing from a FIFO or a device and checks no folder or impossible name as a file."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from bqlint.server import disk_digest, file_path, file_uri


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


@pytest.mark.skipif(os.name == "nt" or sys.platform == "darwin", reason="names that are not UTF-8")
def test_a_folder_whose_name_is_not_utf8_keeps_its_configuration(tmp_path: Path) -> None:
    """crash13 #5: `%FF` was read as U+FFFD, so the server checked a path that does not exist,
    without the folder's configuration or its modules as context."""
    from tests.server.wire import InProcess, opening

    folder = Path(os.fsdecode(bytes(tmp_path) + b"/n\xff"))
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[tool.bqlint]\nignore = ["BQL001"]\n')
    path = folder / "dev.py"
    path.write_text(DEVICE)
    assert path.as_uri().endswith("/n%FF/dev.py")
    assert file_path(path.as_uri()) == path
    assert file_uri(path) == path.as_uri()
    server = InProcess(folder)
    server.send(opening(path, DEVICE))
    (published,) = [m["params"] for m in server.take() if m.get("method") == "textDocument/publishDiagnostics"]
    assert [(d["code"], d["range"]["start"]["line"] + 1) for d in published["diagnostics"]] == [("BQL007", 11)]


def test_related_locations_in_a_latin1_module_are_placed_as_python_reads_it(tmp_path: Path) -> None:
    """crash13 #11: another file's text was read as UTF-8 whatever its coding cookie said, so
    a related range after non-ASCII text was placed at the wrong character."""
    from tests.server.wire import InProcess, opening

    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    host = (
        "# -*- coding: latin-1 -*-\nimport bql\nfrom contextlib import nullcontext\n\n\ndef wait() -> None:\n"
        "    with nullcontext('ééé'), bql.unlocked():\n        pass\n"
    )
    # UTF-8 bytes under a latin-1 cookie: Python reads each `é` as two characters, `Ã©`.
    (tmp_path / "host.py").write_bytes(host.encode("utf-8"))
    caller = (
        "import bql\nfrom host import wait\n\n\nclass D(bql.Device):\n    def __init__(self) -> None:\n"
        "        super().__init__()\n        self.regs = bql.BqlRefCell([0])\n\n    def m(self) -> None:\n"
        "        with self.regs.borrow_mut() as r:\n            r[0] = 1\n            wait()\n"
    )
    path = tmp_path / "dev.py"
    path.write_text(caller)
    server = InProcess(tmp_path)
    server.send(opening(path, caller))
    (published,) = [m["params"] for m in server.take() if m.get("method") == "textDocument/publishDiagnostics"]
    (finding,) = published["diagnostics"]
    assert finding["code"] == "BQL002"
    in_host = [r["location"]["range"] for r in finding["relatedInformation"] if r["location"]["uri"].endswith("/host.py")]
    assert in_host == [{"start": {"line": 6, "character": 32}, "end": {"line": 6, "character": 46}}]


DEVICE = (
    "import bql\n\n\nclass D(bql.Device):\n    def __init__(self) -> None:\n        super().__init__()\n"
    "        self.level = bql.BqlCell(0)\n        self.seen = 0\n\n    def m(self) -> None:\n"
    "        self.level = 3\n        self.seen = 1\n"
)
