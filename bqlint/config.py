"""[tool.bqlint] / bqlint.toml → one frozen Settings; every key is validated here.

The configuration file is found by walking up from the checked paths (or named with
`--config`); its directory is the project root that `exclude` and `per-file-ignores`
patterns are relative to. Every mistake raises ConfigError naming the file and the key.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bqlint.paths import resolved
from bqlint.file_patterns import FilePatterns
from bqlint.patterns import normalize_pattern, pattern_problem, rebase
from bqlint.selection import RuleSelection, enabled_codes, selected_codes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_NAMES = ("bqlint.toml", "pyproject.toml")

# Skipped while walking directories; `exclude` replaces this list, `extend-exclude` adds to it.
DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pycache__",
    "__pypackages__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)

_LIST_KEYS = (
    "select",
    "ignore",
    "exclude",
    "extend-exclude",
    "device-bases",
    "cell-types",
    "unlock-points",
    "init-methods",
)
KNOWN_KEYS = frozenset((*_LIST_KEYS, "extend-select", "per-file-ignores", "extend", "cache-dir"))


class ConfigError(Exception):
    """A configuration or command-line mistake; the CLI prints it and exits 2."""


class ExcludeRules(Protocol):
    """What discovery asks: the project root, and whether a path is excluded (Settings, or
    bqlint.config_tree.Configurations when each folder may have its own configuration)."""

    @property
    def root(self) -> Path: ...

    def is_excluded(self, path: Path, *, is_dir: bool = False, base: Path | None = None) -> bool: ...


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs to know from configuration and the command line."""

    root: Path = field(default_factory=Path.cwd)
    # Rule selection, already resolved to codes (bqlint.selection: the enabled codes, and
    # those an `ignore` turned off). An empty `select` means every rule (the default).
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    # Semantic configuration (SPEC §3.1.1): dotted names, or bare method names for init-methods.
    device_bases: tuple[str, ...] = ()
    cell_types: tuple[str, ...] = ()
    unlock_points: tuple[str, ...] = ()
    init_methods: tuple[str, ...] = ()
    # The file the settings came from, or None for the defaults.
    config_path: Path | None = None
    # Config `cache-dir` (absolute; relative values are taken from the config file's folder).
    cache_dir: Path | None = None
    # The files `extend` merged into it, the most basic first (for --show-settings and -v).
    extends: tuple[Path, ...] = ()
    # False: suppression comments are not applied (the cross-check asks what the analysis
    # sees, not what a project chose to hide).
    honour_suppressions: bool = True
    # The patterns above, compiled on first use (not a setting: left out of comparisons,
    # and of the cache's keys).
    _patterns: FilePatterns | None = field(default=None, init=False, repr=False, compare=False)

    def is_enabled(self, code: str, path: Path) -> bool:
        """Return whether `code` is reported for `path` (selection, then per-file-ignores)."""
        if self.select and code not in self.select:
            return False
        if code in self.ignore:
            return False
        if not self.per_file_ignores:
            return True
        relative = _relative_posix(path, self.root)
        if relative is None:
            return True
        return code not in self._compiled().ignored_codes(relative)

    def is_excluded(self, path: Path, *, is_dir: bool = False, base: Path | None = None) -> bool:
        """Return whether `path` matches `exclude` / `extend-exclude` (relative to `base` or root)."""
        relative = _relative_posix(path, base or self.root)
        suffix = "/" if is_dir else ""
        if relative is None:  # outside the project: only name patterns such as `.venv` apply
            return self._compiled().name_is_excluded(path.name + suffix)
        return self._compiled().is_excluded(relative + suffix)

    def _compiled(self) -> FilePatterns:
        patterns = self._patterns
        if patterns is None:
            patterns = FilePatterns((*self.exclude, *self.extend_exclude), self.per_file_ignores)
            object.__setattr__(self, "_patterns", patterns)  # a cache, not a change of the settings
        return patterns


def _relative_posix(path: Path, root: Path) -> str | None:
    try:
        return resolved(path).relative_to(resolved(root)).as_posix()
    except ValueError:
        return None
    except (OSError, RuntimeError):  # a symlink loop cannot be resolved: match it as named
        absolute, top = path.absolute(), root.resolve()
        return absolute.relative_to(top).as_posix() if absolute.is_relative_to(top) else None


def all_codes() -> tuple[str, ...]:
    """Return every rule code of the registry, in order."""
    from bqlint.rules import rule_codes

    return rule_codes()


def resolve_codes(selectors: Iterable[str], where: str) -> frozenset[str]:
    """Expand codes and prefixes (`BQL002`, `BQL00`, `BQL`, `ALL`) to rule codes.

    `where` names the source ("pyproject.toml: key `select`") for the error message.
    """
    codes = all_codes()
    resolved: set[str] = set()
    for raw in selectors:
        matched = selected_codes(raw, codes)
        if not matched:
            raise ConfigError(f"{where}: unknown rule code or prefix `{raw}` (see `bqlint rules`)")
        resolved.update(matched)
    return frozenset(resolved)


def find_config(start: Path) -> Path | None:
    """Return the nearest bqlint.toml, or pyproject.toml with [tool.bqlint], at or above `start`."""
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        bqlint_toml = candidate_dir / "bqlint.toml"
        if bqlint_toml.is_file():
            return bqlint_toml
        pyproject = candidate_dir / "pyproject.toml"
        if pyproject.is_file() and has_bqlint_table(pyproject):
            return pyproject
    return None


def has_bqlint_table(pyproject: Path) -> bool:
    """Return whether `pyproject` has a [tool.bqlint] table.

    A pyproject.toml that is not valid TOML is an error whatever it holds: its [tool.bqlint]
    header may be the very line with the typo, and skipping it would silently drop the config.
    """
    tool = read_toml(pyproject).get("tool")
    return isinstance(tool, dict) and "bqlint" in tool


# tomllib ends its messages with "(at line 3, column 7)"; Python 3.14 also sets lineno/colno.
_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_toml(path: Path) -> dict[str, Any]:
    """Parse `path` as TOML; any problem is a ConfigError naming the file (and line)."""
    text = ""
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except RecursionError:  # valid TOML, but arrays or tables nested thousands deep
        raise ConfigError(f"{path}: cannot read configuration: nested too deeply for Python's TOML parser") from None
    except tomllib.TOMLDecodeError as exc:
        message = str(getattr(exc, "msg", "") or exc)
        match = _AT_LINE.search(message)
        line = getattr(exc, "lineno", None) or (int(match.group(1)) if match else None)
        column = getattr(exc, "colno", None) or (int(match.group(2)) if match else None)
        message = _AT_LINE.sub("", message)
        if line is None and message.endswith("(at end of document)"):
            # An unclosed bracket or string: point at the last line that has text.
            message = message[: -len("(at end of document)")].rstrip() + " at the end of the file"
            line = text.rstrip().count("\n") + 1
            column = len(text.rstrip().rsplit("\n", 1)[-1]) + 1
        where = f"{path}:{line}:{column}" if line else str(path)
        raise ConfigError(f"{where}: invalid TOML: {message}") from None


def read_table(path: Path) -> dict[str, Any]:
    """Return the bqlint table of `path` (top level of bqlint.toml, [tool.bqlint] of pyproject)."""
    data = read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("bqlint", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: `tool.bqlint` must be a table")
        return table
    return data


def _string_list(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: key `{key}` must be a list of strings, got {value!r}")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Overrides:
    """Command-line options that change the configuration."""

    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    # --exclude replaces `exclude`, --extend-exclude adds to it; relative to `cli_root`.
    exclude: Sequence[str] | None = None
    extend_exclude: Sequence[str] = ()
    cli_root: Path | None = None

    def patterns(self, patterns: Sequence[str], root: Path) -> tuple[str, ...]:
        """Return command-line `patterns` rebased from the working directory to `root`."""
        cli_root = (self.cli_root or root).resolve()
        return tuple(rebased for p in patterns for rebased in rebase(p, cli_root, root))


def settings_from_table(
    path: Path, table: Mapping[str, Any], overrides: Overrides = Overrides(), *, root: Path | None = None
) -> Settings:
    """Validate `table` (from `path`) and build Settings rooted at `root` (default: the
    file's directory), which its relative paths are read from."""
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        known = ", ".join(sorted(KNOWN_KEYS))
        raise ConfigError(f"{path}: unknown key `{unknown[0]}` (known keys: {known})")
    lists = {key: _string_list(path, key, table[key]) for key in _LIST_KEYS if key in table}
    extend_select = _string_list(path, "extend-select", table.get("extend-select", []))

    where = f"{path}: key"
    if "select" in lists and not resolve_codes(lists["select"], f"{where} `select`"):
        raise ConfigError(f"{path}: key `select` is empty; list rule codes or `ALL`")
    resolve_codes(extend_select, f"{where} `extend-select`")
    resolve_codes(lists.get("ignore", ()), f"{where} `ignore`")
    if overrides.select is not None:
        resolve_codes(overrides.select, "--select")
    resolve_codes(overrides.extend_select, "--extend-select")
    resolve_codes(overrides.ignore, "--ignore")
    selections = (
        RuleSelection(lists.get("select", ("ALL",)), extend_select, lists.get("ignore", ())),
        RuleSelection(overrides.select, overrides.extend_select, overrides.ignore),
    )
    select, ignore = enabled_codes(selections, all_codes())
    if not select:  # nothing is left; in Settings an empty `select` means every rule
        ignore = frozenset(all_codes())

    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{path}: key `per-file-ignores` must be a table of glob = [codes]")
    root = (root or path.parent).resolve()
    patterns = [(key, p) for key in ("exclude", "extend-exclude") for p in lists.get(key, ())]
    patterns += [("per-file-ignores", p) for p in per_file]
    for key, pattern in patterns:
        problem = pattern_problem(pattern, root)
        if problem is not None:
            raise ConfigError(f"{path}: key `{key}`: pattern {pattern!r}: {problem}")
    for key in ("exclude", "extend-exclude"):
        if key in lists:
            lists[key] = tuple(normalize_pattern(p) for p in lists[key])
    extend = table.get("extend")
    if extend is not None and (not isinstance(extend, str) or not extend.strip()):
        raise ConfigError(f"{path}: key `extend` must be the path of another configuration file")
    for key in ("extend", "cache-dir"):
        value = table.get(key)
        if isinstance(value, str) and "\0" in value:
            raise ConfigError(f"{path}: key `{key}`: a path cannot contain a NUL character")
    per_file_ignores = tuple(
        (
            normalize_pattern(glob),
            resolve_codes(
                _string_list(path, f"per-file-ignores.{glob}", codes), f"{where} `per-file-ignores.{glob}`"
            ),
        )
        for glob, codes in per_file.items()
    )
    init_methods = lists.get("init-methods", ())
    for name in init_methods:
        if not name.isidentifier():
            raise ConfigError(f"{path}: key `init-methods`: `{name}` is not a bare method name")
    for key in ("device-bases", "cell-types", "unlock-points"):
        for name in lists.get(key, ()):
            if not all(part.isidentifier() for part in name.split(".")):
                raise ConfigError(f"{path}: key `{key}`: `{name}` is not a dotted name")
    cache_dir = table.get("cache-dir")
    if cache_dir is not None and (not isinstance(cache_dir, str) or not cache_dir.strip()):
        raise ConfigError(f"{path}: key `cache-dir` must be a non-empty path string, got {cache_dir!r}")
    return Settings(
        root=root,
        select=select,
        ignore=ignore,
        per_file_ignores=per_file_ignores,
        exclude=(
            overrides.patterns(overrides.exclude, root)
            if overrides.exclude is not None
            else lists.get("exclude", DEFAULT_EXCLUDE)
        ),
        extend_exclude=(
            *lists.get("extend-exclude", ()),
            *overrides.patterns(overrides.extend_exclude, root),
        ),
        device_bases=lists.get("device-bases", ()),
        cell_types=lists.get("cell-types", ()),
        unlock_points=lists.get("unlock-points", ()),
        init_methods=init_methods,
        config_path=path.resolve(),
        cache_dir=root / cache_dir if cache_dir is not None else None,
    )


def load_settings(
    start: Path,
    *,
    config_file: Path | None = None,
    overrides: Overrides = Overrides(),
    default_root: Path | None = None,
) -> Settings:
    """Return the settings that govern `start` (`extend` merged in; see bqlint.config_tree).

    Without a configuration file the defaults apply, rooted at `default_root` (or `start`).
    """
    from bqlint.config_tree import Configurations

    configs = Configurations(default_root or start, overrides, config_file=config_file)
    return configs.for_path(start)
