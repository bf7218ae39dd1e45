"""BQL999 exactly when CPython's compile() rejects a file; a file CPython accepts but libcst
cannot parse is not BQL999: it is named on stderr as not analysed and counted in the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint.syntax import python_syntax_error
from tests.robustness.conftest import DEVICE, messages, rows


@pytest.mark.parametrize(
    ("text", "row", "column", "message"),
    [
        ("import bql\nreturn 1\n", 2, 1, "'return' outside function"),
        ("import bql\nfrom __future__ import annotations\n", 2, 1,
         "from __future__ imports must occur at the beginning of the file"),
        ("import bql\nnonlocal x\n", 2, 1, "nonlocal declaration not allowed at module level"),
        ("import bql\nfor x in y:\n    pass\nbreak\n", 4, 1, "'break' outside loop"),
        ("import bql\nx = 1\ny = 2\x00 + 3\n", 3, 6, "source code cannot contain null bytes"),
        ("import bql\r\nx = 1\ry = 2\x00\n", 3, 6, "source code cannot contain null bytes"),
        ("import bql\nx = (\n", 2, 5, "'(' was never closed"),
    ],
    ids=["return-outside-function", "future-placement", "module-nonlocal", "break-outside-loop", "nul",
         "nul-after-cr", "unclosed"],
)
def test_bql999_exactly_where_compile_rejects(tmp_path: Path, check, text, row, column, message) -> None:
    (tmp_path / "bad.py").write_bytes(text.encode())
    (tmp_path / "dev.py").write_text(DEVICE)
    report = check("bad.py", "dev.py")
    assert rows(report) == [("bad.py", "BQL999", row, column), ("dev.py", "BQL002", 12, 13)]
    assert messages(report)["bad.py"] == f"cannot parse this file: {message}"


def test_compile_accepting_means_no_bql999() -> None:
    assert python_syntax_error("def f():\n    return 1\n") is None
    assert python_syntax_error('"""doc"""\nfrom __future__ import annotations\n') is None
    assert python_syntax_error("x = '\\d'\n") is None  # a warning, not an error, whatever -W says
    # compile() (and so import) accepts a backslash before a final CRLF; found by the fuzz harness.
    assert python_syntax_error("import bql\n\n\\\r\n") is None


def test_libcst_only_failure_is_not_bql999_but_named_and_counted(tmp_path: Path, check, cli) -> None:
    text = "import bql\n(x): int = 1\nlevel = bql.BqlCell(0)\n"  # uses the runtime: analysed
    (tmp_path / "paren.py").write_text(text)
    (tmp_path / "dev.py").write_text(DEVICE)
    assert python_syntax_error(text) is None
    report = check("paren.py", "dev.py")
    assert rows(report) == [("dev.py", "BQL002", 12, 13)]
    assert [(p.name, reason) for p, reason in report.not_analysed] == [
        ("paren.py", "libcst cannot parse line 2: parser error: error at 2:5")
    ]
    result = cli("--output-format", "concise", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "dev.py:12:13: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL",
        "Found 1 error; 1 file could not be analysed.",
        "(1 hidden fix can be enabled with the `--unsafe-fixes` option.)",
    ]
    assert result.stderr == (
        f"warning: {tmp_path / 'paren.py'}: could not be analysed "
        "(libcst cannot parse line 2: parser error: error at 2:5); Python accepts it\n"
    )


def test_only_unanalysed_files_do_not_say_all_checks_passed(tmp_path: Path, cli) -> None:
    (tmp_path / "paren.py").write_text("import bql\n(x): int = 1\nlevel = bql.BqlCell(0)\n")
    result = cli("--output-format", "concise", ".")
    assert (result.exit_code, result.stdout) == (0, "Found 0 errors; 1 file could not be analysed.\n")


def test_mixed_tabs_and_spaces_python_accepts_are_not_bql999(tmp_path: Path, check) -> None:
    # CPython compares indentation with tabs of 8 and of 1 columns; both agree here.
    text = "import bql\nif x:\n \tif y:\n\t    z = bql.BqlCell(1)\n"
    assert python_syntax_error(text) is None
    (tmp_path / "tabs.py").write_text(text)
    report = check("tabs.py")
    assert report.diagnostics == []
    assert [(p.name, reason) for p, reason in report.not_analysed] == [
        ("tabs.py", "libcst cannot parse line 1: tokenizer error: no matching outer block for dedent")
    ]
