"""Text from the file system shown on a terminal: escaped so that a file name cannot forge a
line of output or send an escape sequence, and measured in the columns it takes there.

Used by the text formats (full, concise, --show-files, --diff headers) and the messages on
stderr; the machine formats escape by their own encoding (JSON, SARIF, XML, GitHub's `%0A`).
"""

from __future__ import annotations

import unicodedata

# C0 controls and DEL in a source line are shown as the Unicode control pictures (U+2400-U+2421),
# one column each, as ruff's code frames show them: `␛[31m`, not a red terminal.
_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}
# Other characters a source line must not send raw: C1 controls (U+009B starts an escape
# sequence too), line and paragraph separators, lone surrogates (undecodable bytes).
_ESCAPED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


def printable(text: str) -> str:
    """Return `text` with every character Python's repr() escapes written as repr writes it.

    Controls (`\\x1b`, `\\n`, `\\r`, `\\t`, `\\x7f`, `\\x9b`), line separators (`\\u2028`),
    format characters (`\\u202e`) and undecodable bytes (`\\udcff`) become visible escapes;
    a backslash is left as it is, so only a name with one of those characters reads as one.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def printable_source(line: str, tab: str) -> str:
    """Return one source line as a code frame shows it: tabs as `tab`, controls as pictures.

    Format characters (zero-width joiners, bidi marks) and spaces of every kind stay as they
    are: they are part of how the code reads, and none moves the cursor off the line.
    """
    if line.isprintable():
        return line
    out = []
    for char in line:
        if char == "\t":
            out.append(tab)
        elif ord(char) in _PICTURES:
            out.append(_PICTURES[ord(char)])
        elif unicodedata.category(char) in _ESCAPED_CATEGORIES:
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


def display_width(text: str) -> int:
    """Return how many terminal columns `text` takes (text already made printable).

    East Asian wide and fullwidth characters (CJK, most emoji) take two; combining marks,
    enclosing marks and format characters (zero-width joiners, variation selectors are
    marks) take none; everything else one. This is what wcwidth() gives on a terminal.
    """
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if char.isascii():
            width += 1
        elif unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            width += 2
        else:
            width += 1
    return width
