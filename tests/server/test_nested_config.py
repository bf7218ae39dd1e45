"""The server checks an open document as the CLI checks a file named alone (SPEC §3.2): the
project's other files are context, each analysed and filtered under its own configuration."""

from __future__ import annotations

from pathlib import Path

from bqlint.server import check_text

HOLDER = """\
import bql
from callee import helper


class Holder(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def run(self) -> None:
        with self.regs.borrow_mut() as r:
            helper()
"""

CALLS_HOST = """\
import qemu_host


def helper() -> None:
    qemu_host.run_on_cpu()
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _rows(root: Path, text: str, name: str) -> list[tuple[str, str, int]]:
    found = check_text(root / name, text)
    return [(d.path.relative_to(root.resolve()).as_posix(), d.code, d.span.start.row) for d in found]


def test_an_open_callee_gets_the_finding_of_a_caller_whose_own_config_names_the_unlock_point(tmp_path: Path):
    _write(
        tmp_path,
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "qemu_host.py": "def run_on_cpu() -> None:\n    pass\n",
            "callee.py": "def helper() -> None:\n    pass\n",
            "sub/pyproject.toml": '[tool.bqlint]\nunlock-points = ["qemu_host.run_on_cpu"]\n',
            "sub/caller.py": HOLDER,
        },
    )
    assert _rows(tmp_path, CALLS_HOST, "callee.py") == [("sub/caller.py", "BQL002", 12)]
    assert _rows(tmp_path, HOLDER, "sub/caller.py") == []  # callee.py on disk does not release
    (tmp_path / "callee.py").write_text(CALLS_HOST, encoding="utf-8")
    assert _rows(tmp_path, HOLDER, "sub/caller.py") == [("sub/caller.py", "BQL002", 12)]


def test_an_open_callee_does_not_get_a_finding_the_callers_config_ignores(tmp_path: Path):
    _write(
        tmp_path,
        {
            "pyproject.toml": "[tool.bqlint]\n",
            "callee.py": "",
            "sub/pyproject.toml": '[tool.bqlint]\nignore = ["BQL002"]\n',
            "sub/caller.py": HOLDER,
        },
    )
    unlocking = "import bql\n\n\ndef helper() -> None:\n    bql.unlock()\n    bql.lock()\n"
    assert _rows(tmp_path, unlocking, "callee.py") == []
