"""The rule registry: one module per rule, ordered by code.

A rule module's docstring is its documentation (`bqlint explain`, SARIF help); its class
carries the code, the kebab-case name, a one-line summary and the fix applicability.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from bqlint import REPOSITORY_URL
from bqlint.diagnostics import Applicability

if TYPE_CHECKING:
    from bqlint.rules.context import Finding, RuleContext


class Rule:
    """Base of every rule. Subclasses set the class attributes and implement `check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    fix: ClassVar[Applicability | None] = None

    @classmethod
    def doc(cls) -> str:
        """Return the rule's documentation: its module docstring."""
        return (sys.modules[cls.__module__].__doc__ or "").strip() + "\n"

    @classmethod
    def url(cls) -> str:
        """Return the rule's page: docs/rules/CODE.md, generated from `doc()` (bqlint.rule_docs)."""
        return f"{REPOSITORY_URL}/blob/main/docs/rules/{cls.code}.md"

    def check(self, ctx: RuleContext) -> Iterator[Finding]:
        """Yield the rule's findings in one analysed module."""
        return iter(())


def all_rules() -> tuple[type[Rule], ...]:
    """Return every rule class, ordered by code."""
    from bqlint.rules import (
        borrow_across_unlock,
        borrow_escape,
        cell_access_without_bql,
        cell_rebinding,
        conflicting_borrow,
        field_mutation_outside_cell,
        io_error,
        syntax_error,
        unused_suppression,
        write_through_shared_borrow,
    )

    rules: list[type[Rule]] = [
        field_mutation_outside_cell.FieldMutationOutsideCell,
        borrow_across_unlock.BorrowAcrossUnlock,
        conflicting_borrow.ConflictingBorrow,
        write_through_shared_borrow.WriteThroughSharedBorrow,
        borrow_escape.BorrowEscape,
        cell_access_without_bql.CellAccessWithoutBql,
        cell_rebinding.CellRebinding,
        unused_suppression.UnusedSuppression,
        io_error.IoError,
        syntax_error.SyntaxError_,
    ]
    return tuple(rules)


def rule_by_code(code: str) -> type[Rule] | None:
    """Return the rule class for `code`, or None."""
    for rule in all_rules():
        if rule.code == code:
            return rule
    return None
