"""What `-v/--verbose` and `--show-settings` print: the run explained, on stderr.

Which configuration governs which files (and which file was passed over for another), the
files checked and skipped, and how long each phase took.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from bqlint.config import Settings
from bqlint.config_tree import Configurations
from bqlint.terminal import printable


class Verbose:
    """Say what the run does, on stderr, when asked; otherwise stay silent."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.timings: list[tuple[str, float]] = []

    def say(self, text: str) -> None:
        if self.enabled:
            click.echo(printable(f"bqlint: {text}"), err=True)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Measure one phase of the run (wall clock)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings.append((phase, time.perf_counter() - start))

    def governance(
        self, configs: Configurations, files: Sequence[Path], ignored: Sequence[Path] = ()
    ) -> None:
        """Say which configuration governs which files, and which files were skipped."""
        if not self.enabled:
            return
        for note in configs.notes:
            self.say(note)
        by_config: dict[Path | None, list[Path]] = {}
        chains: dict[Path | None, tuple[Path, ...]] = {}
        for path in files:
            settings = configs.for_path(path)
            by_config.setdefault(settings.config_path, []).append(path)
            chains[settings.config_path] = settings.extends
        for config, governed in sorted(by_config.items(), key=lambda item: str(item[0])):
            name = str(config) if config is not None else "the defaults (no configuration file)"
            extends = "".join(f" (extends {base})" for base in reversed(chains[config]))
            self.say(f"{name}{extends} governs {len(governed)} file{'s' if len(governed) != 1 else ''}:")
            for path in governed:
                self.say(f"  checked {_shown(path)}")
        for path in sorted(set(configs.excluded)):
            self.say(f"  skipped {_shown(path)} (excluded by configuration)")
        for path in ignored:
            self.say(f"  skipped {_shown(path)} (ignored by .gitignore)")

    def report_timings(self) -> None:
        if self.timings:
            self.say("timings: " + ", ".join(f"{phase} {seconds:.3f} s" for phase, seconds in self.timings))


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def show_settings(settings: Settings, start: Path) -> str:
    """Return the resolved settings that govern `start`, one `key = value` per line."""
    config = str(settings.config_path) if settings.config_path else "none (defaults)"
    lines = [
        f"Resolved settings for: {Path(os.path.abspath(start)).as_posix()}",
        f"Settings path: {config}",
        f"Extends: {[str(p) for p in settings.extends]}",
        f"root = {settings.root}",
        f"select = {sorted(settings.select)}",
        f"ignore = {sorted(settings.ignore)}",
        f"per-file-ignores = {[(p, sorted(c)) for p, c in settings.per_file_ignores]}",
        f"exclude = {list(settings.exclude)}",
        f"extend-exclude = {list(settings.extend_exclude)}",
        f"device-bases = {list(settings.device_bases)}",
        f"cell-types = {list(settings.cell_types)}",
        f"unlock-points = {list(settings.unlock_points)}",
        f"init-methods = {list(settings.init_methods)}",
    ]
    return "\n".join(lines)
