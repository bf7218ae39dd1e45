"""BQL998 io-error

## What it flags
A file that bqlint must check but cannot read or decode as Python source: not a regular file
(a FIFO, a socket, a device), unreadable (permissions), a dangling symlink or a symlink loop,
a file removed while bqlint ran, one larger than 32 MiB (far beyond any Python source: a data
dump; bqlint does not read it), one that memory cannot hold while it is read or decoded, or
bytes Python cannot decode (invalid UTF-8 without a PEP 263 coding cookie, a byte the
cookie's codec rejects, a byte-order mark that contradicts the cookie, an unknown codec). It
is reported at row 1, column 1 with the reason; every other file is still checked.

## Why it is a bug
Python cannot import a file it cannot decode, and a file bqlint cannot read is not checked:
reporting it is the only way not to pass it as "clean".

## Example
```python
# -*- coding: ascii -*-
GREETING = "café"
```

## Corrected
```python
# -*- coding: utf-8 -*-
GREETING = "café"
```

## Fix
Declare the encoding the file is stored in (or store it as UTF-8), or make the path a
readable regular file; bqlint never rewrites such a file.

## At run time
Python raises `SyntaxError` on import (or `OSError` when the file cannot be read).

## Options
None. Context files (read only for cross-module facts) that cannot be read are skipped.

## See also
BQL999 (syntax-error).
"""

from __future__ import annotations

from bqlint.rules import Rule


class IoError(Rule):
    """Reported by the engine when a file cannot be read or decoded."""

    code = "BQL998"
    name = "io-error"
    summary = "File that cannot be read or decoded as Python source"
