"""A run over files that mention no device code never imports libcst or the analysis.

Such a file costs a read and CPython's compile() (BQL999), so importing libcst (a tenth of a
second) would be most of a small run. The check runs `bqlint check` in a fresh interpreter
with `python -X importtime`, which names every module the process imports, and reads those
names; the same folder with one device module added must import them (the probe works).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PLAIN = {
    "app.py": "import os\n\n\ndef main() -> None:\n    print(os.getcwd())\n",
    "pkg/__init__.py": "from pkg.util import helper\n",
    "pkg/util.py": "def helper(x: int) -> int:\n    return x + 1  # noqa: BQL001\n",
    "broken.py": "def f(:\n    pass\n",
    "latin.py": "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n",
}
DEVICE = (
    "import bql\n\n\nclass Timer(bql.SysBusDevice):\n"
    "    def __init__(self) -> None:\n        super().__init__()\n        self.count = 0\n\n"
    "    def tick(self) -> None:\n        self.count += 1\n"
)
HEAVY = ("libcst", "bqlint.analysis", "bqlint.model.project", "bqlint.rules.context")


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("latin-1" if "latin-1" in text else "utf-8"))
    (root / "bad.py").write_bytes(b"x = '\xff\xfe'\n")  # not UTF-8: BQL998


def _imported(root: Path, *options: str) -> tuple[set[str], str]:
    """Run `bqlint check` on `root`; return the modules it imported and its output."""
    env = {**os.environ, "CI": "1", "BQLINT_CACHE_DIR": str(root.parent / "cache")}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bqlint", "check", *options, str(root)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "bqlint.engine" in names  # the probe sees bqlint's own imports
    return names, result.stdout


def _heavy(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    "options",
    [
        ("--output-format", "concise"),
        ("--output-format", "full", "--no-cache"),
        ("--output-format", "json", "--jobs", "1"),
    ],
)
def test_files_without_device_code_are_checked_without_libcst(tmp_path: Path, options: tuple[str, ...]) -> None:
    root = tmp_path / "plain"
    _write(root, PLAIN)
    names, output = _imported(root, *options)
    for code in ("BQL100", "BQL998", "BQL999"):  # unused suppression, unreadable, syntax error
        assert code in output
    assert _heavy(names) == []


def test_a_device_module_does_import_libcst_and_the_analysis(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    _write(root, {**PLAIN, "timer.py": DEVICE})
    names, output = _imported(root, "--output-format", "concise")
    assert "BQL001" in output
    assert {"libcst", "bqlint.analysis.flow", "bqlint.model.project"} <= names
