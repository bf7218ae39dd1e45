"""BQL100's fix removes an unused directive that sits between two other comments and keeps
the space before the next one (crash4: `# pragma: no cover # noqa: BQL003 # fmt: skip` became
`# pragma: no cover# fmt: skip`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint.config import Settings
from bqlint.fixes import fix_text
from bqlint.suppression import apply_suppressions

PATH = Path("/p/dev.py")


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("x = 1  # pragma: no cover # noqa: BQL003 # fmt: skip", "x = 1  # pragma: no cover # fmt: skip"),
        ("x = 1  # a #noqa: BQL003#b", "x = 1  # a #b"),
        ("x = 1  # a  # bqlint: ignore[BQL002] why  # b", "x = 1  # a  # b"),
        ("x = 1  # a # noqa: BQL003", "x = 1  # a"),
        ("x = 1  # noqa: BQL003 # fmt: skip", "x = 1  # fmt: skip"),
        ("x = 1  # noqa: BQL003", "x = 1"),
    ],
)
def test_the_fix_removes_only_the_directive(line, fixed):
    text = line + "\n"
    found = apply_suppressions(PATH, text, [], Settings())
    assert [(d.code, d.span.start.row) for d in found] == [("BQL100", 1)]
    assert fix_text(text, found).text == fixed + "\n"


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("x = 1  # noqa: BQL003\t\x0c ", "x = 1"),
        ("x = 1  # note  # noqa: BQL003  ", "x = 1  # note"),
        ("x = 1  # noqa: BQL001# noqa: BQL002", "x = 1"),
        ("x = 1  # noqa: BQL001  # noqa: BQL002  ", "x = 1"),
        ("x = 1  # noqa: BQL001  # keep  # noqa: BQL002", "x = 1  # keep"),
        ("x = 1  # keep  # noqa: BQL001  # bqlint: ignore[BQL002]", "x = 1  # keep"),
        ("x = 1  # noqa: BQL001, E501  # noqa: BQL002", "x = 1  # noqa: E501"),
    ],
)
def test_unused_directives_go_in_one_pass_with_the_blanks_they_leave(line, fixed):
    """ruff's RUF100 leaves no trailing blanks; the fixes of several directives of one comment
    do not overlap, so one pass (and `--diff`) removes them all, as `--fix` does."""
    text = line + "\n"
    found = apply_suppressions(PATH, text, [], Settings())
    result = fix_text(text, found)
    assert (result.text, result.skipped) == (fixed + "\n", [])
