"""A sub-project's pyproject.toml that is not TOML at all is broken like one with a bad key
(README "Configuration"): when it governs only context files, those files are left out and
stderr says so once; when it governs a checked file, the run fails naming file and line.
"""

from __future__ import annotations

CALLER = """\
import bql
from helper import flush


class R:
    x = 0


class D(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(R())

    def m(self) -> None:
        with self.regs.borrow_mut():
            flush()
"""
HELPER = "import bql\n\n\ndef flush() -> None:\n    bql.unlock()\n    bql.lock()\n"
FILES = {
    "pyproject.toml": "",
    "caller.py": CALLER,
    "helper.py": HELPER,
    "other/pyproject.toml": "garbage = [\n",
    "other/o.py": "x = 1\n",
}
WARNING = "invalid TOML: Invalid value at the end of the file; the files under {} were not read as context"
ERROR = "error: {}:1:12: invalid TOML: Invalid value at the end of the file\n"


def test_invalid_toml_governing_only_context_warns_once_and_keeps_the_findings(project, invoke):
    root = project(FILES)
    for named in ("helper.py", "caller.py"):
        result = invoke("check", "--no-cache", "--output-format", "concise", named)
        assert result.exit_code == 1
        assert result.stdout.splitlines()[0] == (
            "caller.py:16:13: BQL002 `self.regs` is still borrowed where `flush()` may release the BQL"
        )
        assert result.stderr == (
            f"warning: {root / 'other' / 'pyproject.toml'}:1:12: " + WARNING.format(root / "other") + "\n"
        )


def test_invalid_toml_governing_a_checked_file_is_an_error_naming_file_and_line(project, invoke):
    root = project(FILES)
    for args in (("other/o.py",), (".",)):
        result = invoke("check", "--no-cache", *args)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == ERROR.format(root / "other" / "pyproject.toml")


def test_invalid_toml_above_the_project_is_left_out_like_a_bad_key(project, invoke, monkeypatch):
    top = project({"pyproject.toml": "garbage = [\n", "other.py": "y = 1\n", "proj/pyproject.toml": "[tool.bqlint]\n"})
    (top / "proj" / "dev.py").write_text("x = 1\n")
    monkeypatch.chdir(top / "proj")
    result = invoke("check", "--no-cache", "dev.py")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed!\n"
    assert result.stderr == f"warning: {top / 'pyproject.toml'}:1:12: " + WARNING.format(top) + "\n"
    monkeypatch.chdir(top)
    checked = invoke("check", "--no-cache", "other.py")
    assert checked.exit_code == 2
    assert checked.stderr.endswith(ERROR.format(top / "pyproject.toml"))
