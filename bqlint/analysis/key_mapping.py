"""Translate a callee's facts into its caller's terms at a call: cell keys and chains.

Used by flow.py when a call applies the callee's summary (SPEC §3.1.2).
"""

from __future__ import annotations

from bqlint.analysis.events import Call, CellKey
from bqlint.analysis.summaries import Link, Summary
from bqlint.model.functions import FunctionInfo


# Access paths longer than this are dropped (k-limiting, SPEC §3.1.2 "Termination"): a
# method that calls itself through a field (`self.slave.m()`) would otherwise grow
# `self.slave.slave...regs` without end. Dropping a fact only loses findings, never adds one.
MAX_KEY_LENGTH = 6


def map_key(callee: FunctionInfo, key: CellKey, call: Call) -> CellKey | None:
    """Translate a callee-relative cell key into the caller's terms at `call`, or None."""
    mapped = _map_key(callee, key, call)
    if mapped is not None and len(mapped) > MAX_KEY_LENGTH:
        return None
    return mapped


def _map_key(callee: FunctionInfo, key: CellKey, call: Call) -> CellKey | None:
    root = key[0]
    if root == "self":
        return (*call.receiver, *key[1:]) if call.receiver is not None and call.guard is None else None
    if root.startswith("g:"):
        return key
    if root.startswith("p:"):
        name = root[2:]
        params = callee.param_names()
        if (callee.self_name is not None and call.receiver is not None) or callee.is_classmethod():
            params = params[1:]  # `self` bound by the receiver; `cls` by any call
        for keyword, value in call.kwargs:
            if keyword == name:
                return (*value, *key[1:]) if value is not None else None
        if name in params:
            index = params.index(name)
            if index < len(call.args) and call.args[index] is not None:
                return (*call.args[index], *key[1:])  # type: ignore[misc]
    return None


def prefixed(summary: Summary, first: Link) -> Summary:
    """Return `summary` with `first` put before every chain."""
    return Summary(
        releases=(first, *summary.releases) if summary.releases else None,
        borrows={key: (first, *chain) for key, chain in summary.borrows.items()},
        needs_bql=(first, *summary.needs_bql) if summary.needs_bql else None,
        leaves_held=summary.leaves_held,
        releases_params=summary.releases_params,
        writes_params={param: (first, *chain) for param, chain in summary.writes_params.items()},
    )
