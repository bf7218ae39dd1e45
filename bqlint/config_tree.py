"""Which configuration governs which file, resolved as ruff resolves it (SPEC §3.2).

Each file is governed by the nearest `bqlint.toml`, or `pyproject.toml` with `[tool.bqlint]`,
in its folder or above; in one folder `bqlint.toml` wins, as ruff's `ruff.toml` wins over
`pyproject.toml`. `--config FILE` governs every file, `--isolated` ignores every file, and
`extend = "PATH"` merges another configuration file under the one that names it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bqlint.config import ConfigError, Overrides, Settings, has_bqlint_table, read_table, settings_from_table
from bqlint.patterns import rebase
from bqlint.paths import is_file, is_folder


@dataclass(frozen=True, slots=True)
class ConfigChoice:
    """The configuration file of one folder, and a note when another one was passed over."""

    path: Path
    note: str | None = None


def config_in(directory: Path) -> ConfigChoice | None:
    """Return the configuration file of `directory` itself, or None."""
    bqlint_toml = directory / "bqlint.toml"
    pyproject = directory / "pyproject.toml"
    in_pyproject = is_file(pyproject) and has_bqlint_table(pyproject)
    if is_file(bqlint_toml):
        note = None
        if in_pyproject:
            note = (
                f"{directory}: both bqlint.toml and [tool.bqlint] in pyproject.toml; "
                "using bqlint.toml (the dedicated file wins, as ruff.toml does for ruff)"
            )
        return ConfigChoice(bqlint_toml, note)
    return ConfigChoice(pyproject) if in_pyproject else None


def load_config(path: Path, overrides: Overrides = Overrides(), *, root: Path | None = None) -> Settings:
    """Return the settings of configuration file `path`, with what it extends merged in.

    `root`: the folder its own relative paths are read from, when not its own folder (a file
    given with `--config` is read from the working directory, as ruff does); what it
    extends still matches what it matched where it was written."""
    table, chain = _load(path.resolve(), (), root)
    settings = settings_from_table(chain[-1], table, overrides, root=root)
    return replace(settings, extends=chain[:-1])


def _load(
    path: Path, visiting: tuple[Path, ...], folder: Path | None = None
) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """Return the merged table of `path` (read from `folder`, default its own) and the files
    merged (the most basic first)."""
    if path in visiting:
        cycle = " -> ".join(str(p) for p in (*visiting[visiting.index(path) :], path))
        raise ConfigError(f"{visiting[-1]}: key `extend` makes a cycle: {cycle}")
    try:
        found = path.is_file()
    except OSError as exc:  # a name too long for the file system
        found, path = False, Path(f"{path} ({exc.strerror})")
    if not found:
        where = f"{visiting[-1]}: key `extend`: " if visiting else ""
        raise ConfigError(f"{where}{path}: configuration file not found")
    table = read_table(path)
    settings_from_table(path, table)  # validated alone, so errors name the file that has them
    extend = table.get("extend")
    if extend is None:
        return dict(table), (path,)
    base_path = (path.parent / os.path.expanduser(os.path.expandvars(extend))).resolve()
    base, chain = _load(base_path, (*visiting, path))
    return merge_tables(base, base_path.parent, table, (folder or path.parent).resolve()), (*chain, path)


def merge_tables(
    base: Mapping[str, Any], base_root: Path, child: Mapping[str, Any], child_root: Path
) -> dict[str, Any]:
    """Merge `child` over `base`: a key the child sets replaces the base's, except
    `extend-exclude` and `extend-select`, which add up. The base's patterns are rebased
    to the child's folder (each pattern stays relative to the file that wrote it)."""
    merged = {key: value for key, value in base.items() if key != "extend"}
    for key in ("exclude", "extend-exclude"):
        if key in merged:
            merged[key] = [rebased for p in merged[key] for rebased in rebase(p, base_root, child_root)]
    if isinstance(merged.get("cache-dir"), str):
        # Relative to the file that wrote it, like every path in a configuration.
        merged["cache-dir"] = str(base_root / os.path.expanduser(merged["cache-dir"]))
    if "per-file-ignores" in merged:
        moved: dict[str, list[Any]] = {}
        for pattern, codes in merged["per-file-ignores"].items():
            for rebased in _rebased_key(pattern, base_root, child_root):
                moved[rebased] = list(dict.fromkeys([*moved.get(rebased, []), *codes]))
        merged["per-file-ignores"] = moved
    for key, value in child.items():
        if key in ("extend-exclude", "extend-select"):
            merged[key] = [*merged.get(key, []), *value]
        elif key != "extend":
            merged[key] = value
    return merged


def _rebased_key(pattern: str, base_root: Path, child_root: Path) -> tuple[str, ...]:
    """Return the `per-file-ignores` keys that, relative to `child_root`, ignore where
    `pattern` (relative to `base_root`) does. A negated key (every file not matching) stays
    one key: its patterns, one a line, are matched as one (bqlint.file_patterns)."""
    if not pattern.startswith("!"):
        return rebase(pattern, base_root, child_root)
    rests = rebase(pattern[1:], base_root, child_root)
    if not rests:
        return ("*",)  # it matches nothing here: its negation is every file
    return () if rests == ("*",) else ("!" + "\n".join(rests),)


def default_settings(root: Path, overrides: Overrides = Overrides()) -> Settings:
    """Return the settings when no configuration file applies, rooted at `root`."""
    return replace(settings_from_table(root / "(defaults)", {}, overrides), config_path=None)


class Configurations:
    """The settings of every folder of one run, found once per folder and file."""

    def __init__(
        self,
        default_root: Path,
        overrides: Overrides = Overrides(),
        *,
        config_file: Path | None = None,
        isolated: bool = False,
    ) -> None:
        self.overrides = overrides
        self.default_root = default_root.resolve()
        self.notes: list[str] = []
        # Paths that `exclude` / `extend-exclude` kept out of the walk, for -v.
        self.excluded: list[Path] = []
        self._by_file: dict[Path, Settings] = {}
        self._by_dir: dict[Path, Settings] = {}
        self._default: Settings | None = None
        self._fixed: Settings | None = None
        # A configuration file that cannot be loaded, by file, and the folder it governs from.
        self._errors: dict[Path, ConfigError] = {}
        self._broken_under: dict[Path, Path] = {}
        # Why files were left out of the context, once per broken configuration (for stderr).
        self.unread_context: dict[Path, str] = {}
        if config_file is not None:
            if not config_file.is_file():
                problem = (
                    "not a regular file; --config takes a pyproject.toml or bqlint.toml"
                    if config_file.exists()
                    else "configuration file not found"
                )
                raise ConfigError(f"{config_file}: {problem}")
            # As in ruff, its relative paths are read from the working directory.
            self._fixed = load_config(config_file, overrides, root=Path.cwd())
        elif isolated:
            self._fixed = default_settings(self.default_root, overrides)

    @property
    def root(self) -> Path:
        """The project root of the run: where the configuration of the default root lives
        (the default root itself when that configuration cannot be loaded: it is an error
        only where it governs a checked file)."""
        base = self.for_context(self.default_root)
        return self.default_root if base is None else base.root

    def for_path(self, path: Path) -> Settings:
        """Return the settings that govern `path` (a folder's own configuration governs it)."""
        absolute = Path(os.path.abspath(path))
        return self.for_directory(absolute if is_folder(absolute) else absolute.parent)

    def for_directory(self, directory: Path) -> Settings:
        """Return the settings of the nearest configuration at or above `directory`."""
        if self._fixed is not None:
            return self._fixed
        walked: list[Path] = []
        current = directory
        while True:
            known = self._by_dir.get(current)
            if known is not None:
                found = known
                break
            walked.append(current)
            choice: ConfigChoice | None = None
            try:
                # A pyproject.toml that is not TOML fails here, before it is known to be a
                # configuration: it is broken like one that loads with a bad key.
                choice = config_in(current)
                loaded = self._settings_of(choice) if choice is not None else None
            except ConfigError:
                broken = choice.path if choice is not None else current / "pyproject.toml"
                self._broken_under.update((folder, broken) for folder in walked)
                raise
            if loaded is not None:
                found = loaded
                break
            if current.parent == current:
                found = self._defaults()
                break
            current = current.parent
        for folder in walked:
            self._by_dir[folder] = found
        return found

    def for_context(self, directory: Path) -> Settings | None:
        """Return the settings of `directory` for files read only as context, or None when its
        configuration cannot be loaded: as in ruff, only the configurations that govern the
        checked files must be valid; why the files under a broken one are left out is kept
        once in `unread_context`."""
        try:
            return self.for_directory(directory)
        except ConfigError as error:
            config = self._broken_under.get(directory)
            if config is None:
                raise  # not a configuration of this folder (cannot happen): never hidden
            if config not in self.unread_context:
                self.unread_context[config] = (
                    f"{error}; the files under {config.parent} were not read as context"
                )
            return None

    def _settings_of(self, choice: ConfigChoice) -> Settings:
        settings = self._by_file.get(choice.path)
        if settings is None:
            error = self._errors.get(choice.path)
            if error is not None:
                raise error
            if choice.note is not None:
                self.notes.append(choice.note)
            try:
                settings = self._by_file[choice.path] = load_config(choice.path, self.overrides)
            except ConfigError as failed:
                self._errors[choice.path] = failed
                raise
        return settings

    def loaded_files(self) -> list[Path]:
        """Return the configuration files read so far (with the files they extend)."""
        fixed = [self._fixed] if self._fixed is not None else []
        loaded = [*fixed, *self._by_file.values()]
        return [path for s in loaded for path in (*s.extends, *([s.config_path] if s.config_path else []))]

    def _defaults(self) -> Settings:
        if self._default is None:
            self._default = default_settings(self.default_root, self.overrides)
        return self._default

    def is_excluded(self, path: Path, *, is_dir: bool = False, base: Path | None = None) -> bool:
        """Return whether the settings governing `path`'s folder exclude it (for discovery)."""
        settings = self.for_directory(Path(os.path.abspath(path)).parent)
        excluded = settings.is_excluded(path, is_dir=is_dir, base=base)
        if excluded:
            self.excluded.append(path)
        return excluded

    def is_unread_context(self, path: Path, *, is_dir: bool = False, base: Path | None = None) -> bool:
        """Return whether the context walk leaves `path` out: excluded by the settings of its
        folder, or governed by a configuration that cannot be loaded (`for_context`)."""
        if self._fixed is None and self.for_context(Path(os.path.abspath(path)).parent) is None:
            return True
        return self.is_excluded(path, is_dir=is_dir, base=base)
