"""The registry matches SPEC §3.1: codes unique and ordered, kebab names, one module and
one fixture folder per rule."""

from __future__ import annotations

import re
from pathlib import Path

import bqlint.rules
from bqlint.rules import REGISTRY, all_rules, rule_by_code, rule_codes

SPEC_RULES = {
    "BQL001": "field-mutation-outside-cell",
    "BQL002": "borrow-across-unlock",
    "BQL003": "conflicting-borrow",
    "BQL004": "write-through-shared-borrow",
    "BQL005": "borrow-escape",
    "BQL006": "cell-access-without-bql",
    "BQL007": "cell-rebinding",
    "BQL100": "unused-suppression",
    "BQL998": "io-error",
    "BQL999": "syntax-error",
}
RULES_DIR = Path(bqlint.rules.__file__).parent
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"


def test_codes_and_names_are_exactly_specs() -> None:
    assert {r.code: r.name for r in all_rules()} == SPEC_RULES


def test_codes_known_without_importing_a_rule_are_the_classes_codes() -> None:
    assert rule_codes() == tuple(r.code for r in all_rules())
    for code, module, _ in REGISTRY:
        rule = rule_by_code(code)
        assert rule is not None and rule.code == code and rule.__module__ == f"bqlint.rules.{module}"
    assert rule_by_code("BQL000") is None


def test_registry_is_ordered_by_code() -> None:
    codes = [r.code for r in all_rules()]
    assert codes == sorted(codes)


def test_each_rule_module_is_registered_under_its_name() -> None:
    modules = {p.stem for p in RULES_DIR.glob("*.py")} - {"__init__", "context"}
    registered = {r.__module__.rsplit(".", 1)[1] for r in all_rules()}
    assert modules == registered
    for rule in all_rules():
        assert rule.__module__.endswith(rule.name.replace("-", "_"))
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)


def test_each_rule_has_a_fixture_folder() -> None:
    for rule in all_rules():
        assert any((FIXTURES / rule.code).glob("*.py")), rule.code
