"""A file with many findings is split into rows once, not once per finding.

Each BQL003 in a class of N methods that borrow and call one another offers a fix whose
builder, and the report's code frames and SARIF hashes, read the file's rows: splitting
the whole text per finding made the run quadratic (4,000 methods: 16 s, 10,000: 89 s).
The rows are now memoised per text; the test counts the splits, no time is measured.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bqlint import source_file
from bqlint.cli import main

METHODS = 200


def _calling_methods() -> str:
    lines = ["import bql", "", "", "class Big(bql.Device):", "    def __init__(self):"]
    lines += ["        super().__init__()", "        self.regs = bql.BqlRefCell([0])", ""]
    for i in range(METHODS):
        lines += [
            f"    def m{i}(self):",
            "        with self.regs.borrow_mut() as g:",
            f"            g[0] = {i}",
            f"            self.m{(7 * i + 1) % METHODS}()",
            "",
        ]
    return "\n".join(lines)


@pytest.mark.parametrize("output_format", ["full", "json", "sarif"])
def test_rows_are_split_once_per_file_however_many_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    path = tmp_path / "big.py"
    path.write_text(_calling_methods(), encoding="utf-8")
    splits: list[int] = []
    pattern = source_file._LINE_RE

    class Counting:
        def findall(self, text: str) -> list[str]:
            splits.append(len(text))
            return pattern.findall(text)

    monkeypatch.setattr(source_file, "_LINE_RE", Counting())
    source_file._split.cache_clear()
    result = CliRunner().invoke(
        main, ["check", "--no-cache", "--output-format", output_format, "--unsafe-fixes", str(path)]
    )
    assert result.exit_code == 1, result.output
    assert result.output.count("BQL003") >= METHODS
    whole_file = [n for n in splits if n == len(path.read_text(encoding="utf-8"))]
    assert len(whole_file) <= 4, f"the file was split {len(whole_file)} times"
