"""Differential test: this PL011 against the real one in `qemu-system-arm -M virt`.

The same seeded random operation sequences (register reads and writes, DR reads and
writes, input fed to the receive side) run on QEMU's UART0, driven over qtest, and on a
`PL011State` with a `MemoryChardev`. Every value read must match, and so must the bytes
transmitted. Skipped only when qemu-system-arm is not installed.

What is left out, and why. CI installs Debian's QEMU 7.2, while the model follows
current QEMU (10.x). Where the two versions differ, the generator stays off that
ground; the unit tests cover the current behaviour instead:

* CR.LBE is never set: 7.2 has no loopback at all (no TX or modem-control loopback,
  and input is not ignored) -- test_loopback_break_reset.py.
* LCR_H.FEN changes only while the receive FIFO is empty and no input is pending: 7.2
  leaves FR stale on a FEN change (current QEMU resets RXFE/RXFF/TXFE/TXFF) --
  test_fifo.py. (With input pending, QEMU's main loop would also deliver it on its own
  once the FIFO is emptied this way, where a MemoryChardev waits for accept_input();
  that is a backend difference, not a device one.)
* IBRD/FBRD are written within their widths: 7.2 stores all 32 bits, current QEMU
  masks them to 16 and 6 bits -- test_registers.py.
* DR is never read while the receive FIFO is empty: 7.2 advances the read position
  through all 16 slots even with the FIFO disabled, so the stale entry an empty read
  returns (and the RSR it leaves) differ -- test_fifo.py.
* QEMU takes socket input asynchronously: after feeding, the test waits until QEMU
  has read all of it (the socket's unread count is 0) or, when more was fed than the
  FIFO holds, until QEMU's FR shows the FIFO as full as the model's.
* No received breaks (a socket backend cannot send one). The random sequences use
  aligned 32-bit accesses; byte and halfword accesses get their own fixed test (7.2
  declares no 32-bit implementation size, but the results agree).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import bql
import pytest
from bql.chardev import MemoryChardev
from pl011 import PL011State
from pl011.registers import RegisterOffset as R

from .qtest import QemuPL011, qemu_binary

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(
        qemu_binary() is None, reason="qemu-system-arm is not installed"
    ),
]

SEEDS = tuple(range(1, 9))
OPS_PER_SEED = 800

FEN, LBE = 0x10, 0x80
RXFE, RXFF = 0x10, 0x40
READABLE = [R.RSR, R.FR, R.ILPR, R.IBRD, R.FBRD, R.LCR_H, R.CR, R.IFLS, R.IMSC,
            R.RIS, R.MIS, R.ICR, R.DMACR]  # fmt: skip
ODD_OFFSETS = [0x008, 0x00C, 0x010, 0x014, 0x01C, 0x04C, 0x100, 0xFDC]
ID_OFFSETS = [0xFE0 + 4 * i for i in range(8)]
MAX_U32 = 0xFFFF_FFFF


@dataclass
class Model:
    """The PL011 under test, on a MemoryChardev; every access takes the BQL."""

    backend: MemoryChardev = field(default_factory=MemoryChardev)
    uart: PL011State = field(init=False)

    def __post_init__(self) -> None:
        self.uart = PL011State(chardev=self.backend)
        with bql.locked():
            self.uart.realize()
            self.uart.reset()

    def readl(self, offset: int) -> int:
        with bql.locked():
            return self.uart.read(offset, 4)

    def writel(self, offset: int, value: int) -> None:
        with bql.locked():
            self.uart.write(offset, value, 4)

    def feed(self, data: bytes) -> None:
        self.backend.feed(data)

    def fifo(self) -> tuple[int, int, int]:
        """Return (characters queued, FIFO depth, bytes pending in the backend)."""
        with bql.locked():
            state = self.uart.save_state()
        depth = 16 if state["lcr"] & FEN else 1
        return state["read_count"], depth, len(self.backend.pending)


class Mismatch(AssertionError):
    pass


class Runner:
    """Generate one seed's operations and run each on QEMU and on the model."""

    def __init__(self, seed: int, qemu: QemuPL011) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.qemu = qemu
        self.model = Model()
        self.log: list[str] = []

    def fail(self, what: str) -> None:
        recent = "\n  ".join(self.log[-15:])
        raise Mismatch(f"seed {self.seed}, op {len(self.log)}: {what}\n  {recent}")

    def compare_read(self, offset: int) -> None:
        expected = self.model.readl(offset)
        actual = self.qemu.readl(offset)
        self.log.append(f"read 0x{offset:03x} -> qemu 0x{actual:x}")
        if actual != expected:
            self.fail(f"read 0x{offset:03x}: QEMU 0x{actual:x}, model 0x{expected:x}")

    def write(self, offset: int, value: int) -> None:
        self.log.append(f"write 0x{offset:03x} 0x{value:x}")
        self.model.writel(offset, value)
        self.qemu.writel(offset, value)

    def sync_fr(self) -> None:
        """Wait until QEMU has taken the input the model took (FR shows it)."""
        expected = self.model.readl(R.FR)
        actual = self.qemu.wait_register(R.FR, expected)
        if actual != expected:
            self.fail(
                f"input never arrived: QEMU FR 0x{actual:x}, model 0x{expected:x}"
            )

    # -- operations ----------------------------------------------------------------

    def op_read_register(self) -> None:
        self.compare_read(self.rng.choice(READABLE + ODD_OFFSETS + ID_OFFSETS))

    def op_read_dr(self) -> None:
        self.compare_read(R.FR)  # as a driver polls RXFE before reading DR
        count, _, pending = self.model.fifo()
        if count == 0:
            return  # excluded: stale empty reads differ in 7.2
        self.compare_read(R.DR)
        if pending:
            self.sync_fr()  # the read let the backend deliver the next character

    def op_write_dr(self) -> None:
        self.compare_read(R.FR)  # as a driver polls TXFF before writing DR
        value = self.rng.choice([self.rng.randrange(256), self.rng.randrange(MAX_U32)])
        self.write(R.DR, value)

    def op_feed(self) -> None:
        count, depth, _ = self.model.fifo()
        room = depth - count
        if room and self.rng.random() < 0.75:
            size = self.rng.randint(1, min(room, 4))  # a few characters that fit
        elif room or self.rng.random() < 0.3:
            size = room + self.rng.randint(1, 3)  # more than fits: a backlog
        else:
            return  # already full with a backlog: keep it short
        data = bytes(self.rng.randrange(256) for _ in range(size))
        self.log.append(f"feed {data.hex()}")
        self.model.feed(data)
        self.qemu.feed(data)
        if size <= room:
            # All of it fits: wait until QEMU has read every byte from the socket.
            if not self.qemu.wait_input_read():
                self.fail("QEMU did not read the input")
        elif room:
            # The FIFO fills and the rest stays queued on both sides: FR shows it.
            self.sync_fr()

    def op_write_lcr_h(self) -> None:
        count, _, pending = self.model.fifo()
        value = self.rng.choice([self.rng.randrange(256), self.rng.randrange(MAX_U32)])
        if count or pending:
            current = self.model.readl(R.LCR_H)
            value = (value & ~FEN) | (current & FEN)  # excluded: FEN change with data
        self.write(R.LCR_H, value)

    def op_write_control(self) -> None:
        choices: list[tuple[int, Callable[[], int]]] = [
            (R.CR, lambda: self.rng.randrange(MAX_U32) & ~LBE),  # excluded: loopback
            (R.IMSC, lambda: self.rng.randrange(0x800)),
            (R.IMSC, lambda: self.rng.randrange(MAX_U32)),
            (R.ICR, lambda: self.rng.randrange(0x800)),
            (R.IBRD, lambda: self.rng.randrange(0x10000)),  # excluded: wider values
            (R.FBRD, lambda: self.rng.randrange(0x40)),
            (R.ILPR, lambda: self.rng.randrange(MAX_U32)),
            (R.IFLS, lambda: self.rng.randrange(MAX_U32)),
            (R.DMACR, lambda: self.rng.randrange(MAX_U32)),
            (R.RSR, lambda: self.rng.randrange(MAX_U32)),
            (R.FR, lambda: self.rng.randrange(MAX_U32)),
            (R.RIS, lambda: self.rng.randrange(MAX_U32)),
            (R.MIS, lambda: self.rng.randrange(MAX_U32)),
            (self.rng.choice(ODD_OFFSETS + ID_OFFSETS), lambda: 0xFF),
        ]
        offset, value = self.rng.choice(choices)
        self.write(offset, value())

    def run(self, ops: int) -> None:
        for offset in READABLE + ID_OFFSETS:
            self.compare_read(offset)
        weighted = [
            (self.op_read_register, 6),
            (self.op_read_dr, 6),
            (self.op_write_dr, 3),
            (self.op_feed, 3),
            (self.op_write_lcr_h, 1),
            (self.op_write_control, 4),
        ]
        actions = [action for action, weight in weighted for _ in range(weight)]
        for n in range(ops):
            self.rng.choice(actions)()
            if n % 100 == 99:
                self.compare_all()
        self.compare_all()

    def compare_all(self) -> None:
        for offset in READABLE:
            self.compare_read(offset)
        expected = bytes(self.model.backend.output)
        actual = self.qemu.wait_output(len(expected))
        if actual != expected:
            self.fail(
                f"transmitted bytes differ: QEMU {actual.hex()}, model {expected.hex()}"
            )


@pytest.mark.parametrize("seed", SEEDS)
def test_random_operations_match_qemu(seed: int) -> None:
    with QemuPL011() as qemu:
        Runner(seed, qemu).run(OPS_PER_SEED)


def test_reset_state_and_id_registers_match_qemu() -> None:
    model = Model()
    with QemuPL011() as qemu:
        for offset in READABLE + ODD_OFFSETS + ID_OFFSETS:
            assert qemu.readl(offset) == model.readl(offset), hex(offset)


@pytest.mark.parametrize("size", [1, 2])
def test_narrow_accesses_match_qemu(size: int) -> None:
    model = Model()
    with QemuPL011() as qemu:
        for register in (R.ILPR, R.IBRD, R.IFLS, R.DMACR):
            offset = int(register)
            for lane in range(0, 4, size):
                value = 0xA5C3 >> (8 * (lane % 2))
                qemu.write(offset + lane, value, size)
                with bql.locked():
                    model.uart.write(offset + lane, value, size)
                assert qemu.readl(offset) == model.readl(offset), hex(offset + lane)
        for offset in [int(r) for r in READABLE] + ID_OFFSETS:
            for lane in range(0, 4, size):
                with bql.locked():
                    expected = model.uart.read(offset + lane, size)
                assert qemu.read(offset + lane, size) == expected, hex(offset + lane)
