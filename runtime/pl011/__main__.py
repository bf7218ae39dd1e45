"""Demo: a PL011 on a socket, with a tiny interrupt-driven "guest" that echoes input.

    python -m pl011 --socket /tmp/pl011.sock     # or: python -m pl011 --tcp 4321
    socat - UNIX-CONNECT:/tmp/pl011.sock         # type; every character comes back

Three threads share the device, as in QEMU: the socket backend's I/O thread delivers
input under the BQL (`receive()`, which raises the RX interrupt); the vCPU thread runs
the guest (MMIO reads and writes under the BQL; it sleeps with the BQL released until
the interrupt line wakes it); the main thread waits for Ctrl-C or SIGTERM.

The socket exists before the UART does, so a peer may type at once. Nothing it sends
is lost or left waiting: the backend holds input until handlers are registered and
then offers it again; the board realizes, resets and configures the UART in one hold
of the BQL, so no input lands before the FIFO is enabled (which empties it); the guest
clears its wake-up flag under the BQL before it looks at the UART, so an interrupt
raised after that look still ends its next wait. Ctrl-C anywhere stops the guest.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

import bql
from bql.chardev import Chardev, SocketChardev

from pl011 import PL011State
from pl011.registers import (
    CR_RXE,
    CR_TXE,
    CR_UARTEN,
    DR_DATA,
    FR_RXFE,
    INT_RX,
    INT_TX,
    LCR_H_FEN,
    LCR_H_WLEN,
    RegisterOffset,
)

POLL_S = 0.2
"""How often the main thread wakes from its wait, so that Ctrl-C is handled everywhere."""


def configure(uart: PL011State) -> None:
    """Program the UART as a driver would: 115200 8N1, FIFOs on, RX interrupt."""
    uart.write(RegisterOffset.CR, 0, 4)  # disable while reprogramming (DDI 0183 §3.3.8)
    uart.write(RegisterOffset.IBRD, 13, 4)  # 24 MHz / (16 * 13.02) = 115200 bit/s
    uart.write(RegisterOffset.FBRD, 1, 4)
    uart.write(RegisterOffset.LCR_H, LCR_H_WLEN | LCR_H_FEN, 4)
    uart.write(RegisterOffset.IMSC, INT_RX, 4)
    uart.write(RegisterOffset.CR, CR_UARTEN | CR_TXE | CR_RXE, 4)


def echo_pending(uart: PL011State) -> int:
    """Echo every character in the receive FIFO; return how many (BQL held)."""
    echoed = 0
    while not uart.read(RegisterOffset.FR, 4) & FR_RXFE:
        char = uart.read(RegisterOffset.DR, 4) & DR_DATA
        uart.write(RegisterOffset.DR, char, 4)
        echoed += 1
    uart.write(RegisterOffset.ICR, INT_TX, 4)  # the guest does not use TX interrupts
    return echoed


def run_guest(uart: PL011State, irq: threading.Event, stop: threading.Event) -> None:
    """The vCPU thread: echo what is pending, then wait for the interrupt with the BQL released.

    `irq` is set only under the BQL (by the line's `on_change`) or after `stop`, and it is
    cleared under the BQL *before* the guest looks at the UART. So an interrupt raised
    before the look is seen by it, and one raised after sets `irq` again: `irq.wait()`
    never sleeps through one. Same for `stop`: set before `irq`, seen at the next clear.
    """
    with bql.locked():
        while True:
            irq.clear()
            if stop.is_set():
                return
            echo_pending(uart)
            with bql.unlocked():  # no borrow is alive here: MMIO calls ended theirs
                irq.wait()


def power_on(uart: PL011State) -> None:
    """Realize, reset and configure the UART, as a board and its firmware would (BQL held).

    In one hold of the BQL: realize() registers the handlers, which lets the backend
    deliver input it already holds as soon as the BQL is free; by then the FIFO is
    enabled. Enabling it later would drop what the UART had taken meanwhile (an LCR_H.FEN
    change empties the FIFO: QEMU hw/char/pl011.c pl011_write()).
    """
    uart.realize()
    uart.reset()
    configure(uart)


def serve(backend: Chardev, stop: threading.Event) -> None:
    """Run a PL011 on `backend` and the echoing guest until `stop` is set or Ctrl-C.

    However this returns or raises, the guest has been told to stop; it is joined unless
    it had not yet started (then it stops on its own, at its first look at `stop`).
    """
    uart = PL011State(chardev=backend)
    irq = threading.Event()

    def on_irq(level: bool) -> None:  # runs under the BQL, on whichever thread drove it
        if level:
            irq.set()

    def guest_thread() -> None:
        try:
            run_guest(uart, irq, stop)
        finally:
            stop.set()  # a guest that failed ends the demo instead of leaving it deaf

    uart.connect_irq(0, bql.IRQLine(on_change=on_irq))
    with bql.locked():
        power_on(uart)
    # A daemon: should a second Ctrl-C cut the cleanup below short, the process still exits.
    guest = threading.Thread(target=guest_thread, name="vcpu0", daemon=True)
    try:
        guest.start()  # inside the try: Ctrl-C can land in start() after the thread runs
        while not stop.wait(POLL_S):
            pass
    finally:
        stop.set()
        irq.set()  # wake the guest now; it sees `stop` at its next clear
        if guest.is_alive():
            guest.join()


def main(argv: list[str] | None = None) -> int:
    """Run the demo until interrupted; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m pl011",
        description="A PL011 on a socket, with a small guest that echoes its input.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--socket", metavar="PATH", help="listen on a Unix socket")
    where.add_argument(
        "--tcp", metavar="PORT", type=int, help="listen on 127.0.0.1:PORT"
    )
    args = parser.parse_args(argv)

    # SIGTERM stops the demo as Ctrl-C does, by raising KeyboardInterrupt in the main
    # thread. (A handler that set an Event could wait for ever on that Event's own lock,
    # held by the very `stop.wait()` the signal interrupted.)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.socket is not None:
            backend = SocketChardev(args.socket)
        else:
            backend = SocketChardev(port=args.tcp)
        with backend:
            address = backend.address
            if isinstance(address, str):
                where_text = f"unix:{address}"
            else:
                where_text = f"tcp:{address[0]}:{address[1]}"
            print(f"pl011: listening on {where_text}; Ctrl-C to stop", flush=True)
            serve(backend, threading.Event())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
