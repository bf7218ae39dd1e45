"""Command-line interface: options in, exit code out (SPEC §3.2).

The commands parse and validate options here; `checking.run_check` does the run.
Exit codes: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

import bqlint
from bqlint.cache import cache_directory
from bqlint.cache_folder import CacheNotRemoved
from bqlint.cache_folder import clean as clean_cache
from bqlint.checking import CheckOptions, run_check
from bqlint.closed_streams import cover_closed_streams, is_closed
from bqlint.config import ConfigError, Overrides, load_settings
from bqlint.config_tree import Configurations
from bqlint.discovery import find_project_root
from bqlint.diagnostics import NOT_ANALYSED_CODES
from bqlint.fixing import MAX_FIX_PASSES
from bqlint.interrupt import interrupted, signal_of, stops_interrupt
from bqlint.output import output_failures, replace_unencodable
from bqlint.parallel import available_cpus
from bqlint.report import FORMAT_NAMES
from bqlint.runs import color_wanted, validate_cli_patterns
from bqlint.targets import refuse_source_name
from bqlint.terminal import printable
from bqlint.verbose import show_settings
from bqlint.rules import all_rules

# `run_check`, `CheckOptions` and the fix constants moved to `checking` and `fixing`;
# they stay importable from here.
__all__ = [
    "MAX_FIX_PASSES",
    "NOT_ANALYSED_CODES",
    "CheckOptions",
    "check",
    "clean",
    "exit_codes",
    "explain",
    "main",
    "rules_command",
    "run_check",
    "server_command",
    "show_settings_text",
]

F = TypeVar("F", bound=Callable[..., Any])


def exit_codes(command: F) -> F:
    """Map configuration errors and crashes to exit 2 with a message, never a bare traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with output_failures():
                return command(*args, **kwargs)
        except ConfigError as exc:
            click.echo(printable(f"error: {exc}"), err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            problem = _unusable_path(exc)
            if problem is not None:  # the file system refused a path: not a bug in bqlint
                click.echo(printable(f"error: {problem}"), err=True)
                sys.exit(2)
            if os.environ.get("BQLINT_DEBUG"):
                traceback.print_exc()
            click.echo(printable(f"error: bqlint crashed: {type(exc).__name__}: {exc}"), err=True)
            click.echo("This is a bug in bqlint; please report it with the command you ran.", err=True)
            click.echo("Set BQLINT_DEBUG=1 to print the traceback.", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _unusable_path(exc: Exception) -> str | None:
    """Say what is wrong when `exc` is the file system refusing a path the user gave (too
    long, a NUL in it) or the working directory being gone; None for anything else."""
    if isinstance(exc, ValueError) and "null byte" in str(exc):
        return "a path given on the command line or in the configuration contains a NUL character"
    if not isinstance(exc, OSError):
        return None
    if exc.errno == errno.ENAMETOOLONG:
        return f"{exc.filename}: the name is too long for the file system" if exc.filename else None
    try:
        os.getcwd()
    except FileNotFoundError:
        return "the current directory no longer exists; run bqlint from an existing folder"
    return None


def _codes(values: Sequence[str]) -> list[str]:
    """Split repeated and comma-separated code options (`--select BQL002,BQL003`)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class _Commands(click.Group):
    """The command group: a write to stdout that fails in click itself (`--version > /dev/full`,
    `check --help | head -1`) ends cleanly too, and text never fails on the stdout's encoding."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        cover_closed_streams()
        try:
            with output_failures():
                return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:  # before click turns it into "Aborted!" and exit 1
            interrupted()

    def invoke(self, ctx: click.Context) -> Any:
        replace_unencodable()
        try:
            with output_failures():
                return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:  # Ctrl-C, or SIGTERM or SIGHUP during a check
            interrupted(signal_of(interrupt))


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(bqlint.__version__, prog_name="bqlint")
def main() -> None:
    """bqlint: check the BQL and borrow discipline of device models."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
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
    _refuse_conflicts({**flags, "show_settings": show_settings})
    paths = _usage(paths, flags)
    if config_file is not None and isolated:
        raise click.UsageError("--config and --isolated cannot be combined")
    color_on = color_wanted(color, sys.stdout.isatty())
    jobs = jobs or available_cpus()
    options = CheckOptions(paths=paths, color=color_on, jobs=jobs, no_cache=no_cache, **flags)
    start = options.stdin_filename or paths[0]
    if select and not _codes(select):  # `--select=` or `--select ,,`: not "every rule"
        raise click.UsageError("--select: no rule code given; name codes or prefixes, or `ALL`")
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
        click.echo("\n".join(printable(line) for line in show_settings_text(configs, start).split("\n")))
        sys.exit(0)
    with stops_interrupt():  # SIGTERM during --fix must not leave a temporary file either
        code = run_check(configs, options)
    sys.exit(code)


def _names_a_file(path: Path) -> bool:
    """Whether `path` could name a file: a last part that is not `..`, no NUL, not a folder."""
    text = str(path)
    if not text or "\0" in text or os.path.isdir(text):
        return False
    return bool(Path(os.path.abspath(text)).name) and Path(text).name not in ("", "..")


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
        named = flags["stdin_filename"]
        if str(named) != "-" and not _names_a_file(named):
            raise click.UsageError(f"--stdin-filename must name a file, not {str(named)!r}")
        paths = ()
    else:
        paths = paths or (Path("."),)
        for path in paths:
            _refuse_unnameable(path)
    if flags["quiet"] and flags["verbose"]:
        raise click.UsageError("-q/--quiet and -v/--verbose cannot be combined")
    refuse_source_name("--write-baseline", flags["write_baseline"])
    refuse_source_name("--output-file", flags["output_file"])
    return paths


# Options that replace the normal report cannot be combined: one would be dropped silently
# (crash7 #5). ruff's pairs (`--statistics`/`--diff`, `--add-noqa` and its "fake subcommands"
# `--show-files`/`--show-settings`), and `--write-baseline`, which is one more such mode.
_CONFLICTS = (
    ("write_baseline", ("diff", "add_noqa", "show_files", "show_settings")),
    ("add_noqa", ("statistics", "show_files", "show_settings")),
    ("show_files", ("show_settings", "statistics")),
    ("statistics", ("diff", "show_settings")),
)


def _refuse_conflicts(flags: dict[str, Any]) -> None:
    for first, others in _CONFLICTS:
        for other in others:
            if flags[first] and flags[other]:
                names = [f"--{name.replace('_', '-')}" for name in (first, other)]
                raise click.UsageError(f"{names[0]} and {names[1]} cannot be combined")


def _refuse_unnameable(path: Path) -> None:
    """Raise what the file system says of a name it cannot hold (too long): a usage error
    (exit 2, `exit_codes`). A path that does not exist, or in a folder bqlint may not search,
    is named like any other: reading it reports why it cannot be read (BQL998, crash14 #13)."""
    try:
        path.exists()
    except PermissionError:
        pass


def show_settings_text(configs: Configurations, start: Path) -> str:
    """Return `--show-settings` for `start` (a file, or a folder's own configuration)."""
    return show_settings(configs.for_path(start), start)


def _default_root(start: Path) -> Path:
    """Return the project root when no configuration file is found: the cwd, as ruff does,
    unless the checked path lies outside it."""
    cwd = Path.cwd()
    return cwd if start == cwd or cwd in start.parents else find_project_root(start)


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@exit_codes
def clean(path: Path | None) -> None:
    """Remove the cache of the project at PATH (default: the current directory)."""
    start = Path(os.path.abspath(path or Path(".")))
    settings = load_settings(start, default_root=start)
    directory = cache_directory(settings)
    try:
        cleaned = clean_cache(directory)
    except CacheNotRemoved as exc:
        click.echo(printable(f"error: {exc}"), err=True)
        sys.exit(2)
    if cleaned is not None:
        click.echo(printable(cleaned.describe(directory)), err=True)
    elif directory.exists():
        click.echo(printable(f"warning: {directory} is not a bqlint cache; left alone"), err=True)


@main.command("server")
@exit_codes
def server_command() -> None:
    """Run the Language Server on standard input and output (for editors)."""
    if sys.stdin is None or is_closed(sys.stdout):  # the shell closed one (`<&-`, `>&-`)
        stream = "read standard input" if sys.stdin is None else "write to standard output"
        raise ConfigError(f"cannot {stream}: {os.strerror(errno.EBADF)}")
    from bqlint.server import serve

    sys.exit(serve())


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
    click.echo(printable(f"error: unknown rule `{code}` (see `bqlint rules` for the list)"), err=True)
    sys.exit(2)
