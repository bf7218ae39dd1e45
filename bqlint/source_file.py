"""A checked file as plain data: its text, how it was stored, why it could not be checked.

Kept apart from bqlint.source (the libcst walkers and positions) so that a run that parses
nothing never imports libcst: `SourceFile.parse` and `resolve_spans` import it when called.
Python's own line splitting lives here too, for the same reason.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bqlint.diagnostics import Position, Span

if TYPE_CHECKING:
    import libcst as cst

_Node = TypeVar("_Node", bound="cst.CSTNode")

# Python's own line breaks (the tokenizer's): not str.splitlines(), which also breaks at
# \x0b \x0c \x1c-\x1e \x85 \u2028 \u2029 and so puts rows out of step with the parser's.
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def python_lines(text: str, *, keepends: bool = False) -> list[str]:
    """Split `text` into rows as Python does: at `\\n`, `\\r\\n` and `\\r` only."""
    return list(_split(text, keepends))


@functools.lru_cache(maxsize=16)
def _split(text: str, keepends: bool) -> tuple[str, ...]:
    # Memoised: a file's fixes and report lines ask for its rows once per finding.
    lines = _LINE_RE.findall(text)
    return tuple(lines if keepends else (line.rstrip("\r\n") for line in lines))


def line_starts(text: str) -> list[int]:
    """Return the offset where each 1-based row of `text` starts, plus one for the end."""
    starts = [0]
    for line in python_lines(text, keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


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
        # When names were normalised (bqlint.identifiers): the tree as written, which spans
        # are computed on, and {id(node of `module`): the node as written} for rebuilt nodes.
        self._as_written: tuple[cst.Module, dict[int, cst.CSTNode]] | None = None
        # {id(node bqlint built): the node of the file it stands for} (a lambda method's `def`).
        self._stand_ins: dict[int, cst.CSTNode] = {}
        self._moved: dict[tuple[int, int], cst.CSTNode] = {}  # see `moved`
        # Rows whose libcst code differs from the text: {row: (text's line, libcst's line)}.
        self._lossy: dict[int, tuple[str, str]] | None = None

    def parse(self) -> cst.Module | None:
        """Parse once with libcst; on failure record why in `parse_error` and return None.

        A file CPython rejects (`syntax_error` already set) or could not read is not parsed.
        """
        if self.module is None and self.parse_error is None:
            if self.syntax_error is not None or self.io_error is not None:
                return None
            import libcst as cst  # here: a run that parses nothing never imports libcst

            from bqlint.parse_cost import too_slow_to_parse
            from bqlint.parsing import parse_module

            slow = too_slow_to_parse(self.text)
            if slow is not None:
                self.parse_error = f"libcst cannot parse it in reasonable time: {slow}"
                return None
            try:
                self.module = parse_module(self.text)
            except cst.ParserSyntaxError as exc:
                message = str(exc.message).strip().splitlines()[0] if exc.message else "invalid syntax"
                message = message.split(": expected one of")[0]  # the token list is noise here
                self.parse_error = f"libcst cannot parse line {_error_row(message, exc.raw_line)}: {message}"
            except (RecursionError, ValueError, TypeError, MemoryError) as exc:  # libcst's own limits
                self.parse_error = f"libcst cannot parse it: {type(exc).__name__}: {exc}"
            if self.module is not None and not self.text.isascii():
                self._normalise_names(self.module)
        return self.module

    def _normalise_names(self, written: cst.Module) -> None:
        """Make `module` name things as Python does (NFKC), keeping the tree as written for spans."""
        from bqlint.identifiers import normalise_names

        module, originals = normalise_names(written)
        if originals:
            self.module, self._as_written = module, (written, originals)

    def written_code(self, node: cst.CSTNode) -> str:
        """Return the code of `node` as the file spells it (names not normalised): fix text."""
        import libcst as cst

        if self._as_written is not None:
            node = self._as_written[1].get(id(node), node)
        return cst.Module([]).code_for_node(node)

    def stand_in(self, made: cst.CSTNode, written: cst.CSTNode) -> None:
        """Give `made`, a node bqlint built and not in the file, the span of `written`."""
        self._stand_ins[id(made)] = written

    def moved(self, node: _Node, written: cst.CSTNode) -> _Node:
        """Return a copy of `node`, a node of the file, with the span of `written`: where
        Python runs it, when that is another node's row (a class body runs at its `class`
        statement). Made once, and kept as long as the file, so that its id stays its own."""
        key = (id(node), id(written))
        made = self._moved.get(key)
        if made is None:
            made = self._moved[key] = node.with_changes()
            self.stand_in(made, written)
        return made  # type: ignore[return-value]

    def resolve_spans(self, nodes: Iterable[cst.CSTNode]) -> None:
        """Compute spans of `nodes` in one codegen pass (only those not known yet)."""
        stand_ins = self._stand_ins
        if stand_ins:
            nodes = list(nodes)
            made = [(id(n), stand_ins[id(n)]) for n in nodes if id(n) in stand_ins]
            self._resolve_spans([stand_ins.get(id(n), n) for n in nodes])
            for key, written in made:
                if id(written) in self._spans:
                    self._spans[key] = self._spans[id(written)]
            return
        self._resolve_spans(nodes)

    def _resolve_spans(self, nodes: Iterable[cst.CSTNode]) -> None:
        wanted = {id(n) for n in nodes if id(n) not in self._spans}
        if not wanted or self.module is None:
            return
        from bqlint.source import node_positions

        lossy = self._lossy_rows()
        module, back = self.module, {}
        if self._as_written is not None:  # positions of the nodes as written
            module, originals = self._as_written
            back = {id(originals[key]): key for key in wanted if key in originals}
            wanted = {key for key in wanted if key not in originals} | set(back)
        for key, ((l1, c1), (l2, c2)) in node_positions(module, wanted).items():
            key = back.get(key, key)
            if lossy:
                c1, c2 = _text_column(lossy, l1, c1), _text_column(lossy, l2, c2)
            self._spans[key] = Span(self.path, Position(l1, c1 + 1), Position(l2, c2 + 1))

    def _lossy_rows(self) -> dict[int, tuple[str, str]]:
        """Return the rows where libcst's code is not the text (it drops a form feed before
        an indented statement), so that columns on them can be mapped back to the text."""
        if self._lossy is None:
            self._lossy = {}
            module = self._as_written[0] if self._as_written is not None else self.module
            if "\x0c" in self.text and module is not None:
                ours, theirs = python_lines(self.text), python_lines(module.code)
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
