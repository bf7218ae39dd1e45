"""--fix, --diff and --add-noqa with the real engine: edits land on the analysed rows, files
keep their encoding, and a file that changed, vanished or cannot be written is left alone
while the others are still fixed (issue 9)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from bqlint import engine
from tests.fix.devices import device

FIXED = "self.level.set(3)"
# Characters str.splitlines() breaks at and Python does not.
ODD = "\x0c\x0b\x1c\x1d\x1e\x85\u2028\u2029"


def _after_analysis(monkeypatch: pytest.MonkeyPatch, action) -> None:
    """Run `action` once, right after the first analysis (as if the user acted meanwhile)."""
    real = engine.run
    calls = []

    def run(*args, **kwargs):
        report = real(*args, **kwargs)
        if not calls:
            action()
        calls.append(1)
        return report

    monkeypatch.setattr(engine, "run", run)


def test_fix_lands_on_the_reported_row_after_odd_line_breaks(project, invoke):
    source = device(f'text = "a{ODD}b"  # c{ODD}d', f"# {ODD}", "self.level = 3", "x = 1")
    root = project({"a.py": source})
    result = invoke("check", "--fix", "--output-format", "concise")
    assert result.exit_code == 0, result.output
    assert (root / "a.py").read_bytes().decode() == source.replace(
        "self.level = 3", FIXED
    )


def test_fix_lands_after_a_form_feed_that_starts_the_line(project, invoke):
    # libcst drops a form feed before an indented statement from its code: the columns of
    # that row are mapped back to the text, so the edit keeps the form feed.
    source = device("pass").replace("        pass", "        pass\n\x0c        self.level = 3\n\x0c")
    root = project({"a.py": source})
    listed = invoke("check", "--output-format", "concise")
    assert "a.py:12:10: BQL007" in listed.stdout, listed.stdout
    result = invoke("check", "--fix", "--output-format", "concise")
    assert result.exit_code == 0, result.output
    assert (root / "a.py").read_text(encoding="utf-8") == source.replace("self.level = 3", FIXED)


def test_diff_shows_the_reported_row_after_odd_line_breaks(project, invoke):
    root = project({"a.py": device(f"# a{ODD}b", "self.level = 3")})
    result = invoke("check", "--diff")
    assert result.exit_code == 1
    assert "-        self.level = 3\n+        self.level.set(3)\n" in result.stdout
    assert f"         # a{ODD}b\n" in result.stdout
    assert (root / "a.py").read_text(encoding="utf-8") == device(f"# a{ODD}b", "self.level = 3")


def test_add_noqa_lands_on_the_reported_row_after_odd_line_breaks(project, invoke):
    root = project({"a.py": device(f"# a{ODD}b", "self.level = 3")})
    result = invoke("check", "--add-noqa")
    assert result.exit_code == 0
    assert (root / "a.py").read_text(encoding="utf-8") == device(
        f"# a{ODD}b", "self.level = 3  # noqa: BQL007"
    )
    assert invoke("check").exit_code == 0


def test_fix_keeps_crlf_and_lone_cr_line_endings(project, invoke):
    root = project({})
    for name, newline in (("crlf.py", "\r\n"), ("cr.py", "\r")):
        (root / name).write_bytes(device("self.level = 3", newline=newline).encode())
    assert invoke("check", "--fix").exit_code == 0
    for name, newline in (("crlf.py", "\r\n"), ("cr.py", "\r")):
        assert (root / name).read_bytes() == device(FIXED, newline=newline).encode()


def _latin1(root: Path) -> bytes:
    data = ("# -*- coding: latin-1 -*-\n" + device("name = 'é'", "self.level = 3")).encode("latin-1")
    (root / "a.py").write_bytes(data)
    return data


def test_fix_writes_a_latin1_file_in_latin1(project, invoke):
    root = project({})
    data = _latin1(root)
    result = invoke("check", "--fix")
    assert result.exit_code == 0, result.output
    assert (root / "a.py").read_bytes() == data.replace(b"self.level = 3", FIXED.encode())


def test_diff_on_a_latin1_file_shows_the_fix(project, invoke):
    root = project({})
    data = _latin1(root)
    result = invoke("check", "--diff")
    assert result.exit_code == 1
    assert "-        self.level = 3\n+        self.level.set(3)\n" in result.stdout
    assert (root / "a.py").read_bytes() == data


def test_add_noqa_writes_a_latin1_file_in_latin1(project, invoke):
    root = project({})
    data = _latin1(root)
    assert invoke("check", "--add-noqa").exit_code == 0
    assert (root / "a.py").read_bytes() == data.replace(
        b"self.level = 3", b"self.level = 3  # noqa: BQL007"
    )


def test_fix_keeps_a_byte_order_mark(project, invoke):
    root = project({})
    (root / "a.py").write_bytes(b"\xef\xbb\xbf" + device("self.level = 3").encode())
    assert invoke("check", "--fix").exit_code == 0
    assert (root / "a.py").read_bytes() == b"\xef\xbb\xbf" + device(FIXED).encode()


def test_fix_never_writes_a_file_with_an_invalid_utf8_byte(project, invoke):
    root = project({})
    data = device("name = '\xff'", "self.level = 3").encode("latin-1")
    (root / "a.py").write_bytes(data)
    (root / "b.py").write_text(device("self.level = 3"), encoding="utf-8")
    result = invoke("check", "--fix")
    assert (root / "a.py").read_bytes() == data
    assert (root / "b.py").read_text(encoding="utf-8") == device(FIXED)
    assert "crashed" not in result.stderr
    # 2 while the engine still analyses such a file (the write is refused), 1 once it is BQL998.
    assert result.exit_code in (1, 2)


def test_fix_leaves_a_file_changed_since_it_was_read(project, invoke, monkeypatch):
    root = project({"a.py": device("self.level = 3"), "b.py": device("self.level = 3")})
    edited = device("self.level = 3", "print('added while bqlint ran')")
    _after_analysis(monkeypatch, lambda: (root / "a.py").write_text(edited, encoding="utf-8"))
    result = invoke("check", "--fix", "--output-format", "concise")
    assert (root / "a.py").read_text(encoding="utf-8") == edited
    assert (root / "b.py").read_text(encoding="utf-8") == device(FIXED)
    assert result.stderr.splitlines() == ["a.py: changed on disk, not fixed"]
    assert result.exit_code == 2


def test_fix_reports_a_read_only_and_a_deleted_file_and_fixes_the_others(project, invoke, monkeypatch):
    root = project({name: device("self.level = 3") for name in ("a.py", "b.py", "c.py")})
    (root / "a.py").chmod(0o444)
    _after_analysis(monkeypatch, lambda: (root / "b.py").unlink())
    result = invoke("check", "--fix", "--output-format", "concise")
    assert (root / "a.py").read_text(encoding="utf-8") == device("self.level = 3")
    assert not (root / "b.py").exists()
    assert (root / "c.py").read_text(encoding="utf-8") == device(FIXED)
    assert result.stderr.splitlines() == [
        "a.py: read-only, not fixed",
        "b.py: no longer exists, not fixed",
    ]
    assert result.exit_code == 2
    # No temporary files left (the cache directory is bqlint's own, not a leftover of the fix).
    assert sorted(p.name for p in root.iterdir() if p.name != ".bqlint_cache") == ["a.py", "c.py"]


def test_fix_reports_a_failed_write_and_fixes_the_others(project, invoke, monkeypatch):
    root = project({"a.py": device("self.level = 3"), "b.py": device("self.level = 3")})
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        if Path(dst).name == "a.py":
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    result = invoke("check", "--fix", "--exit-zero")
    assert (root / "a.py").read_text(encoding="utf-8") == device("self.level = 3")
    assert (root / "b.py").read_text(encoding="utf-8") == device(FIXED)
    assert "a.py: cannot be written: Input/output error, not fixed" in result.stderr.splitlines()
    assert result.exit_code == 2


def test_add_noqa_reports_a_read_only_file_and_changes_the_others(project, invoke):
    root = project({"a.py": device("self.level = 3"), "b.py": device("self.level = 3")})
    (root / "a.py").chmod(0o444)
    result = invoke("check", "--add-noqa")
    assert (root / "a.py").read_text(encoding="utf-8") == device("self.level = 3")
    assert (root / "b.py").read_text(encoding="utf-8") == device("self.level = 3  # noqa: BQL007")
    assert result.stderr.splitlines() == ["a.py: read-only, noqa not added", "Added 1 noqa directive."]
    assert result.exit_code == 2


def test_add_noqa_leaves_a_file_changed_since_it_was_read(project, invoke, monkeypatch):
    root = project({"a.py": device("self.level = 3")})
    edited = device("self.level = 3", "x = 'new'")
    _after_analysis(monkeypatch, lambda: (root / "a.py").write_text(edited, encoding="utf-8"))
    result = invoke("check", "--add-noqa")
    assert (root / "a.py").read_text(encoding="utf-8") == edited
    assert result.stderr.splitlines() == ["a.py: changed on disk, noqa not added", "Added 0 noqa directives."]
    assert result.exit_code == 2


def test_fix_through_a_symlink_writes_its_target_and_keeps_the_link(project, invoke):
    root = project({"real/dev.py": device("self.level = 3")})
    (root / "link.py").symlink_to(root / "real" / "dev.py")
    assert invoke("check", "--fix", "link.py").exit_code == 0
    assert (root / "link.py").is_symlink()
    assert (root / "real" / "dev.py").read_text(encoding="utf-8") == device(FIXED)


def test_a_file_named_twice_through_hard_links_is_fixed_once_and_both_count(project, invoke):
    # crash11 #4: the second name found the file fixed and said "changed on disk", exit 2.
    source = device("self.level = 3")
    root = project({"a.py": source})
    os.link(root / "a.py", root / "hard.py")
    result = invoke("check", "--fix", "--output-format", "concise", "a.py", "hard.py")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "Found 2 errors (2 fixed, 0 remaining).\n", "")
    assert (root / "a.py").read_text() == source.replace("self.level = 3", FIXED)
    assert os.path.samefile(root / "a.py", root / "hard.py")


def test_add_noqa_counts_the_directives_of_a_file_named_twice_once(project, invoke):
    # crash13 #13: "Added 2" for one directive: the second name found it there already.
    source = device("self.level = 3")
    root = project({"a.py": source})
    os.link(root / "a.py", root / "hard.py")
    result = invoke("check", "--add-noqa", "a.py", "hard.py")
    assert (result.exit_code, result.stderr) == (0, "Added 1 noqa directive.\n")
    assert (root / "a.py").read_text().count("# noqa: BQL007") == 1


def test_fix_prints_no_syntax_warning_of_the_users_code(project, invoke):
    root = project({"a.py": device("x = 1(2) if value else 0", "self.level = 3")})
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)  # a warning that escaped would fail the fix
        result = invoke("check", "--fix")
    assert result.exit_code == 0, result.stderr
    assert FIXED in (root / "a.py").read_text(encoding="utf-8")


def test_fix_reaches_every_hard_link_of_the_file(project, invoke, tmp_path):
    source = device("self.level = 3")
    root = project({"pkg/a.py": source})
    twin = tmp_path / "twin.py"  # another name of the same file, outside the checked tree
    os.link(root / "pkg" / "a.py", twin)
    result = invoke("check", "--fix", "--output-format", "concise", "pkg")
    assert (result.exit_code, result.stdout) == (0, "Found 1 error (1 fixed, 0 remaining).\n")
    assert twin.read_text() == (root / "pkg" / "a.py").read_text() == source.replace("self.level = 3", FIXED)
    assert os.path.samefile(twin, root / "pkg" / "a.py")


def test_fix_of_a_cell_field_spelled_with_a_ligature_sets_the_cell(project, invoke):
    # Python reads `self.ﬁeld` as `self.field` (NFKC): it rebinds the cell declared as `field`.
    # Messages name it as Python does; the fix keeps the names as the user spelt them.
    source = device("self.ﬁeld = 3  # é", "self.ﬁeld += 𝐯𝐚𝐥𝐮𝐞")
    source = source.replace("self.level = BqlCell(0)", "self.field = BqlCell(0)")
    root = project({"a.py": source})
    listed = invoke("check", "--no-cache", "--output-format", "concise")
    assert listed.stdout.splitlines()[:2] == [
        "a.py:11:9: BQL007 [*] cell field `self.field` is rebound in `Gpio.write()`, outside construction",
        "a.py:12:9: BQL007 [*] cell field `self.field` is rebound by an in-place operator in `Gpio.write()`, "
        "outside construction",
    ]
    result = invoke("check", "--no-cache", "--fix", "--output-format", "concise")
    assert (result.exit_code, result.stdout) == (0, "Found 2 errors (2 fixed, 0 remaining).\n")
    assert (root / "a.py").read_text(encoding="utf-8") == source.replace(
        "self.ﬁeld = 3", "self.ﬁeld.set(3)"
    ).replace("self.ﬁeld += 𝐯𝐚𝐥𝐮𝐞", "self.ﬁeld.set(self.ﬁeld.get() + 𝐯𝐚𝐥𝐮𝐞)")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_value_over_several_lines_is_not_fixed_whatever_the_line_ends(project, invoke, newline):
    """crash9: the multi-line test looked for `\\n` only, so a `\\r`-only file got fixes its
    `\\n` twin did not."""
    source = device("self.level = (1 +", "    2)", "self.level = 3", newline=newline)
    root = project({"a.py": source})
    result = invoke("check", "--fix", "--output-format", "concise")
    assert result.exit_code == 1, result.output
    assert (root / "a.py").read_bytes().decode() == source.replace("self.level = 3", FIXED)


@pytest.mark.parametrize("annotation", ["Optional[BqlCell[int]]", '"BqlCell[int] | None"', "Union[BqlCell[int], int]"])
def test_a_cell_field_that_may_hold_no_cell_gets_no_fix(project, invoke, annotation):
    """crash14 #2: `self.timer = None` on a field declared `BqlCell[int] | None` is still
    BQL007, but `.set(None)` would call a method of None: no safe fix, the file is untouched."""
    source = device("self.level = None", "self.level = 3")
    source = source.replace("class Gpio(", "from typing import Optional, Union\n\n\nclass Gpio(", 1)
    source = source.replace("    def __init__", f"    level: {annotation}\n\n    def __init__", 1)
    root = project({"a.py": source})
    listed = invoke("check", "--no-cache", "--output-format", "concise")
    assert [line.split(" ", 2)[1] for line in listed.stdout.splitlines()[:2]] == ["BQL007", "BQL007"]
    assert "[*]" not in listed.stdout, listed.stdout
    result = invoke("check", "--no-cache", "--fix", "--output-format", "concise")
    assert result.exit_code == 1, result.output
    assert (root / "a.py").read_text(encoding="utf-8") == source
