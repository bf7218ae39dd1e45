from __future__ import annotations

import json
from typing import Any

from bqlint.report import render
from bqlint.rules import all_rules
from tests.report.sample import OPTIONS, empty_report, sample_report


def _sarif() -> dict[str, Any]:
    return json.loads(render("sarif", sample_report(), OPTIONS))


def _check_region(region: dict[str, Any]) -> None:
    assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
    assert all(isinstance(v, int) and v >= 1 for v in region.values())


def _check_physical(location: dict[str, Any]) -> None:
    artifact = location["artifactLocation"]
    assert artifact["uriBaseId"] == "%SRCROOT%"
    assert not artifact["uri"].startswith("/")
    _check_region(location["region"])


def test_sarif_matches_golden(golden):
    # Rule documentation and the version change on their own: the golden keeps only rule ids.
    document = _sarif()
    driver = document["runs"][0]["tool"]["driver"]
    driver["version"] = "<version>"
    driver["rules"] = [rule["id"] for rule in driver["rules"]]
    golden("sarif.json", json.dumps(document, indent=2))


def test_sarif_run_and_driver():
    document = _sarif()
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "bqlint"
    assert driver["version"]
    assert driver["informationUri"].startswith("https://")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///project/"


def test_sarif_lists_every_rule_with_descriptions_and_help():
    rules = _sarif()["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in all_rules()]
    for descriptor, rule in zip(rules, all_rules(), strict=True):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] == rule.doc()
        assert descriptor["helpUri"] == rule.url()


def test_sarif_results_are_structurally_valid():
    run = _sarif()["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
        assert result["message"]["text"]
        (location,) = result["locations"]
        _check_physical(location["physicalLocation"])
        fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
        assert fingerprint.rsplit(":", 1)[1].isdigit()
        for n, related in enumerate(result.get("relatedLocations", []), start=1):
            assert related["id"] == n
            assert related["message"]["text"]
            _check_physical(related["physicalLocation"])


def test_sarif_related_locations_keep_chain_order():
    result = next(r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == "BQL002")
    uris = [r["physicalLocation"]["artifactLocation"]["uri"] for r in result["relatedLocations"]]
    assert uris == ["pkg/dev.py", "pkg/bus.py"]


def test_sarif_fix_is_an_artifact_change_with_replacements():
    result = next(r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == "BQL007")
    (fix,) = result["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "pkg/dev.py"
    (replacement,) = change["replacements"]
    _check_region(replacement["deletedRegion"])
    assert replacement["insertedContent"]["text"] == "self.level.set(3)"
    assert "fixes" not in next(r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == "BQL002")


def test_sarif_uri_is_percent_encoded():
    result = next(r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == "BQL999")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken%2C%20file.py"


def test_sarif_clean_run_has_no_results():
    document = json.loads(render("sarif", empty_report(), OPTIONS))
    assert document["runs"][0]["results"] == []


def test_sarif_chain_is_a_code_flow_in_execution_order():
    result = next(r for r in _sarif()["runs"][0]["results"] if r["ruleId"] == "BQL002")
    (flow,) = result["codeFlows"]
    (thread,) = flow["threadFlows"]
    steps = [
        (
            step["location"]["physicalLocation"]["artifactLocation"]["uri"],
            step["location"]["physicalLocation"]["region"]["startLine"],
            step["location"]["message"]["text"],
            step["executionOrder"],
        )
        for step in thread["locations"]
    ]
    assert steps == [
        ("pkg/dev.py", 12, "mutable borrow of `self.regs` starts here", 1),
        ("pkg/dev.py", 14, "`self.regs` is still borrowed where `update()` may release the BQL", 2),
        ("pkg/bus.py", 5, "`update()` calls `bql.unlock()` here", 3),
    ]
    assert [r["message"]["text"] for r in result["relatedLocations"]] == [
        "mutable borrow of `self.regs` starts here",
        "`update()` calls `bql.unlock()` here",
    ]


def test_sarif_findings_without_a_chain_have_no_code_flow():
    for result in _sarif()["runs"][0]["results"]:
        if result["ruleId"] != "BQL002":
            assert "codeFlows" not in result


def test_sarif_schema_rejects_a_broken_document():
    import jsonschema
    import pytest

    from tests.schemas import validate_sarif

    document = _sarif()
    del document["runs"][0]["tool"]
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(json.dumps(document))


def test_every_rendered_sarif_is_schema_validated():
    from tests.schemas import validated

    before = validated["sarif"]
    render("sarif", empty_report(), OPTIONS)
    _sarif()
    assert validated["sarif"] == before + 2
