"""Parse a module with libcst, without re-checking the nodes its own parser built.

libcst checks each node as it is constructed (`CSTNode.__post_init__` runs `_validate()`),
which guards trees built by hand. A tree built by libcst's parser is valid by construction,
and the check costs about a sixth of the parse (bench/RESULTS.md), so it is switched off
for the duration of a parse. libcst's own comment on that hook suggests the same.

While a parse runs, nodes that another thread constructs meanwhile are not checked either:
bqlint parses and analyses in one thread at a time (the lock below), and the text of a fix
is parsed again, checked, before it is written (bqlint.fixes).
"""

from __future__ import annotations

import threading

import libcst as cst

_LOCK = threading.Lock()


def _unchecked(self: cst.CSTNode) -> None:
    return None


def parse_module(text: str) -> cst.Module:
    """Return `text` parsed by libcst (its errors are raised as `cst.parse_module` does)."""
    hook = cst.CSTNode.__dict__.get("__post_init__")
    if hook is None:  # a libcst that checks nodes elsewhere: nothing to switch off
        return cst.parse_module(text)
    with _LOCK:
        cst.CSTNode.__post_init__ = _unchecked  # type: ignore[method-assign]
        try:
            return cst.parse_module(text)
        finally:
            cst.CSTNode.__post_init__ = hook  # type: ignore[method-assign]
