from __future__ import annotations

import json

from bqlint.rules import all_rules


def test_rules_lists_every_rule_and_marks_fixable(invoke):
    result = invoke("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(all_rules())
    for line, rule in zip(lines, all_rules(), strict=True):
        assert line.startswith(f"{rule.code}  {rule.name}")
        assert rule.summary in line
        assert ("[*]" in line) == (rule.fix is not None)


def test_rules_as_json(invoke):
    rows = json.loads(invoke("rules", "--output-format", "json").stdout)
    assert [r["code"] for r in rows] == [rule.code for rule in all_rules()]


def test_explain_prints_the_rule_documentation(invoke):
    rule = all_rules()[1]
    result = invoke("explain", rule.code)
    assert result.exit_code == 0
    assert result.stdout == rule.doc()


def test_explain_accepts_lower_case_codes_and_names(invoke):
    rule = all_rules()[0]
    assert invoke("explain", rule.code.lower()).stdout == rule.doc()
    assert invoke("explain", rule.name).stdout == rule.doc()


def test_explain_unknown_code_exits_2(invoke):
    result = invoke("explain", "BQL123")
    assert result.exit_code == 2
    assert "unknown rule `BQL123`" in result.stderr


def test_explain_without_code_is_a_usage_error(invoke):
    assert invoke("explain").exit_code == 2
