"""`bqlint server` driven by a real LSP client (pytest-lsp): diagnostics with their chain as
related information, code actions for fixes and suppressions, and the clean result after."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from bqlint.lsp_text import apply_change

CLASSIC = '''import bql
from bql.chardev import CharFrontend


class Uart(bql.SysBusDevice):
    def __init__(self, chardev: object = None) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])
        self.level = bql.BqlCell(0)
        self.chr = CharFrontend(chardev)

    def realize(self) -> None:
        self.chr.enable_handlers(self.can_receive, self.receive, None)

    def can_receive(self) -> int:
        return 1

    def receive(self, data: bytes) -> None:
        with self.regs.borrow_mut() as regs:
            regs[0] = data[0]

    def write(self, offset: int, value: int, size: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs[0] += 1
            self.chr.write_all(bytes([value]))

    def poke(self) -> None:
        self.level = 3
'''


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "bqlint", "server"]))
async def client(lsp_client: LanguageClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        root_uri=tmp_path.as_uri(),
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient, path: Path, text: str) -> list[types.Diagnostic]:
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


@pytest.mark.asyncio
async def test_open_publishes_findings_with_the_chain(client: LanguageClient, tmp_path: Path) -> None:
    found = await _open(client, tmp_path / "uart.py", CLASSIC)
    by_code = {d.code: d for d in found}
    assert sorted(by_code) == ["BQL003", "BQL007"]
    conflict = by_code["BQL003"]
    assert conflict.range.start == types.Position(line=24, character=12)
    assert conflict.source == "bqlint"
    related = conflict.related_information or []
    assert [r.location.range.start.line + 1 for r in related] == [23, 19]
    assert related[0].message == "mutable borrow of `self.regs` starts here"
    assert all(r.location.uri == (tmp_path / "uart.py").as_uri() for r in related)


async def _actions(client: LanguageClient, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    """Return the code actions the server offers for `diagnostic`."""
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert actions is not None
    return [a for a in actions if isinstance(a, types.CodeAction)]


def _new_text(action: types.CodeAction, uri: str, text: str) -> str:
    """Return `text` with the action's edits made, as a client makes them (from the last)."""
    assert action.edit is not None and action.edit.changes is not None
    edits = action.edit.changes[uri]
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        change = types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)
        text = apply_change(text, change, types.PositionEncodingKind.Utf16)
    return text


async def _change(client: LanguageClient, uri: str, text: str) -> list[str]:
    """Send the whole new `text` and return the codes published for it."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return [str(d.code) for d in client.diagnostics[uri]]


@pytest.mark.asyncio
async def test_code_action_fix_then_clean(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "uart.py"
    uri = path.as_uri()
    found = await _open(client, path, CLASSIC)
    actions = await _actions(client, uri, next(d for d in found if d.code == "BQL007"))
    assert "Suppress BQL007 on this line" in [a.title for a in actions]
    action = next(a for a in actions if a.is_preferred)
    assert action.edit is not None and action.edit.changes is not None
    assert [(e.range.start.line, e.new_text) for e in action.edit.changes[uri]] == [(27, "self.level.set(3)")]
    new_text = _new_text(action, uri, CLASSIC)
    assert new_text == CLASSIC.replace("self.level = 3", "self.level.set(3)")
    assert await _change(client, uri, new_text) == ["BQL003"]


@pytest.mark.asyncio
async def test_suppression_action_silences_the_finding(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "uart.py"
    uri = path.as_uri()
    found = await _open(client, path, CLASSIC)
    actions = await _actions(client, uri, next(d for d in found if d.code == "BQL003"))
    new_text = _new_text(next(a for a in actions if a.title.startswith("Suppress")), uri, CLASSIC)
    assert new_text.splitlines()[24].endswith("self.chr.write_all(bytes([value]))  # noqa: BQL003")
    assert new_text.splitlines()[:24] == CLASSIC.splitlines()[:24]
    assert await _change(client, uri, new_text) == ["BQL007"]


@pytest.mark.asyncio
async def test_saved_callee_rechecks_open_caller(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "hostio.py").write_text("def flush() -> None:\n    pass\n")
    caller = (
        "import bql\nfrom hostio import flush\n\n\nclass Dma(bql.SysBusDevice):\n"
        "    def __init__(self) -> None:\n        super().__init__()\n        self.regs = bql.BqlRefCell([0])\n\n"
        "    def kick(self) -> None:\n        with self.regs.borrow_mut() as regs:\n"
        "            regs[0] = 1\n            flush()\n"
    )
    assert await _open(client, tmp_path / "dma.py", caller) == []
    callee = "import bql\n\n\n@bql.releases_bql\ndef flush() -> None:\n    pass\n"
    (tmp_path / "hostio.py").write_text(callee)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=(tmp_path / "hostio.py").as_uri()))
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    found = client.diagnostics[(tmp_path / "dma.py").as_uri()]
    assert [(d.code, d.range.start.line + 1) for d in found] == [("BQL002", 13)]


def _change_notification(uri: str, text: str) -> types.DidChangeTextDocumentParams:
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
    )


@pytest.mark.asyncio
async def test_change_to_a_document_that_is_not_open_is_ignored(client: LanguageClient, tmp_path: Path) -> None:
    # Blind crash2 #09: a change before didOpen or after didClose was "Error in server: KeyError".
    path = tmp_path / "uart.py"
    uri = path.as_uri()
    client.text_document_did_change(_change_notification(uri, "import bql\n"))
    assert [d.code for d in await _open(client, path, CLASSIC)] == ["BQL003", "BQL007"]
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    client.text_document_did_change(_change_notification(uri, "import bql\n"))
    # Notifications are handled in order: once this one is published, the change was handled.
    assert await _open(client, tmp_path / "other.py", "x = 1\n") == []
    assert list(client.diagnostics[uri]) == []
    assert client.messages == []


@pytest.mark.asyncio
async def test_uri_that_names_no_file_is_checked_as_nothing(client: LanguageClient, tmp_path: Path) -> None:
    # `file:///` was checked as a file named "/" after walking the whole file system.
    uri = "file:///"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=CLASSIC))
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []
    assert client.messages == []


@pytest.mark.asyncio
async def test_an_unsaved_buffer_is_checked_alone(client: LanguageClient, tmp_path: Path) -> None:
    # An `untitled:` buffer is checked as `bqlint check -` is: its own findings, its chain
    # in the buffer itself, and the fix offered on it.
    uri = "untitled:Untitled-1"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=CLASSIC))
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    found = list(client.diagnostics[uri])
    assert sorted(str(d.code) for d in found) == ["BQL003", "BQL007"]
    conflict = next(d for d in found if d.code == "BQL003")
    assert conflict.range.start == types.Position(line=24, character=12)
    related = conflict.related_information or []
    assert [r.location.range.start.line + 1 for r in related] == [23, 19]
    assert all(r.location.uri == uri for r in related)
    actions = await _actions(client, uri, next(d for d in found if d.code == "BQL007"))
    assert "self.level.set(3)" in _new_text(next(a for a in actions if a.is_preferred), uri, CLASSIC)
    assert await _change(client, uri, CLASSIC.replace("self.level = 3", "self.level.set(3)")) == ["BQL003"]
    assert client.messages == []


@pytest.mark.asyncio
async def test_lone_surrogate_in_the_text_is_bql998_not_an_error(client: LanguageClient, tmp_path: Path) -> None:
    # Valid JSON ("\ud800") that no file can hold: reported as a file Python cannot decode.
    found = await _open_text(client, tmp_path / "odd.py", "import bql\nx = '\ud800'\n")
    assert [(d.code, d.range.start.line, d.message) for d in found] == [
        ("BQL998", 0, "cannot decode this file: U+D800 on line 2 is a lone surrogate")
    ]
    assert client.messages == []


async def _open_text(client: LanguageClient, path: Path, text: str) -> list[types.Diagnostic]:
    """Open `path` with `text` as its unsaved content (nothing written to disk)."""
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


def test_columns_count_code_units_of_the_agreed_encoding() -> None:
    from bqlint.diagnostics import Position
    from bqlint.server import BqlintServer, _position

    server = BqlintServer()
    lines = ['    x = "\U0001f600"; self.level = 3']
    assert _position(server, Position(1, 16), lines) == types.Position(line=0, character=16)
    server.encoding = types.PositionEncodingKind.Utf32
    assert _position(server, Position(1, 16), lines) == types.Position(line=0, character=15)
    server.encoding = types.PositionEncodingKind.Utf8
    assert _position(server, Position(1, 16), lines) == types.Position(line=0, character=18)


def test_an_edit_after_the_project_was_deleted_recreates_no_folder(tmp_path: Path) -> None:
    # Blind crash8 #7: the edit put a `.bqlint_cache/` in the deleted folder, re-creating the tree.
    import shutil

    from tests.server.wire import InProcess, notification, opening

    top = tmp_path / "top"
    (top / "ws" / "pkg").mkdir(parents=True)
    (top / "ws" / "pyproject.toml").write_text("[tool.bqlint]\n")
    path = top / "ws" / "pkg" / "dev.py"
    path.write_text(CLASSIC)
    server = InProcess(top / "ws")
    server.send(opening(path, CLASSIC))
    shutil.rmtree(top)
    change = {"textDocument": {"uri": path.as_uri(), "version": 2}, "contentChanges": [{"text": CLASSIC + "\n"}]}
    server.send(notification("textDocument/didChange", change))
    assert server.idle() == 1  # the change is checked once no message waits
    published = [
        [(d["code"], d["range"]["start"]["line"] + 1) for d in m["params"]["diagnostics"]]
        for m in server.take()
        if m.get("method") == "textDocument/publishDiagnostics"
    ]
    assert published == [[("BQL003", 25), ("BQL007", 28)]] * 2
    assert not top.exists()


def test_a_document_opened_through_a_symlink_gets_its_findings_under_its_own_uri(tmp_path: Path) -> None:
    # The CLI reports a file under the name it was given (blind crash8 #10); so does the
    # server, whose document is the link: its own locations name the link, not the target.
    from tests.server.wire import InProcess, opening

    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "impl.py").write_text(CLASSIC)
    path = tmp_path / "dev.py"
    path.symlink_to(Path("shared") / "impl.py")
    server = InProcess(tmp_path)
    server.send(opening(path, CLASSIC))
    published = [m["params"] for m in server.take() if m.get("method") == "textDocument/publishDiagnostics"]
    assert [p["uri"] for p in published] == [path.as_uri()]
    diagnostics = published[0]["diagnostics"]
    assert [(d["code"], d["range"]["start"]["line"] + 1) for d in diagnostics] == [("BQL003", 25), ("BQL007", 28)]
    related = {r["location"]["uri"] for d in diagnostics for r in d.get("relatedInformation") or []}
    assert related == {path.as_uri()}
