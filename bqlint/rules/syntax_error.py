"""BQL999 syntax-error

File that cannot be parsed.
"""

from __future__ import annotations

from bqlint.rules import Rule


class SyntaxError_(Rule):
    code = "BQL999"
    name = "syntax-error"
    summary = "File that cannot be parsed"
