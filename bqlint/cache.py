"""The persistent cache: per-file facts and per-group findings, keyed by content.

Layout under the cache directory (`.bqlint_cache/` at the project root, config `cache-dir`,
env `BQLINT_CACHE_DIR`): a `.gitignore` (`*`) and a `CACHEDIR.TAG`; per bqlint build a folder
with `facts.json` (one index of every file's facts) and `results/xx/<key>.json` (the findings
of one analysis group). Keys hash the bqlint build, the effective configuration, the
contents and paths relative to the project root, never an mtime, so an entry restored into
a checkout at another path or on another machine is still valid.
Every entry carries its key and a digest of its payload: a corrupt, truncated, foreign or
half-written entry is ignored (and rewritten), never trusted. Writes go through a temporary
file and `os.replace`, so concurrent runs leave only whole entries; old entries are pruned
when the cache outgrows `MAX_BYTES`.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from typing import Any

import bqlint
from bqlint.cache_files import linked_folder, read_regular
from bqlint.cache_folder import (
    ADOPTED_TAG,
    CREATED_TAG,
    build_entries,
    build_folders,
    is_cache_directory,
    only_bqlint_entries,
)
from bqlint.config import Settings
from bqlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Related, Span
from bqlint.discovery import find_git_root
from bqlint.facts import FileFacts

DIRECTORY_NAME = ".bqlint_cache"
ENV_VARIABLE = "BQLINT_CACHE_DIR"
FORMAT = 1
# Pruned down to 3/4 of this, oldest entries first, when a run that wrote entries finds more.
MAX_BYTES = 256 * 1024 * 1024
MAX_FACTS = 200_000
# No entry bqlint writes is bigger than the whole cache may grow: a bigger one is not read.
MAX_ENTRY_BYTES = MAX_BYTES


def cache_directory(settings: Settings) -> Path:
    """Return where the cache lives: env `BQLINT_CACHE_DIR`, else config `cache-dir`, else the root's."""
    from_env = os.environ.get(ENV_VARIABLE)
    if from_env:
        return _without_parent_steps(Path(from_env).absolute())
    configured = settings.cache_dir
    if configured is not None:
        return _without_parent_steps(configured if configured.is_absolute() else settings.root / configured)
    if settings.config_path is None:
        # No configuration: the defaults are rooted at the working directory (as ruff's), but
        # the project root, where the cache lives, is the folder of the nearest pyproject.toml
        # or bqlint.toml (one with no [tool.bqlint] too), not a source sub-folder.
        return _marked_root(settings.root) / DIRECTORY_NAME
    return settings.root / DIRECTORY_NAME


def _without_parent_steps(path: Path) -> Path:
    """`build/..` names the folder above `build`, wherever `build` exists or links to: the
    checks that keep the cache out of someone else's folder must see that folder (crash11 #1)."""
    return Path(os.path.realpath(path)) if ".." in path.parts else path


def _marked_root(start: Path) -> Path:
    """Return the nearest folder at or above `start` (below the filesystem root) that holds
    a pyproject.toml or bqlint.toml, else `start`."""
    for folder in (start, *start.parents):
        if folder.parent == folder:
            break
        if (folder / "pyproject.toml").is_file() or (folder / "bqlint.toml").is_file():
            return folder
    return start


def may_hold_cache(directory: Path, settings: Settings) -> bool:
    """Return whether a run may write its cache in `directory`.

    A folder named by `BQLINT_CACHE_DIR` or `cache-dir` may. The default one may not land in
    the filesystem root, nor, with no configuration file, beside a file that is in no
    project: no `pyproject.toml`/`bqlint.toml` and no `.git` at or above it, outside the
    working directory (a module in site-packages, `--stdin-filename /etc/x.py`). That
    folder is not the user's to write in; ruff keeps its cache in the working directory's
    project. Such a check runs uncached, and `bqlint clean PATH` still removes a cache that
    older versions wrote there (crash13 #15).
    """
    if os.environ.get(ENV_VARIABLE) or settings.cache_dir is not None:
        return True
    folder = directory.parent
    if folder.parent == folder:
        return False
    return settings.config_path is not None or _is_project(folder)


def _is_project(folder: Path) -> bool:
    """Return whether `folder` (the default cache's, with no configuration file) is in a
    project: it holds a pyproject.toml or bqlint.toml, or is in a git work tree, or is the
    working directory or below it."""
    if (folder / "pyproject.toml").is_file() or (folder / "bqlint.toml").is_file():
        return True
    if find_git_root(folder) is not None:
        return True
    try:
        cwd = Path.cwd()
    except OSError:  # the working directory was deleted: nothing is known to be the user's
        return False
    return folder == cwd or cwd in folder.parents


@lru_cache(maxsize=1)
def build_id() -> str:
    """Return the bqlint version and a digest of its own code: a changed analyzer is a new build."""
    digest = hashlib.sha256(bqlint.__version__.encode())
    package = Path(bqlint.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return f"{bqlint.__version__}-{digest.hexdigest()[:16]}"


def settings_key(settings: Settings) -> str:
    """Return a digest of everything in `settings` that can change a finding.

    Not the root: keys and entries name files relative to it, so that a cache restored into
    a checkout at another path (another CI runner, another machine) is still used.
    """
    fields = {
        f.name: _canonical(getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in ("root", "config_path", "exclude", "extend_exclude", "cache_dir") and f.init
    }
    return _digest(fields)


# What selects and suppresses findings, not what finds them: a group's cached findings are
# kept before selection (each file's own settings select them when a run reports them).
_REPORTING_FIELDS = ("select", "ignore", "per_file_ignores")


def analysis_key(settings: Settings) -> str:
    """Return a digest of everything in `settings` that can change what the analysis finds
    (`settings_key` without what only selects or suppresses findings)."""
    fields = {
        f.name: _canonical(getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.init
        and f.name not in ("root", "config_path", "exclude", "extend_exclude", "cache_dir", "extends", *_REPORTING_FIELDS)
    }
    return _digest(["analysis", fields])


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def facts_key(settings_digest: str, name: str, is_package: bool, content: str) -> str:
    return _digest(["facts", build_id(), settings_digest, name, is_package, content])


def group_key(settings_digest: str, members: Iterable[tuple[str, str, bool, str]]) -> str:
    """Key of one group's findings: every member's path (as `Cache.name_of`), module name,
    package flag and content."""
    return _digest(["group", build_id(), settings_digest, [[p, n, k, c] for p, n, k, c in members]])


class Cache:
    """One run's view of the cache directory: reads never fail, writes are atomic."""

    def __init__(self, directory: Path, root: Path | None = None) -> None:
        self.directory = directory
        # Paths under `root` are stored relative to it (see `settings_key`).
        self.root = root
        self.folder = directory / build_id()
        self._facts: dict[str, list[Any]] | None = None
        # Why the cache cannot be written in `directory` (someone else's folder), once known.
        self.problem: str | None = None
        self._used: dict[str, list[Any]] = {}
        self._facts_changed = False
        self._wrote = False

    # ---- facts: one index file ---------------------------------------------------------
    def facts(self, key: str) -> FileFacts | None:
        if self._facts is None:
            payload = self._read(self.folder / "facts.json", "facts")
            self._facts = payload if isinstance(payload, dict) else {}
        raw = self._facts.get(key)
        if raw is None:
            return None
        try:
            relevant, imports, error = raw
            facts = FileFacts(
                _bool(relevant),
                None if imports is None else tuple(_str(i) for i in imports),
                None if error is None else (_str(error[0]), _int(error[1]), _int(error[2])),
            )
        except (TypeError, ValueError, IndexError):
            return None
        self._used[key] = raw
        return facts

    def put_facts(self, key: str, facts: FileFacts) -> None:
        error = list(facts.syntax_error) if facts.syntax_error else None
        imports = None if facts.imports is None else list(facts.imports)
        self._used[key] = [facts.relevant, imports, error]
        self._facts_changed = True

    def name_of(self, path: Path) -> str:
        """Return how keys and entries name `path`: relative to the root when below it."""
        if self.root is not None and path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return str(path)

    def _path_of(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() or self.root is None else self.root / path

    # ---- findings: one file per group ----------------------------------------------------
    def results(self, key: str) -> list[Diagnostic] | None:
        path = self._result_path(key)
        payload = self._read(path, key)
        if not isinstance(payload, list):
            return None
        try:
            found = [_diagnostic(item, self._path_of) for item in payload]
        except (TypeError, ValueError, KeyError, IndexError):
            return None
        try:
            os.utime(path, follow_symlinks=False)  # recently used: pruned last
        except OSError:
            pass
        return found

    def put_results(self, key: str, diagnostics: list[Diagnostic]) -> None:
        self._write(self._result_path(key), key, [_plain(d, self.name_of) for d in diagnostics])

    def flush(self) -> None:
        """Write the facts index (entries used by this run first) and prune when too big."""
        if self._facts_changed:
            # Keep this run's entries, and as many older ones (another branch's files), so
            # the index stays about twice the project's size however often files change.
            merged = dict(self._used)
            limit = min(MAX_FACTS, 2 * len(self._used) + 1000)
            for key, raw in (self._facts or {}).items():  # most recently used first
                if len(merged) >= limit:
                    break
                merged.setdefault(key, raw)
            self._write(self.folder / "facts.json", "facts", merged)
        if self._wrote:
            prune(self.directory, MAX_BYTES)

    # ---- entries ---------------------------------------------------------------------------
    def _result_path(self, key: str) -> Path:
        return self.folder / "results" / key[:2] / f"{key}.json"

    def _read(self, path: Path, key: str) -> Any:
        """Return the payload of the entry at `path`, or None unless it is whole and ours
        (a regular file of bounded size, reached through no link inside the cache)."""
        data = read_regular(self.directory, path.relative_to(self.directory).parts, MAX_ENTRY_BYTES)
        if data is None:
            return None
        header_line, _, body = data.partition(b"\n")
        try:
            header = json.loads(header_line)
            if (
                not isinstance(header, dict)
                or header.get("format") != FORMAT
                or header.get("build") != build_id()
                or header.get("key") != key
                or header.get("digest") != hashlib.sha256(body).hexdigest()
            ):
                return None
            return json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None

    def _write(self, path: Path, key: str, payload: Any) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        header = {
            "format": FORMAT,
            "build": build_id(),
            "key": key,
            "digest": hashlib.sha256(body).hexdigest(),
        }
        try:
            self._prepare()
            if not self._real_folders(path.parent):
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            if not self._real_folders(path.parent):  # a link put there meanwhile
                return
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(json.dumps(header).encode() + b"\n" + body)
                os.chmod(temporary, 0o644)
                os.replace(temporary, path)
            except BaseException:
                _remove(Path(temporary))
                raise
        except OSError:
            return  # a read-only or full disk costs speed, never a result
        self._wrote = True

    def _real_folders(self, folder: Path) -> bool:
        """Return whether the folders from the cache down to `folder` are real ones (or not
        there yet). A symbolic link among them is not bqlint's: nothing is written through
        it (crash8 #8), and the run warns once; a file there is a damaged entry, skipped."""
        found = linked_folder(self.directory, folder)
        if found is None:
            return True
        if found.is_symlink() and self.problem is None:
            self.problem = (
                f"{found} is a symbolic link inside the bqlint cache; nothing was cached through it "
                "(remove the link)"
            )
        return False

    def _prepare(self) -> None:
        """Create the directory with its `.gitignore` and `CACHEDIR.TAG` on first write."""
        if is_cache_directory(self.directory):
            if not self._wrote:
                self._restore_gitignore()
            return
        if os.path.lexists(self.directory / "CACHEDIR.TAG"):
            # Another tool's cache (cargo's `target/`): never write into it.
            self.problem = f"{self.directory} holds another tool's CACHEDIR.TAG; the cache was not written"
            raise OSError(self.problem)
        if self.directory.is_dir() and any(self.directory.iterdir()) and not only_bqlint_entries(self.directory):
            # Someone else's folder (`cache-dir = "."`?): never write a `*` .gitignore into it.
            self.problem = (
                f"{self.directory} is not a bqlint cache (no CACHEDIR.TAG) and holds other files; "
                "the cache was not written (remove the folder, or set cache-dir)"
            )
            raise OSError(self.problem)
        # A folder that existed (an empty `build/`, a link to a shared folder, as ruff follows
        # one) is taken over, not owned: `clean` removes only bqlint's entries from it.
        try:
            _make_folder(self.directory, self.root)
            tag = CREATED_TAG
        except FileExistsError:
            tag = ADOPTED_TAG
        for name, text in ((".gitignore", "*\n"), ("CACHEDIR.TAG", tag)):
            target = self.directory / name
            if not target.exists():
                _put(target, text)

    def _restore_gitignore(self) -> None:
        """A cache's `.gitignore` that is gone or not a regular file (a FIFO, a link) is a
        damaged entry: it is written again, the link replaced, never followed (crash8 #3)."""
        target = self.directory / ".gitignore"
        try:
            if S_ISREG(os.lstat(target).st_mode):
                return
        except FileNotFoundError:
            pass
        except OSError:
            return
        try:
            _put(target, "*\n")
        except OSError:
            return  # a folder there, a read-only disk: the entries are still written


def _put(target: Path, text: str) -> None:
    """Write `text` to `target` whole (through a temporary file), replacing what is there."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        _remove(Path(temporary))
        raise


def _make_folder(directory: Path, root: Path | None) -> None:
    """Create `directory`; FileExistsError when it exists. Below the project root only the
    folders below the root are made, one at a time, never the root or a folder above it: a
    project deleted while the server had one of its files open stays deleted (a mkdir fails,
    and that check runs uncached)."""
    if root is None or not directory.is_relative_to(root):
        directory.mkdir(parents=True)
        return
    if not root.is_dir():
        raise FileNotFoundError(errno.ENOENT, "the project root does not exist", str(root))
    parts = directory.relative_to(root).parts
    for depth in range(1, len(parts)):
        try:
            root.joinpath(*parts[:depth]).mkdir()
        except FileExistsError:
            pass
    directory.mkdir()


def prune(directory: Path, limit: int) -> None:
    """Delete the least recently used entries (any build) until the cache is under 3/4 of
    `limit`; only bqlint's own entries count and go, never another file in the folder."""
    entries: list[tuple[float, int, Path]] = []
    for build in build_folders(directory):
        for path in build_entries(build):
            try:
                stat = path.lstat()
            except OSError:
                continue
            if S_ISREG(stat.st_mode):
                entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return
    entries.sort()
    for _, size, path in entries:
        if total <= limit * 3 // 4:
            break
        _remove(path)
        total -= size


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    """Return `value` as JSON data with a fixed order (sets sorted), for hashing."""
    if isinstance(value, (frozenset, set)):
        return sorted(_canonical(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# ---- diagnostics as JSON data ----------------------------------------------------------------
def _plain(d: Diagnostic, name_of: Callable[[Path], str]) -> list[Any]:
    fix = None
    if d.fix is not None:
        fix = [
            d.fix.message,
            d.fix.applicability.value,
            [[e.content, *_pos(e.start), *_pos(e.end)] for e in d.fix.edits],
        ]
    related = [[r.message, *_span(r.span, name_of)] for r in d.related]
    return [d.code, d.name, d.message, _span(d.span, name_of), related, d.help, fix, d.scope]


def _pos(p: Position) -> list[int]:
    return [p.row, p.column]


def _span(s: Span, name_of: Callable[[Path], str]) -> list[Any]:
    return [name_of(s.path), s.start.row, s.start.column, s.end.row, s.end.column]


def _diagnostic(item: Any, path_of: Callable[[str], Path]) -> Diagnostic:
    code, name, message, span, related, help_text, fix, scope = item
    plan = None
    if fix is not None:
        fix_message, applicability, edits = fix
        plan = Fix(
            _str(fix_message),
            Applicability(applicability),
            tuple(
                Edit(_str(c), Position(_int(r1), _int(c1)), Position(_int(r2), _int(c2)))
                for c, r1, c1, r2, c2 in edits
            ),
        )
    return Diagnostic(
        _str(code),
        _str(name),
        _str(message),
        _to_span(span, path_of),
        tuple(Related(_str(r[0]), _to_span(r[1:], path_of)) for r in related),
        None if help_text is None else _str(help_text),
        plan,
        _str(scope),
    )


def _to_span(raw: Any, path_of: Callable[[str], Path]) -> Span:
    path, r1, c1, r2, c2 = raw
    return Span(path_of(_str(path)), Position(_int(r1), _int(c1)), Position(_int(r2), _int(c2)))


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected a boolean")
    return value
