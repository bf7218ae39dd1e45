"""The server's input framing (blind crash6 #10): a frame's body is read as it arrives, never
allocated at the size its header announces, and a frame announced over the limit is refused
with a log message and skipped, after which the server keeps serving."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from bqlint.lsp_framing import CHUNK, MAX_MESSAGE_BYTES, FrameReader, Refused
from bqlint.lsp_loop import serve_frames
from tests.server.wire import Collected, frame, parse, request, run_server, session_start


def _frames(data: bytes, limit: int = MAX_MESSAGE_BYTES) -> list[bytes | Refused]:
    return list(FrameReader(io.BytesIO(data).read, limit).frames())


def test_frames_split_on_their_length_with_other_headers_and_odd_case() -> None:
    data = (
        b"Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}"
        + b"content-length:3\r\n\r\n[1]"
        + b"Content-Length: 4\r\n\r\nnull"
    )
    assert _frames(data) == [b"{}", b"[1]", b"null"]


def test_a_frame_over_the_limit_is_refused_skipped_and_the_next_one_read() -> None:
    data = b"Content-Length: 11\r\n\r\n" + b"x" * 11 + b"Content-Length: 2\r\n\r\n{}"
    assert _frames(data, limit=10) == [Refused(11), b"{}"]


def test_a_huge_announced_length_is_refused_before_its_body_is_read() -> None:
    # The stream ends long before the announced bytes: refused, then the skip meets the end.
    assert _frames(b"Content-Length: 99999999999999\r\n\r\n{}") == [Refused(99999999999999)]
    digits = b"9" * 5000  # more digits than Python converts by default
    assert _frames(b"Content-Length: " + digits + b"\r\n\r\n{}") == [Refused(10**18)]


def test_reads_never_ask_for_more_than_a_chunk() -> None:
    body = json.dumps({"text": "y" * (3 * CHUNK)}).encode()
    source = io.BytesIO(b"Content-Length: %d\r\n\r\n" % len(body) + body + frame(b"{}"))
    asked: list[int] = []

    def read(size: int) -> bytes:
        asked.append(size)
        return source.read(size)

    assert list(FrameReader(read).frames()) == [body, b"{}"]
    assert max(asked) == CHUNK


def test_invalid_and_runaway_header_lines_are_ignored() -> None:
    data = (
        b"Content-Length: -5\r\n\r\n"  # not a length: the blank line ends nothing
        + b"X-Junk: " + b"j" * (200 * 1024) + b"\r\n"
        + b"Content-Length: 2\r\n\r\n{}"
    )
    assert _frames(data) == [b"{}"]


def test_a_body_cut_short_by_the_end_of_input_is_dropped() -> None:
    assert _frames(frame(b"{}") + b"Content-Length: 10\r\n\r\n{}") == [b"{}"]


def test_the_server_keeps_serving_after_a_refused_frame(tmp_path: Path) -> None:
    from bqlint.server import create_server

    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    data = b"".join(frame(m) for m in session_start(tmp_path))
    data += b"Content-Length: 5000\r\n\r\n" + b"z" * 5000
    data += frame(request(2, "shutdown"))
    server = create_server()
    out = Collected()
    server.protocol.set_writer(out)
    asyncio.run(serve_frames(server, FrameReader(io.BytesIO(data).read, limit=4096).frames()))
    messages = parse(bytes(out.data))
    logged = [m["params"] for m in messages if m.get("method") == "window/logMessage"]
    assert logged == [
        {"type": 1, "message": "bqlint: refused a message of 5000 bytes (the limit is 268435456); its bytes are skipped"}
    ]
    assert [m.get("id") for m in messages if "result" in m] == [1, 2]


def test_a_huge_content_length_does_not_crash_the_server(tmp_path: Path) -> None:
    # Blind crash6 #10: "bqlint crashed: MemoryError", exit 2, from this one header.
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    data = b"".join(frame(m) for m in session_start(tmp_path))
    done = run_server(tmp_path, data + b"Content-Length: 99999999999999\r\n\r\n{}")
    assert done.returncode == 0
    assert "crashed" not in done.stderr
    assert "refused a message of 99999999999999 bytes" in done.stderr
    logged = [m["params"]["message"] for m in done.messages if m.get("method") == "window/logMessage"]
    assert logged == [
        "bqlint: refused a message of 99999999999999 bytes (the limit is 268435456); its bytes are skipped"
    ]
