"""The stdlib row of bench/lint_bench.py alone: cold `--jobs 1` on the library / a bare parse loop.

The same corpus (this machine's Python library without tests and site-packages), the same
floor (`libcst.parse_module` over every file) and the same bqlint command as the full bench,
which takes minutes; bqlint is run `--runs` times, each cold (its own cache directory), and
the lowest CPU time is used, since the machine is shared.

    .venv/bin/python bench/stdlib_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_bench import _files, bqlint, floor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        stdlib_root = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        copy = top / "stdlib"
        shutil.copytree(
            stdlib_root, copy, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "test", "tests")
        )
        files = _files(copy)
        base = floor(files)
        runs = [bqlint(copy, top / f"cache{k}", "--jobs", "1") for k in range(args.runs)]
        best = min(runs, key=lambda m: m.cpu)
        print(f"stdlib: {len(files)} files; bare parse loop {base.wall:.2f} s wall, {base.cpu:.2f} s CPU")
        print("bqlint cold --jobs 1, CPU s per run: " + ", ".join(f"{m.cpu:.2f}" for m in runs))
        print(f"| cold `--jobs 1`, stdlib / bare parse loop | {best.wall / base.wall:.3f} | "
              f"{best.cpu / base.cpu:.3f} | <= 0.1x |")


if __name__ == "__main__":
    main()
