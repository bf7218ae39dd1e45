"""One `bqlint check` over files that several configurations may govern.

Analysis settings (`device-bases`, `cell-types`, `unlock-points`, `init-methods`) change
what the code means, so files are grouped by them: each group is analysed in one engine run,
with every other file read as context only (its facts count, its findings do not). Within a
run, each file keeps the rules, per-file-ignores and suppressions of its own configuration.
Most trees have one group: sub-configurations usually change only rule selection.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from bqlint import engine
from bqlint.config import Settings
from bqlint.config_tree import Configurations
from bqlint.diagnostics import Diagnostic
from bqlint.discovery import Discovered
from bqlint.patterns import pattern_problem

AnalysisKey = tuple[tuple[str, ...], ...]


def analysis_key(settings: Settings) -> AnalysisKey:
    """Return the settings that change what the code means (one engine run per value)."""
    return (settings.device_bases, settings.cell_types, settings.unlock_points, settings.init_methods)


def group_files(configs: Configurations, files: list[Path]) -> dict[AnalysisKey, tuple[Settings, list[Path]]]:
    """Return the files by analysis settings, each group with the settings of its first file."""
    groups: dict[AnalysisKey, tuple[Settings, list[Path]]] = {}
    for path in files:
        settings = configs.for_path(path)
        groups.setdefault(analysis_key(settings), (settings, []))[1].append(path)
    return groups


def check_files(configs: Configurations, found: Discovered, stdin: tuple[Path, str] | None) -> engine.Report:
    """Run the engine once per group of analysis settings and merge the reports."""
    groups = group_files(configs, found.files)
    stdin_key = None
    if stdin is not None:
        stdin_settings = configs.for_path(stdin[0])
        stdin_key = analysis_key(stdin_settings)
        groups.setdefault(stdin_key, (stdin_settings, []))
    merged = engine.Report([])
    for key, (settings, files) in groups.items():
        others = [path for other, (_, paths) in groups.items() if other != key for path in paths]
        report = engine.run(
            settings,
            files,
            context=[*found.context, *others],
            stdin=stdin if key == stdin_key else None,
            settings_for=configs.for_path,
        )
        merged.diagnostics.extend(report.diagnostics)
        merged.sources.update(report.sources)
        merged.files_checked += report.files_checked
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
