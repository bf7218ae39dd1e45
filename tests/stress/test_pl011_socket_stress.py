"""A PL011 under load: vCPUs doing MMIO while a socket peer streams numbered bytes through it.

Two vCPU threads run the demo guest's echo (`pl011.__main__.echo_pending`), a third
hammers the other registers, a fourth keeps injecting a fault (an exception leaving
`with bql.locked():` while it borrows the registers), and the socket backend's I/O
thread delivers input through a small buffer, so push back happens all the time. The
peer sends 4-byte sequence numbers and reads the echo: nothing may be lost, repeated or
reordered. `BQL_STRESS_SECONDS` (default 2) sets how long the peer sends; a watchdog
turns a deadlock into a failure that prints every thread's stack.
"""

from __future__ import annotations

import itertools
import os
import select
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import bql
import pytest
from bql.chardev import SocketChardev
from pl011 import PL011State
from pl011.__main__ import configure, echo_pending
from pl011.registers import RegisterOffset

from tests.stress.watchdog import Deadlock, join_or_fail

SECONDS = float(os.environ.get("BQL_STRESS_SECONDS", "2"))
# Generous: the machine is shared. Only a deadlock (or a machine stalled for a minute)
# reaches it; it is never a timing assertion.
WATCHDOG_S = SECONDS + 60
ECHO_VCPUS = 2
FRAME = struct.Struct(">I")
FRAMES_PER_SEND = 64
MAX_PENDING = 256  # small, so that the backend pauses reading often
# Bytes the peer may have in flight (sent, not yet echoed): far above MAX_PENDING, so the
# backend still pushes back, yet the echo of the last bytes never takes long.
WINDOW = 8192
POLL_S = 0.01


class Boom(Exception):
    """The fault the injector raises inside `with bql.locked():`."""


@dataclass
class Counts:
    """What each thread did; read after they all stopped."""

    echoed: list[int] = field(default_factory=lambda: [0] * ECHO_VCPUS)
    mmio: int = 0
    paused_seen: int = 0
    faults: int = 0
    sent: int = 0
    received: bytearray = field(default_factory=bytearray)
    errors: list[BaseException] = field(default_factory=list)


def guarded(counts: Counts, body: Callable[[], None]) -> Callable[[], None]:
    """Run `body`, recording any exception for the test to report."""

    def run() -> None:
        try:
            body()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            counts.errors.append(exc)

    return run


def echo_vcpu(uart: PL011State, n: int, irq: threading.Event, stop: threading.Event, counts: Counts) -> None:
    """The demo guest's loop: echo under the BQL, sleep with it released until the IRQ."""
    with bql.locked():
        while not stop.is_set():
            counts.echoed[n] += echo_pending(uart)
            with bql.unlocked():
                irq.wait(POLL_S)
                irq.clear()


NOISE_READS = (
    RegisterOffset.FR,
    RegisterOffset.RIS,
    RegisterOffset.MIS,
    RegisterOffset.IMSC,
    RegisterOffset.LCR_H,
    RegisterOffset.IBRD,
    0xFE0,  # PeriphID0
)


def noise_vcpu(uart: PL011State, backend: SocketChardev, stop: threading.Event, counts: Counts) -> None:
    """MMIO that must not disturb the data: register reads, ILPR and IFLS writes."""
    value = 0
    while not stop.is_set():
        with bql.locked():
            for offset in NOISE_READS:
                uart.read(offset, 4)
            value = (value + 1) & 0xFF
            uart.write(RegisterOffset.ILPR, value, 4)
            uart.write(RegisterOffset.IFLS, value & 0x3F, 4)  # stored, not used
            counts.mmio += len(NOISE_READS) + 2
            counts.paused_seen += backend.paused
        time.sleep(POLL_S / 10)


def fault_vcpu(uart: PL011State, stop: threading.Event, counts: Counts) -> None:
    """Leave `with bql.locked():` by an exception while borrowing the registers."""
    while not stop.is_set():
        try:
            with bql.locked():
                regs = uart.regs.borrow()  # a guard kept by the traceback below
                raise Boom
        except Boom as exc:
            assert not bql.is_locked(), "the BQL stayed held"
            assert exc.__notes__, "the live borrow was not noted"
            with pytest.raises(bql.BorrowReleasedError):
                regs.lcr  # noqa: B018 - the stranded guard was ended
            counts.faults += 1
        time.sleep(POLL_S * 5)  # ending a stranded guard walks the heap: not too often


def writer(peer: socket.socket, deadline: float, counts: Counts) -> None:
    """Send consecutive 4-byte sequence numbers until `deadline`, `WINDOW` at most in flight."""
    seq = 0
    while time.monotonic() < deadline:
        if counts.sent - len(counts.received) > WINDOW:
            time.sleep(POLL_S / 10)
            continue
        chunk = b"".join(FRAME.pack(n) for n in range(seq, seq + FRAMES_PER_SEND))
        peer.sendall(chunk)  # blocks while the backend pushes back
        seq += FRAMES_PER_SEND
        counts.sent += len(chunk)


def reader(peer: socket.socket, writer_done: threading.Event, stop: threading.Event, counts: Counts) -> None:
    """Read the echo until everything sent came back (or the test stops)."""
    while not stop.is_set():
        if writer_done.is_set() and len(counts.received) >= counts.sent:
            return
        readable, _, _ = select.select([peer], [], [], 0.1)
        if not readable:
            continue
        chunk = peer.recv(65536)
        if not chunk:
            return
        counts.received += chunk


def sequence_faults(data: bytes, frames_sent: int) -> dict[str, int]:
    """Count lost, duplicated and reordered sequence numbers in the echoed `data`."""
    usable = len(data) - len(data) % FRAME.size
    got = [FRAME.unpack_from(data, i)[0] for i in range(0, usable, FRAME.size)]
    return {
        "lost": len(set(range(frames_sent)) - set(got)),
        "duplicated": len(got) - len(set(got)),
        "reordered": sum(1 for a, b in itertools.pairwise(got) if b < a),
        "partial bytes": len(data) % FRAME.size,
    }


@pytest.fixture
def uart_on_socket() -> Iterator[tuple[PL011State, SocketChardev, list[threading.Event]]]:
    folder = tempfile.mkdtemp(prefix="bql-", dir="/tmp")  # AF_UNIX paths are short
    backend = SocketChardev(os.path.join(folder, "uart"), max_pending=MAX_PENDING)
    uart = PL011State(chardev=backend)
    irqs = [threading.Event() for _ in range(ECHO_VCPUS)]

    def on_irq(level: bool) -> None:
        if level:
            for irq in irqs:
                irq.set()

    uart.connect_irq(0, bql.IRQLine(on_change=on_irq))
    with bql.locked():
        uart.realize()
        uart.reset()
        configure(uart)
    try:
        yield uart, backend, irqs
    finally:
        backend.close()
        os.rmdir(folder)


def test_echo_through_a_pl011_under_load_loses_nothing(uart_on_socket):
    uart, backend, irqs = uart_on_socket
    counts = Counts()
    stop = threading.Event()
    vcpus = [
        threading.Thread(
            target=guarded(counts, lambda n=n: echo_vcpu(uart, n, irqs[n], stop, counts)),
            name=f"vcpu{n}-echo",
            daemon=True,
        )
        for n in range(ECHO_VCPUS)
    ]
    vcpus.append(
        threading.Thread(
            target=guarded(counts, lambda: noise_vcpu(uart, backend, stop, counts)),
            name="vcpu-noise",
            daemon=True,
        )
    )
    vcpus.append(
        threading.Thread(
            target=guarded(counts, lambda: fault_vcpu(uart, stop, counts)),
            name="vcpu-fault-injector",
            daemon=True,
        )
    )
    for vcpu in vcpus:
        vcpu.start()
    peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        peer.connect(backend.address)
        writer_done = threading.Event()

        def write_then_flag() -> None:
            try:
                writer(peer, time.monotonic() + SECONDS, counts)
            finally:
                writer_done.set()

        clients = [
            threading.Thread(target=guarded(counts, write_then_flag), name="peer-writer", daemon=True),
            threading.Thread(
                target=guarded(counts, lambda: reader(peer, writer_done, stop, counts)),
                name="peer-reader",
                daemon=True,
            ),
        ]
        for client in clients:
            client.start()
        try:
            join_or_fail(clients, WATCHDOG_S)
        finally:
            stop.set()
            for irq in irqs:
                irq.set()
        join_or_fail(vcpus, WATCHDOG_S)
    finally:
        peer.close()

    assert counts.errors == []
    frames = counts.sent // FRAME.size
    faults = sequence_faults(bytes(counts.received), frames)
    print(
        f"\nstress: {SECONDS:g} s, {counts.sent} bytes sent, {len(counts.received)} "
        f"echoed ({counts.echoed} per vCPU), {counts.mmio} other MMIO accesses, "
        f"{counts.faults} stranded borrows injected, reading paused in "
        f"{counts.paused_seen} samples; {faults}"
    )
    assert counts.sent > 0
    assert faults == {"lost": 0, "duplicated": 0, "reordered": 0, "partial bytes": 0}
    assert bytes(counts.received) == b"".join(FRAME.pack(n) for n in range(frames))
    assert sum(counts.echoed) == counts.sent
    assert counts.faults > 0


def test_the_watchdog_turns_a_stuck_thread_into_a_failure_with_its_stack():
    release = threading.Event()

    def stuck_holding_the_bql() -> None:
        with bql.locked():
            release.wait(30)

    thread = threading.Thread(target=stuck_holding_the_bql, name="stuck-vcpu")
    thread.start()
    try:
        with pytest.raises(Deadlock) as info:
            join_or_fail([thread], 0.2)
    finally:
        release.set()
        thread.join()
    message = str(info.value)
    assert message.startswith("still running after 0.2 s: stuck-vcpu\n")
    assert "--- thread 'stuck-vcpu'" in message
    assert "in stuck_holding_the_bql" in message
    assert "--- faulthandler" in message
