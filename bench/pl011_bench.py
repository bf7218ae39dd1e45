"""Benchmark: PL011 MMIO operations per second, with and without the `bql` checks.

Runs one fixed mix of register accesses (a driver's FR polls, DR writes, interrupt
status reads, ICR/IMSC writes, ...) three ways, in the same process:

* ``device, checks on``  -- `PL011State.read()` / `write()` under the BQL, as shipped;
* ``device, checks off`` -- the same after `bql.set_checks(False)` (or `BQL_CHECKS=0`);
* ``plain registers``   -- the same logic on `pl011.state.PL011Registers` directly, no
  cells, no interrupt sources: each "interrupts changed" result recomputes the output
  levels, as the device's `update()` does.

The ratios say what the cells, guards and checks cost per MMIO access. Usage:

    .venv/bin/python bench/pl011_bench.py [--ops N] [--repeat R]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import bql
from pl011 import PL011State
from pl011.registers import RegisterOffset as R
from pl011.state import PL011Registers

# (is_write, offset, value): a plausible interrupt-driven driver's traffic.
MIX: tuple[tuple[bool, int, int], ...] = (
    (False, R.FR, 0),
    (True, R.DR, 0x41),
    (False, R.RIS, 0),
    (False, R.MIS, 0),
    (True, R.ICR, 0x20),
    (False, R.FR, 0),
    (True, R.IMSC, 0x30),
    (False, R.LCR_H, 0),
    (True, R.DR, 0x42),
    (False, R.CR, 0),
)


def run_device(uart: PL011State, rounds: int) -> None:
    """Run the mix `rounds` times through the device's MMIO entry points."""
    read, write = uart.read, uart.write
    for _ in range(rounds):
        for is_write, offset, value in MIX:
            if is_write:
                write(offset, value, 4)
            else:
                read(offset, 4)


def run_plain(regs: PL011Registers, rounds: int) -> None:
    """Run the mix `rounds` times on the plain registers (no cells, no IRQ objects)."""
    read, write, levels = regs.read, regs.write, regs.irq_levels
    for _ in range(rounds):
        for is_write, offset, value in MIX:
            changed = write(offset, value) if is_write else read(offset)[0]
            if changed:
                levels()


def best_rate(run: Callable[[int], None], ops: int, repeat: int) -> float:
    """Return the best operations-per-second over `repeat` runs of about `ops` ops."""
    rounds = max(1, ops // len(MIX))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run(rounds)
        best = min(best, time.perf_counter() - start)
    return rounds * len(MIX) / best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--ops", type=int, default=100_000, help="operations per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts")
    args = parser.parse_args()

    results: dict[str, float] = {}
    initial_checks = bql.checks_enabled()
    bql.lock()
    try:
        for label, checks in (
            ("device, checks on", True),
            ("device, checks off", False),
        ):
            bql.set_checks(checks)
            uart = new_device_locked()
            results[label] = best_rate(
                lambda n, uart=uart: run_device(uart, n), args.ops, args.repeat
            )
    finally:
        bql.set_checks(initial_checks)
        bql.unlock()
    regs = PL011Registers()
    results["plain registers"] = best_rate(
        lambda n: run_plain(regs, n), args.ops, args.repeat
    )

    plain = results["plain registers"]
    print(
        f"PL011 MMIO mix of {len(MIX)} accesses, best of {args.repeat} x {args.ops} ops"
    )
    print(f"Python {platform.python_version()} ({platform.python_implementation()})")
    print(f"{'variant':<22}{'ops/s':>14}{'slowdown vs plain':>20}")
    for label, rate in results.items():
        print(f"{label:<22}{rate:>14,.0f}{plain / rate:>19.2f}x")
    on, off = results["device, checks on"], results["device, checks off"]
    print(f"cost of the checks: {off / on:.2f}x (checks on vs off)")


def new_device_locked() -> PL011State:
    """Build a realized, reset device while this thread already holds the BQL."""
    uart = PL011State()
    for n in range(6):
        uart.connect_irq(n, bql.IRQLine())
    uart.realize()
    uart.reset()
    return uart


if __name__ == "__main__":
    main()
