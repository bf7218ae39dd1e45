"""The PL011's registers as plain data, and the pure logic that reads and writes them.

This is the half of the device that knows the TRM and nothing about locks. As in
QEMU's Rust PL011 (`PL011Registers` beside `PL011State`), every method here only
changes fields and *returns* what the shell must do next: ``True`` when the interrupt
state changed and the output lines must be recomputed. Nothing here touches a cell, an
interrupt line or the character backend, so nothing here can re-enter the device: the
shell in :mod:`pl011.device` can call these methods with the registers borrowed and
then act on the result after the borrow has ended.

>>> regs = PL011Registers()
>>> regs.write(RegisterOffset.LCR_H, 0x70)   # 8 bits, FIFOs enabled
False
>>> regs.receive(b"hi")                      # two characters arrive: RX rises
True
>>> regs.read(RegisterOffset.FR)             # RXFE clear, TXFE set
(False, 128)
>>> regs.read(RegisterOffset.DR), regs.read(RegisterOffset.DR)[1]
((True, 104), 105)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from pl011.registers import (
    CR_DTR,
    CR_LBE,
    CR_OUT1,
    CR_OUT2,
    CR_RESET,
    CR_RTS,
    CR_TXE,
    CR_UARTEN,
    DR_BE,
    DR_DATA,
    FBRD_MASK,
    FIFO_DEPTH,
    FR_CTS,
    FR_DCD,
    FR_DSR,
    FR_MODEM_STATUS,
    FR_RESET,
    FR_RI,
    FR_RXFE,
    FR_RXFF,
    FR_TXFE,
    FR_TXFF,
    IBRD_MASK,
    IFLS_RESET,
    INT_CTS,
    INT_DCD,
    INT_DSR,
    INT_MS,
    INT_RI,
    INT_RX,
    INT_TX,
    IRQMASK,
    LCR_H_BRK,
    LCR_H_FEN,
    READ_TRIGGER_RESET,
    RegisterOffset,
)

logger: Final = logging.getLogger("pl011")
"""Guest errors (bad offsets, writes to a disabled transmitter) and unimplemented
features are logged here, where QEMU calls `qemu_log_mask()`. Like QEMU's guest-error
log they are silent unless asked for: configure the "pl011" logger to see them."""
logger.addHandler(logging.NullHandler())

_U32: Final = 0xFFFF_FFFF


def _fifo() -> list[int]:
    return [0] * FIFO_DEPTH


@dataclass(slots=True)
class PL011Registers:
    """Every register and the receive FIFO, field for field as QEMU migrates them.

    Field names are QEMU's VMState names (SPEC §2.3), so :mod:`pl011.migration` maps
    them one to one. ``read_fifo`` entries hold the character in bits 7..0 and its
    receive-status bits (UARTDR bits 11..8) above it.
    """

    flags: int = FR_RESET
    lcr: int = 0
    rsr: int = 0
    cr: int = CR_RESET
    dmacr: int = 0
    int_enabled: int = 0
    int_level: int = 0
    read_fifo: list[int] = field(default_factory=_fifo)
    ilpr: int = 0
    ibrd: int = 0
    fbrd: int = 0
    ifl: int = IFLS_RESET
    read_pos: int = 0
    read_count: int = 0
    read_trigger: int = READ_TRIGGER_RESET
    logged_disabled_uart: bool = field(default=False, compare=False)
    """QEMU warns once about output on a disabled UART; this is not migrated."""

    def assign(self, other: PL011Registers) -> None:
        """Copy every migrated field of `other` into these registers (a loaded state).

        >>> regs = PL011Registers()
        >>> regs.assign(PL011Registers(ibrd=13, read_fifo=[7] * 16))
        >>> regs.ibrd, regs.read_fifo[0]
        (13, 7)
        """
        self.flags = other.flags
        self.lcr = other.lcr
        self.rsr = other.rsr
        self.cr = other.cr
        self.dmacr = other.dmacr
        self.int_enabled = other.int_enabled
        self.int_level = other.int_level
        self.read_fifo[:] = other.read_fifo
        self.ilpr = other.ilpr
        self.ibrd = other.ibrd
        self.fbrd = other.fbrd
        self.ifl = other.ifl
        self.read_pos = other.read_pos
        self.read_count = other.read_count
        self.read_trigger = other.read_trigger

    # -- MMIO --------------------------------------------------------------------------

    def read(self, offset: int) -> tuple[bool, int]:
        """Read the register at `offset`; return (interrupts changed, value).

        Only a DR read changes anything: it pops the FIFO, so the shell must update
        the interrupt lines and let the backend deliver more input. The ID registers
        are the device class's, not state: see :meth:`pl011.PL011State.read`.

        >>> PL011Registers().read(RegisterOffset.CR)
        (False, 768)
        >>> PL011Registers().read(0x44)   # UARTICR is write-only: reads as 0
        (False, 0)
        """
        reader = _READERS.get(offset >> 2)
        if reader is None:
            logger.warning("guest error: read of unknown PL011 offset 0x%03x", offset)
            return False, 0
        if reader is _read_dr:
            return True, self.read_data()
        return False, reader(self)

    def write(self, offset: int, value: int) -> bool:
        """Write `value` to the register at `offset`; return True if interrupts changed.

        A DR write only records what the transmit side does to the state (loopback,
        TX interrupt); sending the byte to the backend is the shell's job, as is
        telling the backend about a break when LCR_H.BRK changes.

        >>> regs = PL011Registers()
        >>> regs.write(RegisterOffset.IBRD, 0x12345)   # 16-bit register
        False
        >>> hex(regs.ibrd)
        '0x2345'
        >>> regs.write(RegisterOffset.IMSC, 0x10)
        True
        """
        writer = _WRITERS.get(offset >> 2)
        if writer is None:
            logger.warning(
                "guest error: write of 0x%x to bad PL011 offset 0x%03x",
                value,
                offset,
            )
            return False
        return writer(self, value & _U32)

    def read_data(self) -> int:
        """Pop the oldest character from the receive FIFO (a DR read); return it.

        Reading an empty FIFO returns the stale entry at the read position, as QEMU
        does. The character's status bits are copied to RSR.

        >>> regs = PL011Registers()
        >>> regs.receive_break()
        True
        >>> hex(regs.read_data()), regs.rsr    # break: data 0, BE set
        ('0x400', 4)
        """
        self.flags &= ~FR_RXFF
        c = self.read_fifo[self.read_pos]
        if self.read_count > 0:
            self.read_count -= 1
            self.read_pos = (self.read_pos + 1) & (self.fifo_depth() - 1)
        if self.read_count == 0:
            self.flags |= FR_RXFE
        if self.read_count == self.read_trigger - 1:
            self.int_level &= ~INT_RX
        self.rsr = c >> 8
        return c

    def write_data(self, value: int) -> bool:
        """Account for one transmitted character (a DR write); return True.

        >>> regs = PL011Registers()
        >>> regs.write_data(ord("A")), hex(regs.int_level)
        (True, '0x20')
        """
        self.transmit(value)
        self.int_level |= INT_TX
        return True

    def transmit(self, value: int) -> bool:
        """The first half of a DR write: the character goes out (and, in loopback, comes
        back in); return True when loopback is on. The device updates its lines, then
        raises TX (`INT_TX`), as QEMU does: RX first, then TX.

        QEMU transmits even when the UART or its transmitter is disabled and only
        logs a guest error (once for UARTEN, which many guests never set).
        """
        if not self.cr & CR_UARTEN and not self.logged_disabled_uart:
            logger.warning("guest error: PL011 data written while the UART is disabled")
            self.logged_disabled_uart = True
        if not self.cr & CR_TXE:
            logger.warning(
                "guest error: PL011 data written with the transmitter disabled"
            )
        self.loopback_tx(value & DR_DATA)
        return self.loopback_enabled()

    def is_break_toggled(self, lcr_h: int) -> bool:
        """Tell whether writing `lcr_h` to LCR_H starts or ends a break.

        >>> PL011Registers().is_break_toggled(0x61)
        True
        """
        return bool((self.lcr ^ lcr_h) & LCR_H_BRK)

    # -- receive side (the character backend's handlers) -------------------------------

    def can_receive(self) -> int:
        """Return how many characters the receive FIFO can take now.

        >>> regs = PL011Registers()
        >>> regs.can_receive()                      # FIFO disabled: one character
        1
        >>> _ = regs.write(RegisterOffset.LCR_H, 0x70)
        >>> regs.can_receive()
        16
        """
        return max(0, self.fifo_depth() - self.read_count)

    def receive(self, data: bytes) -> bool:
        """Queue characters from the backend; return True if interrupts changed.

        In loopback the receive input is disconnected, so input is dropped.

        >>> regs = PL011Registers()
        >>> _ = regs.write(RegisterOffset.CR, 0x381)   # UARTEN | TXE | RXE | LBE
        >>> regs.receive(b"x"), regs.read_count
        (False, 0)
        """
        if self.loopback_enabled():
            return False
        changed = False
        for byte in data:
            changed |= self.fifo_rx_put(byte)
        return changed

    def receive_break(self) -> bool:
        """Queue a break character (data 0, BE set); return True if interrupts changed.

        >>> regs = PL011Registers()
        >>> regs.receive_break(), regs.read_fifo[0] == DR_BE
        (True, True)
        """
        if self.loopback_enabled():
            return False
        return self.fifo_rx_put(DR_BE)

    def fifo_rx_put(self, value: int) -> bool:
        """Append `value` to the receive FIFO; return True if the RX interrupt rose.

        There is no overrun: QEMU never offers more than :meth:`can_receive`, but
        loopback and break bypass that check, and then, as in QEMU, the new entry
        overwrites the oldest one and ``read_count`` grows past the depth.

        >>> regs = PL011Registers()
        >>> regs.fifo_rx_put(0x41), regs.fifo_rx_put(0x42), regs.read_count
        (True, False, 2)
        >>> hex(regs.read_fifo[0])
        '0x42'
        """
        depth = self.fifo_depth()
        slot = (self.read_pos + self.read_count) & (depth - 1)
        self.read_fifo[slot] = value
        self.read_count += 1
        self.flags &= ~FR_RXFE
        if self.read_count == depth:
            self.flags |= FR_RXFF
        if self.read_count == self.read_trigger:
            self.int_level |= INT_RX
            return True
        return False

    # -- loopback (CR.LBE) -------------------------------------------------------------

    def loopback_enabled(self) -> bool:
        """Tell whether CR.LBE routes the transmitter back to the receiver."""
        return bool(self.cr & CR_LBE)

    def loopback_tx(self, value: int) -> bool:
        """In loopback, queue a transmitted character as received; True if RX rose.

        Real hardware loops back after the transmit FIFO at the line rate; QEMU (and
        this model) loops back immediately.

        >>> regs = PL011Registers(cr=0x381)
        >>> regs.loopback_tx(0x55), regs.read_count
        (True, 1)
        """
        return self.loopback_enabled() and self.fifo_rx_put(value)

    def loopback_mdmctrl(self) -> bool:
        """In loopback, mirror the modem-control outputs into FR and MS interrupts.

        CR.Out2 -> FR.RI, CR.Out1 -> FR.DCD, CR.RTS -> FR.CTS, CR.DTR -> FR.DSR (DDI
        0183 §2.4.5); each modem-status interrupt follows its input's level. Returns
        True when loopback is on (the interrupt lines must be recomputed).

        >>> regs = PL011Registers(cr=0x381 | 0x800)       # RTS set in loopback
        >>> regs.loopback_mdmctrl(), hex(regs.flags & 0x1ff), hex(regs.int_level)
        (True, '0x91', '0x2')
        """
        if not self.loopback_enabled():
            return False
        cr = self.cr
        fr = self.flags & ~FR_MODEM_STATUS
        fr |= FR_RI if cr & CR_OUT2 else 0
        fr |= FR_DCD if cr & CR_OUT1 else 0
        fr |= FR_CTS if cr & CR_RTS else 0
        fr |= FR_DSR if cr & CR_DTR else 0
        il = self.int_level & ~INT_MS
        il |= INT_DSR if fr & FR_DSR else 0
        il |= INT_DCD if fr & FR_DCD else 0
        il |= INT_CTS if fr & FR_CTS else 0
        il |= INT_RI if fr & FR_RI else 0
        self.flags = fr
        self.int_level = il
        return True

    # -- FIFO mode, reset, outputs -----------------------------------------------------

    def fifo_enabled(self) -> bool:
        """Tell whether LCR_H.FEN selects the 16-entry FIFOs (else one character)."""
        return bool(self.lcr & LCR_H_FEN)

    def fifo_depth(self) -> int:
        """Return the receive FIFO's depth in the current mode (a power of two)."""
        return FIFO_DEPTH if self.lcr & LCR_H_FEN else 1

    def reset_rx_fifo(self) -> None:
        """Empty the receive FIFO (its contents stay, as stale entries)."""
        self.read_count = 0
        self.read_pos = 0
        self.flags = (self.flags & ~FR_RXFF) | FR_RXFE

    def reset_tx_fifo(self) -> None:
        """Mark the (instantaneous) transmit FIFO empty."""
        self.flags = (self.flags & ~FR_TXFF) | FR_TXFE

    def reset(self) -> None:
        """Put every register at its reset value (DDI 0183 table 3-1; QEMU reset).

        >>> regs = PL011Registers(lcr=0x70, cr=0x381, int_level=0x30)
        >>> regs.reset()
        >>> regs == PL011Registers(read_fifo=regs.read_fifo)
        True
        """
        self.lcr = 0
        self.rsr = 0
        self.dmacr = 0
        self.int_enabled = 0
        self.int_level = 0
        self.ilpr = 0
        self.ibrd = 0
        self.fbrd = 0
        self.read_trigger = READ_TRIGGER_RESET
        self.ifl = IFLS_RESET
        self.cr = CR_RESET
        self.flags = 0
        self.reset_rx_fifo()
        self.reset_tx_fifo()

    def irq_levels(self) -> tuple[bool, ...]:
        """Return the level of each output line, in `IRQMASK` order.

        >>> PL011Registers(int_level=0x30, int_enabled=0x20).irq_levels()
        (True, False, True, False, False, False)
        """
        pending = self.int_level & self.int_enabled
        return tuple(bool(pending & mask) for mask in IRQMASK)

    def baudrate(self, clock_hz: int) -> int:
        """Return the line rate in bit/s for a UARTCLK of `clock_hz` (DDI 0183 §3.3.6).

        The divisor is IBRD + FBRD/64 and the rate clock_hz / (16 * divisor);
        0 while IBRD is 0 (the divisor is then invalid).

        >>> PL011Registers(ibrd=13, fbrd=1).baudrate(24_000_000)
        115244
        """
        if self.ibrd == 0:
            return 0
        return (clock_hz // ((self.ibrd << 6) + self.fbrd)) << 2


# -- dispatch tables: one entry per register, keyed by word index (offset >> 2) --------
#
# QEMU decodes `offset >> 2`, so a byte access inside a register word reaches that
# register (hw/char/pl011.c: pl011_read()/pl011_write()).


def _read_dr(regs: PL011Registers) -> int:
    return regs.read_data()


def _write_rsr(regs: PL011Registers, value: int) -> bool:
    regs.rsr = 0  # UARTECR: any write clears the receive status (DDI 0183 §3.3.2)
    return False


def _write_fr(regs: PL011Registers, value: int) -> bool:
    return False  # UARTFR is read-only; QEMU ignores writes without a log


def _write_ilpr(regs: PL011Registers, value: int) -> bool:
    regs.ilpr = value
    return False


def _write_ibrd(regs: PL011Registers, value: int) -> bool:
    regs.ibrd = value & IBRD_MASK
    return False


def _write_fbrd(regs: PL011Registers, value: int) -> bool:
    regs.fbrd = value & FBRD_MASK
    return False


def _write_lcr_h(regs: PL011Registers, value: int) -> bool:
    # Order matters and follows QEMU: a FEN change empties the FIFOs first, then a
    # break that starts in loopback is queued with the *old* FIFO depth, and only
    # then is the new LCR_H stored.
    if (regs.lcr ^ value) & LCR_H_FEN:
        regs.reset_rx_fifo()
        regs.reset_tx_fifo()
    changed = False
    if regs.is_break_toggled(value) and value & LCR_H_BRK:
        changed = regs.loopback_tx(DR_BE)
    regs.lcr = value
    regs.read_trigger = READ_TRIGGER_RESET
    return changed


def _write_cr(regs: PL011Registers, value: int) -> bool:
    regs.cr = value  # QEMU stores the enables but does not act on them
    return regs.loopback_mdmctrl()


def _write_ifls(regs: PL011Registers, value: int) -> bool:
    regs.ifl = value
    regs.read_trigger = READ_TRIGGER_RESET  # QEMU keeps a one-character trigger
    return False


def _write_imsc(regs: PL011Registers, value: int) -> bool:
    regs.int_enabled = value
    return True


def _write_icr(regs: PL011Registers, value: int) -> bool:
    regs.int_level &= ~value
    return True


def _write_dmacr(regs: PL011Registers, value: int) -> bool:
    regs.dmacr = value
    if value & 0b11:
        logger.info("unimplemented: PL011 DMA (DMACR=0x%x)", value)
    return False


_READERS: Final[dict[int, Callable[[PL011Registers], int]]] = {
    RegisterOffset.DR >> 2: _read_dr,
    RegisterOffset.RSR >> 2: lambda regs: regs.rsr,
    RegisterOffset.FR >> 2: lambda regs: regs.flags,
    RegisterOffset.ILPR >> 2: lambda regs: regs.ilpr,
    RegisterOffset.IBRD >> 2: lambda regs: regs.ibrd,
    RegisterOffset.FBRD >> 2: lambda regs: regs.fbrd,
    RegisterOffset.LCR_H >> 2: lambda regs: regs.lcr,
    RegisterOffset.CR >> 2: lambda regs: regs.cr,
    RegisterOffset.IFLS >> 2: lambda regs: regs.ifl,
    RegisterOffset.IMSC >> 2: lambda regs: regs.int_enabled,
    RegisterOffset.RIS >> 2: lambda regs: regs.int_level,
    RegisterOffset.MIS >> 2: lambda regs: regs.int_level & regs.int_enabled,
    RegisterOffset.DMACR >> 2: lambda regs: regs.dmacr,
}
"""Readable registers. UARTICR is absent: QEMU reads it as 0 and logs a guest error."""

_WRITERS: Final[dict[int, Callable[[PL011Registers, int], bool]]] = {
    RegisterOffset.DR >> 2: PL011Registers.write_data,
    RegisterOffset.RSR >> 2: _write_rsr,
    RegisterOffset.FR >> 2: _write_fr,
    RegisterOffset.ILPR >> 2: _write_ilpr,
    RegisterOffset.IBRD >> 2: _write_ibrd,
    RegisterOffset.FBRD >> 2: _write_fbrd,
    RegisterOffset.LCR_H >> 2: _write_lcr_h,
    RegisterOffset.CR >> 2: _write_cr,
    RegisterOffset.IFLS >> 2: _write_ifls,
    RegisterOffset.IMSC >> 2: _write_imsc,
    RegisterOffset.ICR >> 2: _write_icr,
    RegisterOffset.DMACR >> 2: _write_dmacr,
}
"""Writable registers. UARTRIS and UARTMIS are absent: QEMU logs a guest error."""
