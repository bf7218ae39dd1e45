"""Saves are coalesced (blind crash6 #6: "Save All" with 30 open files queued 900 re-checks
and a code action waited 112 s): a save that leaves its file as the open documents were last
checked against re-checks nothing; otherwise each open document is queued once, and the
queue runs only while no message waits, so requests are answered first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.server.wire import InProcess, code_action, notification, opening

CALLER = (
    "import bql\nfrom hostio import flush\n\n\nclass Dma{n}(bql.SysBusDevice):\n"
    "    def __init__(self) -> None:\n        super().__init__()\n        self.regs = bql.BqlRefCell([0])\n\n"
    "    def kick(self) -> None:\n        with self.regs.borrow_mut() as regs:\n"
    "            regs[0] = 1\n            flush()\n"
)
QUIET = "def flush() -> None:\n    pass\n"
RELEASES = "import bql\n\n\n@bql.releases_bql\ndef flush() -> None:\n    pass\n"
OPEN = 4


@pytest.fixture
def session(tmp_path: Path) -> InProcess:
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    (tmp_path / "hostio.py").write_text(QUIET)
    server = InProcess(tmp_path)
    for n in range(OPEN):
        path = tmp_path / f"dma{n}.py"
        path.write_text(CALLER.format(n=n))
        server.send(opening(path, CALLER.format(n=n)))
    server.send(opening(tmp_path / "hostio.py", QUIET))
    assert len(_published(server.take())) == OPEN + 1
    return server


def _save(path: Path) -> dict[str, Any]:
    return notification("textDocument/didSave", {"textDocument": {"uri": path.as_uri()}})


def _published(messages: list[dict[str, Any]]) -> list[tuple[str, list[tuple[str, int]]]]:
    return [
        (Path(m["params"]["uri"][len("file://"):]).name, [(d["code"], d["range"]["start"]["line"] + 1) for d in m["params"]["diagnostics"]])
        for m in messages
        if m.get("method") == "textDocument/publishDiagnostics"
    ]


def test_saves_of_unchanged_files_recheck_nothing(session: InProcess, tmp_path: Path) -> None:
    for k in range(30):
        session.send(_save(tmp_path / f"dma{k % OPEN}.py"))
    session.send(_save(tmp_path / "hostio.py"))
    session.send(code_action(tmp_path / "dma0.py", 7))
    assert [m.get("id") for m in session.take()] == [7]
    assert session.idle() == 0


def test_a_burst_of_saves_rechecks_each_open_file_once_after_answering_requests(
    session: InProcess, tmp_path: Path
) -> None:
    (tmp_path / "hostio.py").write_text(RELEASES)
    session.send(_save(tmp_path / "hostio.py"))
    for k in range(30):
        with (tmp_path / f"dma{k % OPEN}.py").open("a") as file:
            file.write(f"# saved {k}\n")
        session.send(_save(tmp_path / f"dma{k % OPEN}.py"))
    session.send(code_action(tmp_path / "dma0.py", 7))
    assert [m.get("id") for m in session.take()] == [7]  # answered before any re-check
    assert session.idle() == OPEN + 1
    published = _published(session.take())
    assert published[0][0] == "dma1.py"  # the file saved last first
    assert sorted(published) == [(f"dma{n}.py", [("BQL002", 13)]) for n in range(OPEN)] + [("hostio.py", [])]


def test_a_save_during_the_rechecks_queues_the_files_already_rechecked_again(
    session: InProcess, tmp_path: Path
) -> None:
    (tmp_path / "hostio.py").write_text(RELEASES)
    session.send(_save(tmp_path / "hostio.py"))
    assert session.server.idle() and session.server.idle()  # hostio.py and dma0.py re-checked
    assert [name for name, _ in _published(session.take())] == ["hostio.py", "dma0.py"]
    (tmp_path / "hostio.py").write_text(QUIET)
    session.send(_save(tmp_path / "hostio.py"))
    assert session.idle() == OPEN + 1
    published = _published(session.take())
    assert published[0] == ("hostio.py", [])  # the saved file first
    assert sorted(published[1:]) == [(f"dma{n}.py", []) for n in range(OPEN)]


def test_a_change_puts_the_document_first_and_a_close_takes_it_off_the_queue(
    session: InProcess, tmp_path: Path
) -> None:
    (tmp_path / "hostio.py").write_text(RELEASES)
    session.send(_save(tmp_path / "hostio.py"))
    change = {"textDocument": {"uri": (tmp_path / "dma1.py").as_uri(), "version": 2}, "contentChanges": [{"text": "x = 1\n"}]}
    session.send(notification("textDocument/didChange", change))
    session.send(notification("textDocument/didClose", {"textDocument": {"uri": (tmp_path / "dma2.py").as_uri()}}))
    assert _published(session.take()) == [("dma2.py", [])]  # the close's empty publish only
    assert session.idle() == OPEN
    assert _published(session.take())[0] == ("dma1.py", [])  # the changed document first
    assert session.idle() == 0


def test_a_burst_of_keystrokes_is_checked_once_and_a_code_action_sees_the_latest_text(
    session: InProcess, tmp_path: Path
) -> None:
    """crash13 #7: each change was a full check at once; 30 keystrokes kept a request
    waiting behind 30 checks. Changes queue; a code action for the document checks its
    latest text first, so its edits fit the text the editor shows."""
    uri = (tmp_path / "dma0.py").as_uri()
    text = CALLER.format(n=0)
    for version in range(2, 32):
        text = text.replace("            flush()", "            flush()  ")
        change = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}
        session.send(notification("textDocument/didChange", change))
    assert session.take() == []
    session.send(code_action(tmp_path / "dma0.py", 7, line=12))
    messages = session.take()
    assert [(m.get("method"), m.get("id")) for m in messages] == [("textDocument/publishDiagnostics", None), (None, 7)]
    assert messages[0]["params"]["version"] == 31
    assert session.idle() == 0
