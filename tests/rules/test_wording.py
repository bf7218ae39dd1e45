"""One exact message per rule: what is wrong, at the primary location, readable alone."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bqlint.config import Settings
from bqlint.engine import run

PRELUDE = """\
import threading

import bql
from bql.chardev import CharFrontend


class Regs:
    def __init__(self) -> None:
        self.data = 0
        self.fifo: list[int] = []

    def push(self, value: int) -> None:
        self.fifo.append(value)


class Uart(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.level = bql.BqlCell(0)
        self.count = 0
        self.chr = CharFrontend(None)
        self.worker = threading.Thread(target=self.poll)

    def realize(self) -> None:
        self.chr.enable_handlers(self.can_receive, self.receive, None)

    def can_receive(self) -> int:
        return 1

    def receive(self, data: bytes) -> None:
        with self.regs.borrow_mut() as regs:
            regs.data = data[0]

    def poll(self) -> None:
        self.level.get()

"""

CASES = {
    "BQL001": (
        "def tick(self) -> None:\n    self.count += 1\n",
        "device field `self.count` is updated in place in `Uart.tick()`, outside construction",
    ),
    "BQL002": (
        "def flush(self) -> None:\n    with self.regs.borrow_mut() as regs:\n        with bql.unlocked():\n            pass\n",
        "`self.regs` is still borrowed where `bql.unlocked()` releases the BQL",
    ),
    "BQL003": (
        "def write(self, value: int) -> None:\n    with self.regs.borrow_mut() as regs:\n"
        "        self.chr.write_all(bytes([value]))\n",
        "`self.chr.write_all()` can call back into the device, which borrows `self.regs` again "
        "while it is already mutably borrowed",
    ),
    "BQL004": (
        "def clear(self) -> None:\n    with self.regs.borrow() as regs:\n        regs.push(1)\n",
        "`regs.push()` mutates the value of a shared borrow of `self.regs`",
    ),
    "BQL005": (
        "def peek(self) -> object:\n    return self.regs.borrow()\n",
        "a borrow guard of `self.regs` is returned from `Uart.peek()`",
    ),
    "BQL006": (
        "def drain(self) -> None:\n    with bql.unlocked():\n        self.level.set(0)\n",
        "`self.level.set()` runs without the BQL held",
    ),
    "BQL007": (
        "def reset(self) -> None:\n    self.level = 0\n",
        "cell field `self.level` is rebound in `Uart.reset()`, outside construction",
    ),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_message_reads_alone(code: str, tmp_path: Path) -> None:
    method, message = CASES[code]
    path = tmp_path / "uart.py"
    path.write_text(PRELUDE + textwrap.indent(method, "    "))
    first_row = PRELUDE.count("\n") + 1
    found = [d for d in run(Settings(root=tmp_path), [path]).diagnostics if d.code == code and d.span.start.row >= first_row]
    assert [d.message for d in found] == [message]
    assert found[0].help and not found[0].help.endswith(".")


def test_thread_target_cell_access_names_the_thread_start(tmp_path: Path) -> None:
    path = tmp_path / "uart.py"
    path.write_text(PRELUDE)
    (finding,) = run(Settings(root=tmp_path), [path]).diagnostics
    assert finding.code == "BQL006"
    assert [r.message for r in finding.related] == ["`poll()` is started as a thread here"]


@pytest.mark.parametrize(
    ("method", "message"),
    [
        ("def tick(this) -> None:\n    this.count = 1\n", "device field `this.count` is assigned in `Uart.tick()`"),
        ("def tick(this) -> None:\n    this.level = 1\n", "cell field `this.level` is rebound in `Uart.tick()`"),
    ],
)
def test_messages_name_the_receiver_as_the_method_does(method: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "uart.py"
    path.write_text(PRELUDE + textwrap.indent(method, "    "))
    first_row = PRELUDE.count("\n") + 1
    found = [d for d in run(Settings(root=tmp_path), [path]).diagnostics if d.span.start.row >= first_row]
    assert [d.message.split(", outside")[0] for d in found] == [message]
    assert "this." in (found[0].help or "") or found[0].code == "BQL001"
