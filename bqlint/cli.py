"""Command-line interface: options in, exit code out."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import libcst as cst


def _python_files(paths: tuple[str, ...]) -> list[Path]:
    found: list[Path] = []
    for raw in paths or (".",):
        p = Path(raw)
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.py") if ".venv" not in q.parts))
        else:
            found.append(p)
    return found


@click.group()
def main() -> None:
    """bqlint: check the BQL and borrow discipline of device models."""


@main.command()
@click.argument("paths", nargs=-1)
def check(paths: tuple[str, ...]) -> None:
    """Check PATHS (default: the current directory)."""
    errors = 0
    for path in _python_files(paths):
        try:
            cst.parse_module(path.read_bytes())
        except cst.ParserSyntaxError as exc:
            errors += 1
            click.echo(f"{path}:{exc.raw_line}:{exc.raw_column + 1}: BQL999 {exc.message}")
    if errors:
        click.echo(f"Found {errors} error{'s' if errors != 1 else ''}.")
        sys.exit(1)
