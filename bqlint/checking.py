"""One `bqlint check` from parsed options to exit code: discover, check, fix, report.

`cli.check` turns the command line into `CheckOptions` and calls `run_check`; the fix
modes are in `fixing`, the grouping of files by configuration in `runs`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click

from bqlint import engine
from bqlint.baseline import filter_baseline, read_baseline, write_baseline
from bqlint.cache import Cache, cache_directory, may_hold_cache
from bqlint.closed_streams import is_closed, stdin_bytes
from bqlint.config import ConfigError
from bqlint.config_tree import Configurations
from bqlint.discovery import discover
from bqlint.fixing import add_noqa_to_files, fix_until_stable, print_diff
from bqlint.output import write_text, write_utf8
from bqlint.progress import progress_for
from bqlint.reading import DecodedSource, UnreadableSource, decode_source, read_source_bytes, stdin_text
from bqlint.report import RenderOptions, plural, render, summary
from bqlint.report.statistics import render_statistics
from bqlint.runs import check_files
from bqlint.targets import refuse_read_file
from bqlint.terminal import printable
from bqlint.verbose import Verbose
from bqlint.writing import write_atomically


@dataclass(frozen=True)
class CheckOptions:
    """What one `check` was asked to do, once the options are validated."""

    paths: tuple[Path, ...]
    output_format: str
    fix: bool
    diff: bool
    unsafe_fixes: bool
    add_noqa: bool
    exit_zero: bool
    statistics: bool
    stdin_filename: Path | None
    color: bool
    force_exclude: bool
    baseline: Path | None
    write_baseline: Path | None
    jobs: int = 1
    no_cache: bool = False
    quiet: bool = False
    verbose: bool = False
    output_file: Path | None = None
    show_files: bool = False



def run_check(configs: Configurations, options: CheckOptions) -> int:
    """Run one check as `options` ask; return the exit code."""
    verbose = Verbose(options.verbose)
    stdin: tuple[Path, str] | None = None
    if options.stdin_filename is not None:
        # Reported under the name given, made absolute but not resolved through symlinks.
        stdin = (Path(os.path.abspath(options.stdin_filename)), stdin_text(stdin_bytes().read()))
    with verbose.timed("discovery"):
        found = discover(
            options.paths, configs, force_exclude=options.force_exclude, stdin_name=options.stdin_filename
        )
    for note in found.notes:
        click.echo(printable(f"warning: {note}"), err=True)
    read = [
        *found.files,
        *found.context,
        *([stdin[0]] if stdin else []),
        *configs.loaded_files(),
        *found.ignore_files,
        *([options.baseline] if options.baseline else []),
    ]
    refuse_read_file("--write-baseline", options.write_baseline, read)
    refuse_read_file("--output-file", options.output_file, read)
    if options.show_files:
        for path in (*found.files, *([stdin[0]] if stdin else [])):
            click.echo(printable(str(path)))
        return 0
    verbose.governance(configs, [*found.files, *([stdin[0]] if stdin else [])], found.ignored)
    if stdin is not None and options.force_exclude and configs.is_excluded(stdin[0]):
        if options.fix:
            write_utf8(stdin[1], sys.stdout)
        return 0
    if not found.files and stdin is None:
        if not options.quiet:
            click.echo("warning: no Python files found under the given paths", err=True)
        if options.output_format in _DOCUMENT_FORMATS and not options.statistics:
            # A tool reading the report gets an empty one (`[]`, a SARIF log, a passing
            # JUnit case), not an empty stream it cannot parse.
            _print_report(engine.Report([]), options, None, _render_options(options, configs.root, 0))
        return 0
    # The cache of the default root's configuration, or of the first checked file's when
    # that one cannot be loaded and governs no checked file (then only a warning says so).
    base = configs.for_context(configs.default_root) or configs.for_path(
        found.files[0] if found.files else stdin[0] if stdin else configs.default_root
    )
    directory = cache_directory(base)
    cache = None if options.no_cache or not may_hold_cache(directory, base) else Cache(directory, base.root)

    def check_now(stdin: tuple[Path, str] | None, edited: Mapping[Path, DecodedSource] | None = None) -> engine.Report:
        report = check_files(
            configs,
            found,
            stdin,
            jobs=options.jobs,
            cache=cache,
            progress=progress_for(sys.stderr, quiet=options.quiet or options.verbose),
            edited=edited,
        )
        if cache is not None:
            cache.flush()
        return report

    with verbose.timed("analysis"):
        report = check_now(stdin)
    if cache is not None and cache.problem is not None and not options.quiet:
        click.echo(printable(f"warning: {cache.problem}"), err=True)
    _warn_unchecked(report)
    root = configs.root
    if options.add_noqa:
        return add_noqa_to_files(report, options.quiet)
    fixed = 0
    unwritten = False
    if options.diff:
        return print_diff(report, options, stdin, check_now)
    if options.fix:
        with verbose.timed("fix"):
            report, fixed, stdin, unwritten = fix_until_stable(report, options, stdin, check_now)
    if options.write_baseline:
        write_baseline(options.write_baseline, report.diagnostics, root, report.sources)
        if not options.quiet:
            wrote = f"Wrote {len(report.diagnostics)} findings to {options.write_baseline}."
            click.echo(printable(wrote), err=True)
        return 0
    if options.baseline:
        recorded = read_baseline(options.baseline)
        report.diagnostics = filter_baseline(report.diagnostics, recorded, root, report.sources)
    _gather_sources(report)
    render_options = _render_options(options, root, fixed)
    with verbose.timed("report"):
        _print_report(report, options, stdin, render_options)
    findings = plural(len(report.diagnostics), "finding")
    verbose.say(f"checked {plural(report.files_checked, 'file')}, {findings}")
    verbose.report_timings()
    if report.internal_errors:
        return 2
    if unwritten:
        return 2  # a fix could not be written: never hidden by --exit-zero
    return 0 if options.exit_zero or not report.diagnostics else 1


# Formats a program reads: a run with nothing to check still prints a valid, empty report.
_DOCUMENT_FORMATS = frozenset({"json", "sarif", "gitlab", "junit"})


def _render_options(options: CheckOptions, root: Path, fixed: int) -> RenderOptions:
    return RenderOptions(
        color=options.color and options.output_file is None,
        cwd=Path.cwd(),
        root=_report_root(options, root),
        fixed=fixed,
        unsafe_fixes=options.unsafe_fixes,
        show_summary=not options.quiet and options.output_file is None,
    )


def _report_root(options: CheckOptions, root: Path) -> Path:
    """Return what report paths are relative to: GitLab's checkout for its format, as ruff does."""
    project_dir = os.environ.get("CI_PROJECT_DIR")
    if options.output_format == "gitlab" and project_dir:
        return Path(project_dir).resolve()
    return root


def _print_report(
    report: engine.Report,
    options: CheckOptions,
    stdin: tuple[Path, str] | None,
    render_options: RenderOptions,
) -> None:
    """Print (or write to --output-file) the report; with --output-file, print the summary."""
    if options.statistics:
        text = render_statistics(
            report, as_json=options.output_format == "json", unsafe_fixes=options.unsafe_fixes
        )
    else:
        text = render(options.output_format, report, render_options)
    to_stderr = options.fix and stdin is not None
    if to_stderr:
        write_utf8(stdin[1] if stdin else "", sys.stdout)
    if options.output_file is not None:
        try:
            # As ruff does: the folders of the report are made (a CI step names `reports/x.json`).
            options.output_file.parent.mkdir(parents=True, exist_ok=True)
            # Through a temporary file and a rename: a failed write keeps the old report whole.
            data = (text + "\n" if text else "").encode("utf-8", "surrogateescape")
            write_atomically(options.output_file, data)
        except OSError as exc:
            reason = exc.strerror or exc
            raise ConfigError(f"{options.output_file}: cannot write the report: {reason}") from None
        if not options.quiet and (to_stderr or not is_closed(sys.stdout)):
            # A stdout the shell closed (`>&-`) asks for no summary; the report is written.
            click.echo(summary(report, render_options), err=to_stderr)
        return
    if text and options.output_format in _DOCUMENT_FORMATS | {"github"}:
        write_utf8(text + "\n", sys.stderr if to_stderr else sys.stdout)
    elif text:
        write_text(text + "\n", sys.stderr if to_stderr else sys.stdout)


def _warn_unchecked(report: engine.Report) -> None:
    """Say on stderr which files were not analysed, which context files could not be read,
    and which met an internal error."""
    for path, reason in report.not_analysed:
        # On its own line, whatever the parser's message holds (a source line with a CR).
        reason = " ".join(reason.split())
        warning = f"warning: {path}: could not be analysed ({reason}); Python accepts it"
        click.echo(printable(warning), err=True)
    for path, reason in report.skipped:
        click.echo(printable(f"warning: {path}: {reason}"), err=True)
    for path, reason in report.unread_context:
        warning = f"warning: {path}: {reason}; not read as context, so any finding that runs through it is missing"
        click.echo(printable(warning), err=True)
    for path, error in report.internal_errors:
        click.echo(printable(f"error: internal error while checking {path}: {error}"), err=True)
        click.echo(
            "This is a bug in bqlint; please report it with this file. Other files were checked.", err=True
        )


def _gather_sources(report: engine.Report) -> None:
    """Read the files that findings point into (related locations too) for the code frames."""
    for d in report.diagnostics:
        for path in (d.path, *(r.span.path for r in d.related)):
            if path not in report.sources:
                try:  # decoded as the engine decoded it; a FIFO or a vanished file shows no frame
                    report.sources[path] = decode_source(read_source_bytes(path)).text
                except UnreadableSource:
                    pass
