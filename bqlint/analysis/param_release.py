"""Which parameters a function releases on every path: `def finish(g): g.release()`.

A caller that passes a guard to such a function has its borrow ended by the call, as at run
time (the guard is one object, released wherever `release()` is called). A must-fact over
the CFG: a parameter counts only when every path from the entry to the exit releases the
object it was called with, before any rebinding or `del` of the name.
"""

from __future__ import annotations

from collections.abc import Sequence

from bqlint.analysis.cfg_blocks import CFG, Block
from bqlint.analysis.events import Bind, DelName, ReleaseGuard
from bqlint.analysis.flow_order import reverse_postorder

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
