"""Inputs libcst's parser takes exponential time on, found with Python's own parser first.

libcst's parser backtracks over nested sequence and mapping patterns of `case` clauses: each
level of `case ((x,),):` or `case {"k": {...}}:` costs about four times the one inside it
(9 levels: 0.35 s; 14: hours), while CPython parses them at once. A file whose patterns would
cost more than the budget is not parsed with libcst (it is reported as not analysed, like a
file libcst rejects); every other file is parsed as usual.
"""

from __future__ import annotations

import ast
import re
import warnings

# Each level of nesting multiplies libcst's work by about this much (measured on 3.11).
_GROWTH = 4
# The most nesting work a file may need: one pattern nested 9 levels deep (about 0.35 s).
_BUDGET = _GROWTH**9

_NESTING = (ast.MatchSequence, ast.MatchMapping)
# A `case` clause starts a line (after indentation), so a file with no such line has no
# pattern: only the others are parsed by Python here (the parser decides, not this test).
_CASE_LINE = re.compile(r"(?:^|[\r\n])[ \t\f]*case\b")


def too_slow_to_parse(text: str) -> str | None:
    """Return why libcst should not parse `text` (its deepest pattern), or None."""
    if "case" not in text or _CASE_LINE.search(text) is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        return None  # libcst decides; CPython's verdict is BQL999's
    total, deepest, row = 0, 0, 0
    for node in ast.walk(tree):
        if type(node) is ast.match_case:
            depth = _depth(node.pattern)
            total += _GROWTH**depth
            if depth > deepest:
                deepest, row = depth, node.pattern.lineno
    if total <= _BUDGET:
        return None
    return (
        f"a `case` pattern on line {row} is nested {deepest} levels deep, which libcst's parser "
        "takes exponential time on"
    )


def _depth(pattern: ast.pattern) -> int:
    """Return how many sequence and mapping patterns are nested in `pattern`, at most."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(pattern, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, _NESTING):
            depth += 1
            deepest = max(deepest, depth)
        stack.extend((child, depth) for child in ast.iter_child_nodes(node) if isinstance(child, ast.pattern))
    return deepest
