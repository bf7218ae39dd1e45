"""The pre-commit hook of `.pre-commit-hooks.yaml`, run for real by `pre-commit`.

pre-commit clones this repository at HEAD and installs it into its own environment (pip
may fetch libcst and friends from the registry), so this takes tens of seconds. Deselect it
with `-k "not precommit"` or BQLINT_SKIP_PRECOMMIT=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    os.environ.get("BQLINT_SKIP_PRECOMMIT") == "1" or shutil.which("git") is None,
    reason="pre-commit hook test deselected (BQLINT_SKIP_PRECOMMIT=1) or git missing",
)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _pre_commit(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_precommit_hook_reports_findings_honours_exclude_and_passes_when_clean(tmp_path: Path) -> None:
    rev = _git(REPO, "rev-parse", "HEAD").strip()
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {REPO}\n  rev: {rev}\n  hooks:\n  - id: bqlint\n", encoding="utf-8"
    )
    (project / "pyproject.toml").write_text('[tool.bqlint]\nextend-exclude = ["generated/"]\n', encoding="utf-8")
    (project / "generated").mkdir()
    # Excluded: pre-commit passes it by name, --force-exclude must still skip it.
    (project / "generated" / "broken.py").write_text("import bql\ndef f(:\n", encoding="utf-8")
    (project / "dev.py").write_text("import bql\ndef f(:\n", encoding="utf-8")
    # A stub: `types: [python]` does not match it (identify tags it `pyi`), as `bqlint check .`
    # does not walk it.
    (project / "stub.pyi").write_text("import bql\ndef f(:\n", encoding="utf-8")
    _git(project, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)

    failing = _pre_commit(project, env)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "BQL999" in failing.stdout
    assert "dev.py" in failing.stdout
    assert "generated/broken.py" not in failing.stdout
    assert "stub.pyi" not in failing.stdout

    (project / "dev.py").write_text("import bql\n\n\ndef f() -> None:\n    pass\n", encoding="utf-8")
    _git(project, "add", ".")
    passing = _pre_commit(project, env)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout


def _pre_commit_staged(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the hooks as `git commit` would: on the staged files only."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_precommit_blocks_a_commit_that_changes_only_the_callee(tmp_path: Path) -> None:
    from tests.cli.test_subset_runs import CALLEE_CLEAN, CALLEE_RELEASING, CALLER, UNRELATED

    rev = _git(REPO, "rev-parse", "HEAD").strip()
    project = tmp_path / "project"
    project.mkdir()
    _git(project, "init", "-q")
    _git(project, "config", "user.email", "test@example.com")
    _git(project, "config", "user.name", "test")
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {REPO}\n  rev: {rev}\n  hooks:\n  - id: bqlint\n", encoding="utf-8"
    )
    (project / "pyproject.toml").write_text("[tool.bqlint]\n", encoding="utf-8")
    files = {"dma.py": CALLER, "hostio.py": CALLEE_CLEAN, "misc.py": UNRELATED}
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "clean start")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)

    # Only the callee changes: it now calls a @bql.releases_bql function. The caller, untouched
    # and not passed to the hook, holds a borrow across the call.
    (project / "hostio.py").write_text(CALLEE_RELEASING, encoding="utf-8")
    _git(project, "add", "hostio.py")
    blocked = _pre_commit_staged(project, env)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "error[BQL002]" in blocked.stdout
    assert " --> dma.py:19:13" in blocked.stdout
    # The chain goes through the changed file: its call and the released BQL are labelled.
    assert "::: hostio.py:4:1" in blocked.stdout
    assert "`flush()` calls `wait_for_host()` here" in blocked.stdout

    _git(project, "checkout", "--", ".")
    _git(project, "reset", "-q", "--hard")
    (project / "misc.py").write_text(UNRELATED + "\n\ndef other() -> int:\n    return 1\n", encoding="utf-8")
    _git(project, "add", "misc.py")
    passing = _pre_commit_staged(project, env)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout
