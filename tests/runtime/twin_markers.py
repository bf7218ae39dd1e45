"""Rows named by `# marker` comments in a test file, and the twin a runtime error must carry."""

from __future__ import annotations


def marker_row(path: str, marker: str) -> int:
    """Return the row of the only line of `path` that ends with `# marker`."""
    with open(path, encoding="utf-8") as file:
        rows = [n for n, line in enumerate(file, 1) if line.rstrip().endswith(f"# {marker}")]
    assert len(rows) == 1, marker
    return rows[0]


def assert_twin_at(error: BaseException, rule: str, path: str, marker: str) -> None:
    """Assert that `error` is the twin of `rule` at the row of `path` marked `marker`."""
    row = marker_row(path, marker)
    where = (getattr(error, "rule", None), getattr(error, "path", None), getattr(error, "row", None))
    assert where == (rule, path, row), str(error)
    assert str(error).endswith(f" (bqlint: {rule} at {path}:{row})")
