"""Whether CPython accepts a file (BQL999), asked of CPython itself: `compile()`.

`compile()` also runs the checks after parsing (`return` outside a function, `from
__future__` placement, `nonlocal` at module level), costs no more than `ast.parse` (it builds
no Python AST objects), and runs under the interpreter's default recursion limit, so that
a raised limit elsewhere in bqlint does not make it accept more than `python` would.
"""

from __future__ import annotations

import sys
import warnings

from bqlint.diagnostics import Position

# The limit `python` starts with; bqlint raises it only around its own deep walks.
DEFAULT_RECURSION_LIMIT = sys.getrecursionlimit()


def python_syntax_error(text: str) -> tuple[str, Position] | None:
    """Return (message, position) of the reason CPython rejects `text`, or None if it compiles."""
    nul = text.find("\0")
    if nul >= 0:
        return "source code cannot contain null bytes", position_of(text, nul)
    saved = sys.getrecursionlimit()
    try:
        if saved != DEFAULT_RECURSION_LIMIT:
            sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
        with warnings.catch_warnings():
            # Warnings (invalid escapes, `is` with a literal) are not errors, whatever -W says.
            warnings.simplefilter("ignore")
            compile(text, "<bqlint>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        row = max(exc.lineno or 1, 1)
        return (exc.msg or "invalid syntax").strip(), Position(row, max(exc.offset or 1, 1))
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return f"Python cannot compile this file: {exc}", Position(1, 1)
    finally:
        if sys.getrecursionlimit() != saved:
            sys.setrecursionlimit(saved)
    return None


def position_of(text: str, index: int) -> Position:
    """Return the 1-based row and column of `text[index]`, counting Python's line breaks only."""
    before = text[:index]
    row = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return Position(row, index - line_start + 1)
