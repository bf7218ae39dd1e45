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
