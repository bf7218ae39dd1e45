"""A document whose text keeps its file's byte-order mark as U+FEFF (crash14 #14): it is
checked as Python reads the file (without the mark; it was BQL999 at 0:0), and positions on
its first row still count the mark, as the client's text does."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from bqlint.lsp_text import apply_change
from tests.server.wire import InProcess, code_action, opening

SOURCE = (
    "import bql  # noqa: BQL002\n"
    "class Dev(bql.SysBusDevice):\n"
    "    def __init__(self):\n"
    "        self.level = bql.BqlCell(0)\n"
    "    def reset(self):\n"
    "        self.level = 3\n"
)


def _published(server: InProcess) -> list[tuple[str, int, int, int]]:
    (message,) = [m for m in server.take() if m.get("method") == "textDocument/publishDiagnostics"]
    return [
        (d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"], d["range"]["end"]["character"])
        for d in message["params"]["diagnostics"]
    ]


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_a_document_keeping_its_bom_is_checked_as_python_reads_it(tmp_path: Path, bom: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    path = tmp_path / "dev.py"
    path.write_bytes(b"\xef\xbb\xbf" + SOURCE.encode())
    server = InProcess(tmp_path)
    server.send(opening(path, bom + SOURCE))
    shift = len(bom)
    assert _published(server) == [("BQL100", 0, 12 + shift, 26 + shift), ("BQL007", 5, 8, 18)]
    server.send(code_action(path, 5, line=0))
    (reply,) = [m for m in server.take() if m.get("id") == 5]
    (action,) = reply["result"]
    assert action["title"] == "remove the suppression"
    (edit,) = action["edit"]["changes"][path.as_uri()]
    change = types.TextDocumentContentChangePartial(
        range=types.Range(
            types.Position(**edit["range"]["start"]), types.Position(**edit["range"]["end"])
        ),
        text=edit["newText"],
    )
    fixed = apply_change(bom + SOURCE, change, types.PositionEncodingKind.Utf16)
    assert fixed == bom + SOURCE.replace("import bql  # noqa: BQL002", "import bql")


def test_only_one_mark_is_dropped_as_python_drops_one(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    path = tmp_path / "dev.py"
    server = InProcess(tmp_path)
    server.send(opening(path, "\ufeff\ufeffx = 1\n"))
    assert _published(server) == [("BQL999", 0, 1, 2)]
