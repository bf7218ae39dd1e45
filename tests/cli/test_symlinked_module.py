"""A module that is a symlink (`helper.py -> shared/h.py`) is imported by Python as `helper`:
its name comes from the path it is found or named by, the text from its target (crash6 #7).
Reports keep the name the user gave.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")

DEVICE = """\
import bql
import {module}


class D(bql.Device):
    def __init__(self):
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def m(self):
        with self.regs.borrow_mut():
            {module}.flush()
"""
HELPER = "import bql\n\n\ndef flush():\n    bql.unlock()\n"


def _linked(project) -> Path:  # type: ignore[no-untyped-def]
    files = {"pyproject.toml": "[tool.bqlint]\n", "dev.py": DEVICE.format(module="helper")}
    files["shared/h.py"] = HELPER
    root: Path = project(files)
    (root / "helper.py").symlink_to(Path("shared") / "h.py")
    return root


def _found(invoke, *args: str) -> list[tuple[str, str, int, list[str]]]:  # type: ignore[no-untyped-def]
    result = invoke("check", *args, "--output-format", "json")
    root = Path.cwd()
    return [
        (
            d["code"],
            Path(d["filename"]).relative_to(root).as_posix(),
            d["location"]["row"],
            [Path(r["filename"]).relative_to(root).as_posix() for r in d["related"]],
        )
        for d in json.loads(result.stdout)
    ]


@pytest.mark.parametrize("cache", [["--no-cache"], []], ids=["no-cache", "cache"])
def test_a_symlinked_module_is_imported_by_its_own_name(  # type: ignore[no-untyped-def]
    project, invoke, cache
):
    _linked(project)
    for _ in range(2):  # cold, then warm when cached
        assert _found(invoke, *cache, ".") == [("BQL002", "dev.py", 12, ["dev.py", "shared/h.py"])]
        assert _found(invoke, *cache, "dev.py") == [("BQL002", "dev.py", 12, ["dev.py", "shared/h.py"])]
        # Named by the link: reported under that name.
        named = _found(invoke, *cache, "dev.py", "helper.py")
        assert named == [("BQL002", "dev.py", 12, ["dev.py", "helper.py"])]


def test_with_workers(project, invoke):  # type: ignore[no-untyped-def]
    root = _linked(project)
    for n in range(8):  # enough modules for the analysis to use worker processes
        (root / f"other{n}.py").write_text(DEVICE.format(module="helper").replace("class D", f"class D{n}"))
    found = _found(invoke, "--no-cache", "--jobs", "2", ".")
    assert [(code, path, row) for code, path, row, _ in found] == [
        ("BQL002", "dev.py", 12),
        *(("BQL002", f"other{n}.py", 12) for n in range(8)),
    ]


def test_the_target_keeps_its_own_name_too(project, invoke):  # type: ignore[no-untyped-def]
    root = _linked(project)
    (root / "dev2.py").write_text(DEVICE.format(module="shared.h"))
    assert [(code, path, row) for code, path, row, _ in _found(invoke, "--no-cache", ".")] == [
        ("BQL002", "dev.py", 12),
        ("BQL002", "dev2.py", 12),
    ]


@pytest.mark.parametrize("cache", [["--no-cache"], []], ids=["no-cache", "cache"])
def test_stdin_named_by_a_link_is_reported_under_that_name(project, invoke, cache):  # type: ignore[no-untyped-def]
    # Blind crash8 #10: `--stdin-filename dev.py` named the link's target (`shared/impl.py`).
    root: Path = project({"pyproject.toml": "[tool.bqlint]\n", "helper.py": HELPER})
    (root / "shared").mkdir()
    (root / "shared" / "impl.py").write_text(DEVICE.format(module="helper"))
    (root / "dev.py").symlink_to(Path("shared") / "impl.py")
    for _ in range(2):  # cold, then warm when cached
        source = (root / "dev.py").read_text()
        result = invoke("check", *cache, "--output-format", "json", "--stdin-filename", "dev.py", input=source)
        found = json.loads(result.stdout)
        assert [(d["code"], d["filename"], d["location"]["row"]) for d in found] == [("BQL002", str(root / "dev.py"), 12)]
        assert [r["filename"] for r in found[0]["related"]] == [str(root / "dev.py"), str(root / "helper.py")]
        concise = invoke("check", *cache, "--output-format", "concise", "--stdin-filename", "dev.py", input=source)
        assert concise.stdout.splitlines()[0].startswith("dev.py:12:13: BQL002 ")


def test_stdin_named_dev_stdin_from_a_pipe_is_reported_as_dev_stdin(project):  # type: ignore[no-untyped-def]
    # Blind crash8 #10: reported as `/proc/<pid>/fd/pipe:[…]`, what /dev/stdin resolves to.
    import subprocess
    import sys

    root: Path = project({"pyproject.toml": "[tool.bqlint]\n"})
    source = DEVICE.format(module="os").replace("os.flush()", "bql.unlock()")
    command = [sys.executable, "-m", "bqlint", "check", "--no-cache", "--output-format", "json", "--stdin-filename", "/dev/stdin", "-"]
    done = subprocess.run(command, input=source, capture_output=True, text=True, cwd=root, timeout=120)
    assert [(d["code"], d["filename"], d["location"]["row"]) for d in json.loads(done.stdout)] == [("BQL002", "/dev/stdin", 12)]
