"""Every fixture project: findings equal the `# expect:` markers as exact (code, row) pairs,
and every related location is a `# related:` row (STYLE §4)."""

from __future__ import annotations

import pytest

from tests.fixture_markers import check_project, compare, projects

PROJECTS = list(projects())


@pytest.mark.parametrize(("name", "files"), PROJECTS, ids=[name for name, _ in PROJECTS])
def test_fixture_findings_match_markers(name: str, files: list) -> None:
    problems = compare(files, check_project(files))
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)
