"""Generate a tree of device modules in packages that import and call each other (bench input).

Built from the fixtures' patterns: each device keeps its registers in a `BqlRefCell`, a level
in a `BqlCell`, an interrupt line and a chardev with handlers; it borrows, computes, ends the
borrow, then drives the IRQ and calls helpers. Packages form clusters: every device calls the
helpers of its own package and of the next package of its cluster, and every cluster has one
`bus` helper module that all its devices call (through a chain: device -> remote helper ->
bus), so one changed helper affects every device of the cluster. One device in ten holds a
borrow across such a chain (a BQL002 across three modules), one in twenty rebinds a cell.

    .venv/bin/python bench/gen_device_tree.py OUT [--modules 2000] [--per-package 20] [--cluster 5]
"""

from __future__ import annotations

import argparse
from pathlib import Path

BUS = '''"""Cluster {c}: the bus every device of the cluster reaches, through its package helpers."""

import bql


@bql.releases_bql
def wait_for_host(timeout: int) -> int:
    return timeout


def flush(count: int) -> int:
    total = 0
    for i in range(count):
        total += i
    return total


def account(value: int) -> int:
    return value & 0xFF
'''

HOSTIO = '''"""Package {p}: host I/O helpers; `sync` reaches the cluster bus, which may release the BQL."""

from {cluster} import bus


def sync(value: int) -> int:
    if value > 3:
        bus.wait_for_host(value)
    return bus.account(value)


def quiet(value: int) -> int:
    return bus.flush(value % 7)


def checksum(data: bytes) -> int:
    total = 0
    for byte in data:
        total = (total * 31 + byte) & 0xFFFF
    return total
'''

REGS = '''"""Package {p}: register state as plain data (no cells, no BQL), as pl011's state.py."""


class Regs:
    def __init__(self) -> None:
        self.ctrl = 0
        self.status = 0
        self.data = 0
        self.mask = 0
        self.count = 0
        self.fifo: list[int] = []

    def write_ctrl(self, value: int) -> bool:
        changed = (self.ctrl ^ value) & 0x3
        self.ctrl = value
        return changed != 0

    def push(self, value: int) -> bool:
        if len(self.fifo) >= 16:
            self.status |= 0x2
            return False
        self.fifo.append(value)
        self.count += 1
        return True

    def pop(self) -> int:
        if not self.fifo:
            return 0
        self.count -= 1
        return self.fifo.pop(0)

    def pending(self) -> bool:
        return bool(self.status & self.mask)
'''

DEVICE = '''"""Device {p}.{d}: registers in one BqlRefCell, helpers of this package and of {q}."""

from __future__ import annotations

import bql
from bql.chardev import CharFrontend

from {p} import hostio
from {p}.regs import Regs
from {q} import hostio as remote

CTRL, STATUS, DATA, MASK = 0x00, 0x04, 0x08, 0x0C


class Dev{d}(bql.SysBusDevice):
    def __init__(self, chardev: object = None) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.level = bql.BqlCell(0)
        self.irq = bql.InterruptSource()
        self.chr = CharFrontend(chardev)

    def realize(self) -> None:
        self.chr.enable_handlers(self.can_receive, self.receive, self.event)

    def reset(self) -> None:
        with self.regs.borrow_mut() as regs:
            regs.ctrl = 0
            regs.status = 0
            regs.fifo.clear()
        self.level.set(0)
        self.irq.lower()

    def can_receive(self) -> int:
        with self.regs.borrow() as regs:
            return 16 - len(regs.fifo)

    def receive(self, data: bytes) -> None:
        with self.regs.borrow_mut() as regs:
            for byte in data:
                regs.push(byte)
            pending = regs.pending()
        self.irq.set(pending)

    def event(self, event: int) -> None:
        if event:
            self.level.set(event)

    def read(self, offset: int, size: int) -> int:
        with self.regs.borrow_mut() as regs:
            if offset == CTRL:
                value = regs.ctrl
            elif offset == STATUS:
                value = regs.status
            elif offset == DATA:
                value = regs.pop()
            elif offset == MASK:
                value = regs.mask
            else:
                value = 0
            pending = regs.pending()
        self.irq.set(pending)
        self.chr.accept_input()
        return value

    def write(self, offset: int, value: int, size: int) -> None:
        with self.regs.borrow_mut() as regs:
            if offset == CTRL:
                changed = regs.write_ctrl(value)
            elif offset == MASK:
                regs.mask = value
                changed = True
            else:
                changed = False
            pending = regs.pending()
        if changed:
            self.level.set(hostio.sync(value))
        self.irq.set(pending)
        remote.quiet(value)
        if offset == DATA:
            self.chr.write_all(bytes([value & 0xFF]))

    def checksum(self, data: bytes) -> int:
        with self.regs.borrow() as regs:
            seed = regs.count
        return remote.checksum(data) ^ seed
{extra}'''

BUG_ACROSS_MODULES = """
    def drain(self, value: int) -> None:
        with self.regs.borrow_mut() as regs:
            regs.data = value
            remote.sync(value)
"""

BUG_REBINDING = """
    def clear_level(self) -> None:
        self.level = 0
"""


def generate(out: Path, modules: int, per_package: int, cluster: int) -> list[Path]:
    """Write the tree under `out`; return every file written."""
    written: list[Path] = []

    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)

    packages = (modules + per_package - 1) // per_package
    made = 0
    for p in range(packages):
        c = p // cluster
        cluster_name = f"cluster{c:03d}"
        if p % cluster == 0:
            write(out / cluster_name / "__init__.py", "")
            write(out / cluster_name / "bus.py", BUS.format(c=c))
        first = c * cluster
        last = min(first + cluster, packages) - 1
        neighbour = first + (p - first + 1) % (last - first + 1)
        package = f"{cluster_name}.pkg{p:04d}"
        folder = out / cluster_name / f"pkg{p:04d}"
        write(folder / "__init__.py", "")
        write(folder / "hostio.py", HOSTIO.format(p=package, cluster=cluster_name))
        write(folder / "regs.py", REGS.format(p=package))
        for d in range(per_package):
            if made == modules:
                break
            extra = BUG_ACROSS_MODULES if made % 10 == 3 else BUG_REBINDING if made % 20 == 7 else ""
            text = DEVICE.format(p=package, d=d, q=f"cluster{c:03d}.pkg{neighbour:04d}", extra=extra)
            write(folder / f"dev{d:03d}.py", text)
            made += 1
    (out / "pyproject.toml").write_text("[tool.bqlint]\n")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--per-package", type=int, default=20)
    parser.add_argument("--cluster", type=int, default=5, help="packages per cluster")
    args = parser.parse_args()
    files = generate(args.out, args.modules, args.per_package, args.cluster)
    print(f"{len(files)} files under {args.out}")


if __name__ == "__main__":
    main()
