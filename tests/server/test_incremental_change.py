"""Incremental didChange as LSP defines it (blind crash6 #5): a character past the end of its
line means the line's end, before its line break (never splitting a CRLF or spilling onto the
next line); lines break at \\n, \\r\\n and \\r only."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from bqlint.lsp_text import apply_change, line_breaks
from tests.server.wire import code_action, frame, notification, opening, request, run_server, session_start

UTF16 = types.PositionEncodingKind.Utf16
UTF8 = types.PositionEncodingKind.Utf8
UTF32 = types.PositionEncodingKind.Utf32


def _insert(text: str, line: int, character: int, new: str, encoding: str = UTF16) -> str:
    at = types.Position(line=line, character=character)
    change = types.TextDocumentContentChangePartial(range=types.Range(at, at), text=new)
    return apply_change(text, change, encoding)


def _replace(text: str, start: tuple[int, int], end: tuple[int, int], new: str) -> str:
    span = types.Range(types.Position(*start), types.Position(*end))
    return apply_change(text, types.TextDocumentContentChangePartial(range=span, text=new), UTF16)


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("character", [10, 11, 500])
def test_a_character_past_the_line_end_is_the_line_end(eol: str, character: int) -> None:
    text = f"import bql{eol}x = 1{eol}"
    assert _insert(text, 0, character, "#") == f"import bql#{eol}x = 1{eol}"


def test_the_last_line_and_lines_past_it() -> None:
    assert _insert("a\nbc", 1, 9, "!") == "a\nbc!"
    assert _insert("a\nbc\n", 2, 3, "!") == "a\nbc\n!"
    assert _insert("a\nbc\n", 7, 0, "!") == "a\nbc\n!"
    assert _insert("", 0, 4, "x") == "x"


def test_only_lsp_line_breaks_count() -> None:
    # A form feed, a vertical tab and U+2028 are inside a line for LSP (and for Python).
    text = "a\x0cb\x0bc\u2028d\ne"
    assert list(line_breaks(text)) == [(7, 8)]
    assert _insert(text, 1, 0, "!") == "a\x0cb\x0bc\u2028d\n!e"
    assert list(line_breaks("a\r\nb\rc\n\r\n")) == [(1, 3), (4, 5), (6, 7), (7, 9)]


def test_a_range_ending_past_a_crlf_line_end_keeps_the_break() -> None:
    assert _replace("ab\r\ncd\r\n", (0, 1), (0, 99), "X") == "aX\r\ncd\r\n"
    assert _replace("ab\r\ncd\r\n", (0, 5), (1, 1), "") == "abd\r\n"


def test_a_reversed_range_is_the_same_span() -> None:
    assert _replace("abcdef\n", (0, 4), (0, 1), "-") == "a-ef\n"


def test_characters_are_counted_in_the_agreed_encoding() -> None:
    text = "s = '\U0001f600x'\n"  # the emoji is 2 UTF-16 units, 4 UTF-8 bytes, 1 code point
    assert _insert(text, 0, 7, "!", UTF16) == "s = '\U0001f600!x'\n"
    assert _insert(text, 0, 9, "!", UTF8) == "s = '\U0001f600!x'\n"
    assert _insert(text, 0, 6, "!", UTF32) == "s = '\U0001f600!x'\n"
    assert _insert(text, 0, 99, "!", UTF16) == "s = '\U0001f600x'!\n"


DEVICE = "import bql\n\n\nclass D(bql.Device):\n    def __init__(self):\n        super().__init__()\n        self.c = bql.BqlCell(0)\n\n    def m(self):\n        self.c = 1\n"


@pytest.mark.parametrize(
    ("eol", "inserted", "expected"),
    [("\r\n", "#", [("BQL007", 9, 8)]), ("\n", "x = (", [("BQL999", 0, 12)]), ("\r\n", "x = (", [("BQL999", 0, 12)])],
)
def test_the_server_applies_a_change_past_the_line_end_as_the_client_does(
    tmp_path: Path, eol: str, inserted: str, expected: list[tuple[str, int, int]]
) -> None:
    # Blind crash6: the CRLF was split (every later row one too low) or the text landed on line 1.
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    path = tmp_path / "e.py"
    at = {"line": 0, "character": 11}
    change = notification("textDocument/didChange", {
        "textDocument": {"uri": path.as_uri(), "version": 2},
        "contentChanges": [{"range": {"start": at, "end": at}, "text": inserted}],
    })
    messages = [*session_start(tmp_path), opening(path, DEVICE.replace("\n", eol)), change, code_action(path, 8)]
    done = run_server(tmp_path, b"".join(frame(m) for m in [*messages, request(9, "shutdown"), notification("exit")]))
    last = [m for m in done.messages if m.get("method") == "textDocument/publishDiagnostics"][-1]["params"]
    found = [(d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in last["diagnostics"]]
    assert last["version"] == 2
    assert found == expected


@pytest.mark.parametrize(("offered", "agreed", "column"), [(None, "utf-16", 18), (["utf-8", "utf-16"], "utf-8", 20), (["utf-32"], "utf-32", 17)])
def test_diagnostics_and_changes_use_the_encoding_agreed_at_initialize(
    tmp_path: Path, offered: list[str] | None, agreed: str, column: int
) -> None:
    # pygls agrees on the client's first supported encoding; columns were UTF-16 (or code
    # points when UTF-32 was offered anywhere) whatever was agreed.
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    path = tmp_path / "e.py"
    capabilities = {"general": {"positionEncodings": offered}} if offered else {}
    start = request(1, "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": capabilities})
    text = DEVICE.replace("        self.c = 1", '        s = "\U0001f600"; self.c = 1')
    at = {"line": 9, "character": column}  # just before `self.c`: the insertion moves it on by one
    change = notification("textDocument/didChange", {
        "textDocument": {"uri": path.as_uri(), "version": 2},
        "contentChanges": [{"range": {"start": at, "end": at}, "text": " "}],
    })
    messages = [start, notification("initialized", {}), opening(path, text), change, code_action(path, 8), request(9, "shutdown")]
    done = run_server(tmp_path, b"".join(frame(m) for m in [*messages, notification("exit")]))
    assert done.reply(1)["result"]["capabilities"]["positionEncoding"] == agreed
    published = [m["params"]["diagnostics"] for m in done.messages if m.get("method") == "textDocument/publishDiagnostics"]
    assert [[(d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"]) for d in p] for p in published] == [
        [("BQL007", 9, column)],
        [("BQL007", 9, column + 1)],
    ]
