"""A module of a run as plain data, and the dotted names its path gives it.

Kept apart from bqlint.model.project (import tables, resolution over libcst trees) so that a
run that parses nothing never imports libcst; re-exported there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bqlint.model.api import is_runtime_module
from bqlint.paths import is_file, is_package_folder
from bqlint.source_file import SourceFile


@dataclass(eq=False)
class ModuleInfo:
    name: str
    root: Path
    source: SourceFile
    is_package: bool
    # name -> ("import", dotted target) | ("def", node) | ("class", node) | ("alias", expr)
    # ("unknown", None): bound by a form whose value is not followed (`for x in ...`).
    symbols: dict[str, tuple[str, object]] = field(default_factory=dict)
    # Where (statement order) the binding each `symbols` entry records is.
    bound_at: dict[str, int] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    star_at: list[int] = field(default_factory=list)  # where each star import is
    # A literal `__all__` (what `from <module> import *` binds), else None.
    all_names: tuple[str, ...] | None = None
    # `try: from .fast import f` / `except ImportError: from .slow import f` (or `def f`):
    # name -> (the try's target, the handler's binding as a `symbols` entry), the handler's
    # used when the try's names nothing of the checked files or the runtime.
    fallbacks: dict[str, tuple[str, tuple[str, object]]] = field(default_factory=dict)
    # A module-level class that rebinds its own name (`class A(A):`) -> the binding its bases
    # see: Python evaluates them before the name is bound again.
    earlier: dict[int, tuple[str, object]] = field(default_factory=dict)
    imported_modules: set[str] = field(default_factory=set)
    # Names from other paths the file was found or named by (a symlink `helper.py` to
    # `shared/h.py`): Python imports the file under those names too.
    found_as: tuple[str, ...] = ()
    _names: tuple[str, ...] | None = None

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]

    def names(self) -> tuple[str, ...]:
        """Return every dotted name this module is importable as, its own name first."""
        if self._names is None:
            others = (*module_names_for(self.source.path), *self.found_as)
            self._names = tuple(dict.fromkeys((self.name, *others)))
        return self._names

    def qualified(self, qname: str) -> tuple[str, ...]:
        """Return `qname` (of something defined here) under each name of this module."""
        rest = qname[len(self.name) :] if qname.startswith(self.name) else ""
        return tuple(f"{name}{rest}" for name in self.names()) if rest or qname == self.name else (qname,)


def module_name_for(path: Path) -> tuple[str, Path]:
    """Return (dotted module name, package root) of a file.

    In a regular package the name comes from its `__init__.py` parents. A module whose folder
    has no `__init__.py` below the import root is in a namespace package (PEP 420): its name
    is its path from the import root (SPEC §3.1.2 "Names are Python's").
    """
    name, folder = _package_name(path)
    if not is_package_folder(path.parent):
        root = import_root(path.parent)
        if root is not None and root != path.parent and root in path.parents:
            dotted = _path_name(path, root)
            if not is_runtime_module(dotted):  # the installed `bql` wins over a namespace folder
                return dotted, root
    return name, folder


def names_found_as(paths: Iterable[Path]) -> tuple[str, ...]:
    """Return the module names a file has by the other paths it was found by (symlinks to it)."""
    return tuple(dict.fromkeys(name for path in sorted(paths) for name in module_names_for(path)))


def module_names_for(path: Path) -> tuple[str, ...]:
    """Return the names a file is importable as: from its packages and from the import root."""
    names = [module_name_for(path)[0], _package_name(path)[0]]
    root = import_root(path.parent)
    if root is not None and root in path.parents and not is_runtime_module(_path_name(path, root)):
        names.append(_path_name(path, root))
    return tuple(dict.fromkeys(names))


def _package_name(path: Path) -> tuple[str, Path]:
    parts = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while is_package_folder(folder) and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) or path.stem, folder


def _path_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts) or path.stem


@lru_cache(maxsize=4096)
def import_root(folder: Path) -> Path | None:
    """Return the import root above `folder`: the nearest folder holding pyproject.toml or
    bqlint.toml, or its `src/` when `folder` is below that."""
    for candidate in (folder, *folder.parents):
        if is_file(candidate / "pyproject.toml") or is_file(candidate / "bqlint.toml"):
            src = candidate / "src"
            return src if src == folder or src in folder.parents else candidate
    return None
