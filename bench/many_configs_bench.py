"""Cost of N sibling sub-projects, each with its own bqlint.toml, calling one shared package.

    .venv/bin/python bench/many_configs_bench.py [--sizes 100 300]

Kinds: `one` (a single configuration, the reference), `same` (N identical bqlint.toml),
`reporting` (N that differ in per-file-ignores: one analysis, each file selected by its own),
`analysis` (N that differ in device-bases: a pass each). Wall seconds of `--no-cache
--jobs 1`, a cold cached run and a warm one with nothing changed (crash4 #4).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_bench import bqlint  # noqa: E402

DEVICE = (
    "import bql\nfrom common.h import flush\n\n\nclass D{i}(bql.Device):\n    def __init__(self):\n"
    "        super().__init__()\n        self.regs = bql.BqlRefCell([0])\n\n    def m(self):\n"
    "        with self.regs.borrow_mut():\n            flush()\n"
)
CONFIGS = {
    "one": None,
    "same": lambda i: "ignore = []\n",
    "reporting": lambda i: f'per-file-ignores = {{ "x{i}.py" = ["BQL002"] }}\n',
    "analysis": lambda i: f'device-bases = ["other{i}.Base"]\n',
}


def make(root: Path, n: int, kind: str) -> None:
    (root / "common").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "common" / "__init__.py").write_text("")
    (root / "common" / "h.py").write_text("import bql\nfrom common.k import kk\n\n\ndef flush():\n    kk()\n")
    (root / "common" / "k.py").write_text("import bql\n\n\ndef kk():\n    bql.unlock()\n    bql.lock()\n")
    config = CONFIGS[kind]
    for i in range(n):
        folder = root / f"s{i}"
        folder.mkdir()
        if config is not None:
            (folder / "bqlint.toml").write_text(config(i))
        (folder / f"d{i}.py").write_text(DEVICE.format(i=i))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--kinds", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    args = parser.parse_args()
    print("| N | kind | --no-cache | cold | warm |")
    print("|---|---|---|---|---|")
    for n in args.sizes:
        for kind in args.kinds:
            with tempfile.TemporaryDirectory() as scratch:
                root = Path(scratch) / "tree"
                make(root, n, kind)
                cache = Path(scratch) / "cache"
                plain = bqlint(root, cache, "--no-cache", "--jobs", "1").wall
                cold = bqlint(root, cache, "--jobs", "1").wall
                warm = bqlint(root, cache, "--jobs", "1").wall
            print(f"| {n} | {kind} | {plain:.2f} s | {cold:.2f} s | {warm:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
