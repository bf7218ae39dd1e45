"""Golden files for the renderers: rewritten only when BQLINT_UPDATE_GOLDEN=1."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare text with golden/<name>; with BQLINT_UPDATE_GOLDEN=1, write it instead."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("BQLINT_UPDATE_GOLDEN") == "1":
            path.write_text(text + "\n", encoding="utf-8")
            return
        assert path.exists(), f"missing golden file {path}; run with BQLINT_UPDATE_GOLDEN=1"
        assert text + "\n" == path.read_text(encoding="utf-8")

    return check
