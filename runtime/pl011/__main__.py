"""Demo: a PL011 on a socket, with a tiny interrupt-driven "guest" that echoes input.

    python -m pl011 --socket /tmp/pl011.sock     # or: python -m pl011 --tcp 4321
    socat - UNIX-CONNECT:/tmp/pl011.sock         # type; every character comes back

Three threads share the device, as in QEMU: the socket backend's I/O thread delivers
input under the BQL (`receive()`, which raises the RX interrupt); the vCPU thread runs
the guest (MMIO reads and writes under the BQL; it sleeps with the BQL released until
the interrupt line wakes it); the main thread waits for Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

import bql
from bql.chardev import SocketChardev

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
"""How long the guest sleeps without an interrupt before checking for shutdown."""


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
    """The vCPU thread: wait for the interrupt with the BQL released, then echo."""
    with bql.locked():
        configure(uart)
        while not stop.is_set():
            echo_pending(uart)
            with bql.unlocked():  # no borrow is alive here: MMIO calls ended theirs
                irq.wait(POLL_S)
                irq.clear()


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

    if args.socket is not None:
        backend = SocketChardev(args.socket)
    else:
        backend = SocketChardev(port=args.tcp)
    uart = PL011State(chardev=backend)
    irq = threading.Event()
    stop = threading.Event()

    def on_irq(level: bool) -> None:  # runs under the BQL, on whichever thread drove it
        if level:
            irq.set()

    uart.connect_irq(0, bql.IRQLine(on_change=on_irq))
    with bql.locked():
        uart.realize()
        uart.reset()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()
        irq.set()  # wake the guest now rather than at its next poll

    signal.signal(signal.SIGTERM, request_stop)
    guest = threading.Thread(target=run_guest, args=(uart, irq, stop), name="vcpu0")
    guest.start()
    address = backend.address
    if isinstance(address, str):
        where_text = f"unix:{address}"
    else:
        where_text = f"tcp:{address[0]}:{address[1]}"
    print(f"pl011: listening on {where_text}; Ctrl-C to stop", flush=True)
    try:
        while not stop.wait(POLL_S):
            pass
    except KeyboardInterrupt:
        request_stop(signal.SIGINT, None)
    guest.join()
    backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
