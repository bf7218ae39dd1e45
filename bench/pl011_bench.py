"""Benchmark: PL011 MMIO operations per second, with and without the `bql` checks.

Runs one fixed mix of register accesses (a driver's FR polls, DR writes, interrupt
status reads, ICR/IMSC writes, ...) three ways, in the same process:

* ``device, checks on``  -- `PL011State.read()` / `write()` under the BQL, as shipped;
* ``device, checks off`` -- the same after `bql.set_checks(False)` (what `BQL_CHECKS=0`
  selects at start-up);
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
from math import inf

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


def time_run(run: Callable[[int], None], rounds: int) -> float:
    """Return the seconds one run of `rounds` rounds takes."""
    start = time.perf_counter()
    run(rounds)
    return time.perf_counter() - start


def measure(ops: int, repeat: int) -> dict[str, float]:
    """Return ops/s per variant: the best of `repeat` runs, variants interleaved.

    Interleaving (on, off, plain, on, off, plain, ...) spreads a noisy neighbour's
    load over all three variants instead of penalising whichever ran during it.
    """
    rounds = max(1, ops // len(MIX))
    best = {"device, checks on": inf, "device, checks off": inf, "plain registers": inf}
    initial_checks = bql.checks_enabled()
    bql.lock()
    try:
        with_checks, without_checks = new_device_locked(), new_device_locked()
        regs = PL011Registers()
        for _ in range(repeat):
            bql.set_checks(True)
            seconds = time_run(lambda n: run_device(with_checks, n), rounds)
            best["device, checks on"] = min(best["device, checks on"], seconds)
            bql.set_checks(False)
            seconds = time_run(lambda n: run_device(without_checks, n), rounds)
            best["device, checks off"] = min(best["device, checks off"], seconds)
            seconds = time_run(lambda n: run_plain(regs, n), rounds)
            best["plain registers"] = min(best["plain registers"], seconds)
    finally:
        bql.set_checks(initial_checks)
        bql.unlock()
    return {label: rounds * len(MIX) / seconds for label, seconds in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--ops", type=int, default=50_000, help="operations per run")
    parser.add_argument("--repeat", type=int, default=7, help="runs; the best counts")
    args = parser.parse_args()

    results = measure(args.ops, args.repeat)
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
