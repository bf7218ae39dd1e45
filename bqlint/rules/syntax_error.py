"""BQL999 syntax-error

## What it flags
A file that bqlint must read but cannot parse. It is reported at the error's row and column
(row 1, column 1 when unknown), and every other file is still checked.

## Why it is a bug
A file that does not parse cannot run; bqlint cannot check it either.

## Example
```python
def broken(:
    pass
```

## Corrected
```python
def broken():
    pass
```

## Fix
Fix the syntax error; bqlint never rewrites a file that would not parse.

## At run time
Python raises `SyntaxError` on import.

## Options
None; bqlint parses the files that mention the `bql` runtime or configured names, the
modules they import or that import them, and every file named on the command line.

## See also
BQL100 (unused-suppression).
"""

from __future__ import annotations

from bqlint.rules import Rule


class SyntaxError_(Rule):
    """Reported by the engine when a file does not parse."""

    code = "BQL999"
    name = "syntax-error"
    summary = "File that cannot be parsed"
