"""The patterns of one Settings, compiled once: `exclude` + `extend-exclude`, and
`per-file-ignores` with the codes each file's path drops.

Every finding asks whether its code is ignored for its file (and every unused suppression
asks why); compiling the globs per question cost patterns x findings, and a cache of
single patterns smaller than the pattern list missed on every call (crash14 #1: 300
patterns, 1,500 findings, 30 s). Here each pattern is compiled once per Settings and the
codes a relative path drops are remembered per path.

A `per-file-ignores` key that starts with `!` applies, as in ruff, to every file that does
NOT match the rest of the key (crash14 #11); gitignore would read a lone negation as
matching nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pathspec

from bqlint.patterns import glob_spec, is_anchored, pattern_spec

# Per-path answers kept (a long-lived language server sees ever more paths); beyond this the
# memo starts over, which costs one recompute per path, never a wrong answer.
_MEMO_LIMIT = 65536


class FilePatterns:
    """Compiled `exclude` and `per-file-ignores` patterns (built lazily, on first use)."""

    __slots__ = ("_excludes", "_ignores", "_exclude_spec", "_name_spec", "_ignore_specs", "_dropped")

    def __init__(self, excludes: Sequence[str], ignores: Sequence[tuple[str, frozenset[str]]]) -> None:
        self._excludes = tuple(excludes)
        self._ignores = tuple(ignores)
        self._exclude_spec: pathspec.GitIgnoreSpec | None = None
        self._name_spec: pathspec.GitIgnoreSpec | None = None
        self._ignore_specs: tuple[tuple[pathspec.GitIgnoreSpec, bool, frozenset[str]], ...] | None = None
        self._dropped: dict[str, frozenset[str]] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to a worker as its patterns: it compiles them again there.
        return (FilePatterns, (self._excludes, self._ignores))

    def is_excluded(self, relative: str) -> bool:
        """Return whether `relative` (POSIX, `/`-terminated for a folder) is excluded."""
        if self._exclude_spec is None:
            self._exclude_spec = glob_spec(self._excludes)
        return self._exclude_spec.match_file(relative)

    def name_is_excluded(self, name: str) -> bool:
        """Return whether a file or folder (`/`-terminated) outside the project is excluded
        by its name: only a pattern that matches at any depth (`.venv`, not `/gen/`) can."""
        if self._name_spec is None:
            self._name_spec = glob_spec([p for p in self._excludes if not is_anchored(p)])
        return self._name_spec.match_file(name)

    def ignored_codes(self, relative: str) -> frozenset[str]:
        """Return the codes `per-file-ignores` drops for the file at POSIX path `relative`."""
        known = self._dropped.get(relative)
        if known is not None:
            return known
        if self._ignore_specs is None:
            self._ignore_specs = tuple(_compiled(pattern, codes) for pattern, codes in self._ignores)
        dropped = frozenset(
            code for spec, negated, codes in self._ignore_specs if spec.match_file(relative) != negated for code in codes
        )
        if len(self._dropped) >= _MEMO_LIMIT:
            self._dropped.clear()
        self._dropped[relative] = dropped
        return dropped


def _compiled(pattern: str, codes: frozenset[str]) -> tuple[pathspec.GitIgnoreSpec, bool, frozenset[str]]:
    # A key may hold several patterns, one a line: what rebasing a negated key through
    # `extend` gives (bqlint.config_tree), matched as one.
    negated = pattern.startswith("!")
    lines = (pattern[1:] if negated else pattern).split("\n")
    return (pattern_spec(lines[0]) if len(lines) == 1 else glob_spec(lines)), negated, codes
