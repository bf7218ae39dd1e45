"""The PL011 UART reference device, written against the `bql` runtime as a user would.

`PL011State` is ARM's PrimeCell UART (DDI 0183) as QEMU models it; `PL011Luminary` is
the Stellaris variant with its own ID bytes. The package is laid out like QEMU's Rust
PL011: :mod:`pl011.registers` (the register map), :mod:`pl011.state` (registers as
plain data with pure logic), :mod:`pl011.device` (the shell that borrows the registers
once per access and calls out only after the borrow has ended), :mod:`pl011.migration`
(QEMU's VMState fields and post-load checks). ``python -m pl011 --socket PATH`` runs it
behind a socket with a small echoing guest.
"""

from __future__ import annotations

from pl011.device import PL011Luminary, PL011State

__all__ = ["PL011Luminary", "PL011State"]
