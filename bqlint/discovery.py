"""Which files a run checks, and which it reads only as context (SPEC §3.2).

Directories are walked for `*.py`, honouring `.gitignore` files (nested, up to the git root)
and `exclude` / `extend-exclude`; files named on the command line are always checked unless
`--force-exclude` is given. Naming single files (as pre-commit does) makes the rest of the
project context: read for cross-module facts, never reported on. What the walk leaves out
(excluded, git-ignored) is not entered; a module in it that the run's code imports is still
read as context (`ExcludedModules`), as pyright and mypy follow imports into excluded files.
"""

from __future__ import annotations

import codecs
import errno
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from bqlint.config import ConfigError, ExcludeRules
from bqlint.config_tree import Configurations, config_in
from bqlint.deepstack import on_deep_stack
from bqlint.model.api import is_runtime_module
from bqlint.paths import forget as forget_folders
from bqlint.paths import GIT_ROOTS, exists, is_file, is_folder
from bqlint.patterns import glob_spec
from bqlint.reading import UnreadableSource, read_source_bytes


class ExcludedModules:
    """The folders and `*.py` files a walk left out (`exclude`, `extend-exclude`, `.gitignore`),
    searched only by import name.

    Excluding a file says "do not report on it", not "Python never runs it": generated register
    maps and vendored helpers are excluded and still imported, and a call into them that
    releases the BQL is a finding in the checked caller (crash15 #3). So the engine asks for
    the modules its code imports (`modules_for`) and reads those, transitively, as context
    whose own findings are never reported; nothing else under an excluded folder is listed or
    read (a vendored tree of thousands of files costs a few `stat` calls per import).
    """

    def __init__(self, configs: Configurations | None = None) -> None:
        self._configs = configs
        # The points left out, by the name an import reaches them under (a folder's name, a
        # module's stem).
        self._by_name: dict[str, set[Path]] = {}
        self._found: dict[str, tuple[Path, ...]] = {}

    def add(self, path: Path) -> None:
        """Record a folder or `*.py` file the walk did not enter or yield."""
        name = path.parent.name if path.name == "__init__.py" else path.name.removesuffix(".py")
        self._by_name.setdefault(name, set()).add(path)

    def __bool__(self) -> bool:
        return bool(self._by_name)

    def modules_for(self, names: Iterable[str]) -> list[Path]:
        """Return the excluded files that imports of `names` (dotted, absolute) may load: the
        module and the packages between the excluded point and it, sorted."""
        found: set[Path] = set()
        for name in names:
            known = self._found.get(name)
            if known is None:
                known = self._found[name] = tuple(sorted(self._lookup(name)))
            found.update(known)
        return sorted(found)

    def _lookup(self, name: str) -> set[Path]:
        if not self._by_name or is_runtime_module(name):
            return set()
        parts = name.split(".")
        found: set[Path] = set()
        for j in range(1, len(parts) + 1):
            for point in self._by_name.get(parts[j - 1], ()):
                if point.suffix == ".py":  # a module (or a package's __init__.py) left out
                    folder = point.parent.parent if point.name == "__init__.py" else point.parent
                    if _ends_with(folder, parts[: j - 1]):
                        found.add(point)
                    continue
                if not _ends_with(point, parts[:j]):
                    continue
                # The folder is the package `parts[:j]`: its modules down to `name`.
                folder = point
                for k in range(j, len(parts) + 1):
                    if k > j:
                        found.add(folder / f"{parts[k - 1]}.py")
                        folder = folder / parts[k - 1]
                    found.add(folder / "__init__.py")
                    if k < len(parts) and not is_folder(folder / parts[k]):
                        found.add(folder / f"{parts[k]}.py")
                        break
        return {path for path in found if is_file(path) and self._readable(path)}

    def _readable(self, path: Path) -> bool:
        """Whether the configuration governing `path` loads (else it is left out, as the
        context walk leaves out the files under a broken configuration)."""
        return self._configs is None or self._configs.for_context(path.parent) is not None


def _ends_with(folder: Path, parts: Sequence[str]) -> bool:
    return not parts or (len(folder.parts) > len(parts) and list(folder.parts[-len(parts) :]) == list(parts))


@dataclass(frozen=True, slots=True)
class Discovered:
    """The files to report on and the project files read only for cross-module facts."""

    files: list[Path]
    context: list[Path] = field(default_factory=list)
    # The files named on the command line (a subset of `files`): always parsed by the engine.
    named: list[Path] = field(default_factory=list)
    # What a .gitignore kept out of the walk (for -v).
    ignored: list[Path] = field(default_factory=list)
    # Why some project files were not read as context (for stderr, once each).
    notes: list[str] = field(default_factory=list)
    # The ignore files (`.gitignore`, `.git/info/exclude`) the walk read.
    ignore_files: list[Path] = field(default_factory=list)
    # What the walks left out: the modules the run imports from there are read as context.
    excluded: ExcludedModules = field(default_factory=ExcludedModules)


# Without a configuration file or a git root, the project is only guessed (the package tree
# of the file's folder): read at most this many files of it as context, so that a file in
# `/`, `/tmp` or a home folder never turns into a walk of everything below it. The first
# files in walk order are read (the same ones in every run); README "Configuration".
GUESSED_CONTEXT_LIMIT = 1000


def find_git_root(start: Path) -> Path | None:
    """Return the nearest directory at or above `start` that holds `.git`, or None."""
    candidate = start if is_folder(start) else start.parent
    walked: list[Path] = []
    while candidate not in GIT_ROOTS:  # each folder looked at once per run (deep trees)
        walked.append(candidate)
        if exists(candidate / ".git"):
            found: Path | None = candidate
            break
        if candidate.parent == candidate:
            found = None
            break
        candidate = candidate.parent
    else:
        found = GIT_ROOTS[candidate]
    for folder in walked:
        GIT_ROOTS[folder] = found
    return found


def find_project_root(start: Path) -> Path:
    """Return where pyproject.toml / bqlint.toml is, else the top of the package tree."""
    directory = start if is_folder(start) else start.parent
    for candidate in (directory, *directory.parents):
        if _has_config(candidate):
            return candidate
    top = directory
    while is_file(top / "__init__.py") and top.parent != top:
        top = top.parent
    return top


def find_context_root(start: Path) -> Path:
    """Return the top of the project a named file belongs to, for reading its context.

    That is its project root (`find_project_root`), or the outermost folder above it that
    holds a bqlint configuration: a sub-folder's own configuration nests inside the project
    (SPEC §3.2, as in ruff), it does not cut the folder off from it. Not above the git root.
    With no configuration file at all, the git root is the project (a `.git` marks a
    project root, as `pyproject.toml` does); else the package tree of the file's folder.
    """
    root = find_project_root(start)
    git_root = find_git_root(root)
    if git_root is not None and not _has_config(root):
        return git_root  # no configuration file above: find_project_root found none
    for candidate in root.parents:
        if git_root is not None and candidate != git_root and git_root not in candidate.parents:
            break
        try:
            found = config_in(candidate) is not None
        except ConfigError:  # a pyproject.toml that is not TOML: broken like a bad key, its
            found = True  # files are left out of the context when it governs none checked
        if found:
            root = candidate
    return root


def _has_config(directory: Path) -> bool:
    return is_file(directory / "pyproject.toml") or is_file(directory / "bqlint.toml")


class GitIgnores:
    """The `.gitignore` files that apply to a path, from its git root (or `top`) down."""

    def __init__(
        self,
        top: Path,
        named: Path | None = None,
        read: list[Path] | None = None,
        unreadable: dict[Path, str] | None = None,
    ) -> None:
        self.top = top
        # Every ignore file read, shared with the instances `below_named` makes.
        self.read: list[Path] = [] if read is None else read
        # A directory named on the command line: patterns above it that match it are not applied.
        self.named = named
        self._specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}
        self._git_roots: dict[Path, Path] = {}
        self._chains: dict[Path, list[Path]] = {}
        self.ignored: list[Path] = []
        # Ignore files that exist but cannot be read (not a regular file, no permission).
        self.unreadable: dict[Path, str] = {} if unreadable is None else unreadable

    def below_named(self, directory: Path) -> GitIgnores:
        """Return the ignores for walking `directory`, named on the command line.

        As in ruff, a folder named explicitly is checked even when an ignore file above it
        excludes it: the patterns that match the folder itself are dropped; every other
        pattern, above or inside it, still filters what is found inside.
        """
        return GitIgnores(self.top, named=directory, read=self.read, unreadable=self.unreadable)

    def _spec(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        if directory not in self._specs:
            lines: list[str] = []
            for name in (".gitignore", ".git/info/exclude"):
                path = directory / name
                try:
                    data = read_source_bytes(path)  # a regular file only: a FIFO never blocks the run
                except UnreadableSource as problem:
                    if exists(path):
                        self.unreadable.setdefault(path, str(problem))
                    continue
                # As the paths are (os.fsdecode): a name byte that is not UTF-8 is the same
                # surrogate escape in both, so `caf\xe9.py` matches (crash13 #06). git skips
                # a UTF-8 BOM at the start (dir.c, skip_utf8_bom).
                lines += os.fsdecode(data.removeprefix(codecs.BOM_UTF8)).splitlines()
                self.read.append(path)
            spec = glob_spec(lines) if lines else None
            if spec is not None and self.named is not None and directory in self.named.parents:
                itself = self.named.relative_to(directory).as_posix() + "/"
                spec = pathspec.GitIgnoreSpec(p for p in spec.patterns if not p.match_file(itself))
            self._specs[directory] = spec
        return self._specs[directory]

    def is_ignored(self, path: Path, *, is_dir: bool = False) -> bool:
        """Return whether git would ignore `path`; the deepest `.gitignore` that matches decides."""
        for directory in self._folders_up(path.parent):
            spec = self._spec(directory)
            if spec is not None:
                relative = path.relative_to(directory).as_posix() + ("/" if is_dir else "")
                result = spec.check_file(relative)
                if result.include is not None:
                    if result.include:
                        self.ignored.append(path)
                    return bool(result.include)
        return False

    def _folders_up(self, folder: Path) -> list[Path]:
        """Return the folders whose ignore files apply in `folder`: it and those above, up to
        its git root (or `top`), deepest first; found once per folder."""
        known = self._chains.get(folder)
        if known is not None:
            return known
        if folder not in self._git_roots:
            self._git_roots[folder] = find_git_root(folder) or self.top
        git_root = self._git_roots[folder]
        if folder == git_root or folder.parent == folder or not folder.is_relative_to(git_root):
            self._chains[folder] = [folder]
            return self._chains[folder]
        # The folders between share its git root: each chain is its folder then its parent's
        # (linear in the depth, where testing every ancestor at every level was cubic).
        pending = [folder]
        directory = folder.parent
        while directory not in self._chains and directory != git_root and directory.parent != directory:
            self._git_roots[directory] = git_root
            pending.append(directory)
            directory = directory.parent
        if directory not in self._chains:
            self._git_roots[directory] = git_root
            self._chains[directory] = [directory]
        chain = self._chains[directory]
        for below in reversed(pending):
            chain = [below, *chain]
            self._chains[below] = chain
        return chain


def _walk(
    directory: Path,
    settings: ExcludeRules,
    ignores: GitIgnores,
    *,
    named: bool = False,
    packages_only: bool = False,
    unreadable: dict[Path, str] | None = None,
    left_out: ExcludedModules | None = None,
) -> Iterable[Path]:
    """Yield the `*.py` files below `directory` that are neither excluded nor git-ignored.

    A directory named on the command line that is itself excluded is still walked (unless
    --force-exclude): patterns are then matched relative to it, so only nested ones apply.
    With `packages_only`, only folders holding `__init__.py` are entered. Folders that
    would be entered but cannot be listed go into `unreadable`, with the reason; the folders
    and `*.py` files excluded or git-ignored go into `left_out`, not entered.
    """
    base = directory if named and _is_skipped(directory, settings, ignores, is_dir=True) else None
    if named and base is not None:
        ignores = ignores.below_named(directory)
    for current, dirnames, filenames in _folders(directory, {} if unreadable is None else unreadable):
        here = Path(current)
        kept: list[str] = []
        for name in sorted(dirnames):
            folder = here / name
            if settings.is_excluded(folder, is_dir=True, base=base) or ignores.is_ignored(
                folder, is_dir=True
            ):
                if left_out is not None:
                    left_out.add(folder)
            elif not packages_only or is_file(folder / "__init__.py"):
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            if name.endswith(".py"):
                if not settings.is_excluded(path, base=base) and not ignores.is_ignored(path):
                    yield path
                elif left_out is not None:
                    left_out.add(path)


def _folders(directory: Path, unreadable: dict[Path, str]) -> Iterable[tuple[str, list[str], list[str]]]:
    """Walk `directory` as `os.walk` does (top down, symlinked folders not entered); the
    folders kept in `dirnames` that cannot be listed go into `unreadable` (crash7 #3).

    Where the system has it, folders are listed relative to their parent's descriptor
    (`os.fwalk`), so a folder whose absolute path is longer than the system accepts
    (PATH_MAX) is still listed: its files are then reported as unreadable (BQL998), not
    silently left out of the run.
    """
    if not (os.open in os.supports_dir_fd and os.scandir in os.supports_fd):
        yield from os.walk(directory, onerror=lambda exc: _note_unreadable(unreadable, Path(str(exc.filename)), exc))
        return
    try:
        # Opened here, so that a symlink named as the folder is walked as os.walk walks it.
        top = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        _note_unreadable(unreadable, directory, exc)
        return
    try:
        for current, dirnames, filenames, fd in os.fwalk(".", dir_fd=top):
            here = str(directory) if current == "." else os.path.join(directory, current[2:])
            yield here, dirnames, filenames
            # fwalk skips a folder it cannot open without a word: try each one it will enter.
            for name in dirnames:
                try:
                    os.close(os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd))
                except OSError as exc:
                    if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):  # a link, or gone
                        _note_unreadable(unreadable, Path(here) / name, exc)
    except OSError as exc:  # the folder itself can be opened but not searched (no `x`)
        _note_unreadable(unreadable, directory, exc)
    finally:
        os.close(top)


def _note_unreadable(unreadable: dict[Path, str], folder: Path, exc: OSError) -> None:
    reason = exc.strerror or type(exc).__name__
    unreadable.setdefault(folder, reason[:1].lower() + reason[1:])


def _is_skipped(path: Path, settings: ExcludeRules, ignores: GitIgnores, *, is_dir: bool = False) -> bool:
    """Return whether `path` or one of its directories (below the root) is excluded or git-ignored."""
    if settings.is_excluded(path, is_dir=is_dir) or ignores.is_ignored(path, is_dir=is_dir):
        return True
    for parent in path.parents:
        if parent == settings.root or settings.root not in parent.parents:
            break
        if settings.is_excluded(parent, is_dir=True) or ignores.is_ignored(parent, is_dir=True):
            return True
    return False


@on_deep_stack  # os.fwalk recurses once per folder level: trees deeper than the recursion limit
def discover(
    paths: Sequence[Path],
    settings: ExcludeRules,
    *,
    force_exclude: bool = False,
    stdin_name: Path | None = None,
) -> Discovered:
    """Return the absolute, sorted, de-duplicated files to check, and their context files.

    A directory is walked; a named file is checked as given unless `force_exclude` and it is
    excluded. Context is computed only when single files (or `stdin_name`) are named.
    """
    forget_folders()  # what the file system said before this run may have changed
    ignores = GitIgnores(settings.root)
    files: set[Path] = set()
    named_files: list[Path] = []
    unreadable: dict[Path, str] = {}
    left_out = ExcludedModules(settings if isinstance(settings, Configurations) else None)
    for raw in paths:
        path = Path(os.path.abspath(raw))
        if is_folder(path):
            if force_exclude and path != settings.root and _is_skipped(path, settings, ignores, is_dir=True):
                continue
            files.update(_walk(path, settings, ignores, named=True, unreadable=unreadable, left_out=left_out))
        else:
            if force_exclude and _is_skipped(path, settings, ignores):
                continue
            files.add(path)
            named_files.append(path)
    if stdin_name is not None:
        named_files.append(Path(os.path.abspath(stdin_name)))
    context: set[Path] = set()
    notes = [f"{folder}: cannot read this folder ({why}); its files were not checked" for folder, why in sorted(unreadable.items())]
    if named_files:
        if isinstance(settings, Configurations):
            for path in named_files:
                settings.for_path(path)  # a broken configuration of a given file is an error
        rules = _ContextRules(settings) if isinstance(settings, Configurations) else settings
        unread: dict[Path, str] = {}
        for root in sorted({find_context_root(path) for path in named_files}):
            if os.path.lexists(root):  # a named file in a missing folder (BQL998) has none
                context.update(_context_of(root, rules, ignores, notes, unread, left_out))
        notes += (
            f"{folder}: cannot read this folder ({why}); its files were not read as context"
            for folder, why in sorted(unread.items())
            if folder not in unreadable
        )
        context -= files
        context -= set(named_files)
    if isinstance(settings, Configurations):
        notes += settings.unread_context.values()
    notes += (
        f"{path}: cannot read this ignore file ({why.removeprefix('cannot read this file: ')}); "
        "its patterns were not applied"
        for path, why in sorted(ignores.unreadable.items())
    )
    named = sorted({p for p in named_files if p in files})
    return Discovered(
        sorted(files),
        sorted(context),
        named,
        sorted(set(ignores.ignored)),
        notes,
        sorted(set(ignores.read)),
        left_out,
    )


def _context_of(
    root: Path,
    rules: ExcludeRules,
    ignores: GitIgnores,
    notes: list[str],
    unreadable: dict[Path, str],
    left_out: ExcludedModules,
) -> list[Path]:
    """Return the files of the project at `root`; a guessed project (no configuration file,
    no git root) is its package tree, read up to GUESSED_CONTEXT_LIMIT files."""
    if _has_config(root) or exists(root / ".git"):
        return list(_walk(root, rules, ignores, unreadable=unreadable, left_out=left_out))
    found: list[Path] = []
    for path in _walk(root, rules, ignores, packages_only=True, unreadable=unreadable, left_out=left_out):
        if len(found) == GUESSED_CONTEXT_LIMIT:
            notes.append(
                f"{root}: no pyproject.toml, bqlint.toml or .git marks the project; only the first "
                f"{GUESSED_CONTEXT_LIMIT} files of its package tree were read as context"
            )
            break
        found.append(path)
    return found


class _ContextRules:
    """The exclusion rules of a context walk: a file under a configuration that cannot be
    loaded is left out (`Configurations.for_context`), not an error."""

    def __init__(self, configs: Configurations) -> None:
        self.configs = configs

    @property
    def root(self) -> Path:
        return self.configs.root

    def is_excluded(self, path: Path, *, is_dir: bool = False, base: Path | None = None) -> bool:
        return self.configs.is_unread_context(path, is_dir=is_dir, base=base)
