"""Loopback (CR.LBE: data, break, modem control), break both ways, and reset."""

from __future__ import annotations

from pl011.registers import RegisterOffset as R

from .conftest import Board

LBE_ON = 0x381  # UARTEN | LBE | TXE | RXE
RTS, DTR, OUT1, OUT2 = 1 << 11, 1 << 10, 1 << 12, 1 << 13


def test_loopback_sends_the_character_out_and_receives_it(board: Board) -> None:
    board.write(R.CR, LBE_ON)
    board.write(R.IMSC, 0x10)
    board.write(R.DR, 0x1A5)  # only the low 8 bits are a character
    assert board.backend.output == b"\xa5"
    assert board.read(R.DR) == 0xA5
    assert board.lines["rx"].edges == 1


def test_loopback_ignores_input_from_the_backend(board: Board) -> None:
    board.write(R.CR, LBE_ON)
    board.backend.feed(b"z")
    board.backend.feed_break()
    assert board.read(R.FR) & 0x10  # still empty
    assert board.read(R.RIS) == 0


def test_break_in_loopback_queues_a_break_character(board: Board) -> None:
    board.write(R.CR, LBE_ON)
    board.write(R.LCR_H, 0x1)
    assert board.read(R.DR) == 0x400
    assert board.read(R.RSR) == 0x4
    board.write(R.LCR_H, 0x0)  # ending the break queues nothing
    assert board.read(R.FR) & 0x10


def test_modem_control_outputs_loop_back_to_fr_and_ms_interrupts(board: Board) -> None:
    board.write(R.IMSC, 0xF)
    board.write(R.CR, 0x301 | RTS | DTR | OUT1 | OUT2)  # not looped back yet
    assert board.read(R.FR) & 0x107 == 0
    board.write(R.CR, LBE_ON | RTS | DTR | OUT1 | OUT2)
    assert board.read(R.FR) & 0x107 == 0x107  # RI | DCD | DSR | CTS
    assert board.read(R.RIS) == 0xF
    assert board.lines["ms"].level and board.lines["combined"].level
    board.write(R.CR, LBE_ON | RTS)
    assert board.read(R.FR) & 0x107 == 0x1  # CTS <- RTS
    assert board.read(R.RIS) == 0x2  # CTS interrupt follows the level
    board.write(R.CR, LBE_ON)
    assert not board.lines["ms"].level


def test_each_modem_output_maps_to_its_input(board: Board) -> None:
    for out, fr_bit, int_bit in [
        (RTS, 0x001, 0x2),
        (DTR, 0x002, 0x8),
        (OUT1, 0x004, 0x4),
        (OUT2, 0x100, 0x1),
    ]:
        board.write(R.CR, LBE_ON | out)
        assert (board.read(R.FR) & 0x107, board.read(R.RIS)) == (fr_bit, int_bit)


def test_leaving_loopback_leaves_the_modem_status_as_it_was(board: Board) -> None:
    board.write(R.CR, LBE_ON | RTS)
    board.write(R.CR, 0x301 | RTS)  # LBE off: QEMU does not recompute FR
    assert board.read(R.FR) & 0x1


def test_lcr_h_break_is_sent_to_the_backend_on_each_change(board: Board) -> None:
    board.write(R.LCR_H, 0x61)
    board.write(R.LCR_H, 0x71)  # BRK unchanged: nothing sent
    board.write(R.LCR_H, 0x70)
    assert board.backend.breaks == [True, False]


def test_received_break_reads_as_data_0_with_be(board: Board) -> None:
    board.backend.feed_break()
    assert board.read(R.FR) & 0x10 == 0
    assert board.read(R.DR) == 0x400
    assert board.read(R.RSR) == 0x4


def test_receive_status_travels_with_each_character(board: Board) -> None:
    board.write(R.LCR_H, 0x70)
    board.backend.feed(b"a")
    board.backend.feed_break()
    board.backend.feed(b"b")
    assert [(board.read(R.DR), board.read(R.RSR)) for _ in range(3)] == [
        (0x61, 0),
        (0x400, 0x4),
        (0x62, 0),
    ]


def test_reset_restores_every_register_and_lowers_the_lines(board: Board) -> None:
    for offset, value in [
        (R.LCR_H, 0x71), (R.IBRD, 13), (R.FBRD, 1), (R.ILPR, 9), (R.IFLS, 0),
        (R.IMSC, 0x7FF), (R.DMACR, 4), (R.CR, LBE_ON | RTS),
    ]:  # fmt: skip
        board.write(offset, value)
    board.write(R.DR, 0x55)
    assert board.lines["combined"].level
    board.uart.reset()
    expected = {R.FR: 0x90, R.CR: 0x300, R.IFLS: 0x12}
    for offset in (R.RSR, R.FR, R.ILPR, R.IBRD, R.FBRD, R.LCR_H, R.CR, R.IFLS,
                   R.IMSC, R.RIS, R.MIS, R.DMACR):  # fmt: skip
        assert board.read(offset) == expected.get(offset, 0), R(offset).name
    assert not any(board.levels().values())
    state = board.uart.save_state()
    assert (state["read_count"], state["read_pos"], state["read_trigger"]) == (0, 0, 1)
