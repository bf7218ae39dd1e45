"""bqlint's speed as ratios from one run: cold, warm, after edits, in parallel, and its memory.

Corpora: a generated tree of device modules in packages that import and call each other
(bench/gen_device_tree.py, built from the fixtures' patterns, with chains across modules) and
the Python standard library of this machine (no device code). The floor is a bare
`libcst.parse_module` loop over the same files. Every bqlint figure is the `bqlint check`
command as a user runs it (process start included), each with its own cache directory.
Times are wall-clock seconds and CPU seconds of the whole process tree (the CPU ratio is
the steadier one on a shared machine); memory is the peak summed RSS of the process tree.

    .venv/bin/python bench/lint_bench.py [--modules 2000] [--stdlib-files 400] [--fixit PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_device_tree import generate  # noqa: E402

BQLINT = Path(sys.executable).parent / "bqlint"


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_rss: int  # bytes


def floor(files: list[Path]) -> Measure:
    """A bare read + libcst.parse_module loop (files that fail are skipped)."""
    start, cpu = time.perf_counter(), time.process_time()
    for path in files:
        try:
            cst.parse_module(path.read_bytes())
        except Exception:
            pass
    return Measure(time.perf_counter() - start, time.process_time() - cpu, 0)


def _tree_rss(pid: int) -> int:
    """Return the summed RSS of `pid` and all its descendants (Linux /proc), in bytes."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, ()))
    return total


def bqlint(root: Path, cache: Path, *args: str) -> Measure:
    """Run `bqlint check` on `root` with the cache at `cache`; sample the tree's memory."""
    env = {**os.environ, "BQLINT_CACHE_DIR": str(cache), "CI": "1"}
    command = [str(BQLINT), "check", "--exit-zero", "--output-format", "concise", *args, str(root)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"bqlint failed ({process.returncode}): {' '.join(command)}")
    return Measure(wall, cpu, peak)


def fixit(path: str, root: Path) -> Measure:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([path, "lint", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(time.perf_counter() - start, cpu, 0)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".bqlint_cache" not in p.parts)


def _row(name: str, value: str, cpu: str, target: str) -> str:
    return f"| {name} | {value} | {cpu} | {target} |"


def _ratio(a: Measure, b: Measure) -> tuple[str, str]:
    return f"{a.wall / b.wall:.3f}", f"{a.cpu / b.cpu:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=2000)
    parser.add_argument("--stdlib-files", type=int, default=400, help="0: the whole stdlib")
    parser.add_argument("--fixit", help="path of a `fixit` executable (the row is skipped without)")
    args = parser.parse_args()
    rows: list[str] = []
    notes: list[str] = []
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        tree, half, joined = top / "tree", top / "half", top / "joined"
        generate(tree, args.modules, 20, 5)
        generate(half, args.modules // 2, 20, 5)
        generate(joined, args.modules // 2, 20, 10_000)  # one cluster: every module import-connected
        files = _files(tree)
        lines = sum(p.read_bytes().count(b"\n") for p in files)
        base = floor(files)
        cold = bqlint(tree, top / "c1", "--jobs", "1")
        warm = bqlint(tree, top / "c1", "--jobs", "1")
        leaf = tree / "cluster000" / "pkg0002" / "dev005.py"
        leaf.write_text(leaf.read_text() + "\n# touched\n")
        touched = bqlint(tree, top / "c1", "--jobs", "1")
        bus = tree / "cluster000" / "bus.py"
        bus.write_text(bus.read_text().replace("return value & 0xFF", "return value & 0x7F"))
        helper = bqlint(tree, top / "c1", "--jobs", "1")
        cold2 = bqlint(tree, top / "c2", "--jobs", "2")
        cold_half = bqlint(half, top / "c3", "--jobs", "1")
        cold_joined = bqlint(joined, top / "c4", "--jobs", "1")
        leaf = joined / "cluster000" / "pkg0002" / "dev005.py"
        leaf.write_text(leaf.read_text() + "\n# touched\n")
        touched_joined = bqlint(joined, top / "c4", "--jobs", "1")

        rows.append(_row("cold `--jobs 1`, device tree / bare parse loop", *_ratio(cold, base), "<= 1.5x"))
        stdlib_root = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        copy = top / "stdlib"
        shutil.copytree(
            stdlib_root, copy, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "test", "tests")
        )
        stdlib = _files(copy)
        if args.stdlib_files:
            for extra in stdlib[args.stdlib_files :]:
                extra.unlink()
            stdlib = stdlib[: args.stdlib_files]
        stdlib_base = floor(stdlib)
        stdlib_cold = bqlint(copy, top / "c5", "--jobs", "1")
        rows.append(
            _row("cold `--jobs 1`, stdlib / bare parse loop", *_ratio(stdlib_cold, stdlib_base), "<= 0.1x")
        )
        rows.append(_row("warm, nothing changed / cold", *_ratio(warm, cold), "<= 0.05"))
        rows.append(_row("one leaf module touched / cold", *_ratio(touched, cold), "<= 0.10"))
        rows.append(_row("one helper that 100 modules call changed / cold", *_ratio(helper, cold), "<= 0.10"))
        rows.append(
            _row(
                f"one leaf touched / cold, {args.modules // 2} modules all import-connected",
                *_ratio(touched_joined, cold_joined),
                "(worst case)",
            )
        )
        speedup = (f"{cold.wall / cold2.wall:.2f}x", f"({cold.cpu / cold2.cpu:.2f}x)")
        rows.append(_row("cold `--jobs 2` speed-up over `--jobs 1`", *speedup, ">= 1.6x"))
        if args.fixit:
            fx = fixit(args.fixit, tree)
            rows.append(_row("`fixit lint` / `bqlint --jobs 2` cold", *_ratio(fx, cold2), ">= 5x"))
        else:
            notes.append("fixit row skipped: no --fixit PATH given.")
        rows.append(
            _row(
                f"{args.modules // 2} -> {args.modules} modules, cold `--jobs 1`",
                *_ratio(cold, cold_half),
                "<= 2.2x",
            )
        )
        rows.append(
            _row(
                f"peak RSS of the process tree, {args.modules} modules",
                f"{cold.peak_rss / 2**20:.0f} MiB (`--jobs 1`)",
                f"{cold2.peak_rss / 2**20:.0f} MiB (`--jobs 2`)",
                "report",
            )
        )
        stdlib_lines = sum(p.read_bytes().count(b"\n") for p in stdlib)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average before the run {load[0]:.2f} {load[1]:.2f}"
    )
    print(
        f"device tree: {len(files)} files ({args.modules} devices), {lines} lines; bare parse "
        f"{base.wall:.2f} s wall; bqlint cold --jobs 1 {cold.wall:.2f} s, --jobs 2 {cold2.wall:.2f} s, "
        f"warm {warm.wall:.2f} s"
    )
    print(f"stdlib: {len(stdlib)} files, {stdlib_lines} lines; bare parse {stdlib_base.wall:.2f} s wall")
    print()
    print("| figure | wall | CPU | target |")
    print("|---|---|---|---|")
    for row in rows:
        print(row)
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
