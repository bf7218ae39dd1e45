"""At CPython's own compile limit, BQL999 agrees with a fresh interpreter's `compile()`.

CPython's compiler counts its depth from its caller's; bqlint compiles at the bottom of a
fresh thread, so the deepest expression `python -c "compile(...)"` accepts is accepted here
too, however deep bqlint's own stack is when it asks (it lost about 30 levels before). The
exact boundary moves by a level or two with what the interpreter did before (it is not
bqlint's to fix), so the rejecting side is asked a few levels further on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bqlint.syntax import python_syntax_error
from tests.robustness.conftest import DEVICE, rows

OVER = 8  # levels past the boundary that are rejected whatever ran before
FRESH = "import sys; compile(sys.stdin.read(), 'f', 'exec', dont_inherit=True)"


def _device(depth: int, shape: str) -> str:
    chain = {"unary-minus": "-" * depth + "x"}[shape]
    return DEVICE.replace("y = x", f"y = {chain}")


def _fresh_compiles(text: str) -> bool:
    return subprocess.run([sys.executable, "-c", FRESH], input=text.encode(), capture_output=True).returncode == 0


def _deepest_fresh(shape: str) -> int:
    """The deepest chain a fresh interpreter compiles (bisected between 2,000 and 4,000)."""
    low, high = 2000, 4000
    assert _fresh_compiles(_device(low, shape)) and not _fresh_compiles(_device(high, shape))
    while high - low > 1:
        middle = (low + high) // 2
        if _fresh_compiles(_device(middle, shape)):
            low = middle
        else:
            high = middle
    return low


def _nested(depth: int, text: str) -> tuple[str, object] | None:
    """Ask from `depth` Python frames further down than the caller."""
    return python_syntax_error(text) if depth == 0 else _nested(depth - 1, text)


@pytest.mark.parametrize("shape", ["unary-minus"])
def test_bql999_at_the_compile_limit_agrees_with_a_fresh_interpreter(tmp_path: Path, check, shape: str) -> None:
    deepest = _deepest_fresh(shape)
    (tmp_path / "limit.py").write_text(_device(deepest, shape))
    (tmp_path / "over.py").write_text(_device(deepest + OVER, shape))
    report = check("limit.py", "over.py")
    assert rows(report) == [("limit.py", "BQL002", 12, 13), ("over.py", "BQL999", 1, 1)]
    # However deep the asking stack (the old compile lost 3 levels per Python frame).
    assert _nested(200, _device(deepest, shape)) is None
    assert _nested(200, _device(deepest + OVER, shape)) is not None
