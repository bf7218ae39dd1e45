"""Which files to parse, and which of them can affect each other, from per-file facts alone.

The relevance closure: seeds mention the runtime or a configured name (and compile); a
module that imports a relevant module is relevant; every module a parsed module imports is
parsed too (helpers, register classes). The parsed modules are then split into groups that can be analysed apart:
the connected components of the import graph, where an import of `a.b` links to the modules
named `a`, `a.b` and `a.b.*` (and namespace-package files whose path ends so). Everything the
analysis resolves across modules — callees, base classes and their overrides in subclasses,
annotated parameters, handlers, thread targets, star imports — is reached through such a
name, so a group's findings depend only on its members' text and the configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bqlint.facts import FileFacts
from bqlint.model.api import is_runtime_module


@dataclass(frozen=True, slots=True)
class ModuleRef:
    """A file as the planner sees it: its module name, path and facts."""

    name: str
    path: Path
    is_package: bool
    facts: FileFacts
    found_as: tuple[str, ...] = ()  # names by the symlinks it was found by (ModuleInfo.found_as)


def imported_modules(
    index: int,
    modules: Sequence[ModuleRef],
    by_name: dict[str, list[int]],
    by_tail: dict[str, list[int]] | None = None,
) -> list[int]:
    """Return the modules that module `index` imports (the longest dotted prefix that is one).

    A prefix no module is named by may still be a namespace-package file whose path ends so
    (`by_tail`, PEP 420 without an import root), as the analysis resolves it.
    """
    module = modules[index]
    if is_runtime_module(module.name):
        return []
    found: list[int] = []
    for imported in module.facts.imports or ():
        parts = imported.split(".")
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            candidates = by_name.get(prefix) or (by_tail.get(prefix) if by_tail is not None else None)
            if candidates:
                found.extend(candidates)
                break
    return found


def _by_name(modules: Sequence[ModuleRef]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Return {name: indices} of `modules` by their names, and by the tails of their paths."""
    by_name: dict[str, list[int]] = {}
    by_tail: dict[str, list[int]] = {}
    longest = _longest_import(modules)
    for i, module in enumerate(modules):
        for name in (module.name, *module.found_as):
            by_name.setdefault(name, []).append(i)
        for alias in _aliases(module, longest)[1:]:
            by_tail.setdefault(alias, []).append(i)
    return by_name, by_tail


def imported_among(modules: Sequence[ModuleRef], candidates: Sequence[ModuleRef]) -> list[int]:
    """Return the indices of the `candidates` (files that could not be read) that one of
    `modules` imports, resolved as the run resolves imports with them in the project."""
    everything = [*modules, *candidates]
    by_name, by_tail = _by_name(everything)
    found = {t for i in range(len(modules)) for t in imported_modules(i, everything, by_name, by_tail)}
    return sorted(t - len(modules) for t in found if t >= len(modules))


def parsed_modules(modules: Sequence[ModuleRef]) -> list[int]:
    """Return the indices of the modules to parse with libcst, in input order."""
    by_name, by_tail = _by_name(modules)
    imports = [imported_modules(i, modules, by_name, by_tail) for i in range(len(modules))]
    importers: list[list[int]] = [[] for _ in modules]
    for i, targets in enumerate(imports):
        for target in targets:
            importers[target].append(i)
    # A file Python cannot compile cannot be imported: it makes none of its importers relevant.
    relevant = {i for i, m in enumerate(modules) if m.facts.seed}
    work = list(relevant)
    while work:
        current = work.pop()
        if is_runtime_module(modules[current].name):
            continue  # importing the runtime makes nothing relevant: seeds mention it anyway
        for importer in importers[current]:
            if importer not in relevant:
                relevant.add(importer)
                work.append(importer)
    parsed = set(relevant)
    work = list(relevant)
    while work:
        for target in imports[work.pop()]:
            if target not in parsed:
                parsed.add(target)
                work.append(target)
    return sorted(parsed)


def analysis_groups(modules: Sequence[ModuleRef], parsed: Sequence[int]) -> list[list[int]]:
    """Split `parsed` into groups that cannot affect each other's findings (each in input order).

    Groups are ordered by their first member; a module named like the runtime is resolved by
    no one (the analysis treats those names as external), so importing `bql` links nothing.
    """
    exact: dict[str, list[int]] = {}
    under: dict[str, list[int]] = {}
    longest = _longest_import([modules[i] for i in parsed])
    for i in parsed:
        for alias in _aliases(modules[i], longest):
            exact.setdefault(alias, []).append(i)
            parts = alias.split(".", longest)  # `under` is looked up by imported names only
            for k in range(1, min(len(parts), longest + 1)):
                under.setdefault(".".join(parts[:k]), []).append(i)
    parent = {i: i for i in parsed}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in parsed:
        for imported in modules[i].facts.imports or ():
            for j in _candidates(imported, exact, under):
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in parsed:
        groups.setdefault(find(i), []).append(i)
    return [groups[key] for key in sorted(groups)]


def _aliases(module: ModuleRef, longest: int) -> list[str]:
    """Return the module's name and the dotted tails of its path (namespace packages, PEP 420)
    of at most `longest` parts: an import of no more parts can name no longer tail."""
    names = [module.name, *module.found_as]
    if module.path.name != "__init__.py" and module.path.name:
        parts = module.path.with_suffix("").parts
        names.extend(".".join(parts[-k:]) for k in range(2, min(len(parts), longest + 1)))
    return names


def _longest_import(modules: Sequence[ModuleRef]) -> int:
    """Return the most parts an import of `modules` has (`a.b.c`: 3)."""
    return max((name.count(".") + 1 for m in modules for name in m.facts.imports or ()), default=0)


def _candidates(imported: str, exact: dict[str, list[int]], under: dict[str, list[int]]) -> list[int]:
    """Return the modules an import of `imported` may resolve into, or reach by attribute."""
    if is_runtime_module(imported):
        return []
    parts = imported.split(".")
    found: list[int] = []
    for k in range(1, len(parts) + 1):
        prefix = ".".join(parts[:k])
        if not is_runtime_module(prefix):
            found.extend(exact.get(prefix, ()))
    found.extend(under.get(imported, ()))
    return found
