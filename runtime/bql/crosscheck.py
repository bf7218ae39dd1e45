"""The cross-check of ``pytest --bql-crosscheck``: run-time twins against bqlint's findings.

During a test session every twin error (`bql.twins`) is recorded as it is raised, caught
by the code under test or not. At the end, bqlint runs in process over the files the
errors point into, with their project's configuration, and each error is matched with a
finding of the same rule at the same path and row (SPEC §2.3.1). A miss is a static
false negative: it is printed with what is needed to reproduce it.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

from .errors import BqlError
from .twins import is_runtime_code, on_twin

__all__ = ["Crosscheck", "RuntimeTwin", "static_findings"]

Finding = tuple[str, str, int]
"""A (rule, absolute path, row) triple, for twins and for bqlint's findings alike."""


@dataclass(frozen=True, slots=True)
class RuntimeTwin:
    """One twin error seen at run time: where, in which test, and the chain of calls."""

    rule: str
    path: str
    row: int
    test: str
    message: str
    chain: tuple[str, ...] = ()

    @property
    def key(self) -> Finding:
        return (self.rule, self.path, self.row)

    @property
    def checkable(self) -> bool:
        """Whether the code is in a file bqlint can read (not a doctest or exec string)."""
        return os.path.isfile(self.path)


def _chain(frame: FrameType | None, limit: int = 12) -> tuple[str, ...]:
    """Return the calls that led to `frame`, outermost first, without runtime or pytest code."""
    calls: list[str] = []
    while frame is not None and len(calls) < limit:
        code = frame.f_code
        filename = code.co_filename
        if not is_runtime_code(code) and not _is_tooling(filename):
            calls.append(f"{filename}:{frame.f_lineno} in {code.co_name}")
        frame = frame.f_back
    return tuple(reversed(calls))


_TOOLING = tuple(f"{os.sep}{name}{os.sep}" for name in ("_pytest", "pytest", "pluggy", "threading.py"))


def _is_tooling(filename: str) -> bool:
    """Return whether `filename` is test-runner or interpreter plumbing, not the user's code."""
    return filename.startswith("<frozen") or any(part in filename for part in _TOOLING)


@dataclass
class Crosscheck:
    """Records twins during a session and matches them with bqlint's findings after it."""

    test: str = "<session>"
    twins: list[RuntimeTwin] = field(default_factory=list)
    findings: set[Finding] = field(default_factory=set)
    _undo: list[object] = field(default_factory=list)

    def start(self) -> None:
        """Begin recording every twin error raised from now on."""
        self._undo.append(on_twin(self.record))

    def stop(self) -> None:
        """Stop recording."""
        for undo in self._undo:
            undo()  # type: ignore[operator]
        self._undo.clear()

    def record(self, error: BqlError, frame: FrameType | None) -> None:
        """Record one twin error (called by the runtime as the error is made)."""
        if error.rule is None or error.path is None or error.row is None:
            return
        message = str(error.args[0]) if error.args else ""
        twin = RuntimeTwin(error.rule, error.path, error.row, self.test, message, _chain(frame))
        # No lock: `list.append` is atomic, and a lock taken here could be left held by a
        # Ctrl-C landing in this call, blocking every later twin of the session.
        self.twins.append(twin)

    def analyse(self) -> None:
        """Run bqlint over every file a twin points into (or passed through)."""
        files = {t.path for t in self.twins if t.checkable}
        for twin in self.twins:
            files.update(c.rsplit(":", 2)[0] for c in twin.chain)
        self.findings = static_findings(sorted(p for p in files if os.path.isfile(p)))

    def is_caught(self, twin: RuntimeTwin) -> bool:
        return twin.key in self.findings

    @property
    def misses(self) -> list[RuntimeTwin]:
        return [t for t in self.twins if not self.is_caught(t)]

    def report(self) -> dict[str, list[dict[str, object]]]:
        """Return the JSON report of SPEC §2.3.1."""
        confirmed = sorted({t.key for t in self.twins if self.is_caught(t)}, key=lambda k: (k[1], k[2], k[0]))
        return {
            "runtime_errors": [
                {"rule": t.rule, "path": t.path, "row": t.row, "test": t.test, "caught": self.is_caught(t)}
                for t in self.twins
            ],
            "confirmed": [{"rule": rule, "path": path, "row": row} for rule, path, row in confirmed],
        }

    def table(self, reproducers: int | None = None) -> list[str]:
        """Return the terminal report: one line per distinct twin, then the reproducers.

        `reproducers` caps how many misses are spelled out (None: all of them).
        """
        lines: list[str] = []
        seen: dict[Finding, list[RuntimeTwin]] = {}
        for twin in self.twins:
            seen.setdefault(twin.key, []).append(twin)
        caught = sum(1 for key in seen if key in self.findings)
        lines.append(
            f"{len(self.twins)} run-time BQL errors at {len(seen)} locations: "
            f"{caught} caught statically, {len(seen) - caught} missed"
        )
        for (rule, path, row), twins in sorted(seen.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
            mark = "✓ caught statically" if (rule, path, row) in self.findings else "✗ missed"
            if not twins[0].checkable:
                mark = "✗ missed (no source file: doctest or exec)"
            times = f" ({len(twins)}x)" if len(twins) > 1 else ""
            lines.append(f"  {mark:22} {rule} {_short(path)}:{row}{times}  [{twins[0].test}]")
        confirmed = sorted(k for k in seen if k in self.findings)
        if confirmed:
            lines.append(f"bqlint findings confirmed at run time: {len(confirmed)}")
            lines.extend(f"  {rule} {_short(path)}:{row}" for rule, path, row in confirmed)
        missed = [twins[0] for key, twins in seen.items() if key not in self.findings and twins[0].checkable]
        for twin in missed[:reproducers]:
            lines.extend(reproducer(twin))
        if reproducers is not None and len(missed) > reproducers:
            lines.append(f"... and {len(missed) - reproducers} more misses: run with -v to see every reproducer")
        return lines


def reproducer(twin: RuntimeTwin) -> list[str]:
    """Return a minimal reproducer for a twin bqlint missed: file, call chain, command."""
    lines = [
        f"bqlint missed {twin.rule} at {twin.path}:{twin.row} (raised in {twin.test}):",
        f"  {twin.message}",
        f"  device file: {twin.path}",
        "  call chain:",
    ]
    lines.extend(f"    {call}" for call in twin.chain)
    lines.append(f"  rerun: bqlint check --select {twin.rule} {shlex.quote(twin.path)}")
    return lines


def _short(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith(os.pardir) else relative


def static_findings(paths: Sequence[str]) -> set[Finding]:
    """Run bqlint in process over `paths` and return its findings as (rule, path, row).

    Each file is checked with the configuration of its project (found as the CLI finds
    it), every rule selected, no per-file ignores and no suppression comments applied: the
    question is what the analysis sees, not what a project chose to hide. The project's
    other files are read for cross-module facts, as for `bqlint check FILE`.
    """
    from bqlint import engine
    from bqlint.config import find_config, load_settings
    from bqlint.discovery import discover, find_project_root

    found: set[Finding] = set()
    for config, files in _by_project(paths, find_config).items():
        start = files[0]
        settings = load_settings(start.parent, config_file=config, default_root=find_project_root(start))
        settings = replace(
            settings, select=frozenset(), ignore=frozenset(), per_file_ignores=(), honour_suppressions=False
        )
        discovered = discover(files, settings)
        report = engine.run(settings, discovered.files, context=discovered.context)
        found.update((d.code, str(d.path), d.span.start.row) for d in report.diagnostics)
    return found


def _by_project(paths: Iterable[str], find_config: object) -> dict[Path | None, list[Path]]:
    groups: dict[Path | None, list[Path]] = {}
    for raw in paths:
        path = Path(raw)
        groups.setdefault(find_config(path), []).append(path)  # type: ignore[operator]
    return groups
