"""One `bqlint check` over files that several configurations may govern.

Files are grouped by the configuration that governs them, and each group is checked in one
engine run with its own settings, every other file of the run read as context only: its
facts count for cross-module calls (with this group's `device-bases`, `cell-types`, ...),
its findings are reported by its own group's run. A tree with one configuration is one run.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from bqlint import engine
from bqlint.cache import Cache
from bqlint.config import Settings
from bqlint.config_tree import Configurations
from bqlint.diagnostics import Diagnostic
from bqlint.discovery import Discovered
from bqlint.patterns import pattern_problem
from bqlint.progress import Progress


def group_files(configs: Configurations, files: list[Path]) -> list[tuple[Settings, list[Path]]]:
    """Return the files by governing configuration (one Settings object per file), in order."""
    groups: dict[int, tuple[Settings, list[Path]]] = {}
    for path in files:
        settings = configs.for_path(path)
        groups.setdefault(id(settings), (settings, []))[1].append(path)
    return list(groups.values())


def check_files(
    configs: Configurations,
    found: Discovered,
    stdin: tuple[Path, str] | None,
    *,
    jobs: int = 1,
    cache: Cache | None = None,
    progress: Progress | None = None,
) -> engine.Report:
    """Run the engine once per configuration and merge the reports (the cache keys each
    group's results by its own settings)."""
    groups = group_files(configs, found.files)
    stdin_settings = configs.for_path(stdin[0]) if stdin is not None else None
    if stdin_settings is not None and all(s is not stdin_settings for s, _ in groups):
        groups.append((stdin_settings, []))
    merged = engine.Report([])
    for settings, files in groups:
        others = [path for other, paths in groups if other is not settings for path in paths]
        report = engine.run(
            settings,
            files,
            context=[*found.context, *others],
            stdin=stdin if settings is stdin_settings else None,
            jobs=jobs,
            cache=cache,
            progress=progress,
        )
        # Another group's file is reported by its own run, under its own configuration.
        elsewhere = {path.resolve() for path in others}
        merged.diagnostics.extend(d for d in report.diagnostics if d.path not in elsewhere)
        merged.sources.update(report.sources)
        merged.files_checked += report.files_checked
        merged.not_analysed.extend(item for item in report.not_analysed if item[0] not in elsewhere)
        merged.internal_errors.extend(item for item in report.internal_errors if item[0] not in elsewhere)
    merged.diagnostics.sort(key=Diagnostic.sort_key)
    return merged


def color_wanted(choice: str, is_terminal: bool) -> bool:
    """Return whether to colour: `--color` first, then NO_COLOR, then FORCE_COLOR, then the terminal.

    NO_COLOR (no-color.org) wins over FORCE_COLOR (force-color.org) when both are set: a
    user's "no" is the stronger request; `--color always` overrides both.
    """
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_terminal


def validate_cli_patterns(patterns: list[str], option: str) -> tuple[str, ...]:
    """Return `patterns` (relative to the working directory) or raise a usage error."""
    cwd = Path.cwd()
    for pattern in patterns:
        problem = pattern_problem(pattern, cwd)
        if problem is not None:
            raise click.UsageError(f"{option}: pattern {pattern!r}: {problem}")
    return tuple(patterns)
