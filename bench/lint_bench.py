"""Cold `bqlint check --no-cache` cost as ratios to a bare libcst parse of the same files.

Two corpora: device code (the clean device models of fixtures/devices and the PL011,
replicated under distinct module names) and the Python standard library (no device code).
Each is measured three ways in one run: the floor (a `libcst.parse_module` loop), the
engine in-process, and the `bqlint` command as a user runs it (process start included).

    .venv/bin/python bench/lint_bench.py [--copies N] [--stdlib-files N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libcst as cst

from bqlint.config import Settings
from bqlint.engine import run

ROOT = Path(__file__).resolve().parent.parent


def device_corpus(target: Path, copies: int) -> list[Path]:
    """Write `copies` of every clean device model (no `# expect:` markers) under `target`."""
    sources = [
        p
        for p in sorted((ROOT / "fixtures" / "devices").glob("*.py"))
        if "# expect:" not in p.read_text()
    ]
    sources += [ROOT / "runtime" / "pl011" / name for name in ("device.py", "state.py", "registers.py")]
    files = []
    for i in range(copies):
        for source in sources:
            dest = target / f"{source.stem}_{i}.py"
            dest.write_text(source.read_text())
            files.append(dest)
    return files


def stdlib_corpus_in(root: Path, limit: int) -> list[Path]:
    files = sorted(root.rglob("*.py"))
    return files[:limit] if limit else files


def floor(files: list[Path]) -> float:
    """Seconds for a bare read + libcst.parse_module loop (files that fail are skipped)."""
    start = time.perf_counter()
    for path in files:
        try:
            cst.parse_module(path.read_bytes())
        except Exception:
            pass
    return time.perf_counter() - start


def engine(files: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    report = run(Settings(root=files[0].parent), files)
    return time.perf_counter() - start, len(report.diagnostics)


def command(paths: list[Path]) -> float:
    bqlint = Path(sys.executable).parent / "bqlint"
    start = time.perf_counter()
    subprocess.run(
        [str(bqlint), "check", "--no-cache", "--exit-zero", "--output-format", "concise", *map(str, paths)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def measure(name: str, files: list[Path], paths: list[Path]) -> None:
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    base = floor(files)
    inproc, findings = engine(files)
    cli = command(paths)
    print(f"{name}: {len(files)} files, {lines} lines, {findings} findings")
    print(f"  floor (libcst.parse_module loop)  {base:7.2f} s  ({lines / base:,.0f} lines/s)")
    print(f"  engine, in process                {inproc:7.2f} s  ratio {inproc / base:.3f}")
    print(f"  bqlint check --no-cache (command) {cli:7.2f} s  ratio {cli / base:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--stdlib-files", type=int, default=0, help="0: the whole stdlib")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = device_corpus(folder, args.copies)
        measure("device corpus", files, [folder])
        shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        # A copy, walked as a user would walk a project (the installed one may sit in a
        # git checkout whose .gitignore hides it, as pyenv's does).
        top = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        copy = Path(tmp) / "stdlib"
        shutil.copytree(top, copy, ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
        stdlib = stdlib_corpus_in(copy, args.stdlib_files)
        measure("stdlib", stdlib, [copy] if not args.stdlib_files else stdlib)


if __name__ == "__main__":
    main()
