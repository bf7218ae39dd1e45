"""Talking to `bqlint server` below a typed client: frames built and parsed by hand, so tests
can send what a client library would not (omitted params, a huge header, `exit` without
`shutdown`) and see the exit status; and an in-process server driven one message at a time,
so a test decides exactly when deferred work runs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bqlint.lsp_loop import dispatch
from bqlint.server import BqlintServer, create_server

OMITTED: Any = object()


def frame(message: dict[str, Any] | bytes) -> bytes:
    """Return `message` (or a raw body) with its Content-Length header."""
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(msg_id: int, method: str, params: Any = OMITTED) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not OMITTED:
        message["params"] = params
    return message


def notification(method: str, params: Any = OMITTED) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not OMITTED:
        message["params"] = params
    return message


def opening(path: Path, text: str, language: str = "python") -> dict[str, Any]:
    item = {"uri": path.as_uri(), "languageId": language, "version": 1, "text": text}
    return notification("textDocument/didOpen", {"textDocument": item})


def code_action(path: Path, msg_id: int, line: int = 0) -> dict[str, Any]:
    """A codeAction request for one position of `path` (the server checks a changed
    document's latest text before answering it)."""
    at = {"line": line, "character": 0}
    return request(msg_id, "textDocument/codeAction", {
        "textDocument": {"uri": path.as_uri()}, "range": {"start": at, "end": at}, "context": {"diagnostics": []},
    })


def session_start(root: Path) -> list[dict[str, Any]]:
    return [
        request(1, "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}),
        notification("initialized", {}),
    ]


def parse(stream: bytes) -> list[dict[str, Any]]:
    """Split the server's output into its messages."""
    messages = []
    while stream:
        header, _, rest = stream.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in header.split(b"\r\n") if line.lower().startswith(b"content-length"))
        messages.append(json.loads(rest[:length]))
        stream = rest[length:]
    return messages


@dataclass
class Finished:
    """A server process that read all its input and ended."""

    returncode: int
    messages: list[dict[str, Any]]
    stderr: str

    def reply(self, msg_id: int) -> dict[str, Any]:
        return next(m for m in self.messages if m.get("id") == msg_id and "method" not in m)

    def published(self) -> list[tuple[str, list[str]]]:
        """(URI, codes) of each publishDiagnostics, in order."""
        return [
            (m["params"]["uri"], [d["code"] for d in m["params"]["diagnostics"]])
            for m in self.messages
            if m.get("method") == "textDocument/publishDiagnostics"
        ]


def run_server(root: Path, data: bytes) -> Finished:
    """Run `bqlint server` in `root` with `data` as its whole input (then end of input)."""
    done = subprocess.run(
        [sys.executable, "-m", "bqlint", "server"], input=data, capture_output=True, cwd=root, timeout=120
    )
    return Finished(done.returncode, parse(done.stdout), done.stderr.decode("utf-8", "replace"))


class Collected:
    """A writer that keeps what the server sends."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


class InProcess:
    """A server in this process: each message handled when sent; deferred work runs only
    when `idle` is called, as the real loop runs it when no message waits."""

    def __init__(self, root: Path) -> None:
        self.server: BqlintServer = create_server()
        self.out = Collected()
        self.server.protocol.set_writer(self.out)
        for message in session_start(root):
            self.send(message)
        self.take()

    def send(self, message: dict[str, Any]) -> None:
        dispatch(self.server, json.dumps(message).encode())

    def take(self) -> list[dict[str, Any]]:
        """Return what the server sent since the last call."""
        messages = parse(bytes(self.out.data))
        self.out.data.clear()
        return messages

    def idle(self) -> int:
        """Run deferred work until none is left; return how many pieces ran."""
        pieces = 0
        while self.server.idle():
            pieces += 1
        return pieces
