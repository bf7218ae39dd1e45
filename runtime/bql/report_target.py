"""Where `--bql-crosscheck-report FILE` may write, and writing it without a traceback.

The report option sits right before the test paths on a command line, so the slip
`--bql-crosscheck-report test_dev.py` (the report name forgotten) would replace a test
file, the device under test or a configuration with JSON. Such a target is refused as a
usage error before any test runs: a Python source (`.py`, `.pyi`, `conftest.py`), a file
named like a configuration pytest or bqlint reads, or the configuration file this session
read under any name (compared by device and inode). A report that then cannot be written
(a folder, a full disk, a missing folder) is one line at the end of the session, not an
internal error.
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCE_SUFFIXES = (".py", ".pyi")
CONFIG_NAMES = ("pyproject.toml", "bqlint.toml", "setup.cfg", "pytest.ini", ".pytest.ini", "tox.ini")


def report_target_problem(target: str, read: Path | None = None) -> str | None:
    """Return why `target` must not be the report (the usage error's text), or None.

    `read` is the configuration file the session read (pytest's `inipath`), if any."""
    path = Path(target)
    name = path.name.lower()
    if path.suffix.lower() in SOURCE_SUFFIXES:
        return f"--bql-crosscheck-report {target}: refusing to overwrite a Python source file; name another file"
    if name in CONFIG_NAMES or (read is not None and _same_file(path, read)):
        return f"--bql-crosscheck-report {target}: refusing to overwrite a configuration file; name another file"
    return None


def write_report(target: str, text: str) -> str | None:
    """Write `text` to `target` (UTF-8); return None, or the one-line reason it failed."""
    try:
        with open(target, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return f"cannot write the cross-check report {target}: {reason}"
    return None


def _same_file(path: Path, other: Path) -> bool:
    try:
        return os.path.samefile(path, other)
    except (OSError, ValueError):
        return False
