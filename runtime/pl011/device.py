"""The PL011 device: the shared shell around the registers, written against `bql`.

Everything a board, a vCPU or a character backend can reach is here: MMIO ``read`` and
``write``, the backend's ``can_receive`` / ``receive`` / ``event`` handlers, the six
interrupt outputs, reset and migration. The register logic itself is in
:mod:`pl011.state`; this module only decides *when* to borrow it.

Why the borrows end where they do
---------------------------------
In QEMU, a device and its character backend call each other synchronously. A guest's
write to UARTDR calls ``qemu_chr_fe_write_all()``; a backend may answer by asking
``can_receive()`` and delivering input to ``receive()`` *before ``write_all()``
returns* (a loopback cable, a mux, a test backend). A DR read calls
``qemu_chr_fe_accept_input()``, which can deliver queued input at once. Raising an
interrupt runs the interrupt controller, and a test's or board's sink may read the
device's registers from its callback. Were the registers still borrowed at that
point, the re-entrant handler's own borrow would fail: in Rust a panic ("already
borrowed"), here a `bql.BorrowError`. That is why QEMU's Rust PL011 transmits before it
borrows its registers, and why every call out below happens after the borrow.

So every entry point here follows one pattern::

    with self.regs.borrow_mut() as regs:   # 1. borrow once
        changed = regs.write(offset, value) # 2. compute: pure, cannot re-enter
    if changed:                             # 3. borrow ended: now call out
        self.update()

and the calls out (``update()``, ``accept_input()``, ``write_all()``, ``send_break()``)
always run with no borrow alive. ``update()`` itself borrows the registers, so even it
must not be called from inside a ``with`` block. ``bqlint`` checks all of this
statically (BQL002, BQL003); the ``bql`` cells check it at run time.

>>> import bql
>>> from bql.chardev import MemoryChardev
>>> backend = MemoryChardev(echo=True)      # output comes straight back as input
>>> uart = PL011State(chardev=backend)
>>> rx = bql.IRQLine()
>>> uart.connect_irq(1, rx)
>>> with bql.locked():
...     uart.realize(); uart.reset()
...     uart.write(0x038, 0x10, 4)           # IMSC: RX interrupt enabled
...     uart.write(0x000, ord("A"), 4)       # DR: "A" goes out, and comes back in
...     rx.level, chr(uart.read(0x000, 4)), rx.level
(True, 'A', False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import bql
from bql.chardev import Chardev, CharFrontend, Event

from pl011.migration import (
    check_post_load,
    describe_value,
    registers_from_state,
    save_registers,
)
from pl011.registers import (
    DEFAULT_CLOCK_HZ,
    DR_DATA,
    INT_TX,
    ID_OFFSET,
    IRQMASK,
    LCR_H_BRK,
    MMIO_SIZE,
    PL011_ID_ARM,
    PL011_ID_LUMINARY,
    RegisterOffset,
)
from pl011.state import PL011Registers

_DR: Final = RegisterOffset.DR >> 2
_LCR_H: Final = RegisterOffset.LCR_H >> 2
_SIZE_MASK: Final = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFF_FFFF}


def _size_mask(size: int) -> int:
    """Return the value mask of a `size`-byte access; a size the bus never makes is an error."""
    mask = _SIZE_MASK.get(size) if type(size) is int else None
    if mask is None:
        raise ValueError(f"PL011 access size must be 1, 2 or 4 bytes, not {size!r}"[:80])
    return mask


class PL011State(bql.SysBusDevice):
    """ARM PrimeCell UART (PL011), as QEMU's `pl011` device models it.

    State: ``regs`` (a `BqlRefCell` of :class:`~pl011.state.PL011Registers`), the
    ``clock`` rate in a `BqlCell`, six `InterruptSource` outputs (0 UARTINTR combined,
    1 RX, 2 TX, 3 RT, 4 MS, 5 E) and a `CharFrontend`. Construction needs no BQL;
    everything after it does.

    >>> import bql
    >>> uart = PL011State()
    >>> with bql.locked():
    ...     uart.realize(); uart.reset()
    ...     hex(uart.read(0x018, 4)), uart.baudrate
    ('0x90', 0)
    """

    device_id: ClassVar[bytes] = PL011_ID_ARM
    """PeriphID0-3 and PCellID0-3, read at 0xFE0-0xFFC; a class constant, not state."""

    def __init__(
        self, chardev: Chardev | None = None, *, clock_hz: int = DEFAULT_CLOCK_HZ
    ) -> None:
        """Create the device, attached to `chardev` if given; needs no BQL."""
        super().__init__()
        self.regs = bql.BqlRefCell(PL011Registers())
        self.clock = bql.BqlCell(clock_hz)
        # Outputs in QEMU's sysbus IRQ order; `connect_irq(n, ...)` numbers them so.
        self.interrupts: tuple[bql.InterruptSource, ...] = tuple(
            bql.InterruptSource() for _ in IRQMASK
        )
        self.char_frontend = CharFrontend(chardev)

    # -- lifecycle ---------------------------------------------------------------------

    def realize(self) -> None:
        """Check the clock and register the backend handlers (under the BQL).

        >>> import bql
        >>> with bql.locked():
        ...     PL011State(clock_hz=-1).realize()
        Traceback (most recent call last):
        ...
        ValueError: PL011 clock_hz must be a non-negative int, not -1
        """
        clock_hz = self.clock.get()
        if isinstance(clock_hz, bool) or not isinstance(clock_hz, int) or clock_hz < 0:
            raise ValueError(
                f"PL011 clock_hz must be a non-negative int, not {describe_value(clock_hz)}"
            )
        super().realize()
        self.char_frontend.enable_handlers(self.can_receive, self.receive, self.event)

    def reset(self) -> None:
        """Put the registers at their reset values and lower every output.

        QEMU's reset only resets the registers; the interrupt controller resets its
        own view of the lines. Here the sinks are plain objects, so the outputs are
        driven to the reset state explicitly.
        """
        super().reset()
        with self.regs.borrow_mut() as regs:
            regs.reset()
        self.update()

    @property
    def clock_hz(self) -> int:
        """UARTCLK in Hz (QEMU's "clk"; 24 MHz on `virt`); settable before realize().

        Like a qdev property, it is set while the board is being built, which may be
        before anyone took the BQL: the accessors take it for the access if the
        calling thread does not hold it.

        >>> import bql
        >>> uart = PL011State()
        >>> uart.clock_hz = 48_000_000
        >>> with bql.locked():
        ...     uart.realize()
        >>> uart.clock_hz
        48000000
        >>> uart.clock_hz = 1
        Traceback (most recent call last):
        ...
        bql.errors.BqlError: PL011 clock_hz can only be set before realize()
        """
        if bql.is_locked():
            return self.clock.get()
        with bql.locked():
            return self.clock.get()

    @clock_hz.setter
    def clock_hz(self, value: int) -> None:
        if bql.is_locked():
            self._set_clock_hz(value)
        else:
            with bql.locked():
                self._set_clock_hz(value)

    def _set_clock_hz(self, value: int) -> None:
        if self.realized:
            raise bql.BqlError("PL011 clock_hz can only be set before realize()")
        self.clock.set(value)

    @property
    def baudrate(self) -> int:
        """The line rate in bit/s from UARTCLK and the divisors (0 while IBRD is 0).

        It reads the registers, so it needs the BQL like any register access (unlike
        `clock_hz`, a property set while the board is built).

        >>> import bql
        >>> uart = PL011State()
        >>> with bql.locked():
        ...     uart.realize(); uart.reset()
        ...     uart.write(0x024, 13, 4); uart.write(0x028, 1, 4)
        ...     uart.baudrate
        115244
        """
        clock_hz = self.clock.get()
        with self.regs.borrow() as regs:
            return regs.baudrate(clock_hz)

    # -- MMIO, called by the vCPU with the BQL held ------------------------------------

    @bql.requires_bql
    def read(self, offset: int, size: int) -> int:
        """Return the `size`-byte (1, 2 or 4) register at `offset`; a vCPU load.

        QEMU implements 32-bit accesses only: a narrower read sees the low bytes of the
        register word that contains `offset`.

        >>> import bql
        >>> uart = PL011State()
        >>> with bql.locked():
        ...     uart.realize(); uart.reset()
        ...     hex(uart.read(0x030, 4)), hex(uart.read(0x031, 1)), uart.read(0xFE0, 4)
        ('0x300', '0x0', 17)
        >>> uart.read(0x018, 4)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        bql.errors.BqlNotHeldError: PL011State.read() requires the BQL, ...
        """
        mask = _size_mask(size)
        if ID_OFFSET <= offset < MMIO_SIZE:
            # Identification is a property of the class: no state, no borrow.
            return self.device_id[(offset - ID_OFFSET) >> 2] & mask
        with self.regs.borrow_mut() as regs:
            changed, value = regs.read(offset)
        # A DR read popped the FIFO. The borrow has ended, so both calls out are safe:
        # update() borrows the registers again, and accept_input() may deliver the
        # next queued character to receive() before it returns.
        if changed:
            self.update()
            self.char_frontend.accept_input()
        return value & mask

    @bql.requires_bql
    def write(self, offset: int, value: int, size: int) -> None:
        """Write the `size`-byte (1, 2 or 4) `value` at `offset`; a vCPU store.

        >>> import bql
        >>> from bql.chardev import MemoryChardev
        >>> backend = MemoryChardev()
        >>> uart = PL011State(chardev=backend)
        >>> with bql.locked():
        ...     uart.realize(); uart.reset()
        ...     uart.write(0x000, ord("k"), 4)
        ...     uart.write(0x02C, 0x61, 4)  # LCR_H.BRK: the backend sends a break
        >>> backend.output, backend.breaks
        (bytearray(b'k'), [True])
        """
        value &= _size_mask(size)
        if offset >> 2 == _DR and offset < ID_OFFSET:
            # Transmit first, outside any borrow: the backend may call can_receive()
            # and receive() before write_all() returns (QEMU's Rust PL011 does the
            # same, for the same reason).
            self.char_frontend.write_all(bytes((value & DR_DATA,)))
            with self.regs.borrow_mut() as regs:
                looped = regs.transmit(value)
            if looped:
                self.update()  # the character came back in: RX rises before TX, as in QEMU
            with self.regs.borrow_mut() as regs:
                regs.int_level |= INT_TX
            self.update()
            return
        with self.regs.borrow_mut() as regs:
            break_toggled = offset >> 2 == _LCR_H and regs.is_break_toggled(value)
            changed = regs.write(offset, value)
        if break_toggled:
            self.char_frontend.send_break(bool(value & LCR_H_BRK))
        if changed:
            self.update()

    def update(self) -> None:
        """Drive each output line from the raw and enabled interrupt bits.

        Reads the registers under a shared borrow that ends before any line is driven:
        a sink may call straight back into the device. Calling it with the registers
        still borrowed mutably is the classic mistake:

        >>> import bql
        >>> uart = PL011State()
        >>> with bql.locked():  # doctest: +ELLIPSIS
        ...     uart.realize(); uart.reset()
        ...     with uart.regs.borrow_mut() as regs:
        ...         regs.int_level = 0x20
        ...         uart.update()
        Traceback (most recent call last):
        ...
        bql.errors.BorrowError: cannot borrow() ...
        """
        with self.regs.borrow() as regs:
            levels = regs.irq_levels()
        for irq, level in zip(self.interrupts, levels, strict=True):
            irq.set(level)

    # -- character backend handlers (registered in realize()) --------------------------

    def can_receive(self) -> int:
        """Return how many characters the receive FIFO can take now.

        >>> import bql
        >>> uart = PL011State()
        >>> with bql.locked():
        ...     uart.realize(); uart.reset()
        ...     uart.can_receive(), uart.write(0x02C, 0x10, 4), uart.can_receive()
        (1, None, 16)
        """
        with self.regs.borrow() as regs:
            return regs.can_receive()

    def receive(self, data: bytes) -> None:
        """Queue characters from the backend (dropped while in loopback).

        Called by the backend under the BQL, possibly from inside this device's own
        `write_all()` or `accept_input()`: that is why those run outside any borrow.

        >>> import bql
        >>> uart = PL011State()
        >>> with bql.locked():
        ...     uart.realize(); uart.reset()
        ...     uart.receive(b"z"); chr(uart.read(0x000, 4))
        'z'
        """
        with self.regs.borrow_mut() as regs:
            changed = regs.receive(data)
        if changed:
            self.update()

    def event(self, event: Event) -> None:
        """Queue a break character when the backend reports a received break.

        >>> import bql
        >>> from bql.chardev import Event
        >>> uart = PL011State()
        >>> with bql.locked():
        ...     uart.realize(); uart.reset()
        ...     uart.event(Event.BREAK); hex(uart.read(0x000, 4)), uart.read(0x004, 4)
        ('0x400', 4)
        """
        if event != Event.BREAK:
            return
        with self.regs.borrow_mut() as regs:
            changed = regs.receive_break()
        if changed:
            self.update()

    # -- migration (SPEC §2.3; QEMU vmstate_pl011) -------------------------------------

    @bql.requires_bql
    def save_state(self) -> dict[str, Any]:
        """Return the state under QEMU's VMState field names.

        >>> import bql
        >>> uart = PL011State()
        >>> with bql.locked():
        ...     uart.realize(); uart.reset()
        ...     state = uart.save_state()
        >>> state["cr"], state["ifl"], state["read_fifo"] == [0] * 16
        (768, 18, True)
        """
        with self.regs.borrow() as regs:
            return save_registers(regs)

    @bql.requires_bql
    def load_state(self, state: Mapping[str, Any]) -> None:
        """Restore a saved state, or raise ValueError and change nothing.

        The outputs are then driven from the loaded interrupt state (in QEMU the
        interrupt controller migrates its own view of the lines).

        >>> import bql
        >>> uart = PL011State()
        >>> with bql.locked():
        ...     uart.realize(); uart.reset()
        ...     uart.load_state({**uart.save_state(), "read_count": 17})
        Traceback (most recent call last):
        ...
        ValueError: PL011 state: read_count 17 is out of range 0..16
        """
        super().load_state(state)
        self.update()

    def apply_state(self, state: Mapping[str, Any]) -> None:
        """Write a state's fields into the registers (types checked, nothing else)."""
        loaded = registers_from_state(state)
        with self.regs.borrow_mut() as regs:
            regs.assign(loaded)

    def post_load(self) -> None:
        """Run QEMU's post-load checks and fix-ups on the loaded registers."""
        with self.regs.borrow_mut() as regs:
            check_post_load(regs)


class PL011Luminary(PL011State):
    """The Stellaris variant (QEMU's `pl011_luminary`): only its ID bytes differ.

    >>> import bql
    >>> uart = PL011Luminary()
    >>> with bql.locked():
    ...     uart.realize(); uart.reset()
    ...     [hex(uart.read(offset, 4)) for offset in (0xFE0, 0xFE4, 0xFE8, 0xFEC)]
    ['0x11', '0x0', '0x18', '0x1']
    """

    device_id: ClassVar[bytes] = PL011_ID_LUMINARY
