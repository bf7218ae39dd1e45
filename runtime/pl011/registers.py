"""PL011 register map: offsets, bit fields, masks, reset values and ID bytes.

Names follow the PrimeCell UART (PL011) Technical Reference Manual, ARM DDI 0183
(chapter 3, "Programmers Model"); values follow QEMU's model (`hw/char/pl011.c`).
Bits are plain ``int`` constants, prefixed with their register (``FR_RXFE``,
``CR_LBE``): the register logic in :mod:`pl011.state` combines them on every MMIO
access, and plain ints keep that as cheap as the C original.

>>> hex(RegisterOffset.LCR_H)
'0x2c'
>>> hex(FR_RESET), hex(CR_RESET)
('0x90', '0x300')
>>> [hex(b) for b in PL011_ID_ARM[:4]]
['0x11', '0x10', '0x14', '0x0']
"""

from __future__ import annotations

import enum
from typing import Final


class RegisterOffset(enum.IntEnum):
    """Byte offset of each register in the 4 KiB MMIO region (DDI 0183 §3.2)."""

    DR = 0x000
    """UARTDR, data: write transmits, read pops the receive FIFO."""
    RSR = 0x004
    """UARTRSR (read) / UARTECR (write): receive status, any write clears it."""
    FR = 0x018
    """UARTFR, flags: FIFO levels and modem-status inputs (read-only)."""
    ILPR = 0x020
    """UARTILPR, IrDA low-power counter."""
    IBRD = 0x024
    """UARTIBRD, integer baud-rate divisor."""
    FBRD = 0x028
    """UARTFBRD, fractional baud-rate divisor."""
    LCR_H = 0x02C
    """UARTLCR_H, line control: word length, FIFO enable, break."""
    CR = 0x030
    """UARTCR, control: enables, loopback, modem-control outputs."""
    IFLS = 0x034
    """UARTIFLS, FIFO level select for the interrupts (stored, not used by QEMU)."""
    IMSC = 0x038
    """UARTIMSC, interrupt mask set/clear."""
    RIS = 0x03C
    """UARTRIS, raw interrupt status (read-only)."""
    MIS = 0x040
    """UARTMIS, masked interrupt status (read-only)."""
    ICR = 0x044
    """UARTICR, interrupt clear (write-only)."""
    DMACR = 0x048
    """UARTDMACR, DMA control (stored; QEMU implements no DMA)."""


ECR: Final = RegisterOffset.RSR
"""UARTECR shares the offset of UARTRSR (DDI 0183 §3.3.2)."""

MMIO_SIZE: Final = 0x1000
"""Size of the register region (DDI 0183 §3.2: 4 KiB, IDs in the last 32 bytes)."""

ID_OFFSET: Final = 0xFE0
"""UARTPeriphID0; the eight ID registers sit at 0xFE0..0xFFC, one byte each."""

# -- UARTDR / UARTRSR: status bits travel with each character (DDI 0183 §3.3.1) --------
DR_DATA: Final = 0xFF
DR_FE: Final = 1 << 8
"""Framing error."""
DR_PE: Final = 1 << 9
"""Parity error."""
DR_BE: Final = 1 << 10
"""Break error: a break condition was received (the character reads as 0)."""
DR_OE: Final = 1 << 11
"""Overrun error (QEMU never sets it: the backend is flow-controlled)."""

RSR_FE: Final = 1 << 0
RSR_PE: Final = 1 << 1
RSR_BE: Final = 1 << 2
RSR_OE: Final = 1 << 3

# -- UARTFR (DDI 0183 §3.3.3) ----------------------------------------------------------
FR_CTS: Final = 1 << 0
FR_DSR: Final = 1 << 1
FR_DCD: Final = 1 << 2
FR_BUSY: Final = 1 << 3
"""Never set by QEMU: transmission completes instantly."""
FR_RXFE: Final = 1 << 4
FR_TXFF: Final = 1 << 5
FR_RXFF: Final = 1 << 6
FR_TXFE: Final = 1 << 7
FR_RI: Final = 1 << 8
FR_MODEM_STATUS: Final = FR_CTS | FR_DSR | FR_DCD | FR_RI

# -- UARTLCR_H (DDI 0183 §3.3.7) -------------------------------------------------------
LCR_H_BRK: Final = 1 << 0
LCR_H_PEN: Final = 1 << 1
LCR_H_EPS: Final = 1 << 2
LCR_H_STP2: Final = 1 << 3
LCR_H_FEN: Final = 1 << 4
LCR_H_WLEN: Final = 0b11 << 5
LCR_H_SPS: Final = 1 << 7

# -- UARTCR (DDI 0183 §3.3.8) ----------------------------------------------------------
CR_UARTEN: Final = 1 << 0
CR_SIREN: Final = 1 << 1
CR_SIRLP: Final = 1 << 2
CR_LBE: Final = 1 << 7
CR_TXE: Final = 1 << 8
CR_RXE: Final = 1 << 9
CR_DTR: Final = 1 << 10
CR_RTS: Final = 1 << 11
CR_OUT1: Final = 1 << 12
CR_OUT2: Final = 1 << 13
CR_RTSEN: Final = 1 << 14
CR_CTSEN: Final = 1 << 15

# -- UARTIMSC, UARTRIS, UARTMIS, UARTICR share one layout (DDI 0183 §3.3.10-13) --------
INT_RI: Final = 1 << 0
INT_CTS: Final = 1 << 1
INT_DCD: Final = 1 << 2
INT_DSR: Final = 1 << 3
INT_RX: Final = 1 << 4
INT_TX: Final = 1 << 5
INT_RT: Final = 1 << 6
INT_FE: Final = 1 << 7
INT_PE: Final = 1 << 8
INT_BE: Final = 1 << 9
INT_OE: Final = 1 << 10
INT_MS: Final = INT_RI | INT_CTS | INT_DCD | INT_DSR
"""Modem-status interrupts (UARTMSINTR)."""
INT_E: Final = INT_FE | INT_PE | INT_BE | INT_OE
"""Error interrupts (UARTEINTR)."""
INT_ALL: Final = INT_MS | INT_RX | INT_TX | INT_RT | INT_E

IRQMASK: Final[tuple[int, ...]] = (INT_ALL, INT_RX, INT_TX, INT_RT, INT_MS, INT_E)
"""Interrupt bits behind each output line, in output order (QEMU `irqmask[]`):
0 UARTINTR (combined), 1 UARTRXINTR, 2 UARTTXINTR, 3 UARTRTINTR, 4 UARTMSINTR,
5 UARTEINTR."""

# -- Divisors and FIFO -----------------------------------------------------------------
IBRD_MASK: Final = 0xFFFF
"""UARTIBRD is 16 bits (DDI 0183 §3.3.5); current QEMU masks writes and loaded state."""
FBRD_MASK: Final = 0x3F
"""UARTFBRD is 6 bits (DDI 0183 §3.3.6)."""
FIFO_DEPTH: Final = 16
"""Receive FIFO entries with LCR_H.FEN set; without FEN it holds one character."""

# -- Reset values (DDI 0183 §3.2 table 3-1; QEMU `pl011_reset()`) ----------------------
FR_RESET: Final = FR_RXFE | FR_TXFE
CR_RESET: Final = CR_RXE | CR_TXE
IFLS_RESET: Final = 0x12
"""Both FIFO trigger levels at half full."""
READ_TRIGGER_RESET: Final = 1
"""QEMU raises RX as soon as one character is queued, whatever IFLS says."""

DEFAULT_CLOCK_HZ: Final = 24_000_000
"""UARTCLK of QEMU's `virt` board (its `apb_pclk` fixed clock)."""

# -- PrimeCell identification (DDI 0183 §3.3.15-16): PeriphID0-3 then PCellID0-3 -------
PL011_ID_ARM: Final = bytes((0x11, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1))
"""ARM's PL011: part 0x011, designer 0x41 (ARM), revision 1; PrimeCell 0xB105F00D."""
PL011_ID_LUMINARY: Final = bytes((0x11, 0x00, 0x18, 0x01, 0x0D, 0xF0, 0x05, 0xB1))
"""The Stellaris (Luminary Micro) UART as QEMU's `pl011_luminary` identifies it."""
