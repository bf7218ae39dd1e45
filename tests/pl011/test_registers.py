"""Each PL011 register: reset value, reads and writes, masks, IDs (DDI 0183 ch. 3)."""

from __future__ import annotations

import logging

import bql
import pytest
from bql.chardev import MemoryChardev
from pl011 import PL011Luminary, PL011State
from pl011.registers import PL011_ID_ARM, PL011_ID_LUMINARY
from pl011.registers import RegisterOffset as R

from .conftest import Board, make_board

RESET_VALUES = {
    R.DR: 0,
    R.RSR: 0,
    R.FR: 0x90,  # RXFE | TXFE
    R.ILPR: 0,
    R.IBRD: 0,
    R.FBRD: 0,
    R.LCR_H: 0,
    R.CR: 0x300,  # TXE | RXE
    R.IFLS: 0x12,
    R.IMSC: 0,
    R.RIS: 0,
    R.MIS: 0,
    R.ICR: 0,
    R.DMACR: 0,
}


@pytest.mark.parametrize("offset", list(RESET_VALUES), ids=lambda o: R(o).name)
def test_register_reads_its_reset_value(board: Board, offset: R) -> None:
    assert board.read(offset) == RESET_VALUES[offset]


@pytest.mark.parametrize(
    ("offset", "value"),
    [(R.ILPR, 0xDEADBEEF), (R.LCR_H, 0xFFFF_FF6E), (R.IFLS, 0x3F), (R.DMACR, 0x4)],
    ids=lambda v: R(v).name if isinstance(v, R) else hex(v),
)
def test_plain_registers_store_the_full_32_bit_value(
    board: Board, offset: int, value: int
) -> None:
    board.write(offset, value)
    assert board.read(offset) == value


def test_cr_stores_every_bit_and_the_enables_are_not_acted_on(board: Board) -> None:
    board.write(R.CR, 0xFFFF_FF7F)  # everything but LBE
    assert board.read(R.CR) == 0xFFFF_FF7F
    board.write(R.CR, 0)  # UART, TX and RX disabled: QEMU transmits anyway
    board.write(R.DR, ord("x"))
    assert board.backend.output == b"x"


def test_disabled_uart_is_logged_once_and_disabled_tx_every_time(
    board: Board, caplog: pytest.LogCaptureFixture
) -> None:
    board.write(R.CR, 0)
    with caplog.at_level(logging.WARNING, logger="pl011"):
        board.write(R.DR, 1)
        board.write(R.DR, 2)
    uart_disabled = [r for r in caplog.records if "UART is disabled" in r.message]
    tx_disabled = [r for r in caplog.records if "transmitter disabled" in r.message]
    assert (len(uart_disabled), len(tx_disabled)) == (1, 2)


def test_ibrd_keeps_16_bits_and_fbrd_6_bits(board: Board) -> None:
    board.write(R.IBRD, 0xFFFF_FFFF)
    board.write(R.FBRD, 0xFFFF_FFFF)
    assert (board.read(R.IBRD), board.read(R.FBRD)) == (0xFFFF, 0x3F)


def test_baudrate_follows_divisors_and_clock(bql_held: None) -> None:
    uart = PL011State(clock_hz=48_000_000)
    board = make_board(uart, MemoryChardev())
    assert uart.baudrate == 0  # IBRD 0: no valid divisor
    board.write(R.IBRD, 26)
    board.write(R.FBRD, 3)  # 48 MHz / (16 * (26 + 3/64)) = 115176 bit/s
    assert uart.baudrate == (48_000_000 // (26 * 64 + 3)) * 4 == 115176
    assert uart.clock_hz == 48_000_000


def test_default_clock_is_24_mhz(board: Board) -> None:
    assert board.uart.clock_hz == 24_000_000
    board.write(R.IBRD, 1)
    assert board.uart.baudrate == 1_500_000


def test_clock_is_settable_before_realize_only(bql_held: None) -> None:
    uart = PL011State()
    uart.clock_hz = 7_372_800
    uart.realize()
    with pytest.raises(bql.BqlError, match="before realize"):
        uart.clock_hz = 1
    assert uart.clock_hz == 7_372_800


def test_clock_can_be_set_without_holding_the_bql_before_realize() -> None:
    uart = PL011State()  # a board builds the device, then sets its properties
    uart.clock_hz = 3_686_400
    assert uart.clock_hz == 3_686_400
    with bql.locked():
        uart.realize()
        uart.reset()
        uart.write(R.IBRD, 2, 4)
        assert uart.baudrate == 115_200
    with pytest.raises(bql.BqlError, match="before realize"):
        uart.clock_hz = 1


def test_negative_clock_is_refused_at_realize(bql_held: None) -> None:
    uart = PL011State()
    uart.clock_hz = -5
    with pytest.raises(ValueError, match="clock_hz"):
        uart.realize()


def test_rsr_write_clears_the_receive_status(board: Board) -> None:
    board.backend.feed_break()
    assert board.read(R.DR) == 0x400
    assert board.read(R.RSR) == 0x4  # BE
    board.write(R.RSR, 0)  # UARTECR: any value clears
    assert board.read(R.RSR) == 0


def test_fr_ignores_writes(board: Board) -> None:
    board.write(R.FR, 0xFFFF_FFFF)
    assert board.read(R.FR) == 0x90


def test_ris_and_mis_ignore_writes(
    board: Board, caplog: pytest.LogCaptureFixture
) -> None:
    board.write(R.DR, 0)  # TX raw interrupt
    with caplog.at_level(logging.WARNING, logger="pl011"):
        board.write(R.RIS, 0)
        board.write(R.MIS, 0xFFFF)
    assert board.read(R.RIS) == 0x20
    assert len([r for r in caplog.records if "bad PL011 offset" in r.message]) == 2


def test_mis_is_ris_masked_by_imsc(board: Board) -> None:
    board.write(R.DR, 0)
    board.backend.feed(b"a")
    assert board.read(R.RIS) == 0x30  # RX | TX
    assert board.read(R.MIS) == 0
    board.write(R.IMSC, 0x10)
    assert (board.read(R.IMSC), board.read(R.MIS)) == (0x10, 0x10)


def test_icr_clears_the_written_bits_and_reads_as_zero(board: Board) -> None:
    board.write(R.DR, 0)
    board.backend.feed(b"a")
    board.write(R.ICR, 0x20)
    assert board.read(R.RIS) == 0x10
    assert board.read(R.ICR) == 0


def test_ifls_is_stored_but_the_rx_trigger_stays_at_one_character(board: Board) -> None:
    board.write(R.LCR_H, 0x70)
    board.write(R.IFLS, 0x24)  # RX at 7/8 full on hardware
    board.backend.feed(b"a")
    assert board.read(R.RIS) & 0x10
    assert board.uart.save_state()["read_trigger"] == 1


def test_dma_enable_is_stored_and_logged_as_unimplemented(
    board: Board, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pl011"):
        board.write(R.DMACR, 0x3)
    assert board.read(R.DMACR) == 0x3
    assert "DMA" in caplog.text


@pytest.mark.parametrize("offset", [0x008, 0x00C, 0x014, 0x01C, 0x04C, 0x800, 0xFDC])
def test_unknown_offset_reads_zero_and_logs_a_guest_error(
    board: Board, offset: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pl011"):
        assert board.read(offset) == 0
        board.write(offset, 0xFF)
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert f"0x{offset:03x}" in caplog.records[0].message


def test_byte_accesses_reach_the_register_of_their_word(board: Board) -> None:
    # QEMU decodes offset >> 2 and implements 32-bit accesses only.
    board.uart.write(R.ILPR + 1, 0x1AB, 1)
    assert board.uart.read(R.ILPR, 4) == 0xAB
    assert board.uart.read(R.CR + 2, 1) == 0x00
    assert board.uart.read(R.CR, 2) == 0x300
    assert board.uart.read(R.CR, 1) == 0x00


@pytest.mark.parametrize(
    ("cls", "expected"),
    [(PL011State, PL011_ID_ARM), (PL011Luminary, PL011_ID_LUMINARY)],
)
def test_id_registers_read_the_variants_bytes(
    bql_held: None, cls: type[PL011State], expected: bytes
) -> None:
    board = make_board(cls(), MemoryChardev())
    assert bytes(board.read(0xFE0 + 4 * i) for i in range(8)) == expected


def test_id_bytes_are_the_documented_values() -> None:
    assert PL011_ID_ARM.hex() == "111014000df005b1"
    assert PL011_ID_LUMINARY.hex() == "110018010df005b1"


def test_id_registers_are_read_only(board: Board) -> None:
    board.write(0xFE0, 0)
    assert board.read(0xFE0) == 0x11


def test_mmio_without_the_bql_is_an_error() -> None:
    uart = PL011State()  # construction needs no BQL
    with pytest.raises(bql.BqlNotHeldError):
        uart.read(R.FR, 4)
    with pytest.raises(bql.BqlNotHeldError):
        uart.write(R.CR, 0, 4)
