"""The files `--write-baseline` and `--output-file` may write: never a source.

A slip such as `bqlint check --write-baseline dev.py` (meant: check `dev.py`) would replace
the device model with JSON. So the target of either option is refused, as a usage error,
when it is a Python source or a configuration by its name (`.py`, `.pyi`,
`pyproject.toml`, `bqlint.toml`), or one of the files the run checks
or reads (as context, or as configuration).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from bqlint.reading import safe_resolve

SOURCE_SUFFIXES = (".py", ".pyi")
# Read in every folder a run looks at for its configuration, whether or not they hold one.
CONFIG_NAMES = ("pyproject.toml", "bqlint.toml")


def refuse_source_name(option: str, target: Path | None) -> None:
    """Raise a usage error when `target` is named like a Python source or a configuration."""
    if target is None:
        return
    if target.suffix.lower() in SOURCE_SUFFIXES:
        raise click.UsageError(
            f"{option} {target}: refusing to overwrite a Python source file; name another file"
        )
    if target.name in CONFIG_NAMES:
        raise click.UsageError(
            f"{option} {target}: refusing to overwrite a configuration file; name another file"
        )


def refuse_read_file(option: str, target: Path | None, read: Iterable[Path]) -> None:
    """Raise a usage error when `target` is one of the files in `read` (the same file under
    any name: a symlink or a relative path)."""
    if target is None:
        return
    wanted = safe_resolve(target)
    if any(safe_resolve(path) == wanted for path in read):
        raise click.UsageError(
            f"{option} {target}: refusing to overwrite a file this run checks or reads; name another file"
        )
