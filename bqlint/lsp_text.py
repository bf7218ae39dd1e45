"""Editing an open document's text as LSP defines it, for the language server.

LSP counts lines at `\\n`, `\\r\\n` and `\\r` only (not at the form feeds and Unicode separators
`str.splitlines` also breaks at), and a position whose character is past the end of its line
means the end of that line, before its line break; a line past the last one means the end of
the document. Characters are counted in the position encoding the server and client agreed on.
"""

from __future__ import annotations

from collections.abc import Iterator

from lsprotocol import types

UTF8 = types.PositionEncodingKind.Utf8
UTF32 = types.PositionEncodingKind.Utf32


def apply_change(text: str, change: types.TextDocumentContentChangeEvent, encoding: str) -> str:
    """Return `text` after one `didChange` content change (a whole document or a range)."""
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return change.text
    start = offset_at(text, change.range.start, encoding)
    end = offset_at(text, change.range.end, encoding)
    start, end = min(start, end), max(start, end)  # a reversed range is read as the same span
    return text[:start] + change.text + text[end:]


def offset_at(text: str, position: types.Position, encoding: str) -> int:
    """Return the index in `text` that `position` names, clamped to its line's content."""
    start, line = 0, 0
    for brk, after in line_breaks(text):
        if line == position.line:
            return start + _index(text[start:brk], position.character, encoding)
        start, line = after, line + 1
    if line == position.line:  # the last line, which has no break after it
        return start + _index(text[start:], position.character, encoding)
    return len(text)  # a line past the last one: the end of the document


def line_breaks(text: str) -> Iterator[tuple[int, int]]:
    """Yield (where a line break starts, where the next line starts), in order."""
    newline, carriage = text.find("\n"), text.find("\r")
    while newline >= 0 or carriage >= 0:
        if carriage >= 0 and (newline < 0 or carriage < newline):
            at = carriage
            after = carriage + 2 if newline == carriage + 1 else carriage + 1
        else:
            at, after = newline, newline + 1
        yield at, after
        if 0 <= newline < after:
            newline = text.find("\n", after)
        if 0 <= carriage < after:
            carriage = text.find("\r", after)


def _index(line: str, character: int, encoding: str) -> int:
    """Return how many characters of `line` precede `character` code units (at most all)."""
    if encoding == UTF32 or line.isascii():
        return min(character, len(line))
    units = 0
    for index, char in enumerate(line):
        if units >= character:
            return index
        units += _width(char, encoding)
    return len(line)


def code_units(text: str, encoding: str) -> int:
    """Return how many code units `text` takes in `encoding`."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    return sum(_width(char, encoding) for char in text)


def _width(char: str, encoding: str) -> int:
    """Return how many code units `char` takes in `encoding` (UTF-16 unless UTF-8 was agreed)."""
    if encoding == UTF8:
        return len(char.encode("utf-8", "surrogatepass"))
    return 2 if ord(char) > 0xFFFF else 1
