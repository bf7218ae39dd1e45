"""A parsed file: its text, libcst module, a fast node walker, and positions on demand.

libcst's PositionProvider costs about 2.3x the parse and a plain CSTVisitor walk about 0.9x
(bench/lint_bench.py), so this module walks dataclass fields directly, skipping whitespace,
and computes positions only for the nodes a diagnostic names, in one codegen pass per file.
This is the one place where libcst's 0-based columns become 1-based.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

from bqlint.diagnostics import Position, Span

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


# Python's own line breaks (the tokenizer's): not str.splitlines(), which also breaks at
# \x0b \x0c \x1c-\x1e \x85 \u2028 \u2029 and so puts rows out of step with the parser's.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def python_lines(text: str, *, keepends: bool = False) -> list[str]:
    """Split `text` into rows as Python does: at `\\n`, `\\r\\n` and `\\r` only."""
    lines = _LINE_RE.findall(text)
    if keepends:
        return lines
    return [line.rstrip("\r\n") for line in lines]


def line_starts(text: str) -> list[int]:
    """Return the offset where each 1-based row of `text` starts, plus one for the end."""
    starts = [0]
    for line in python_lines(text, keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


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
        if start is not None and id(node) not in self.found:
            self.found[id(node)] = (start, self._here())

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
        self.state.found[id(self.node)] = (self.start, self.state._here())


class SourceFile:
    """One Python file: text and (once parsed) its libcst module."""

    def __init__(
        self, path: Path, text: str, module_name: str = "", *, encoding: str = "utf-8", bom: bool = False
    ) -> None:
        self.path = path
        self.text = text
        self.module_name = module_name
        # How the file was stored (bqlint.reading.DecodedSource): `text.encode(encoding)` gives
        # its bytes back, byte-order mark included when `encoding` is "utf-8-sig".
        self.encoding = encoding
        self.bom = bom
        self.module: cst.Module | None = None
        # Why CPython rejects the file (BQL999), from bqlint.syntax.
        self.syntax_error: tuple[str, Position] | None = None
        # Why the file could not be read or decoded (BQL998); the text is then empty.
        self.io_error: str | None = None
        # Why libcst could not parse a file (that CPython may accept: then it is not analysed).
        self.parse_error: str | None = None
        # An exception raised while analysing the file (a bug in bqlint): `Type: message`.
        self.internal_error: str | None = None
        self._spans: dict[int, Span] = {}
        # Rows whose libcst code differs from the text: {row: (text's line, libcst's line)}.
        self._lossy: dict[int, tuple[str, str]] | None = None

    def parse(self) -> cst.Module | None:
        """Parse once with libcst; on failure record why in `parse_error` and return None.

        A file CPython rejects (`syntax_error` already set) or could not read is not parsed.
        """
        if self.module is None and self.parse_error is None:
            if self.syntax_error is not None or self.io_error is not None:
                return None
            try:
                self.module = cst.parse_module(self.text)
            except cst.ParserSyntaxError as exc:
                message = str(exc.message).strip().splitlines()[0] if exc.message else "invalid syntax"
                message = message.split(": expected one of")[0]  # the token list is noise here
                self.parse_error = f"libcst cannot parse line {_error_row(message, exc.raw_line)}: {message}"
            except (RecursionError, ValueError, TypeError, MemoryError) as exc:  # libcst's own limits
                self.parse_error = f"libcst cannot parse it: {type(exc).__name__}: {exc}"
        return self.module

    def resolve_spans(self, nodes: Iterable[cst.CSTNode]) -> None:
        """Compute spans of `nodes` in one codegen pass (only those not known yet)."""
        wanted = {id(n) for n in nodes if id(n) not in self._spans}
        if not wanted or self.module is None:
            return
        state = _TargetedPositions(self.module, wanted)
        self.module._codegen(state)
        lossy = self._lossy_rows()
        for key, ((l1, c1), (l2, c2)) in state.found.items():
            if lossy:
                c1, c2 = _text_column(lossy, l1, c1), _text_column(lossy, l2, c2)
            self._spans[key] = Span(self.path, Position(l1, c1 + 1), Position(l2, c2 + 1))

    def _lossy_rows(self) -> dict[int, tuple[str, str]]:
        """Return the rows where libcst's code is not the text (it drops a form feed before
        an indented statement), so that columns on them can be mapped back to the text."""
        if self._lossy is None:
            self._lossy = {}
            if "\x0c" in self.text and self.module is not None:
                ours, theirs = python_lines(self.text), python_lines(self.module.code)
                if len(ours) == len(theirs):
                    pairs = enumerate(zip(ours, theirs), start=1)
                    self._lossy = {row: (o, t) for row, (o, t) in pairs if o != t}
        return self._lossy

    def span(self, node: cst.CSTNode) -> Span:
        """Return the span of `node` (computing it if `resolve_spans` did not)."""
        if id(node) not in self._spans:
            self.resolve_spans([node])
        return self._spans.get(id(node)) or Span(self.path, Position(1, 1), Position(1, 1))


def _text_column(lossy: dict[int, tuple[str, str]], row: int, column: int) -> int:
    """Map a 0-based column of libcst's line `row` to the text's line, where libcst's line
    is the text's without some characters (form feeds)."""
    if row not in lossy:
        return column
    text, code = lossy[row]
    at = 0
    for char in code[:column]:
        while at < len(text) and text[at] != char:
            at += 1  # a character libcst dropped
        at += 1
    if column < len(code):
        while at < len(text) and text[at] != code[column]:
            at += 1
    return at + max(column - len(code), 0)


def _error_row(message: str, raw_line: int) -> int:
    """Return the row of a libcst parser error: the native parser's message says `error at
    ROW:COL`, which is exact; its `raw_line` can be the end of the statement after it."""
    _, found, rest = message.partition("error at ")
    row = rest.split(":", 1)[0]
    return int(row) if found and row.isdigit() else max(raw_line, 1)
