"""bqlint over every file of this machine's Python library, as ratios to a bare parse loop.

Three copies of the library (site-packages left out, tests kept): as it is; with `import bql`
appended to every file (an import the file never uses: no file becomes a seed, nothing is
parsed with libcst); and with `import bql` and a module-level `bql.BqlCell(0)` appended, which
makes every file a seed, so every function of the library is analysed, as one import-connected
group. Each row is `bqlint check --no-cache --jobs 1` (process start included) against a bare
`libcst.parse_module` loop over the same files, in CPU seconds, with the peak RSS of each.

    .venv/bin/python bench/stdlib_scale.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_bench import _files, bqlint, floor  # noqa: E402

TAILS = {
    "as it is": "",
    "`import bql` appended (unused)": "\nimport bql\n",
    "`import bql` + a module-level cell appended": "\nimport bql\n_BQL_LEVEL = bql.BqlCell(0)\n",
}


def main() -> None:
    library = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    print(f"machine: {os.uname().machine}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| corpus | files | bare parse CPU | bqlint CPU | ratio | bqlint peak RSS |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, tail in TAILS.items():
            root = Path(tmp) / "lib"
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(library, root, ignore=shutil.ignore_patterns("site-packages", "__pycache__"))
            (root / "pyproject.toml").write_text("[tool.bqlint]\n")
            files = _files(root)
            if tail:
                for path in files:
                    path.write_bytes(path.read_bytes() + tail.encode())
            parse_cpu = floor(files).cpu
            run = bqlint(root, Path(tmp) / "cache", "--no-cache", "--jobs", "1", "--quiet")
            print(
                f"| {label} | {len(files)} | {parse_cpu:.1f} s | {run.cpu:.1f} s | "
                f"{run.cpu / parse_cpu:.3f} | {run.peak_rss / 2**20:.0f} MiB |",
                flush=True,
            )


if __name__ == "__main__":
    main()
