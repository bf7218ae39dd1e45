"""Diagnostics as plain frozen data: what every rule yields and every renderer reads.

Rows and columns are 1-based and spans end-exclusive everywhere (SPEC §3.2); the one
place libcst's 0-based columns become 1-based is `bqlint.source`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

# Findings that mean the file was not analysed (unreadable, or not valid Python): such a
# file is never written by a fix, and no suppression in it is reported unused.
NOT_ANALYSED_CODES = frozenset({"BQL998", "BQL999"})


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A 1-based (row, column) position; the column counts characters."""

    row: int
    column: int


@dataclass(frozen=True, slots=True)
class Span:
    """A range of one file, `end` exclusive."""

    path: Path
    start: Position
    end: Position


@dataclass(frozen=True, slots=True)
class Related:
    """A labelled related location ("mutable borrow of `self.regs` starts here")."""

    message: str
    span: Span


class Applicability(enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the text between `start` and `end` (end exclusive) by `content`."""

    content: str
    start: Position
    end: Position


@dataclass(frozen=True, slots=True)
class Fix:
    message: str
    applicability: Applicability
    edits: tuple[Edit, ...]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: a rule code at a primary span, with related spans in chain order."""

    code: str
    name: str
    message: str
    span: Span
    related: tuple[Related, ...] = ()
    help: str | None = None
    fix: Fix | None = None
    # The enclosing function's qualified name ("Dev.write"), used by baseline fingerprints.
    scope: str = field(default="", compare=False)

    @property
    def path(self) -> Path:
        return self.span.path

    def sort_key(self) -> tuple[str, int, int, str]:
        """Return the order SPEC §3.2 fixes: filename, row, column, code."""
        return (str(self.span.path), self.span.start.row, self.span.start.column, self.code)
