"""Drive the PL011 of a real `qemu-system-arm -M virt` through the qtest protocol.

QEMU runs with the vCPU stopped (`-S`) and two Unix sockets that this side listens on:
the qtest socket (`readl` / `writel` lines, one `OK ...` reply each) and the serial
socket wired to UART0 at 0x09000000 (bytes written here arrive as PL011 input, bytes the
PL011 transmits arrive here). Used by test_differential.py.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import termios
import time
from types import TracebackType

QEMU = "qemu-system-arm"
UART0_BASE = 0x0900_0000
"""Where the `virt` board maps its first PL011 (hw/arm/virt.c: VIRT_UART)."""
TIMEOUT_S = 10.0
_SUFFIX = {1: "b", 2: "w", 4: "l"}


def qemu_binary() -> str | None:
    """Return the path of qemu-system-arm, or None when it is not installed."""
    return shutil.which(QEMU)


class QtestError(RuntimeError):
    """QEMU did not start, answered an error, or did not answer in time."""


class QemuPL011:
    """One QEMU process and its two sockets; a context manager that always cleans up."""

    def __init__(self) -> None:
        # Unix socket paths are limited to ~108 bytes: keep them short even when
        # TMPDIR is deep.
        self._dir = tempfile.mkdtemp(
            prefix="pl011-qtest-", dir="/tmp" if os.path.isdir("/tmp") else None
        )
        self._process: subprocess.Popen[bytes] | None = None
        self._qtest: socket.socket | None = None
        self._serial: socket.socket | None = None
        self._reply = b""
        self.output = bytearray()
        """Every byte the PL011 transmitted so far (collected by `collect_output`)."""

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> QemuPL011:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        binary = qemu_binary()
        if binary is None:
            raise QtestError(f"{QEMU} is not installed")
        qtest_path = os.path.join(self._dir, "qtest.sock")
        serial_path = os.path.join(self._dir, "serial.sock")
        listeners = []
        for path in (qtest_path, serial_path):
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            listener.listen(1)
            listener.settimeout(TIMEOUT_S)
            listeners.append(listener)
        # -S keeps the vCPU stopped: no guest code runs, only qtest touches the UART.
        # (Debian's 7.2 build has no qtest accelerator, so `accel=qtest` is not used.)
        self._process = subprocess.Popen(
            [
                binary,
                "-machine", "virt",
                "-S",
                "-display", "none",
                "-nodefaults",
                "-monitor", "none",
                "-qtest", f"unix:{qtest_path}",
                "-qtest-log", "/dev/null",
                "-serial", f"unix:{serial_path}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            self._qtest = self._accept(listeners[0])
            self._serial = self._accept(listeners[1])
        finally:
            for listener in listeners:
                listener.close()
        self._serial.setblocking(False)

    def _accept(self, listener: socket.socket) -> socket.socket:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            raise QtestError(f"QEMU did not connect: {self._stderr()}") from None
        connection.settimeout(TIMEOUT_S)
        return connection

    def _stderr(self) -> str:
        process = self._process
        if process is None or process.poll() is None or process.stderr is None:
            return "(still running)"
        return process.stderr.read().decode(errors="replace").strip()

    def close(self) -> None:
        """Stop QEMU (terminate, then kill) and remove the sockets."""
        for sock in (self._qtest, self._serial):
            if sock is not None:
                sock.close()
        self._qtest = self._serial = None
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            if process.stderr is not None:
                process.stderr.close()
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)

    # -- qtest -------------------------------------------------------------------------

    def _command(self, line: str) -> str:
        if self._qtest is None:
            raise QtestError("QEMU is not running")
        self._qtest.sendall(line.encode() + b"\n")
        while b"\n" not in self._reply:
            try:
                chunk = self._qtest.recv(4096)
            except TimeoutError:
                raise QtestError(f"no reply to {line!r}") from None
            if not chunk:
                raise QtestError(f"QEMU closed the qtest socket: {self._stderr()}")
            self._reply += chunk
        reply, _, self._reply = self._reply.partition(b"\n")
        text = reply.decode()
        if not text.startswith("OK"):
            raise QtestError(f"{line!r} -> {text!r}")
        return text

    def read(self, offset: int, size: int) -> int:
        """Return the `size`-byte (1, 2, 4) value at `offset` in the UART region."""
        reply = self._command(f"read{_SUFFIX[size]} 0x{UART0_BASE + offset:x}")
        return int(reply.split()[1], 16)

    def write(self, offset: int, value: int, size: int) -> None:
        """Write the `size`-byte (1, 2, 4) `value` at `offset` in the UART region."""
        self._command(f"write{_SUFFIX[size]} 0x{UART0_BASE + offset:x} 0x{value:x}")

    def readl(self, offset: int) -> int:
        """Return the 32-bit value read at `offset` in the UART's MMIO region."""
        return self.read(offset, 4)

    def writel(self, offset: int, value: int) -> None:
        """Write the 32-bit `value` at `offset` in the UART's MMIO region."""
        self.write(offset, value, 4)

    # -- serial ------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Send `data` to the UART's receive side (it arrives when QEMU polls)."""
        if self._serial is None:
            raise QtestError("QEMU is not running")
        self._serial.setblocking(True)
        try:
            self._serial.sendall(data)
        finally:
            self._serial.setblocking(False)

    def unread_input(self) -> int:
        """Return how much of the fed input QEMU has not read yet (0: all of it).

        SIOCOUTQ (TIOCOUTQ) on our end of the Unix socket counts the buffers QEMU has
        not consumed. QEMU hands each byte to the PL011 in the same main-loop callback
        that reads it, so once this is 0, every later qtest command sees the input.
        """
        if self._serial is None:
            raise QtestError("QEMU is not running")
        raw = fcntl.ioctl(self._serial.fileno(), termios.TIOCOUTQ, b"\0" * 4)
        return int(struct.unpack("i", raw)[0])

    def wait_input_read(self) -> bool:
        """Wait until QEMU has read all the input fed so far; False on timeout."""
        deadline = time.monotonic() + TIMEOUT_S
        while self.unread_input() and time.monotonic() < deadline:
            time.sleep(0.0001)
        return self.unread_input() == 0

    def collect_output(self) -> bytes:
        """Move whatever the UART transmitted so far into `output`; return `output`."""
        if self._serial is None:
            raise QtestError("QEMU is not running")
        while True:
            try:
                chunk = self._serial.recv(65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.output += chunk
        return bytes(self.output)

    def wait_output(self, length: int) -> bytes:
        """Wait until `length` bytes were transmitted in all; return `output`."""
        deadline = time.monotonic() + TIMEOUT_S
        while len(self.collect_output()) < length and time.monotonic() < deadline:
            time.sleep(0.001)
        return bytes(self.output)

    def wait_register(self, offset: int, expected: int) -> int:
        """Poll the register at `offset` until it reads `expected` (or time runs out).

        Input written to the serial socket reaches the PL011 only when QEMU's main
        loop polls the socket; reading FR until it shows the input is how a test
        knows the bytes have arrived. Returns the last value read.
        """
        deadline = time.monotonic() + TIMEOUT_S
        value = self.readl(offset)
        while value != expected and time.monotonic() < deadline:
            time.sleep(0.0002)
            value = self.readl(offset)
        return value
