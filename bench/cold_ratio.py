"""CPU-time ratio of a cold `bqlint check --no-cache --jobs 1` to a bare libcst parse loop.

    .venv/bin/python bench/cold_ratio.py TREE [--repeat N]

Both are measured in the same session, alternately, `--repeat` times; the lowest CPU time of
each is kept (the machine is shared: the minimum is the least disturbed run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_bench import _files, bqlint, floor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = _files(args.tree)
    bases: list[float] = []
    runs: list[float] = []
    for _ in range(args.repeat):
        bases.append(floor(files).cpu)
        runs.append(bqlint(args.tree, args.tree / ".unused", "--no-cache", "--jobs", "1").cpu)
    base, run = min(bases), min(runs)
    print(f"parse {base:.2f} s  bqlint {run:.2f} s  ratio {run / base:.3f}")


if __name__ == "__main__":
    main()
