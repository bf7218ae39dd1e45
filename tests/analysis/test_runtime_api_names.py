"""The runtime names bqlint knows (model/api.py) are the runtime's own: its modules and the
`__all__` that `from bql import *` binds."""

from __future__ import annotations

from pathlib import Path

import bql

from bqlint.model.api import RUNTIME_ALL, RUNTIME_MODULES, canonical_api

RUNTIME = Path(bql.__file__).parent


def test_runtime_all_is_the_runtimes() -> None:
    assert RUNTIME_ALL == frozenset(bql.__all__)


def test_runtime_modules_are_the_runtimes() -> None:
    found = {"bql"}
    for path in RUNTIME.rglob("*.py"):
        parts = path.relative_to(RUNTIME.parent).with_suffix("").parts
        found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    assert RUNTIME_MODULES == frozenset(found)


def test_only_runtime_modules_fold() -> None:
    assert canonical_api("bql.lock.unlock") == "bql.unlock"
    assert canonical_api("bql.cell.BqlRefCell") == "bql.BqlRefCell"
    assert canonical_api("bql.chan.unlock") == "bql.chan.unlock"  # a global `chan`, not the runtime
    assert canonical_api("bql") == "bql"
