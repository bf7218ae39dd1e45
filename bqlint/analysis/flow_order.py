"""Block order for flow.py: reverse postorder, and which guard names later blocks read.

Both are computed before the fixed point (`FlowPlan`, with the facts read off the events),
the second only once a guard was released; it keeps the states small (see `forget_released`).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from bqlint.analysis.cfg import CFG, Block
from bqlint.analysis.events import Bind, Borrow, CellKey, DelName, EndBorrow, GuardUse, LockChange
from bqlint.source import walk


class FlowPlan:
    """What the dataflow needs of one CFG before it runs: the blocks by rank (reverse
    postorder) and their successors' ranks, and the facts read off its events."""

    __slots__ = (
        "by_rank",
        "rank",
        "succ_ranks",
        "borrows",
        "with_bids",
        "rebound",
        "release_order",
        "read_later",
        "released_params",
        "event_ranks",
        "follow",
        "_by_key",
        "_by_root",
        "_by_index",
    )

    def __init__(self, cfg: CFG) -> None:
        blocks = reverse_postorder(cfg.entry)
        self.by_rank = blocks
        self.rank = {id(b): i for i, b in enumerate(blocks)}
        self.succ_ranks = [[self.rank[id(s)] for s in b.succ] for b in blocks]
        self.borrows: dict[int, Borrow] = {}
        self.with_bids: set[int] = set()
        # Names some statement rebinds or deletes: such a parameter may no longer hold what
        # the caller passed.
        self.rebound: set[str] = set()
        # Source order of release points, so that related locations read top to bottom.
        self.release_order: dict[int, int] = {}
        for block in cfg.blocks:  # one pass over the events for all four
            for event in block.events:
                if isinstance(event, Borrow):
                    self.borrows[event.bid] = event
                elif isinstance(event, EndBorrow):
                    self.with_bids.update(event.bids)
                elif isinstance(event, (Bind, DelName)):
                    self.rebound.add(event.name)
                elif isinstance(event, LockChange):
                    self.release_order.setdefault(id(event.node), len(self.release_order))
        # Filled by flow.py when first needed: the guard names read later, per rank (once a
        # guard was released), the parameters released on every path, the events' order.
        self.read_later: dict[int, frozenset[str]] | None = None
        self.released_params: frozenset[str] | None = None
        # id(event node) -> its place among the events (filled when a guard is first released).
        self.event_ranks: dict[int, int] | None = None
        self.follow: list[int | None] | None = None
        self._by_key: dict[tuple[CellKey, bool], list[int]] | None = None
        self._by_root: dict[str, list[int]] | None = None
        self._by_index: dict[str, list[int]] | None = None

    def conflicting(self, key: CellKey, mut: bool) -> list[int]:
        """Return, lowest first, the function's borrows that a borrow of `key` conflicts with
        while they live: all of that cell's for a mutable borrow, its mutable ones otherwise."""
        if self._by_key is None:
            self._by_key = {}
            for bid in sorted(self.borrows):
                borrow = self.borrows[bid]
                self._by_key.setdefault((borrow.key, True), []).append(bid)
                if borrow.mut:
                    self._by_key.setdefault((borrow.key, False), []).append(bid)
        return self._by_key.get((key, mut), [])

    def through_local(self, root: str) -> list[int]:
        """Return the function's borrows of a cell reached through the local `root` (`l:x`)."""
        if self._by_root is None:
            self._by_root = {}
            for bid, borrow in self.borrows.items():
                self._by_root.setdefault(borrow.key[0], []).append(bid)
        return self._by_root.get(root, [])

    def through_index(self, name: str) -> list[int]:
        """Return the function's borrows of a cell whose path indexes with local `name`
        (`self.chans[n]`): rebinding `name` makes the same text name another element."""
        if self._by_index is None:
            self._by_index = {}
            for bid, borrow in self.borrows.items():
                for index_name in _index_names(borrow.node):
                    self._by_index.setdefault(index_name, []).append(bid)
        return self._by_index.get(name, [])

    def straight_successors(self, exit_id: int) -> list[int | None]:
        """Per rank, the rank of its only successor when that block has no other predecessor
        (and is neither the entry nor the exit): straight-line code, which flow.py runs without
        storing a state between the two blocks."""
        if self.follow is None:
            preds = [0] * len(self.by_rank)
            for succs in self.succ_ranks:
                for succ in succs:
                    preds[succ] += 1
            exit_rank = self.rank.get(exit_id)
            self.follow = [
                succs[0] if len(succs) == 1 and preds[succs[0]] == 1 and succs[0] not in (0, rank, exit_rank) else None
                for rank, succs in enumerate(self.succ_ranks)
            ]
        return self.follow


def reverse_postorder(entry: Block) -> list[Block]:
    """Return the blocks reachable from `entry` in reverse postorder (iterative DFS)."""
    seen = {id(entry)}
    post: list[Block] = []
    stack: list[tuple[Block, Iterator[Block]]] = [(entry, iter(entry.succ))]
    while stack:
        block, succs = stack[-1]
        for succ in succs:
            if id(succ) not in seen:
                seen.add(id(succ))
                stack.append((succ, iter(succ.succ)))
                break
        else:
            stack.pop()
            post.append(block)
    post.reverse()
    return post


def guards_read_later(by_rank: dict[int, Block], order: dict[int, int]) -> dict[int, frozenset[str]]:
    """Return, per rank, the guard names whose released borrows may be read from that block on.

    A backward liveness: a GuardUse of a name, or a Bind that copies it, reads its entry; a
    Bind or `del` of the name replaces it. A name is tracked only where it may already be
    bound (at or after the lowest block reachable from one of its Binds): before that it
    cannot be released, and tracking it there would cost time and memory quadratic in the
    function's length. Sweeps in postorder settle the loops.
    """
    ranks = sorted(by_rank, reverse=True)
    succs = {rank: [order[id(succ)] for succ in by_rank[rank].succ] for rank in ranks}
    # Without a back edge (no loop) one sweep in postorder is already the fixed point.
    loops = any(s <= rank for rank in ranks for s in succs[rank])
    low = _lowest_reachable(ranks, succs) if loops else {rank: rank for rank in by_rank}
    floor: dict[str, int] = {}
    for rank, block in by_rank.items():
        for event in block.events:
            if isinstance(event, Bind) and floor.get(event.name, rank + 1) > low[rank]:
                floor[event.name] = low[rank]
    live: dict[int, frozenset[str]] = {rank: frozenset() for rank in by_rank}
    # Each block's events, composed once: names read at its entry = gen | (read after - kill).
    transfer = {rank: _gen_kill(by_rank[rank]) for rank in ranks}
    changed = True
    while changed:
        changed = False
        for rank in ranks:
            gen, kill = transfer[rank]
            names: set[str] = set()
            for succ_rank in succs[rank]:
                names |= live[succ_rank]
            names -= kill
            names |= gen
            kept = frozenset(n for n in names if floor.get(n, len(by_rank)) <= rank)
            if kept != live[rank]:
                live[rank] = kept
                changed = True
        changed = changed and loops
    return live


def _gen_kill(block: Block) -> tuple[set[str], set[str]]:
    """Return (gen, kill) of a block's events read backwards: a GuardUse reads its name, a
    Bind replaces its name and reads its alias, a `del` replaces its name."""
    gen: set[str] = set()
    kill: set[str] = set()
    for event in reversed(block.events):
        kind = type(event)
        if kind is GuardUse:
            gen.add(event.name)  # type: ignore[union-attr]
        elif kind is Bind:
            gen.discard(event.name)  # type: ignore[union-attr]
            kill.add(event.name)  # type: ignore[union-attr]
            if event.alias is not None:  # type: ignore[union-attr]
                gen.add(event.alias)  # type: ignore[union-attr]
        elif kind is DelName:
            gen.discard(event.name)  # type: ignore[union-attr]
            kill.add(event.name)  # type: ignore[union-attr]
    return gen, kill


def _lowest_reachable(ranks: list[int], succs: dict[int, list[int]]) -> dict[int, int]:
    """Return, per rank, the lowest rank reachable from that block (itself included).

    In reverse postorder only back edges go to a lower rank, so a block outside every loop
    reaches nothing before itself; a few sweeps settle the loops.
    """
    low = {rank: rank for rank in ranks}
    changed = True
    while changed:
        changed = False
        for rank in ranks:  # highest first
            best = min([low[s] for s in succs[rank]], default=rank)
            if best < low[rank]:
                low[rank] = best
                changed = True
    return low


def _index_names(call: cst.Call) -> set[str]:
    """Return the names read by the subscripts of the path a borrow call is made on."""
    found: set[str] = set()
    path = call.func.value if type(call.func) is cst.Attribute else None
    while path is not None:
        if type(path) is cst.Subscript:
            found.update(node.value for element in path.slice for node in walk(element) if type(node) is cst.Name)
            path = path.value
        elif type(path) is cst.Attribute:
            path = path.value
        else:
            path = None
    return found
