"""Each rule's documentation (its module docstring) is complete and its examples are true:
the Example raises this rule's code and no other, the Corrected version is clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bqlint.cli import main
from bqlint.config import Settings
from bqlint.engine import run
from bqlint.rules import Rule, all_rules

SECTIONS = ["What it flags", "Why it is a bug", "Example", "Corrected", "Fix", "At run time", "Options", "See also"]
RULES = all_rules()


def _blocks(doc: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", doc, flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2])}


def _code(section: str) -> str:
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, "section has no python example"
    return match.group(1)


def _lint(tmp_path: Path, code: str) -> list[str]:
    path = tmp_path / "example.py"
    path.write_text(code)
    return sorted({d.code for d in run(Settings(root=tmp_path), [path]).diagnostics})


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_doc_opens_with_code_and_name_then_sections_in_order(rule: type[Rule]) -> None:
    doc = rule.doc()
    assert doc.splitlines()[0] == f"{rule.code} {rule.name}"
    assert list(_blocks(doc)) == SECTIONS


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_example_raises_only_this_rule(rule: type[Rule], tmp_path: Path) -> None:
    assert _lint(tmp_path, _code(_blocks(rule.doc())["Example"])) == [rule.code]


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_corrected_example_is_clean(rule: type[Rule], tmp_path: Path) -> None:
    assert _lint(tmp_path, _code(_blocks(rule.doc())["Corrected"])) == []


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_explain_prints_the_docstring(rule: type[Rule]) -> None:
    result = CliRunner().invoke(main, ["explain", rule.code])
    assert result.exit_code == 0
    assert rule.doc().strip() in result.output
