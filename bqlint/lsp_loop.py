"""The language server's main loop: frames in, JSON-RPC messages to pygls, idle work between.

A reader thread splits standard input into frames (`lsp_framing`) and queues them; the loop
hands each to pygls in order. Work the server defers (re-checking open files after a save) runs
one piece at a time, only while no message is waiting, so a burst of notifications is handled
as one batch and a request sent meanwhile is answered after at most one piece of work.

JSON-RPC 2.0 asks that every request be answered: a body that is not JSON, or JSON nested
deeper than Python's decoder goes (it raises RecursionError), gets ParseError, a request
that is not a valid request object gets InvalidRequest, and a request whose params do not
fit its method gets InvalidParams, each with the request's id where it has one.
`params` may be omitted (JSON-RPC allows it): the method's own rules then decide.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from cattrs.errors import ClassValidationError
from cattrs.v import transform_error
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCProtocol

from bqlint.lsp_framing import Refused

logger = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


class Host(Protocol):
    """What the loop needs of the server."""

    @property
    def protocol(self) -> JsonRPCProtocol:
        """pygls's protocol, which structures and handles messages."""

    def stopped(self) -> bool:
        """Whether the server was told to stop."""

    def shut_down(self) -> bool:
        """Whether `shutdown` was received: requests other than `exit` are refused after it."""

    def idle(self) -> bool:
        """Do one piece of deferred work; return False when there was none."""

    def refused(self, length: int) -> None:
        """Report a frame announced at `length` bytes, over the limit and skipped."""


async def serve_frames(host: Host, frames: Iterator[bytes | Refused]) -> None:
    """Handle `frames` (read on another thread) until they end or the server stops."""
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[bytes | Refused | None] = asyncio.Queue()

    def pump() -> None:
        try:
            for frame in frames:
                loop.call_soon_threadsafe(inbox.put_nowait, frame)
            loop.call_soon_threadsafe(inbox.put_nowait, None)
        except RuntimeError:  # the loop has closed: the server exited meanwhile
            return

    threading.Thread(target=pump, name="bqlint-lsp-reader", daemon=True).start()
    while not host.stopped():
        if inbox.empty() and host.idle():
            await asyncio.sleep(0)  # let the reader queue what arrived during that work
            continue
        frame = await inbox.get()
        if frame is None:
            return
        if isinstance(frame, Refused):
            host.refused(frame.length)
        else:
            dispatch(host, frame)
        await asyncio.sleep(0)


def dispatch(host: Host, body: bytes) -> None:
    """Hand one frame's body to pygls, or answer it with the JSON-RPC error it deserves."""
    try:
        data = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        _reply_error(host.protocol, None, PARSE_ERROR, "the message is not valid JSON")
        return
    except RecursionError:  # valid JSON, nested deeper than the decoder goes
        _reply_error(host.protocol, None, PARSE_ERROR, "the message is nested too deeply to decode")
        return
    if not isinstance(data, dict):
        _reply_error(host.protocol, None, INVALID_REQUEST, "a message must be a JSON object")
        return
    request = "id" in data and "method" in data
    if request and (_id(data) is None or data.get("jsonrpc") != "2.0"):
        _reply_error(host.protocol, _id(data), INVALID_REQUEST, "not a JSON-RPC 2.0 request")
        return
    if request and host.shut_down() and data["method"] != "exit":
        _reply_error(host.protocol, data["id"], INVALID_REQUEST, "the server is shutting down")
        return
    if "method" in data:
        data.setdefault("params", None)
    try:
        message = host.protocol.structure_message(data)
    except JsonRpcException as exc:
        detail = _detail(exc)
        if request:
            _reply_error(host.protocol, data["id"], INVALID_PARAMS, f"invalid params for {data['method']}: {detail}")
        else:
            logger.warning("ignoring a message that does not fit its method: %s", detail)
        return
    try:
        host.protocol.handle_message(message)
    except Exception:
        logger.exception("unable to handle a message")


def _id(data: Any) -> str | int | None:
    """Return a message's id when it is one JSON-RPC allows (a string or an integer)."""
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) else None


def _detail(exc: JsonRpcException) -> str:
    """Say what in the params did not fit, in the converter's words."""
    cause = exc.__cause__
    if isinstance(cause, ClassValidationError):
        return "; ".join(transform_error(cause))
    return str(cause or exc)


def _reply_error(protocol: JsonRPCProtocol, msg_id: str | int | None, code: int, message: str) -> None:
    """Send a JSON-RPC error response (id null when the request's id is unknown)."""
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})
