"""One `bqlint check` over files that several configurations may govern.

Every file the run reads (given, or context of a subset run) is grouped by the configuration
that governs it, and each group is checked in one engine run with its own settings, every
other file read as context only: its facts count for cross-module calls (with this group's
`device-bases`, `cell-types`, ...), its findings are reported by its own group's run. A tree
with one configuration is one run. The excluded modules those files import are context of
every run and reported by none (`discovery.ExcludedModules`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import click

from bqlint import engine
from bqlint.cache import Cache, analysis_key
from bqlint.config import Settings
from bqlint.config_tree import Configurations
from bqlint.diagnostics import Diagnostic, Span
from bqlint.discovery import Discovered
from bqlint.patterns import normalize_pattern, pattern_problem
from bqlint.progress import Progress
from bqlint.reading import DecodedSource, safe_resolve


def group_files(
    configs: Configurations,
    files: list[Path],
    context: Sequence[Path] = (),
    governing: dict[Path, Settings] | None = None,
) -> list[tuple[Settings, list[Path]]]:
    """Return the files by governing configuration (one Settings object per file), in order.

    A context file whose configuration cannot be loaded is left out (discovery already
    leaves it out and says why); a given file's broken configuration is an error.
    Configurations whose analysis is the same (`analysis_key`: they differ only in what they
    select, ignore or exclude) share one group: N of them cost one pass, not N passes over
    the modules they all reach; `governing` gets each file's own settings, which select
    and suppress its findings."""
    groups: dict[str, tuple[Settings, list[Path]]] = {}
    keys: dict[int, str] = {}

    def add(settings: Settings, path: Path) -> None:
        key = keys.get(id(settings))
        if key is None:
            key = keys[id(settings)] = analysis_key(settings)
        groups.setdefault(key, (settings, []))[1].append(path)
        if governing is not None:
            governing[safe_resolve(path)] = settings

    for path in files:
        add(configs.for_path(path), path)
    for path in context:
        found = configs.for_context(Path(os.path.abspath(path)).parent)
        if found is not None:
            add(found, path)
    return list(groups.values())


def check_files(
    configs: Configurations,
    found: Discovered,
    stdin: tuple[Path, str] | None,
    *,
    jobs: int = 1,
    cache: Cache | None = None,
    progress: Progress | None = None,
    edited: Mapping[Path, DecodedSource] | None = None,
) -> engine.Report:
    """Run the engine once per configuration and merge the reports (the cache keys each
    group's results by its own settings).

    Every file the run reads, given or context, belongs to the group of its own
    configuration, and only that group's run may report a finding located in it: a context
    file's finding is reported when a related location lies in a given file, whichever
    group that file belongs to. So a subset run reports exactly the findings of the whole
    run that touch the subset.

    Files given through a symlink, and `stdin`, are reported under the name given (made
    absolute, not resolved): `--stdin-filename NAME` reports NAME. `edited`: texts read
    instead of files (engine.run).
    """
    given = {safe_resolve(path) for path in found.files}
    names = given_names(found.files)
    if stdin is not None:
        stdin_name = Path(os.path.abspath(stdin[0]))
        stdin = (safe_resolve(stdin[0]), stdin[1])
        if stdin[0] != stdin_name:  # a symlink, or /dev/stdin: reported under the name given
            names[stdin[0]] = stdin_name
        given.add(stdin[0])
    owner: dict[Path, int] = {}
    governing: dict[Path, Settings] = {}
    groups = group_files(configs, found.files, found.context, governing)
    for g, (_, paths) in enumerate(groups):
        owner.update((safe_resolve(path), g) for path in paths)
    stdin_group = -1
    if stdin is not None:
        stdin_settings = governing[stdin[0]] = configs.for_path(stdin[0])
        stdin_key = analysis_key(stdin_settings)
        stdin_group = next((g for g, (s, _) in enumerate(groups) if analysis_key(s) == stdin_key), len(groups))
        if stdin_group == len(groups):
            groups.append((stdin_settings, []))
        owner[stdin[0]] = stdin_group
    merged = engine.Report([])
    for g, (settings, paths) in enumerate(groups):
        mine = [path for path in paths if safe_resolve(path) in given]
        others = [path for other, (_, them) in enumerate(groups) if other != g for path in them]
        report = engine.run(
            settings,
            mine,
            context=[*(path for path in paths if safe_resolve(path) not in given), *others],
            stdin=stdin,
            stdin_as_context=g != stdin_group,
            touching=given,
            jobs=jobs,
            cache=cache,
            progress=progress,
            settings_for=lambda path: governing.get(path, settings),
            edited=edited,
            excluded=found.excluded.modules_for,
        )
        # A finding located in another group's file is reported by that group's run.
        merged.diagnostics.extend(
            d for d in report.diagnostics if owner.get(d.path) == g and (d.path in given or _touches(d, given))
        )
        merged.sources.update(report.sources)
        merged.files_checked += report.files_checked
        merged.not_analysed.extend(item for item in report.not_analysed if owner.get(item[0]) == g)
        merged.internal_errors.extend(item for item in report.internal_errors if owner.get(item[0]) == g)
        merged.skipped.extend(item for item in report.skipped if owner.get(item[0]) == g)
        merged.unread_context.extend(item for item in report.unread_context if item[0] not in given)
    _rename(merged, names)
    merged.diagnostics.sort(key=Diagnostic.sort_key)
    # One warning and one count per file, whichever runs met it (a file is never two files).
    merged.not_analysed = sorted(set(merged.not_analysed))
    merged.internal_errors = sorted(set(merged.internal_errors))
    merged.unread_context = sorted(set(merged.unread_context))
    return merged


def given_names(files: list[Path]) -> dict[Path, Path]:
    """Return {resolved path: the absolute name it was given by} for files given through a
    symlink: they are reported under that name, as ruff does (a file also given under its
    own name keeps it)."""
    names: dict[Path, Path] = {}
    own: set[Path] = set()
    for path in files:
        resolved, absolute = safe_resolve(path), Path(os.path.abspath(path))
        if resolved == absolute:
            own.add(resolved)
        else:
            names.setdefault(resolved, absolute)
    return {resolved: name for resolved, name in names.items() if resolved not in own}


def _rename(report: engine.Report, names: dict[Path, Path]) -> None:
    """Report the files in `names` under their given names (primary and related spans)."""
    if not names:
        return
    report.diagnostics = [_renamed(d, names) for d in report.diagnostics]
    report.sources = {names.get(path, path): text for path, text in report.sources.items()}
    report.not_analysed = [(names.get(path, path), why) for path, why in report.not_analysed]
    report.internal_errors = [(names.get(path, path), why) for path, why in report.internal_errors]
    report.skipped = [(names.get(path, path), why) for path, why in report.skipped]
    report.analysed_paths = {name: resolved for resolved, name in names.items()}


def _renamed(diagnostic: Diagnostic, names: dict[Path, Path]) -> Diagnostic:
    def span(old: Span) -> Span:
        return replace(old, path=names[old.path]) if old.path in names else old

    related = tuple(replace(r, span=span(r.span)) for r in diagnostic.related)
    return replace(diagnostic, span=span(diagnostic.span), related=related)


def _touches(diagnostic: Diagnostic, given: set[Path]) -> bool:
    return any(r.span.path in given for r in diagnostic.related)


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
    """Return `patterns` (relative to the working directory), normalised (`./gen` is `/gen`),
    or raise a usage error."""
    cwd = Path.cwd()
    for pattern in patterns:
        problem = pattern_problem(pattern, cwd)
        if problem is not None:
            raise click.UsageError(f"{option}: pattern {pattern!r}: {problem}")
    return tuple(normalize_pattern(pattern) for pattern in patterns)
