"""Code actions cost one pass over the document per request, not one per finding, and each
edits only what it changes (crash13 #10: 8,000 findings took 230 s and a 131 MB reply, each
action carrying the whole document, and each suppression re-parsing it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint import fixes
from tests.server.wire import InProcess, code_action, opening

FINDINGS = 40
HEAD = "import bql\n\n\nclass D(bql.Device):\n    def __init__(self) -> None:\n        super().__init__()\n"
DEVICE = (
    HEAD
    + "".join(f"        self.c{i} = bql.BqlCell(0)\n" for i in range(FINDINGS))
    + "\n    def m(self) -> None:\n"
    + "".join(f"        self.c{i} = {i}\n" for i in range(FINDINGS))
)
FIRST = 6 + FINDINGS + 3  # the 1-based row of the first rebinding


def test_actions_edit_their_own_rows_and_parse_the_document_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    path = tmp_path / "dev.py"
    path.write_text(DEVICE)
    server = InProcess(tmp_path)
    server.send(opening(path, DEVICE))
    server.take()
    parses: list[str] = []
    checked = fixes.ensure_parses
    monkeypatch.setattr(fixes, "ensure_parses", lambda text, **kw: (parses.append(text), checked(text, **kw))[1])
    request = code_action(path, 7, FIRST - 1)
    request["params"]["range"]["end"] = {"line": FIRST - 1 + FINDINGS, "character": 0}
    server.send(request)
    (reply,) = server.take()
    actions = reply["result"]
    assert len(actions) == 2 * FINDINGS  # a fix and a suppression per finding
    assert len(parses) == 1
    for n, (fix, suppress) in enumerate(zip(actions[::2], actions[1::2])):
        row = FIRST - 1 + n  # 0-based
        ((uri, fix_edits),) = fix["edit"]["changes"].items()
        assert uri == path.as_uri()
        assert [(e["range"]["start"], e["range"]["end"], e["newText"]) for e in fix_edits] == [
            ({"line": row, "character": 8}, {"line": row, "character": 16 + len(str(n)) + len(str(n)) + 1}, f"self.c{n}.set({n})")
        ]
        (noqa,) = suppress["edit"]["changes"][uri]
        assert noqa["range"]["start"] == {"line": row, "character": 0}
        assert noqa["newText"] == f"        self.c{n} = {n}  # noqa: BQL007"
