"""The safe fix of BQL007 stores the same value: `self.f = v` becomes `self.f.set(v)` with `v`
parenthesised where it would otherwise be read as several arguments (blind crash4, #1)."""

from __future__ import annotations

from pathlib import Path

import bql
import pytest
from click.testing import CliRunner

from bqlint.cli import main

DEVICE = '''\
import bql


class D(bql.Device):
    def __init__(self):
        super().__init__()
        self.pos = bql.BqlCell(None)

    def move(self, x, y, more):
        {line}
'''

CASES = {
    "self.pos = x, y": ("self.pos.set((x, y))", (1, 2)),
    "self.pos = x,": ("self.pos.set((x,))", (1,)),
    "self.pos = *more, y": ("self.pos.set((*more, y))", (3, 2)),
    "self.pos = (x, y)": ("self.pos.set((x, y))", (1, 2)),
    "self.pos = x if y else more": ("self.pos.set(x if y else more)", 1),
    "self.pos = lambda: x": ("self.pos.set(lambda: x)", None),
    "self.pos = [x, y]": ("self.pos.set([x, y])", [1, 2]),
}


@pytest.mark.parametrize("line", sorted(CASES))
def test_the_fixed_code_stores_what_the_assignment_stored(tmp_path: Path, monkeypatch, line: str):
    fixed_line, stored = CASES[line]
    path = tmp_path / "dev.py"
    path.write_text(DEVICE.format(line=line), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--isolated", "--no-cache", "--fix", path.name])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert text == DEVICE.format(line=fixed_line)
    namespace: dict[str, object] = {}
    exec(compile(text, str(path), "exec"), namespace)
    device = namespace["D"]()  # type: ignore[operator]
    with bql.locked():
        device.move(1, 2, [3])
        value = device.pos.get()
    assert value == stored if stored is not None else callable(value)
