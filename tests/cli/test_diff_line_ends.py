"""`--diff` applies with `patch` and `git apply` to give exactly what `--fix` writes, whatever
the file's line ends: lone CR (old Mac, which Python accepts), a mixture, LF, CRLF, and with
or without a final line end (crash6 #12). LF and CRLF diffs are unchanged from before.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest

from bqlint.source import python_lines

ROWS = [
    "import bql",
    "",
    "",
    "class D(bql.Device):",
    "    def __init__(self):",
    "        super().__init__()",
    "        self.regs = bql.BqlRefCell([0])",
    "        self.c = bql.BqlCell(0)",
    "",
    "    def m(self, v):",
    "        self.c = v + 1",
    "        with self.regs.borrow_mut() as g:",
    "            g[0] = 1",
    "        self.c = 3",
    "",
    "    def n(self):",
    "        self.c = (1,",
    "                  2)",
    "        self.c = 4",
]

STYLES = {
    "cr": ["\r"],
    "mixed": ["\r\n", "\r", "\n"],
    "lf": ["\n"],
    "crlf": ["\r\n"],
}


def _source(ends: list[str], final: bool) -> bytes:
    text = "".join(row + ends[i % len(ends)] for i, row in enumerate(ROWS))
    if not final:
        text = text.rstrip("\r\n")
    return text.encode()


def _run(invoke, folder: Path, monkeypatch: pytest.MonkeyPatch, *args: str):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(folder)
    return invoke("check", "--no-cache", "--unsafe-fixes", *args, "dev.py")


@pytest.mark.parametrize("final", [True, False], ids=["final-newline", "no-final-newline"])
@pytest.mark.parametrize("style", sorted(STYLES))
def test_diff_applies_as_fix_writes(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch, invoke, style: str, final: bool
):
    original = _source(STYLES[style], final)
    for name in ("fixed", "git", "patch"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text("[tool.bqlint]\n")
        (tmp_path / name / "dev.py").write_bytes(original)
    _run(invoke, tmp_path / "fixed", monkeypatch, "--fix")
    fixed = (tmp_path / "fixed" / "dev.py").read_bytes()
    assert fixed != original
    result = _run(invoke, tmp_path / "git", monkeypatch, "--diff")
    assert result.exit_code == 1
    diff = result.stdout_bytes
    if shutil.which("git"):
        subprocess.run(["git", "apply", "-p1", "-"], input=diff, cwd=tmp_path / "git", check=True)
        assert (tmp_path / "git" / "dev.py").read_bytes() == fixed
    if shutil.which("patch"):
        subprocess.run(
            ["patch", "-p1", "--binary", "--quiet"], input=diff, cwd=tmp_path / "patch", check=True
        )
        assert (tmp_path / "patch" / "dev.py").read_bytes() == fixed
    if style in ("lf", "crlf") and final:  # as before: difflib over Python's rows
        before, after = original.decode(), fixed.decode()
        expected = "".join(
            difflib.unified_diff(
                python_lines(before, keepends=True),
                python_lines(after, keepends=True),
                fromfile="a/dev.py",
                tofile="b/dev.py",
            )
        )
        assert diff == expected.encode()


def test_a_lone_cr_stays_inside_its_diff_line(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch, invoke
):
    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    (tmp_path / "dev.py").write_bytes(_source(["\r"], True))
    diff = _run(invoke, tmp_path, monkeypatch, "--diff").stdout_bytes
    # One file line (no \n in it), shown whole: header, hunk, old line, new line, marker.
    rows = diff.split(b"\n")
    assert [row[:3] for row in rows] == [b"---", b"+++", b"@@ ", b"-im", b"\\ N", b"+im", b"\\ N", b""]
