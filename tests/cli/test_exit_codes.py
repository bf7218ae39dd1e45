from __future__ import annotations

import pytest

from bqlint import engine
from tests.cli.conftest import BROKEN


def test_clean_project_exits_0(project, invoke):
    project({"a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 0
    assert result.stdout == "All checks passed!\n"


def test_findings_exit_1(project, invoke):
    project({"a.py": BROKEN, "b.py": "x = 1\n"})
    result = invoke("check", ".")
    assert result.exit_code == 1
    assert "BQL999" in result.stdout


def test_exit_zero_exits_0_with_findings(project, invoke):
    project({"a.py": BROKEN})
    result = invoke("check", "--exit-zero")
    assert result.exit_code == 0
    assert "BQL999" in result.stdout


def test_unknown_option_is_a_usage_error(project, invoke):
    project({})
    assert invoke("check", "--no-such-option").exit_code == 2


MISSING = "BQL998 cannot read this file: it does not exist (removed, or a dangling symlink)"


def test_a_missing_path_is_bql998_naming_it(project, invoke):
    # It was a usage error (exit 2); as in ruff (E902) it is reported, exit 1 (crash14 #13).
    project({})
    result = invoke("check", "--no-cache", "--output-format", "concise", "nope.py")
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout == f"nope.py:1:1: {MISSING}\nFound 1 error.\n"


def test_a_missing_path_does_not_stop_the_others_from_being_checked(project, invoke):
    project({"bad.py": BROKEN})
    result = invoke("check", "--no-cache", "--output-format", "concise", "-q", "gone.py", "bad.py", "gone/x.py")
    assert (result.exit_code, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        "bad.py:3:7: BQL999 cannot parse this file: invalid syntax",
        f"gone.py:1:1: {MISSING}",
        f"gone/x.py:1:1: {MISSING}",
    ]
    assert invoke("check", "--no-cache", "--exit-zero", "gone.py").exit_code == 0


def test_internal_crash_exits_2_with_a_message_not_a_traceback(project, invoke, monkeypatch):
    project({"a.py": "x = 1\n"})

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "run", crash)
    result = invoke("check")
    assert result.exit_code == 2
    assert "bqlint crashed: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.output


def test_file_not_analysed_is_warned_about_once_on_its_own_line(project, invoke, monkeypatch):
    # Blind crash2: the warning came twice in a folder run, the first copy without its newline.
    root = project({"a.py": "x = 1\n", "sub/b.py": "y = 2\n", "sub/bqlint.toml": ""})
    why = "libcst cannot parse line 1: parser error:\r\nerror at 1:2"

    def run(settings, files, *, context=(), stdin=None, **options):
        # Every group's run meets a.py (as context, twice), as a run over several configurations may.
        return engine.Report([], {}, len(files), not_analysed=[(root / "a.py", why)] * 2)

    monkeypatch.setattr(engine, "run", run)
    result = invoke("check", "--output-format", "concise", ".")
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: {root / 'a.py'}: could not be analysed "
        "(libcst cannot parse line 1: parser error: error at 1:2); Python accepts it\n"
    )
    assert result.stdout == "Found 0 errors; 1 file could not be analysed.\n"


PAREN = "import bql\n\n\nclass E(bql.Device):\n    def m(self):\n        (self.x): int = 3\n"
REBOUND = (
    "import bql\nfrom sub import p\n\n\nclass D(bql.Device):\n    def __init__(self) -> None:\n"
    "        self.x = bql.BqlCell(0)\n\n    def m(self) -> None:\n        self.x = 1\n"
)


@pytest.mark.parametrize("options", [("--jobs", "1"), ("--jobs", "2"), ("--fix",)], ids=str)
def test_files_libcst_cannot_parse_are_each_warned_about_once_in_a_real_folder_run(project, invoke, options):
    # Blind crash2, end to end: `(self.x): int = 3` in a file checked by one configuration's
    # pass and read as context by another's, and in a copy of it elsewhere.
    files = {"bqlint.toml": "", "dev.py": REBOUND, "q.py": PAREN, "sub/bqlint.toml": ""}
    root = project({**files, "sub/__init__.py": "", "sub/p.py": PAREN})
    result = invoke("check", "--no-cache", "--output-format", "concise", *options, ".")
    assert result.stderr == "".join(
        f"warning: {root / name}: could not be analysed "
        "(libcst cannot parse line 6: parser error: error at 6:18); Python accepts it\n"
        for name in ("q.py", "sub/p.py")
    )
    assert result.stdout.count("2 files could not be analysed.") == 1


def test_no_python_files_exits_0_with_a_warning(project, invoke):
    project({"notes.txt": "hello\n"})
    result = invoke("check")
    assert result.exit_code == 0
    assert "no Python files" in result.stderr


def test_jobs_must_be_at_least_1(project, invoke):
    project({"a.py": "x = 1\n"})
    assert invoke("check", "--jobs", "0").exit_code == 2
    assert invoke("check", "--jobs", "4").exit_code == 0


def test_no_cache_is_accepted(project, invoke):
    project({"a.py": "x = 1\n"})
    assert invoke("check", "--no-cache").exit_code == 0


def test_unknown_output_format_is_a_usage_error(project, invoke):
    project({"a.py": "x = 1\n"})
    assert invoke("check", "--output-format", "xml").exit_code == 2


def test_version_option(invoke):
    result = invoke("--version")
    assert result.exit_code == 0
    assert "bqlint" in result.stdout
