"""The row a run-time twin reports: where the node bqlint names starts, not the line running.

SPEC §3.1 fixes a finding's row as the row where the named node starts, also for a
statement over several lines; the line Python reports for an instruction is not always
that row (`(self.chr\\n .write_all(b))` runs its call on the second line, a `with` enters
its items on the `with` line). On Python 3.11 and later each instruction also knows the
columns of the expression it belongs to, so the node can be found in the file's `ast`:
the innermost expression that ends where the instruction's expression ends and contains
its start. Entering a `with` item is located at the item's context expression. Without
the source, or on older Pythons, the line running is the row.

Only error paths come here; each file's `ast` is kept while its text is unchanged.
"""

from __future__ import annotations

import ast
import dis
import linecache
from types import CodeType

__all__ = ["node_row"]

_ENTER_OPS = frozenset({"BEFORE_WITH", "BEFORE_ASYNC_WITH", "SETUP_WITH", "SETUP_ASYNC_WITH"})
# {filename: (source text, {(end row, end column): [(start row, start column), ...]})}
_ENDS: dict[str, tuple[str, dict[tuple[int, int], list[tuple[int, int]]]]] = {}


def node_row(code: CodeType, lasti: int) -> int:
    """Return the row where the node run by instruction `lasti` of `code` starts."""
    line = _line_running(code, lasti)
    positions = _positions(code)
    if positions is None or not 0 <= lasti // 2 < len(positions):
        return line
    index: int | None = lasti // 2
    if _opname(code, lasti) in _ENTER_OPS:
        index = _previous_located(positions, lasti // 2)  # the end of the item's context expression
    if index is None:
        return line
    start_row, end_row, start_col, end_col = positions[index]
    if start_row is None or end_row is None or start_col is None or end_col is None:
        return line
    starts = _expression_ends(code.co_filename).get((end_row, end_col), [])
    inside = [s for s in starts if s <= (start_row, start_col)]
    return max(inside)[0] if inside else line  # the innermost: the latest start


def _line_running(code: CodeType, lasti: int) -> int:
    for start, end, line in code.co_lines():
        if start <= lasti < end and line is not None:
            return line
    return code.co_firstlineno


def _positions(code: CodeType) -> list[tuple[int | None, int | None, int | None, int | None]] | None:
    positions = getattr(code, "co_positions", None)
    return list(positions()) if positions is not None else None


def _opname(code: CodeType, lasti: int) -> str:
    raw = code.co_code
    return dis.opname[raw[lasti]] if 0 <= lasti < len(raw) else ""


def _previous_located(
    positions: list[tuple[int | None, int | None, int | None, int | None]], index: int
) -> int | None:
    for i in range(index - 1, -1, -1):
        if positions[i][0] is not None and positions[i][2] is not None:
            return i
    return None


def _expression_ends(filename: str) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """Return, for the file's source, the starts of its expressions by where they end."""
    text = "".join(linecache.getlines(filename))
    cached = _ENDS.get(filename)
    if cached is not None and cached[0] == text:
        return cached[1]
    ends: dict[tuple[int, int], list[tuple[int, int]]] = {}
    try:
        tree = ast.parse(text) if text else None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.expr) and node.end_lineno is not None and node.end_col_offset is not None:
                # Columns count UTF-8 bytes here as in code positions.
                ends.setdefault((node.end_lineno, node.end_col_offset), []).append((node.lineno, node.col_offset))
    _ENDS[filename] = (text, ends)
    return ends

