"""PL011 on a SocketChardev: input the backend holds reaches the FIFO once it has room."""

from __future__ import annotations

import socket

import bql
import pytest
from bql.chardev import SocketChardev
from pl011 import PL011State

from tests.waiting import wait_until

DR, FR, LCR_H = 0x00, 0x18, 0x2C
FR_RXFE = 0x10
LCR_H_FEN = 0x10


@pytest.mark.parametrize(
    "make_room",
    [
        lambda uart: uart.write(LCR_H, LCR_H_FEN, 4),  # the FIFO on: 16 places
        lambda uart: uart.reset(),  # the holding register emptied
    ],
    ids=["fifo-enabled", "reset"],
)
def test_held_input_reaches_the_uart_when_it_makes_room_without_a_dr_read(make_room):
    # rt15 #01, as in QEMU (its main loop polls pl011_can_receive()): with the FIFO off,
    # 'a' fills the holding register and 'b' waits in the backend; making room some
    # other way than by reading DR must still get 'b' delivered.
    with SocketChardev(port=0) as backend:
        uart = PL011State(chardev=backend)
        with bql.locked():
            uart.realize()
            uart.reset()
        with socket.create_connection(backend.address) as peer:
            assert backend.wait_connected(10)
            peer.sendall(b"ab")
            assert wait_until(lambda: backend.pending == 1)
            with bql.locked():
                make_room(uart)
            assert wait_until(lambda: backend.pending == 0)
            with bql.locked():
                assert not uart.read(FR, 4) & FR_RXFE
                assert uart.read(DR, 4) == ord("b")
                assert uart.read(FR, 4) & FR_RXFE
