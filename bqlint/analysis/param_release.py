"""What a callee does to the guards its caller passes it, applied at the call.

* Parameters it releases on every path (`def finish(g): g.release()`): the caller's borrow
  ends at the call, as at run time (the guard is one object, released wherever `release()`
  is called). A must-fact over the CFG: every path from the entry to the exit releases the
  object the parameter was called with, before any rebinding or `del` of the name.
* Parameters it writes through (`def clamp(t): t.divisor &= MASK`): a `borrow()` guard
  passed for one is written through, BQL004 at the call in the function holding the guard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bqlint.analysis.cfg_blocks import CFG, Block
from bqlint.analysis.events import Bind, Call, DelName, ReleaseGuard
from bqlint.analysis.flow_order import reverse_postorder
from bqlint.analysis.flow_state import State
from bqlint.analysis.key_mapping import map_key
from bqlint.analysis.summaries import Link, Summary
from bqlint.model.functions import FunctionInfo

if TYPE_CHECKING:
    from bqlint.analysis.flow import Analyzer

# (released on every path so far, rebound or deleted on some path before its release)
_Facts = tuple[frozenset[str], frozenset[str]]


def released_params(cfg: CFG, params: Sequence[str]) -> frozenset[str]:
    """Return the names of `params` whose object is released on every path to the exit."""
    wanted = frozenset(params)
    if not any(isinstance(e, ReleaseGuard) and e.name in wanted for b in cfg.blocks for e in b.events):
        return frozenset()
    order = reverse_postorder(cfg.entry)
    preds: dict[int, list[Block]] = {}
    for block in order:
        for succ in block.succ:
            preds.setdefault(id(succ), []).append(block)
    outs: dict[int, _Facts] = {}
    changed = True
    while changed:
        changed = False
        for block in order:
            ins = [outs[id(p)] for p in preds.get(id(block), ()) if id(p) in outs]
            if block is cfg.entry:
                facts: _Facts = (frozenset(), frozenset())
            elif not ins:
                continue
            else:
                released = frozenset.intersection(*(r for r, _ in ins))
                lost = frozenset().union(*(lost for _, lost in ins))
                facts = (released, lost)
            facts = _through(block, facts, wanted)
            if outs.get(id(block)) != facts:
                outs[id(block)] = facts
                changed = True
    return outs.get(id(cfg.exit), (frozenset(), frozenset()))[0]


def _through(block: Block, facts: _Facts, wanted: frozenset[str]) -> _Facts:
    released, lost = facts
    for event in block.events:
        if isinstance(event, ReleaseGuard):
            if event.name in wanted and event.name not in lost:
                released = released | {event.name}
        elif isinstance(event, (Bind, DelName)):
            if event.name in wanted and event.name not in released:
                lost = lost | {event.name}
    return released, lost


def apply_param_writes(
    flow: Analyzer, event: Call, callee: FunctionInfo, summary: Summary, step: Callable[[], Link], state: State
) -> None:
    """Apply the callee's writes through its parameters at `event`: a `borrow()` guard
    passed for one is written through (BQL004 at the call); a parameter of the caller passed
    for one makes the caller write through it too. A method that mutates its `self`, called
    on a parameter, writes through that parameter."""
    from bqlint.analysis.flow import Hazard  # flow.py imports this module

    receiver = event.receiver
    if receiver is not None and len(receiver) == 1 and receiver[0].startswith("p:") and event.guard is None:
        if receiver[0][2:] not in flow.rebound and flow.recording:
            mutation = flow.mutates(callee)
            if mutation is not None:
                flow.result.summary.add_param_write(receiver[0][2:], (step(), *mutation))
    for param, chain in list(summary.writes_params.items()):
        mapped = map_key(callee, (f"p:{param}",), event)
        if not mapped:
            continue
        root = mapped[0]  # `clear(g.ctrl)` writes into what `g` guards, as `clear(g)` would
        if root.startswith("l:"):
            shared = [b for b in state.bound.get(root[2:]) if not flow.borrows[b].mut]
            if shared:
                flow.report(Hazard("BQL004", event.node, flow.borrows[min(shared)], chain, "call", event))
        elif root.startswith("p:") and root[2:] not in flow.rebound and flow.recording:
            flow.result.summary.add_param_write(root[2:], (step(), *chain))


def released_by_callees(flow: Analyzer, event: Call, state: State) -> State:
    """End the borrows of the guard names `event` passes to parameters that every callee
    releases on every path (`self._finish(g)` where `_finish` calls `g.release()`)."""
    names: set[str] | None = None
    for callee in event.callees:
        summary = flow.summaries.get(id(callee))
        if summary is None or not summary.releases_params:
            return state
        passed = set()
        for param in summary.releases_params:
            mapped = map_key(callee, (f"p:{param}",), event)
            if mapped is not None and len(mapped) == 1 and mapped[0].startswith("l:"):
                passed.add(mapped[0][2:])
        names = passed if names is None else names & passed
    bound = state.bound
    for name in sorted(names or ()):
        bids = bound.get(name)
        if bids:
            site = flow.link(event.node, f"`{name}` is released by `{event.label}` here")
            state = flow.end(state, bids, site)
    return state
