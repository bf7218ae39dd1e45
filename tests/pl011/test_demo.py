"""`python -m pl011`: start the demo, connect to its socket, type, read the echo."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

TIMEOUT_S = 10.0


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run `python -m pl011 --socket PATH`; yield the process and its listen line."""
    path = str(tmp_path / "pl011.sock")
    process = subprocess.Popen(
        [sys.executable, "-m", "pl011", "--socket", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = first_line(process)  # printed once the socket is listening
        assert "listening on unix:" in line, process.stderr and process.stderr.read()
        yield process, path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def first_line(process: subprocess.Popen[str]) -> str:
    """Return the demo's first stdout line, or "" if none comes within the timeout."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(TIMEOUT_S):
            return ""
    return process.stdout.readline()


def read_exactly(peer: socket.socket, size: int) -> bytes:
    data = b""
    deadline = time.monotonic() + TIMEOUT_S
    while len(data) < size and time.monotonic() < deadline:
        chunk = peer.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_demo_echoes_what_is_typed(demo: tuple[subprocess.Popen[str], str]) -> None:
    process, path = demo
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
        peer.settimeout(TIMEOUT_S)
        peer.connect(path)
        for text in (
            b"h",
            b"ello",
            b" world, this is longer than the 16-byte FIFO\r\n",
        ):
            peer.sendall(text)
            assert read_exactly(peer, len(text)) == text
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=TIMEOUT_S) == 0
    assert process.stderr is not None
    assert "Error" not in process.stderr.read()


def test_demo_serves_a_second_connection(
    demo: tuple[subprocess.Popen[str], str],
) -> None:
    _, path = demo
    for text in (b"first", b"second"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
            peer.settimeout(TIMEOUT_S)
            peer.connect(path)
            peer.sendall(text)
            assert read_exactly(peer, len(text)) == text


def test_demo_listens_on_tcp_loopback() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pl011", "--tcp", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        match = re.search(r"tcp:127\.0\.0\.1:(\d+)", first_line(process))
        assert match, "no listen address printed"
        with socket.create_connection(("127.0.0.1", int(match[1])), TIMEOUT_S) as peer:
            peer.sendall(b"tcp!")
            assert read_exactly(peer, 4) == b"tcp!"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=TIMEOUT_S)
