"""JSON-RPC and LSP details of the server (blind crash6 #11): every request is answered, a
malformed one with the error JSON-RPC names; a document that is not Python is not checked;
`exit` without `shutdown` first ends with status 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.wire import Finished, frame, notification, opening, request, run_server, session_start

DEVICE = "import bql\n\n\nclass D(bql.Device):\n    def __init__(self) -> None:\n        super().__init__()\n        self.c = bql.BqlCell(0)\n\n    def m(self) -> None:\n        self.c = 1\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    (tmp_path / "dev.py").write_text(DEVICE)
    return tmp_path


def _session(root: Path, *messages: dict[str, object] | bytes, end: bool = True) -> Finished:
    sent = [*session_start(root), opening(root / "dev.py", DEVICE), *messages]
    if end:
        sent += [request(999, "shutdown"), notification("exit")]
    return run_server(root, b"".join(frame(m) for m in sent))


def _action(root: Path, msg_id: int, **params: object) -> dict[str, object]:
    base: dict[str, object] = {
        "textDocument": {"uri": (root / "dev.py").as_uri()},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": []},
    }
    return request(msg_id, "textDocument/codeAction", {k: v for k, v in {**base, **params}.items() if v is not None})


def test_requests_with_invalid_params_get_an_invalid_params_reply(root: Path) -> None:
    bad_line = {"start": {"line": -1, "character": 0}, "end": {"line": 0, "character": 0}}
    done = _session(
        root,
        _action(root, 10, range=bad_line),
        _action(root, 11, context={"diagnostics": "x"}),
        _action(root, 12, range=None),
        request(13, "textDocument/hover"),
        _action(root, 14),  # a valid one, for comparison
    )
    assert done.returncode == 0
    for msg_id in (10, 11, 12, 13):
        assert done.reply(msg_id)["error"]["code"] == -32602
    assert done.reply(12)["error"]["message"] == "invalid params for textDocument/codeAction: required field missing @ $.params.range"
    assert done.reply(14)["result"] == []
    assert [m for m in done.messages if m.get("method") == "window/showMessage"] == []


def test_params_may_be_omitted_and_malformed_messages_are_answered(root: Path) -> None:
    done = _session(
        root,
        request(20, "bqlint/custom"),  # JSON-RPC allows omitting params
        request(21, "bqlint/custom", {}),
        b"{not json",
        b"[1, 2]",
        {"jsonrpc": "2.0", "id": {"odd": 1}, "method": "textDocument/hover", "params": {}},
    )
    assert done.reply(20)["error"]["code"] == -32601
    assert done.reply(21)["error"]["code"] == -32601
    anonymous = [m["error"]["code"] for m in done.messages if "error" in m and m["id"] is None]
    assert anonymous == [-32700, -32600, -32600]
    assert done.reply(999) == {"jsonrpc": "2.0", "id": 999, "result": None}


def test_a_request_after_shutdown_gets_an_error(root: Path) -> None:
    done = _session(root, request(30, "shutdown"), _action(root, 31), notification("exit"), end=False)
    assert done.reply(30)["result"] is None
    assert done.reply(31)["error"] == {"code": -32600, "message": "the server is shutting down"}
    assert done.returncode == 0


def test_a_document_that_is_not_python_is_not_checked(root: Path) -> None:
    readme = root / "README.md"
    done = _session(
        root,
        opening(readme, "# Title\n\nSee `f(`.\n", language="markdown"),
        notification("textDocument/didChange", {
            "textDocument": {"uri": readme.as_uri(), "version": 2},
            "contentChanges": [{"text": "x = (\n"}],
        }),
        notification("textDocument/didSave", {"textDocument": {"uri": readme.as_uri()}}),
        notification("textDocument/didClose", {"textDocument": {"uri": readme.as_uri()}}),
        opening(root / "other.py", "x = (\n"),
    )
    # The save may re-check dev.py (a save can change what open files report): not README.md.
    assert [uri for uri, _ in done.published() if uri == readme.as_uri()] == []
    assert [codes for uri, codes in done.published() if uri == (root / "other.py").as_uri()] == [["BQL999"]]
    assert {tuple(codes) for uri, codes in done.published() if uri == (root / "dev.py").as_uri()} == {("BQL007",)}


def test_exit_without_shutdown_ends_with_status_1(root: Path) -> None:
    assert _session(root, notification("exit"), end=False).returncode == 1


def test_exit_after_shutdown_ends_with_status_0(root: Path) -> None:
    done = _session(root)
    assert done.returncode == 0
    assert done.stderr == ""


def test_a_frame_nested_too_deeply_to_decode_gets_a_parse_error_and_the_server_lives(root: Path) -> None:
    # Blind crash8 #1: one valid-JSON frame nested 1,000 deep ended the server with
    # "bqlint crashed: RecursionError", exit 2, `shutdown` never answered.
    deep_array = b'{"jsonrpc":"2.0","id":40,"method":"textDocument/hover","params":' + b"[" * 1000 + b"]" * 1000 + b"}"
    deep_object = b'{"jsonrpc":"2.0","id":41,"method":"textDocument/hover","params":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001
    done = _session(root, deep_array, deep_object, _action(root, 42))
    assert done.returncode == 0
    assert "crashed" not in done.stderr
    anonymous = [m["error"] for m in done.messages if "error" in m and m["id"] is None]
    assert anonymous == [{"code": -32700, "message": "the message is nested too deeply to decode"}] * 2
    assert done.reply(42)["result"] == []
    assert done.reply(999) == {"jsonrpc": "2.0", "id": 999, "result": None}
