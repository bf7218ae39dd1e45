"""The unsafe fix of BQL002/BQL003: move the call that ends a borrowing `with` block after it.

Offered only in one shape (fixtures `unsafe_fix_moves_last_call.py`), refused in every other
(`unsafe_fix_refused_shapes.py`); applied only with --unsafe-fixes; the result lints clean
of the finding it fixed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bqlint.cli import main
from bqlint.config import Settings
from bqlint.diagnostics import Applicability
from bqlint.engine import run
from bqlint.rules.fix_builders.end_borrow import MESSAGE

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
CODES = ["BQL002", "BQL003"]


def _findings(path: Path, code: str):
    return [d for d in run(Settings(root=path.parent), [path]).diagnostics if d.code == code]


def _copy(tmp_path: Path, code: str, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(FIXTURES / code / name, target)
    return target


@pytest.mark.parametrize("code", CODES)
def test_every_finding_in_the_fixable_shape_has_an_unsafe_fix(code):
    found = _findings(FIXTURES / code / "unsafe_fix_moves_last_call.py", code)
    assert len(found) == 3
    for d in found:
        assert d.fix is not None
        assert (d.fix.applicability, d.fix.message) == (Applicability.UNSAFE, MESSAGE)
        assert len(d.fix.edits) == 1


@pytest.mark.parametrize("code", CODES)
def test_every_other_shape_is_refused(code):
    found = _findings(FIXTURES / code / "unsafe_fix_refused_shapes.py", code)
    assert found
    assert [d.span.start.row for d in found if d.fix is not None] == []


@pytest.mark.parametrize("code", CODES)
def test_fixed_file_lints_clean_of_the_finding_and_compiles(tmp_path, monkeypatch, code):
    path = _copy(tmp_path, code, "unsafe_fix_moves_last_call.py")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--isolated", "--fix", "--unsafe-fixes", path.name])
    assert "fixed" in result.stdout
    text = path.read_text()
    compile(text, str(path), "exec")
    assert _findings(path, code) == []
    # Only the moved lines changed: same lines, same order of everything else.
    before = (FIXTURES / code / "unsafe_fix_moves_last_call.py").read_text().splitlines()
    assert sorted(line.strip() for line in text.splitlines()) == sorted(line.strip() for line in before)


def test_the_move_dedents_the_call_with_its_comment_and_continuation_lines(tmp_path, monkeypatch):
    path = _copy(tmp_path, "BQL003", "unsafe_fix_moves_last_call.py")
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(main, ["check", "--isolated", "--fix", "--unsafe-fixes", path.name])
    text = path.read_text()
    assert (
        "        with self.regs.borrow_mut() as regs:  # related: BQL003\n"
        "            regs.tx_count += 1\n"
        "        self.chr.write_all(bytes([value]))  # expect: BQL003 a\n"
    ) in text
    assert (
        "                regs.tx_count += 1\n"
        "            # echo the byte: the backend may call receive() at once\n"
        "            self.chr.write_all(  # expect: BQL003 b\n"
        "                bytes([value]),\n"
        "            )\n"
        "        self.chr.accept_input()\n"
    ) in text


def test_fix_without_unsafe_fixes_leaves_the_file_alone(tmp_path, monkeypatch):
    path = _copy(tmp_path, "BQL003", "unsafe_fix_moves_last_call.py")
    before = path.read_text()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--isolated", "--fix", "--output-format", "concise", path.name])
    assert result.exit_code == 1
    assert path.read_text() == before
    assert "(3 hidden fixes can be enabled with the `--unsafe-fixes` option.)" in result.stdout


def test_diff_shows_the_move_only_with_unsafe_fixes(tmp_path, monkeypatch):
    path = _copy(tmp_path, "BQL002", "unsafe_fix_moves_last_call.py")
    monkeypatch.chdir(tmp_path)
    plain = CliRunner().invoke(main, ["check", "--isolated", "--diff", path.name])
    assert (plain.exit_code, plain.stdout) == (0, "")
    shown = CliRunner().invoke(main, ["check", "--isolated", "--diff", "--unsafe-fixes", path.name])
    assert shown.exit_code == 1
    assert (
        "         with self.regs.borrow_mut() as regs:  # related: BQL002\n"
        "             regs.data = value\n"
        "-            self.flush()  # expect: BQL002 a\n"
        "+        self.flush()  # expect: BQL002 a\n"
    ) in shown.stdout
    assert "-            await self.settle()  # expect: BQL002 c\n+        await self.settle()  # expect: BQL002 c\n" in shown.stdout


def test_the_move_keeps_crlf_line_endings_and_tab_indentation(tmp_path, monkeypatch):
    source = (FIXTURES / "BQL002" / "unsafe_fix_moves_last_call.py").read_text()
    source = source.replace("    ", "\t").replace("\n", "\r\n")
    path = tmp_path / "dev.py"
    path.write_bytes(source.encode())
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(main, ["check", "--isolated", "--fix", "--unsafe-fixes", path.name])
    fixed = path.read_bytes().decode()
    assert "\t\twith self.regs.borrow_mut() as regs:  # related: BQL002\r\n\t\t\tregs.data = value\r\n\t\tself.flush()" in fixed
    assert fixed.count("\r\n") == source.count("\r\n") and "\n" not in fixed.replace("\r\n", "")
    assert _findings(path, "BQL002") == []
