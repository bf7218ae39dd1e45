"""The files `--write-baseline` and `--output-file` may write: never a source.

A slip such as `bqlint check --write-baseline dev.py` (meant: check `dev.py`) would replace
the device model with JSON. So the target of either option is refused, as a usage error,
when it is a Python source or a configuration by its name (`.py`, `.pyi`,
`pyproject.toml`, `bqlint.toml`), or one of the files the run checks
or reads (as context, as configuration, an ignore file, the `--baseline`). "One of" is by
file identity (device and inode), so a hard link or a symlink to such a file is refused too.
"""

from __future__ import annotations

import os
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
    """Raise a usage error when `target` is one of the files in `read`: the same file under
    any name (a symlink, a relative path, a hard link), and the configuration files
    (`pyproject.toml`, `bqlint.toml`) of every folder above a file in `read`, which the run
    looks at whether or not they configure bqlint."""
    if target is None:
        return
    identity = file_identity(target)
    wanted = safe_resolve(target)
    folders: set[Path] = set()
    for path in read:
        if safe_resolve(path) == wanted or (identity is not None and file_identity(path) == identity):
            raise click.UsageError(
                f"{option} {target}: refusing to overwrite a file this run checks or reads; name another file"
            )
        folders.update(Path(os.path.abspath(path)).parents)
    if identity is not None and any(
        file_identity(folder / name) == identity for folder in folders for name in CONFIG_NAMES
    ):
        raise click.UsageError(
            f"{option} {target}: refusing to overwrite a configuration file; name another file"
        )


def file_identity(path: Path) -> tuple[int, int] | None:
    """Return (device, inode) of the file `path` names (through symlinks), or None when
    there is none (not yet written) or it cannot be looked at."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return (found.st_dev, found.st_ino)
