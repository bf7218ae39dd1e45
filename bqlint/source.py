"""A parsed file's libcst side: a fast node walker, and positions on demand.

libcst's PositionProvider costs about 2.3x the parse and a plain CSTVisitor walk about 0.9x
(bench/lint_bench.py), so this module walks dataclass fields directly, skipping whitespace,
and computes positions only for the nodes a diagnostic names, in one codegen pass per file.
The file itself (`SourceFile`, which turns these 0-based columns into 1-based ones) and
Python's line splitting are in bqlint.source_file, which imports no libcst; they are
re-exported here.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

from bqlint.source_file import SourceFile as SourceFile
from bqlint.source_file import line_starts as line_starts
from bqlint.source_file import python_lines as python_lines

# Fields that hold only whitespace, punctuation or tokens: never semantic children.
_TOKEN_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "leading_lines",
        "header",
        "footer",
        "trailing_whitespace",
        "lines_after_decorators",
        "dot",
        "colon",
        "equal",
        "star",
        "asynchronous",
        "operator",
        "default_indent",
        "default_newline",
        "encoding",
        "newline",
        "indent",
        "empty_lines",
        "quote",
        "prefix",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "whitespace",
        "has_trailing_newline",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}
# isinstance() against libcst's ABC-based classes is slow; a per-type answer is not.
_IS_NODE: dict[type, bool] = {}
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_SIMPLE_BODIES = (cst.SimpleStatementLine, cst.SimpleStatementSuite)
_SCOPE_TYPES = frozenset(_SCOPES)


def is_node(value: object) -> bool:
    """Return whether `value` is a libcst node (cached per type)."""
    kind = type(value)
    answer = _IS_NODE.get(kind)
    if answer is None:
        answer = _IS_NODE[kind] = isinstance(value, cst.CSTNode)
    return answer


def child_fields(node_type: type) -> tuple[str, ...]:
    """Return the names of the fields of `node_type` that may hold child nodes."""
    names = _FIELDS.get(node_type)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _TOKEN_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[node_type] = names
    return names


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Yield the semantic children of `node` in source order."""
    for name in child_fields(type(node)):
        value = getattr(node, name)
        if type(value) is tuple or type(value) is list:
            for item in value:
                if is_node(item):
                    yield item
        elif is_node(value):
            yield value


def walk(node: cst.CSTNode, *, into_scopes: bool = True) -> Iterator[cst.CSTNode]:
    """Yield `node` and its descendants, pre-order; optionally not into nested defs/lambdas."""
    # children() inlined: this loop visits every node of every function body.
    stack = [node]
    scopes = _SCOPE_TYPES
    fields, known = _FIELDS, _IS_NODE
    while stack:
        current = stack.pop()
        yield current
        kind = type(current)
        if not into_scopes and current is not node and kind in scopes:
            continue
        kids: list[cst.CSTNode] = []
        for name in fields.get(kind) or child_fields(kind):
            value = getattr(current, name)
            if type(value) is tuple or type(value) is list:
                for item in value:
                    answer = known.get(type(item))
                    if answer or (answer is None and is_node(item)):
                        kids.append(item)
            else:
                answer = known.get(type(value))
                if answer or (answer is None and is_node(value)):
                    kids.append(value)
        kids.reverse()
        stack.extend(kids)


def statements(body: cst.CSTNode, *, into_scopes: bool = False) -> Iterator[cst.CSTNode]:
    """Yield the statements (and the small statements of simple lines) under `body`, not
    descending into expressions; nested defs are yielded but not entered unless asked."""
    stack: list[cst.CSTNode] = [body]
    scopes = _SCOPE_TYPES
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind in _SIMPLE_TYPES:
            yield from current.body  # type: ignore[attr-defined]
            continue
        if current is not body:
            yield current
            if kind in scopes and not into_scopes:
                continue
        for name in ("body", "orelse", "handlers", "finalbody", "cases"):
            value = getattr(current, name, None)
            if value is None:
                continue
            if type(value) is tuple or type(value) is list:
                stack.extend(reversed([v for v in value if is_node(v)]))
            elif is_node(value):
                stack.append(value)


_SIMPLE_TYPES = frozenset(_SIMPLE_BODIES)


class _NullContext:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NULL = _NullContext()


class _TargetedPositions(CodegenState):
    """A codegen state that records the start/end of only the requested nodes.

    Positions follow libcst's PositionProvider: syntactic ranges where a node records one,
    else the whole node. Line and column are computed only at target nodes.
    """

    def __init__(self, module: cst.Module, targets: set[int]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.targets = targets
        self.found: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
        self._stack: list[tuple[int, int] | None] = []
        self._line, self._column, self._seen = 1, 0, 0

    def _here(self) -> tuple[int, int]:
        tokens = self.tokens
        for i in range(self._seen, len(tokens)):
            token = tokens[i]
            newlines = token.count("\n") + token.count("\r") - token.count("\r\n")
            if newlines:
                self._line += newlines
                self._column = len(token) - max(token.rfind("\n"), token.rfind("\r")) - 1
            else:
                self._column += len(token)
        self._seen = len(tokens)
        return (self._line, self._column)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._stack.append(self._here() if id(node) in self.targets else None)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._stack.pop()
        if start is not None:
            if id(node) not in self.found:
                self.found[id(node)] = (start, self._here())
            if len(self.found) == len(self.targets):
                raise _AllFound  # every target is positioned: the rest of the file adds nothing

    def record_syntactic_position(self, node: cst.CSTNode, **kwargs: Any) -> Any:
        if id(node) not in self.targets:
            return _NULL
        return _Recorder(self, node)


class _Recorder:
    __slots__ = ("state", "node", "start")

    def __init__(self, state: _TargetedPositions, node: cst.CSTNode) -> None:
        self.state, self.node = state, node
        self.start = (0, 0)

    def __enter__(self) -> None:
        self.start = self.state._here()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.state.found[id(self.node)] = (self.start, self.state._here())


class _AllFound(Exception):
    """Raised through libcst's codegen to end a pass whose targets are all positioned."""


def node_positions(module: cst.Module, targets: set[int]) -> dict[int, tuple[tuple[int, int], tuple[int, int]]]:
    """Return {id(node): ((row, column), (row, column))} (columns 0-based, end exclusive) of
    the nodes of `module` whose ids are `targets`, from one codegen pass."""
    state = _TargetedPositions(module, targets)
    saved = sys.getrecursionlimit()
    try:
        # libcst's codegen recurses once per nesting level in plain Python frames (no C stack):
        # an `and` chain CPython compiles (200,000 terms) nests that deep in libcst.
        sys.setrecursionlimit(max(saved, CODEGEN_RECURSION_LIMIT))
        module._codegen(state)
    except _AllFound:
        pass
    finally:
        if sys.getrecursionlimit() == max(saved, CODEGEN_RECURSION_LIMIT):
            sys.setrecursionlimit(saved)
    return state.found


# Three frames per nesting level for the longest `and`/`or` chain CPython compiles.
CODEGEN_RECURSION_LIMIT = 700_000
