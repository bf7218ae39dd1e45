"""The rule registry: one module per rule, ordered by code.

A rule module's docstring is its documentation (`bqlint explain`, SARIF help); its class
carries the code, the kebab-case name, a one-line summary and the fix applicability.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import import_module
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


# The registry, ordered by code: (code, module under bqlint.rules, class). The codes alone are
# known without importing a rule (the analysis rules import libcst, which a run that parses
# nothing never needs); tests/rules/test_registry.py checks each class says the same code.
REGISTRY: tuple[tuple[str, str, str], ...] = (
    ("BQL001", "field_mutation_outside_cell", "FieldMutationOutsideCell"),
    ("BQL002", "borrow_across_unlock", "BorrowAcrossUnlock"),
    ("BQL003", "conflicting_borrow", "ConflictingBorrow"),
    ("BQL004", "write_through_shared_borrow", "WriteThroughSharedBorrow"),
    ("BQL005", "borrow_escape", "BorrowEscape"),
    ("BQL006", "cell_access_without_bql", "CellAccessWithoutBql"),
    ("BQL007", "cell_rebinding", "CellRebinding"),
    ("BQL100", "unused_suppression", "UnusedSuppression"),
    ("BQL998", "io_error", "IoError"),
    ("BQL999", "syntax_error", "SyntaxError_"),
)


def rule_codes() -> tuple[str, ...]:
    """Return every rule code, in order, without importing any rule."""
    return tuple(code for code, _, _ in REGISTRY)


def all_rules() -> tuple[type[Rule], ...]:
    """Return every rule class, ordered by code."""
    return tuple(_load(module, name) for _, module, name in REGISTRY)


def rule_by_code(code: str) -> type[Rule] | None:
    """Return the rule class for `code` (importing only its module), or None."""
    for known, module, name in REGISTRY:
        if known == code:
            return _load(module, name)
    return None


def _load(module: str, name: str) -> type[Rule]:
    rule = getattr(import_module(f"bqlint.rules.{module}"), name)
    assert isinstance(rule, type) and issubclass(rule, Rule)
    return rule
