"""A character backend over a listening socket, with its own I/O thread (QEMU's ``-chardev socket,server=on``).

The I/O thread serves one peer at a time on a Unix socket path or on TCP at 127.0.0.1,
and takes the BQL to deliver its input to the device's handlers, as QEMU's main loop
does. The peer may disconnect and a new one connect; the device gets `Event.CLOSED` /
`Event.OPENED`. As QEMU's server socket (``char-socket.c``) stops listening while a peer
is connected, a second peer waits in the listen backlog and is served once the first
disconnects. Output written while no peer is connected is dropped, as QEMU's socket
chardev does. Input the device cannot take yet waits in a bounded buffer; when it is
full the I/O thread stops reading, so the peer's writes block (the socket pushes back),
and reading resumes once the device takes some. While input waits, the I/O thread asks
the device's `can_receive()` again every `OFFER_INTERVAL_S` under the BQL, as QEMU's main
loop does on each iteration: input is delivered as soon as the device has room, however
it got it (a read of its data register, `accept_input()`, a reset, a FIFO switched on, a
migration). Registering handlers or `accept_input()` wakes it at once.
Output is a blocking send, as QEMU's blocking write: a peer that stops reading makes the
device's `write_all()` wait with the BQL held until the peer reads or disconnects, or the
socket's 5 s timeout gives up on the rest of that output. A device handler that raises is reported as an
uncaught thread error is; the I/O thread goes on serving the peer, the chunk still queued.
"""

from __future__ import annotations

import os
import secrets
import selectors
import socket
import sys
import threading
from types import TracebackType

from ..errors import BqlUnlockError
from ..lock import _HELD, _leave, acquire, unlock
from ..messages import short_repr
from .frontend import Chardev, Event

__all__ = ["SocketChardev"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# How long the I/O thread waits for the BQL before checking whether it should stop.
_BQL_POLL_S = 0.05
# Largest read from the peer at once.
_RECV_SIZE = 4096
OFFER_INTERVAL_S = 0.02
"""How often held input is offered to the device again, in seconds."""
MAX_PENDING = 64 * 1024
"""Default bound of the input buffer, in bytes."""


def _listen_unix(path: str) -> socket.socket:
    """Return a socket listening at `path`, which appears only once it accepts peers.

    bind() creates the file and only listen() lets peers in: one connecting as soon as
    the file exists, between the two, would be refused. So bind a temporary name in the
    same folder, listen, then rename it to `path` (atomic; replaces a stale socket file).
    """
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        temporary = os.path.join(os.path.dirname(path), f".{secrets.token_hex(4)}")
        try:
            listener.bind(temporary)
        except OSError:  # longer than a socket address may be: bind `path`, listen at once
            if os.path.exists(path):
                os.unlink(path)
            listener.bind(path)
            listener.listen(1)
            return listener
        try:
            listener.listen(1)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except BaseException:
        listener.close()
        raise
    return listener


class SocketChardev(Chardev):
    """A server socket backend: ``SocketChardev(path)`` (Unix) or ``SocketChardev(port=0)`` (TCP).

    Use it as a context manager, or call `close()`: the I/O thread then stops and the
    socket is removed. Handlers run on the I/O thread under the BQL, so a thread that
    holds the BQL for long delays input (release it, e.g. with `bql.unlocked()`).

    >>> import socket, threading, bql
    >>> from bql.chardev import CharFrontend, SocketChardev
    >>> got = threading.Event()
    >>> with SocketChardev(port=0) as backend:
    ...     fe = CharFrontend(backend)
    ...     with bql.locked():
    ...         fe.enable_handlers(lambda: 64, lambda data: got.set())
    ...     with socket.create_connection(backend.address) as peer:
    ...         peer.sendall(b"hello")
    ...         got.wait(5)
    True
    """

    def __init__(
        self,
        path: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_pending: int = MAX_PENDING,
    ):
        """Listen on the Unix socket `path`, or else on TCP `host:port` (loopback only).

        At most `max_pending` bytes of input wait for the device; beyond that the peer
        is not read from until the device takes some.
        """
        super().__init__()
        if path is None and host not in _LOOPBACK:
            raise ValueError(
                f"SocketChardev listens on loopback only, not {short_repr(host)}"
            )
        if isinstance(max_pending, bool) or not isinstance(max_pending, int):
            raise TypeError(
                f"max_pending must be an int, not {type(max_pending).__name__}"
            )
        if max_pending < 1:
            raise ValueError(
                f"max_pending must be at least 1, not {short_repr(max_pending)}"
            )
        self._max_pending = max_pending
        self._path = path
        if path is not None:
            listener = _listen_unix(path)
        else:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            listener = socket.socket(family, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(1)
        listener.setblocking(False)
        self._listener = listener
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._wake_r.setblocking(False)
        self._client: socket.socket | None = None
        self._client_lock = threading.Lock()
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._pending = bytearray()  # protected by the BQL
        # Set by the I/O thread when it stops reading the peer (the buffer is full),
        # cleared when it reads again; read under the BQL by `accept_input()`.
        self._paused = False
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(
            target=self._run, name=f"bql-chardev-socket-{self.address}", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str | tuple[str, int]:
        """Where peers connect: the Unix path, or ``(host, port)``."""
        if self._path is not None:
            return self._path
        host, port = self._listener.getsockname()[:2]
        return (host, port)

    @property
    def connected(self) -> bool:
        """Whether a peer is connected now."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Wait until a peer is connected; return whether one is."""
        return self._connected.wait(timeout)

    def write(self, data: bytes) -> None:
        """Send output to the peer; dropped when none is connected or the peer went away."""
        with self._client_lock:
            client = self._client
            if client is None:
                return
            try:
                client.sendall(data)
            except OSError:
                pass  # the I/O thread sees the disconnection and reports it

    @property
    def pending(self) -> int:
        """How many bytes of input wait for the device (at most `max_pending`)."""
        return len(self._pending)

    @property
    def max_pending(self) -> int:
        """The bound of the input buffer, in bytes."""
        return self._max_pending

    @property
    def paused(self) -> bool:
        """Whether reading from the peer is paused because the input buffer is full."""
        return self._paused

    def accept_input(self) -> None:
        """Deliver input already read from the peer that the device can now take.

        Called under the BQL; once the buffer has room, the I/O thread reads again.
        """
        delivered = self.deliver(self._pending)
        # Dekker-style with `_sync_reading()`: the buffer shrank before `_paused` is
        # read here, `_paused` is set there before the buffer's size is read. (The
        # I/O thread's own offers would resume reading too, a little later.)
        if delivered and self._paused:
            self._wake()

    def update_read_handler(self) -> None:
        """Have the I/O thread offer held input again: the frontend's handlers changed.

        Called under the BQL by `CharFrontend.enable_handlers()`. The I/O thread delivers
        once it gets the BQL, so input read before the device had handlers is not left
        waiting for the peer's next write.
        """
        self._wake()

    def _wake(self) -> None:
        """Make the I/O thread look at its state again (from any thread)."""
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass  # full (a wake-up is already pending) or closed (stopping)

    def close(self) -> None:
        """Stop the I/O thread, disconnect the peer and remove the socket."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake()
        if threading.current_thread() is not self._thread:
            self._thread.join()
        self._drop_client()
        self._selector.close()
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
        if self._path is not None and os.path.exists(self._path):
            os.unlink(self._path)

    def __enter__(self) -> SocketChardev:  # noqa: PYI034 - typing.Self needs 3.11
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sync_reading()
            # Held input: come back to offer it even if nothing happens on the sockets.
            events = self._selector.select(OFFER_INTERVAL_S if self._pending else None)
            if not events:
                self._offer_pending()
            for key, _mask in events:
                if self._stop.is_set():
                    return
                if key.data == "accept":
                    self._accept()
                elif key.data == "client":
                    self._read(key.fileobj)  # type: ignore[arg-type]
                elif key.data == "wake":
                    self._drain_wake()
                    self._offer_pending()

    def _sync_reading(self) -> None:
        """Watch the peer for input exactly when the buffer has room (I/O thread)."""
        client = self._client
        if client is None:
            return
        if len(self._pending) >= self._max_pending:
            if not self._paused:
                self._paused = True
                self._selector.unregister(client)
            # Drained meanwhile (and `accept_input()` saw `_paused` still false)?
            if len(self._pending) >= self._max_pending:
                return
        if self._paused:
            self._paused = False
            self._selector.register(client, selectors.EVENT_READ, "client")

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(256):
                pass
        except BlockingIOError:
            pass  # drained

    def _offer_pending(self) -> None:
        """Deliver held input that the frontend can take now (I/O thread, after a wake-up
        or every `OFFER_INTERVAL_S` while input is held).

        The wake-up was drained first, and the delivery takes the BQL, under which
        handlers are registered and input is taken: a change made after the drain wakes
        this thread again, one made before it is seen here. No wake-up is lost.
        """
        # Only this thread adds to the buffer: if it looks empty here, nothing is held.
        if self._pending:
            self._with_bql(lambda: self.deliver(self._pending))

    def _accept(self) -> None:
        try:
            peer, _addr = self._listener.accept()
        except OSError:
            return
        peer.setblocking(True)
        peer.settimeout(5.0)
        with self._client_lock:
            self._client = peer
        self._paused = False
        # One peer at a time: stop listening, so that the next one waits in the backlog
        # (QEMU char-socket.c: tcp_chr_new_client() removes the listener's watch).
        self._selector.unregister(self._listener)
        self._selector.register(peer, selectors.EVENT_READ, "client")
        self._connected.set()
        self._with_bql(lambda: self.be_event(Event.OPENED))

    def _read(self, peer: socket.socket) -> None:
        # Only this thread adds to the buffer, so its room can only grow meanwhile.
        room = self._max_pending - len(self._pending)
        if room <= 0:
            return  # `_sync_reading()` pauses reading before the next select
        try:
            data = peer.recv(min(_RECV_SIZE, room))
        except OSError:
            data = b""
        if not data:
            self._drop_client()
            self._with_bql(lambda: self.be_event(Event.CLOSED))
            return

        def deliver() -> None:
            self._pending += data
            self.deliver(self._pending)

        self._with_bql(deliver)

    def _drop_client(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        self._connected.clear()
        if client is not None:
            try:
                self._selector.unregister(client)
            except (KeyError, ValueError):
                pass  # not watched while reading is paused
            self._paused = False
            client.close()
            if not self._stop.is_set():  # listen again (QEMU: tcp_chr_disconnect())
                self._selector.register(self._listener, selectors.EVENT_READ, "accept")

    def _with_bql(self, action: object) -> None:
        """Run `action` on the I/O thread with the BQL, unless asked to stop first."""
        while not acquire(_BQL_POLL_S):
            if self._stop.is_set():
                return
        try:
            action()  # type: ignore[operator]
        except Exception:  # a device handler failed: report it, keep serving the peer
            _report()
        finally:
            if getattr(_HELD, "held", False):
                _unlock_or_end_borrows()


def _report() -> None:
    """Report the exception being handled as the I/O thread's, without ending the thread."""
    threading.excepthook(threading.ExceptHookArgs((*sys.exc_info(), threading.current_thread())))


def _unlock_or_end_borrows() -> None:
    """Release the BQL after a handler ran. A borrow the handler left alive (an escaped
    guard) is reported and ended, as `with bql.locked():` does: the I/O thread must not
    die holding the BQL, nor keep it."""
    try:
        unlock()
    except BqlUnlockError:
        _report()
        _leave()
