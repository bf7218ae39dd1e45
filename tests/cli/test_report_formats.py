"""The report formats through the CLI, on real analysis: gitlab paths, SARIF code flows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_gitlab_paths_are_relative_to_ci_project_dir(project, invoke, monkeypatch):
    root = project({"pkg/bad.py": "import bql\n\ndef f(:\n"})
    monkeypatch.setenv("CI_PROJECT_DIR", str(root.parent))
    result = invoke("check", "--output-format", "gitlab")
    assert result.exit_code == 1
    (issue,) = json.loads(result.stdout)
    assert issue["location"]["path"] == f"{Path(root).name}/pkg/bad.py"
    assert issue["check_name"] == "BQL999"


def test_sarif_code_flow_follows_a_chain_across_modules(tmp_path, invoke, monkeypatch):
    shutil.copytree(FIXTURES / "rules" / "BQL002" / "cross_module_pkg", tmp_path / "proj")
    monkeypatch.chdir(tmp_path / "proj")
    result = invoke("check", "--isolated", "--output-format", "sarif")
    assert result.exit_code == 1
    results = json.loads(result.stdout)["runs"][0]["results"]
    first = next(r for r in results if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 24)
    steps = [
        (
            s["location"]["physicalLocation"]["artifactLocation"]["uri"],
            s["location"]["physicalLocation"]["region"]["startLine"],
        )
        for s in first["codeFlows"][0]["threadFlows"][0]["locations"]
    ]
    assert steps == [
        ("uartdev/device.py", 22),
        ("uartdev/device.py", 24),
        ("uartdev/backend.py", 8),
        ("uartdev/hostio.py", 7),
    ]
    labels = [s["location"]["message"]["text"] for s in first["codeFlows"][0]["threadFlows"][0]["locations"]]
    assert labels[0] == "mutable borrow of `self.regs` starts here"
    assert labels[-1] == "the BQL is released for this block"


def test_a_run_with_nothing_to_check_prints_an_empty_report_a_program_can_read(project, invoke):
    # pre-commit passes only excluded files: CI still uploads (and parses) the report.
    project({"pyproject.toml": '[tool.bqlint]\nexclude = ["gen"]\n', "gen/dev.py": "x = 1\n"})
    outputs = {}
    for name in ("json", "gitlab", "sarif", "junit", "concise"):
        result = invoke("check", "--force-exclude", "--output-format", name, "gen/dev.py")
        assert result.exit_code == 0
        assert "no Python files found" in result.stderr
        outputs[name] = result.stdout
    assert json.loads(outputs["json"]) == [] and json.loads(outputs["gitlab"]) == []
    assert json.loads(outputs["sarif"])["runs"][0]["results"] == []
    assert 'failures="0"' in outputs["junit"] and "<testcase" in outputs["junit"]
    assert outputs["concise"] == ""
