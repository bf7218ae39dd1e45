"""Command-line interface: options in, exit code out (SPEC §3.2).

Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

import bqlint
from bqlint import engine
from bqlint.baseline import filter_baseline, read_baseline, write_baseline
from bqlint.cache import Cache, cache_directory
from bqlint.cache import clean as clean_cache
from bqlint.config import ConfigError, Overrides, load_settings
from bqlint.config_tree import Configurations
from bqlint.diagnostics import Diagnostic
from bqlint.discovery import discover, find_project_root
from bqlint.fixes import UnparsableFix, add_noqa, fix_text, is_applicable, unified_diff
from bqlint.progress import progress_for
from bqlint.reading import UnreadableSource, decode_source, read_source_bytes, stdin_text
from bqlint.report import FORMAT_NAMES, RenderOptions, plural, render, summary
from bqlint.report.statistics import render_statistics
from bqlint.runs import check_files, color_wanted, validate_cli_patterns
from bqlint.verbose import Verbose, show_settings
from bqlint.rules import all_rules
from bqlint.writing import NotWritten, write_if_unchanged

F = TypeVar("F", bound=Callable[..., Any])
# --fix re-checks and fixes again until nothing changes, at most this many times.
MAX_FIX_PASSES = 10
# Findings that mean the file was not analysed: such a file is never written (issue 9).
NOT_ANALYSED_CODES = frozenset({"BQL998", "BQL999"})


def exit_codes(command: F) -> F:
    """Map configuration errors and crashes to exit 2 with a message, never a bare traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("BQLINT_DEBUG"):
                traceback.print_exc()
            click.echo(f"error: bqlint crashed: {type(exc).__name__}: {exc}", err=True)
            click.echo("This is a bug in bqlint; please report it with the command you ran.", err=True)
            click.echo("Set BQLINT_DEBUG=1 to print the traceback.", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _codes(values: Sequence[str]) -> list[str]:
    """Split repeated and comma-separated code options (`--select BQL002,BQL003`)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(bqlint.__version__, prog_name="bqlint")
def main() -> None:
    """bqlint: check the BQL and borrow discipline of device models."""


@dataclass(frozen=True)
class CheckOptions:
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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Rules to check (codes or prefixes, comma-separated); replaces `select`.",
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Rules to skip, in addition to `ignore`.")
@click.option(
    "--extend-select", multiple=True, metavar="CODES", help="Rules to check in addition to `select`."
)
@click.option(
    "--output-format",
    type=click.Choice(FORMAT_NAMES),
    default="full",
    show_default=True,
    help="How to print findings.",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (and count) unsafe fixes.")
@click.option(
    "--diff", is_flag=True, help="Print the fixes as a unified diff instead of writing them; exit 1 if any."
)
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` to every line with a finding.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Use this pyproject.toml or bqlint.toml.",
)
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Glob patterns to skip, comma-separated; replace `exclude` (as ruff's --exclude).",
)
@click.option(
    "--extend-exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Glob patterns to skip in addition to `exclude`, comma-separated.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache (`.bqlint_cache/`).")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Worker processes (default: the number of CPUs; 1 runs in this process).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print the findings and nothing else (no progress bar).")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Say on stderr which configuration governs which files, what was skipped, and timings.",
)
@click.option(
    "--output-file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write the report to FILE (the summary is still printed).",
)
@click.option("--show-files", is_flag=True, help="List the files that would be checked, and exit.")
@click.option(
    "--show-settings", is_flag=True, help="Print the settings that govern the first path, and exit."
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings."
)
@click.option(
    "--stdin-filename",
    type=click.Path(path_type=Path),
    metavar="NAME",
    help="Read the source from standard input; report it as NAME.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text formats.",
)
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply `exclude` and .gitignore to files named on the command line too.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Report only findings not recorded in FILE.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Record the current findings in FILE and exit 0.",
)
@exit_codes
def check(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    config_file: Path | None,
    isolated: bool,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    no_cache: bool,
    jobs: int | None,
    color: str,
    show_settings: bool,
    **flags: Any,
) -> None:
    """Check PATHS (default: the current directory; `-` reads standard input)."""
    paths = _usage(paths, flags)
    if config_file is not None and isolated:
        raise click.UsageError("--config and --isolated cannot be combined")
    color_on = color_wanted(color, sys.stdout.isatty())
    options = CheckOptions(paths=paths, color=color_on, jobs=jobs or _cpus(), no_cache=no_cache, **flags)
    start = options.stdin_filename or paths[0]
    exclude_patterns = validate_cli_patterns(_codes(exclude), "--exclude")
    overrides = Overrides(
        select=_codes(select) or None,
        extend_select=_codes(extend_select),
        ignore=_codes(ignore),
        exclude=exclude_patterns or None,
        extend_exclude=validate_cli_patterns(_codes(extend_exclude), "--extend-exclude"),
        cli_root=Path.cwd(),
    )
    configs = Configurations(
        _default_root(Path(os.path.abspath(start))), overrides, config_file=config_file, isolated=isolated
    )
    if show_settings:
        click.echo(show_settings_text(configs, start))
        sys.exit(0)
    sys.exit(run_check(configs, options))


def _usage(paths: tuple[Path, ...], flags: dict[str, Any]) -> tuple[Path, ...]:
    """Reject option combinations that make no sense; return the paths to check (none for stdin)."""
    if any(str(p) == "-" for p in paths):
        if len(paths) > 1:
            raise click.UsageError("`-` reads standard input; do not also name other PATHS")
        flags["stdin_filename"] = flags["stdin_filename"] or Path("-")
    if flags["baseline"] and flags["write_baseline"]:
        raise click.UsageError("--baseline and --write-baseline cannot be combined")
    if flags["add_noqa"] and (flags["fix"] or flags["diff"]):
        raise click.UsageError("--add-noqa cannot be combined with --fix or --diff")
    if flags["stdin_filename"] is not None:
        if any(str(p) != "-" for p in paths):
            raise click.UsageError("--stdin-filename reads standard input; do not also name PATHS")
        if flags["add_noqa"] or flags["write_baseline"]:
            raise click.UsageError("--add-noqa and --write-baseline need files, not standard input")
        paths = ()
    else:
        paths = paths or (Path("."),)
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise ConfigError(f"{missing[0]}: no such file or directory")
    if flags["quiet"] and flags["verbose"]:
        raise click.UsageError("-q/--quiet and -v/--verbose cannot be combined")
    return paths


def show_settings_text(configs: Configurations, start: Path) -> str:
    """Return `--show-settings` for `start` (a file, or a folder's own configuration)."""
    return show_settings(configs.for_path(start), start)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _default_root(start: Path) -> Path:
    """Return the project root when no configuration file is found: the cwd, as ruff does,
    unless the checked path lies outside it."""
    cwd = Path.cwd()
    return cwd if start == cwd or cwd in start.parents else find_project_root(start)


def run_check(configs: Configurations, options: CheckOptions) -> int:
    """Run one check as `options` ask; return the exit code."""
    verbose = Verbose(options.verbose)
    stdin: tuple[Path, str] | None = None
    if options.stdin_filename is not None:
        stdin = (Path(os.path.abspath(options.stdin_filename)).resolve(), stdin_text(sys.stdin.buffer.read()))
    with verbose.timed("discovery"):
        found = discover(
            options.paths, configs, force_exclude=options.force_exclude, stdin_name=options.stdin_filename
        )
    if options.show_files:
        for path in (*found.files, *([stdin[0]] if stdin else [])):
            click.echo(path)
        return 0
    verbose.governance(configs, [*found.files, *([stdin[0]] if stdin else [])], found.ignored)
    if stdin is not None and options.force_exclude and configs.is_excluded(stdin[0]):
        if options.fix:
            click.echo(stdin[1], nl=False)
        return 0
    if not found.files and stdin is None:
        if not options.quiet:
            click.echo("warning: no Python files found under the given paths", err=True)
        return 0
    base = configs.for_directory(configs.default_root)
    cache = None if options.no_cache else Cache(cache_directory(base), base.root)

    def check_now(stdin: tuple[Path, str] | None) -> engine.Report:
        report = check_files(
            configs,
            found,
            stdin,
            jobs=options.jobs,
            cache=cache,
            progress=progress_for(sys.stderr, quiet=options.quiet or options.verbose),
        )
        if cache is not None:
            cache.flush()
        return report

    with verbose.timed("analysis"):
        report = check_now(stdin)
    _warn_unchecked(report)
    root = configs.root
    if options.add_noqa:
        return _add_noqa(report, options.quiet)
    fixed = 0
    unwritten = False
    if options.diff:
        return _print_diff(report, options, stdin)
    if options.fix:
        with verbose.timed("fix"):
            report, fixed, stdin, unwritten = _fix(report, options, stdin, check_now)
    if options.write_baseline:
        write_baseline(options.write_baseline, report.diagnostics, root, report.sources)
        if not options.quiet:
            click.echo(f"Wrote {len(report.diagnostics)} findings to {options.write_baseline}.", err=True)
        return 0
    if options.baseline:
        recorded = read_baseline(options.baseline)
        report.diagnostics = filter_baseline(report.diagnostics, recorded, root, report.sources)
    _gather_sources(report)
    render_options = RenderOptions(
        color=options.color and options.output_file is None,
        cwd=Path.cwd(),
        root=_report_root(options, root),
        fixed=fixed,
        unsafe_fixes=options.unsafe_fixes,
        show_summary=not options.quiet and options.output_file is None,
    )
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
        click.echo(stdin[1] if stdin else "", nl=False)
    if options.output_file is not None:
        try:
            options.output_file.write_text(text + "\n" if text else "", encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or exc
            raise ConfigError(f"{options.output_file}: cannot write the report: {reason}") from None
        if not options.quiet:
            click.echo(summary(report, render_options), err=to_stderr)
        return
    if text:
        click.echo(text, color=options.color, err=to_stderr)


def _warn_unchecked(report: engine.Report) -> None:
    """Say on stderr which files were not analysed, and which met an internal error."""
    for path, reason in report.not_analysed:
        click.echo(f"warning: {path}: could not be analysed ({reason}); Python accepts it", err=True)
    for path, error in report.internal_errors:
        click.echo(f"error: internal error while checking {path}: {error}", err=True)
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


def _by_path(diagnostics: Sequence[Diagnostic]) -> dict[Path, list[Diagnostic]]:
    grouped: dict[Path, list[Diagnostic]] = {}
    for d in diagnostics:
        grouped.setdefault(d.path, []).append(d)
    return grouped


def _source(report: engine.Report, path: Path, stdin: tuple[Path, str] | None) -> str | None:
    """Return the exact text that was analysed (fixes apply to it, never to a re-read)."""
    if stdin is not None and path == stdin[0]:
        return stdin[1]
    return report.sources.get(path)


def _fixed_texts(
    report: engine.Report, unsafe: bool, stdin: tuple[Path, str] | None, refused: set[Path]
) -> tuple[dict[Path, tuple[str, str]], dict[Path, int]]:
    """Return {path: (before, after)} for every file whose fixes apply, and the fixes applied
    to each."""
    changes: dict[Path, tuple[str, str]] = {}
    applied: dict[Path, int] = {}
    for path, diagnostics in _by_path(report.diagnostics).items():
        if path in refused or not any(is_applicable(d, unsafe) for d in diagnostics):
            continue
        before = _source(report, path, stdin)
        if any(d.code in NOT_ANALYSED_CODES for d in diagnostics):
            continue
        if before is None:  # never re-read instead: the edits' rows belong to the analysed text
            click.echo(f"error: not fixing {path}: its analysed text was lost (a bug in bqlint)", err=True)
            refused.add(path)
            continue
        try:
            result = fix_text(before, diagnostics, unsafe=unsafe)
        except UnparsableFix as exc:
            click.echo(f"error: not fixing {path}: {exc}; the file is left unchanged", err=True)
            refused.add(path)
            continue
        if result.text != before:
            changes[path] = (before, result.text)
            applied[path] = result.applied
    return changes, applied


def _print_diff(report: engine.Report, options: CheckOptions, stdin: tuple[Path, str] | None) -> int:
    changes, by_path = _fixed_texts(report, options.unsafe_fixes, stdin, set())
    applied = sum(by_path.values())
    for path, (before, after) in sorted(changes.items()):
        shown = Path(os.path.relpath(path)) if path.is_relative_to(Path.cwd()) else path
        click.echo(unified_diff(shown, before, after), nl=False)
    if applied and not options.quiet:
        click.echo(f"Would fix {applied} error{'s' if applied != 1 else ''}.", err=True)
    return 1 if changes else 0


def _fix(
    report: engine.Report,
    options: CheckOptions,
    stdin: tuple[Path, str] | None,
    check_now: Callable[[tuple[Path, str] | None], engine.Report],
) -> tuple[engine.Report, int, tuple[Path, str] | None, bool]:
    """Apply fixes and re-check until nothing changes; return the final report, the fixes
    written, the fixed standard input, and whether some file's fixes could not be written."""
    fixed = 0
    refused: set[Path] = set()
    unwritten = False
    for _ in range(MAX_FIX_PASSES):
        changes, counts = _fixed_texts(report, options.unsafe_fixes, stdin, refused)
        if not changes:
            break
        for path, (before, after) in changes.items():
            if stdin is not None and path == stdin[0]:
                stdin = (path, after)
            elif not _write(path, before, after, "not fixed"):
                refused.add(path)
                unwritten = True
                continue
            fixed += counts[path]
        report = check_now(stdin)
    return report, fixed, stdin, unwritten


def _write(path: Path, before: str, after: str, outcome: str) -> bool:
    """Write `after` over `path` if it still holds `before`; report a failure and return False."""
    try:
        write_if_unchanged(path, before, after)
    except NotWritten as exc:
        shown = Path(os.path.relpath(path)) if path.is_relative_to(Path.cwd()) else path
        click.echo(f"{shown}: {exc}, {outcome}", err=True)
        return False
    return True


def _add_noqa(report: engine.Report, quiet: bool = False) -> int:
    added = 0
    unwritten = False
    for path, diagnostics in _by_path(report.diagnostics).items():
        # A syntax error cannot be suppressed by adding to the file, nor an unused suppression by another.
        wanted = [d for d in diagnostics if d.code not in ("BQL999", "BQL100")]
        before = _source(report, path, None)
        if not wanted or before is None or any(d.code in NOT_ANALYSED_CODES for d in diagnostics):
            continue
        try:
            after, rows = add_noqa(before, wanted)
        except UnparsableFix as exc:
            click.echo(f"error: not adding noqa to {path}: {exc}; the file is left unchanged", err=True)
            continue
        if rows:
            if _write(path, before, after, "noqa not added"):
                added += rows
            else:
                unwritten = True
    if not quiet:
        click.echo(f"Added {added} noqa directive{'s' if added != 1 else ''}.", err=True)
    return 2 if unwritten else 0


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@exit_codes
def clean(path: Path | None) -> None:
    """Remove the cache of the project at PATH (default: the current directory)."""
    start = Path(os.path.abspath(path or Path(".")))
    settings = load_settings(start, default_root=start)
    directory = cache_directory(settings)
    if clean_cache(directory):
        click.echo(f"Removed {directory}", err=True)
    elif directory.exists():
        click.echo(f"warning: {directory} is not a bqlint cache; left alone", err=True)


@main.command("server")
@exit_codes
def server_command() -> None:
    """Run the Language Server on standard input and output (for editors)."""
    from bqlint.server import serve

    serve()


@main.command("rules")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@exit_codes
def rules_command(output_format: str) -> None:
    """List every rule: code, name, fixable ([*]) and summary."""
    rules = all_rules()
    if output_format == "json":
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "summary": r.summary,
                "fix": r.fix.value if r.fix else None,
                "url": r.url(),
            }
            for r in rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        click.echo(f"{r.code}  {r.name.ljust(width)}  {'[*]' if r.fix else '   '}  {r.summary}")


@main.command()
@click.argument("code")
@exit_codes
def explain(code: str) -> None:
    """Print the documentation of rule CODE (or its name)."""
    wanted = code.strip()
    for rule in all_rules():
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            click.echo(rule.doc(), nl=False)
            return
    click.echo(f"error: unknown rule `{code}` (see `bqlint rules` for the list)", err=True)
    sys.exit(2)
