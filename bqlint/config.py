"""[tool.bqlint] / bqlint.toml → one frozen Settings; every key is validated here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs to know from configuration and the command line."""

    root: Path = field(default_factory=Path.cwd)
    # Rule selection, already resolved to codes (prefixes expanded, e.g. "BQL00" -> BQL001..BQL007).
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    # Semantic configuration (SPEC §3.1.1): dotted names, or bare method names for init-methods.
    device_bases: tuple[str, ...] = ()
    cell_types: tuple[str, ...] = ()
    unlock_points: tuple[str, ...] = ()
    init_methods: tuple[str, ...] = ()

    def is_enabled(self, code: str, path: Path) -> bool:
        """Return whether `code` is reported for `path` (placeholder until config lands)."""
        if self.select and code not in self.select:
            return False
        return code not in self.ignore
