"""Forward dataflow over a function's CFG: live borrows, guard names, and the BQL.

"Alive" and "may release" are may-facts (union at joins); "BQL known not held" is a
must-fact (SPEC §3.1.1 "Flow"). One pass to a fixed point, then one pass that records
hazards (what the rules report) and the function's summary (what its callers see).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from bqlint.analysis.cfg import CFG, Block
from bqlint.analysis.events import (
    Bind,
    Borrow,
    Call,
    CellKey,
    CellOp,
    DelName,
    EndBorrow,
    Escape,
    Event,
    GuardUse,
    GuardWrite,
    ParamWrite,
    LockChange,
    Narrow,
    ReleaseGuard,
    UnlockPoint,
    key_text,
)
# Looked up here at call time under their old names: tests/analysis/test_flow_scale.py spies on them.
from bqlint.analysis.flow_order import guards_read_later as _guards_read_later
from bqlint.analysis.flow_order import FlowPlan
from bqlint.analysis.flow_state import EMPTY_NAMES, HELD, INHERIT, Lock, NameMap, State, entry_lock, with_changes
from bqlint.analysis.flow_state import first_release
from bqlint.analysis.flow_state import forget_released as _forget_released
from bqlint.analysis.key_mapping import map_key, prefixed
from bqlint.analysis.param_release import apply_param_writes, released_by_callees, released_params
from bqlint.analysis.summaries import Chain, Link, Summary
from bqlint.model.functions import FunctionInfo
from bqlint.model.project import ModuleInfo


@dataclass(frozen=True, slots=True)
class Hazard:
    """Something a rule reports: `code` at `node`, with the facts behind it."""

    code: str
    node: cst.CSTNode
    borrow: Borrow | None = None
    chain: Chain = ()
    detail: str = ""
    call: Call | None = None


@dataclass
class FunctionFlow:
    """The result of analysing one function: hazards and summary."""

    fn: FunctionInfo
    hazards: list[Hazard] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)




class Analyzer:
    """Run the dataflow of one function against the current summaries of its callees."""

    def __init__(
        self,
        fn: FunctionInfo,
        cfg: CFG,
        summaries: dict[int, Summary],
        mutates: Callable[[FunctionInfo], Chain | None],
        plan: FlowPlan | None = None,
        entry: Lock | None = None,
    ) -> None:
        self.fn = fn
        self.entry = entry if entry is not None else entry_lock(fn)
        self.mutates = mutates
        self.module: ModuleInfo = fn.module
        self.cfg = cfg
        self.summaries = summaries
        self.plan = plan if plan is not None else FlowPlan(cfg)
        self.borrows: dict[int, Borrow] = self.plan.borrows
        self.with_bids: set[int] = self.plan.with_bids
        self.rebound: set[str] = self.plan.rebound
        self.order: dict[int, int] = self.plan.release_order
        self.result = FunctionFlow(fn)
        self._seen: set[tuple[str, int]] = set()
        self.recording = False

    def run(self) -> FunctionFlow:
        plan = self.plan
        by_rank, succ_ranks = plan.by_rank, plan.succ_ranks
        follow = plan.straight_successors(id(self.cfg.exit))
        # States by rank (reverse postorder): every predecessor outside a loop is done before a join.
        # A block that is the only successor of its only predecessor (straight-line code) gets
        # no stored state: it runs right after that predecessor, so the states kept are one per
        # run of straight-line blocks, not one per block (a function of n live guards split
        # into n blocks by its calls kept n states of n guards each).
        states: dict[int, State] = {0: State(frozenset(), EMPTY_NAMES, (), self.entry)}
        work: list[int] = [0]
        queued = {0}
        while work:
            rank = heapq.heappop(work)
            queued.discard(rank)
            state = self.block(by_rank[rank], states[rank])
            while follow[rank] is not None:
                rank = follow[rank]  # type: ignore[assignment]
                state = self.block(by_rank[rank], self.carry(state, rank))
            for succ_rank in succ_ranks[rank]:
                out = self.carry(state, succ_rank)
                old = states.get(succ_rank)
                new = out if old is None else old.join(out)
                if new != old:
                    states[succ_rank] = new
                    if succ_rank not in queued:
                        queued.add(succ_rank)
                        heapq.heappush(work, succ_rank)
        self.recording = True
        if plan.released_params is None:
            me = self.fn.self_name
            plan.released_params = released_params(self.cfg, [p for p in self.fn.param_names() if p != me])
        self.result.summary.releases_params = plan.released_params
        exit_rank = plan.rank.get(id(self.cfg.exit))
        end = states.get(exit_rank) if exit_rank is not None else None
        if end is not None and end.lock == HELD:
            self.result.summary.leaves_held = True
        self.record(states, follow)
        self.initial_summary()
        return self.result

    def carry(self, state: State, succ_rank: int) -> State:
        """Return `state` as it enters the block of `succ_rank`: without the released guards
        no block from there on reads."""
        if not state.released:
            return state  # forget_released keeps a state that released nothing
        plan = self.plan
        if plan.read_later is None:
            plan.read_later = _guards_read_later(dict(enumerate(plan.by_rank)), plan.rank)
        return _forget_released(state, plan.read_later[succ_rank])

    def record(self, states: dict[int, State], follow: list[int | None]) -> None:
        """The recording pass: each block once, in the order the CFG made them, from its state
        at the fixed point (a straight-line block's from its predecessor's, just run)."""
        plan = self.plan
        pending: dict[int, State] = {}
        done: set[int] = set()
        before: dict[int, int] | None = None
        for block in self.cfg.blocks:
            at = plan.rank.get(id(block))
            if at is None:
                continue
            entry = states.get(at)
            if entry is None:
                if at not in pending:  # made before its predecessor ran: run up to it
                    if before is None:
                        before = {after: rank for rank, after in enumerate(follow) if after is not None}
                    self.replay_to(at, states, before, pending, done)
                entry = pending.pop(at)
            done.add(at)
            out = self.block(block, entry)
            after = follow[at]
            if after is not None and after not in done:
                pending[after] = self.carry(out, after)

    def replay_to(
        self, target: int, states: dict[int, State], before: dict[int, int], pending: dict[int, State], done: set[int]
    ) -> None:
        """Put in `pending` the entry state of `target`, a straight-line block, and of the
        blocks before it not recorded yet: run them from the last stored or pending state,
        without recording (each is recorded in its own turn, from that state)."""
        path = [target]
        while path[-1] not in states and path[-1] not in pending:
            path.append(before[path[-1]])
        head = path.pop()
        state = states[head] if head in states else pending[head]
        self.recording = False
        try:
            while path:
                state = self.carry(self.block(self.plan.by_rank[head], state), path[-1])
                head = path.pop()
                if head not in done:
                    pending[head] = state
        finally:
            self.recording = True

    def initial_summary(self) -> None:
        fn, summary = self.fn, self.result.summary
        deco = fn.releases_bql()
        if deco is not None and summary.releases is None:
            summary.releases = (Link(deco, fn.module, f"`{fn.name}()` is marked `@bql.releases_bql` here"),)
        deco = fn.without_bql()
        if deco is not None and summary.releases is None:
            # SPEC §3.1.2: the runtime releases the BQL to run a `@without_bql` function.
            label = f"`{fn.name}()` runs without the BQL (`@bql.without_bql`) here"
            summary.releases = (Link(deco, fn.module, label),)
        deco = fn.requires_bql()
        if deco is not None and summary.needs_bql is None:
            summary.needs_bql = (Link(deco, fn.module, f"`{fn.name}()` requires the BQL here"),)

    def block(self, block: Block, state: State) -> State:
        steps = _STEPS
        for event in block.events:
            state = steps[type(event)](self, event, state)
        return state

    def report(self, hazard: Hazard) -> None:
        key = (hazard.code, id(hazard.node))
        if self.recording and key not in self._seen:
            self._seen.add(key)
            self.result.hazards.append(hazard)

    def link(self, node: cst.CSTNode, label: str) -> Link:
        return Link(node, self.module, label)

    def rank_of(self, site: Link | None) -> int:
        """Return the place of `site`'s event in the CFG (blocks in order of creation), which
        orders releases of one borrow the same way on every run."""
        if site is None:
            return 0
        ranks = self.plan.event_ranks
        if ranks is None:
            ranks = self.plan.event_ranks = {}
            for block in self.cfg.blocks:
                for event in block.events:
                    node = getattr(event, "node", None)
                    if node is not None:
                        ranks.setdefault(id(node), len(ranks))
        return ranks.get(id(site.node), len(ranks))

    # ---- transfer --------------------------------------------------------------------
    def step(self, event: Event, state: State) -> State:
        """Return the state after `event` (one transfer function per event type)."""
        return _STEPS[type(event)](self, event, state)

    def _borrow(self, event: Borrow, state: State) -> State:
        if not event.is_try:
            bid = self.first_conflict(state, event.key, event.mut)
            if bid is not None:
                self.report(Hazard("BQL003", event.node, self.borrows[bid], (), "direct"))
            if self.recording:
                mode = "mutably " if event.mut else ""
                label = f"`{self.fn.name}()` borrows `{key_text(event.key)}` {mode}here"
                self.result.summary.add_borrow(event.key, event.mut, (self.link(event.node, label),))
        return with_changes(state, live=state.live | {event.bid}, stale=state.stale - {event.bid})

    def _end_borrow(self, event: EndBorrow, state: State) -> State:
        return self.end(state, frozenset(event.bids), None)

    def _bind(self, event: Bind, state: State) -> State:
        return self.bind(state, event)

    def _release_guard(self, event: ReleaseGuard, state: State) -> State:
        bids = state.bound.get(event.name)
        return self.end(state, bids, self.link(event.node, f"`{event.name}` is released here"))

    def _del_name(self, event: DelName, state: State) -> State:
        bids = state.bound.get(event.name)
        bound = state.bound.remove(event.name)
        released = dict(state.released)
        released.pop(event.name, None)
        live = state.live - self.unshared(bids, bound)
        return with_changes(state, live=live, bound=bound, released=tuple(released.items()))

    def _narrow(self, event: Narrow, state: State) -> State:
        bids = state.bound.get(event.name)
        bound = state.bound.remove(event.name)
        return with_changes(state, live=state.live - self.unshared(bids, bound), bound=bound)

    def _unlock_point(self, event: UnlockPoint, state: State) -> State:
        self.unlock_point(event, state)
        return state

    def _cell_op(self, event: CellOp, state: State) -> State:
        if event.thread_start is not None:
            started = "the method" if type(event.node) is cst.Attribute else "the lambda"
            start = self.link(event.thread_start, f"{started} is started as a thread here")
            self.report(Hazard("BQL006", event.node, chain=(start,)))
            return state
        if state.lock.known_not_held():
            self.report(Hazard("BQL006", event.node, chain=self.release_sites(state.lock)))
        elif state.lock.inherit and self.recording:
            label = f"`{key_text(event.key)}.{event.method}()` needs the BQL here"
            self.result.summary.add_needs((self.link(event.node, label),))
        return state

    def _call(self, event: Call, state: State) -> State:
        self.call(event, state)
        if event.thread_start is None:
            state = released_by_callees(self, event, state)
            if self.all_leave_held(event):
                return with_changes(state, lock=HELD)  # `relock()` took the BQL again
        return state

    def _guard_use(self, event: GuardUse, state: State) -> State:
        ends = dict(state.released).get(event.name) if state.released else None
        if ends:
            ((bid, _, site),) = ends
            self.report(Hazard("BQL005", event.node, self.borrows.get(bid), (site,) if site else (), "use"))
        return state

    def _guard_write(self, event: GuardWrite, state: State) -> State:
        for bid in self.guard_bids(event.guard, state):
            borrow = self.borrows.get(bid)
            if borrow is not None and not borrow.mut:
                self.report(Hazard("BQL004", event.node, borrow, (), "write"))
                break
        return state

    def _param_write(self, event: ParamWrite, state: State) -> State:
        if self.recording:
            label = f"`{self.fn.name}()` writes through `{event.param}` here"
            self.result.summary.add_param_write(event.param, (self.link(event.node, label),))
        return state

    def _escape(self, event: Escape, state: State) -> State:
        bids = self.guard_bids(event.guard, state)
        if bids:
            self.report(Hazard("BQL005", event.node, self.first(bids), (), event.kind))
        return state

    def first_conflict(self, state: State, key: CellKey, mut: bool) -> int | None:
        """Return the lowest live (not stale) borrow of `key` that a borrow of it (`mut` or
        not) conflicts with: through the function's borrows of that key when they are fewer
        than the live ones (n live shared guards of one cell made each borrow sort all n)."""
        candidates = self.plan.conflicting(key, mut)
        if len(candidates) < len(state.live):
            live, stale = state.live, state.stale
            return next((bid for bid in candidates if bid in live and bid not in stale), None)
        for bid in sorted(state.live - state.stale):
            other = self.borrows[bid]
            if other.key == key and (mut or other.mut):
                return bid
        return None

    def unshared(self, bids: frozenset[int], bound: NameMap) -> frozenset[int]:
        """Return the borrows of `bids` that no other name or `with` block keeps alive."""
        if not bids:
            return frozenset()
        # Per borrow, the first name found holding it decides: not a union of every name's
        # borrows at each end (quadratic in a display of many copies of a guard, crash8 #9).
        return frozenset(
            b for b in bids if b not in self.with_bids and not any(b in held for held in bound.values())
        )

    def end(self, state: State, bids: frozenset[int], site: Link | None) -> State:
        bound = state.bound
        released = dict(state.released)
        for name, held in list(bound.items()):
            if held & bids:
                if held - bids:
                    bound = bound.set(name, held - bids)
                else:
                    bound = bound.remove(name)  # same as bound to nothing, and keeps the state small
                rank = self.rank_of(site)
                released[name] = first_release(released.get(name, frozenset()) | {(b, rank, site) for b in held & bids})
        return with_changes(
            state, live=state.live - bids, bound=bound, released=tuple(released.items())
        )

    def bind(self, state: State, event: Bind) -> State:
        bound = state.bound
        if event.keep:
            if event.bid is not None:
                add = frozenset({event.bid})
            else:
                add = bound.get(event.alias or "")
            return with_changes(state, bound=bound.set(event.name, bound.get(event.name) | add))
        old = bound.get(event.name)
        bound = bound.remove(event.name)
        root = f"l:{event.name}"
        if event.bid is not None:
            new = frozenset({event.bid})
        elif event.alias is not None:
            new = bound.get(event.alias) if event.alias != event.name else old
        else:
            new = frozenset()
        gone = self.unshared(old - new, bound)
        live = state.live - gone if gone else state.live  # a frozenset difference copies it all
        through = self.plan.through_local(root)  # the borrows of cells named by this local
        indexed = self.plan.through_index(event.name)  # `self.chans[n]`: n names another element now
        if indexed:
            through = [*through, *indexed]
        if len(through) < len(live):
            stale = (state.stale | {b for b in through if b in live}) & live
        else:
            stale = (state.stale | {b for b in live if self.borrows[b].key[0] == root or b in indexed}) & live
        if new:
            bound = bound.set(event.name, new)
        if not state.released:  # nothing released yet: nothing to forget or copy
            return with_changes(state, live=live, bound=bound, stale=stale)
        released = dict(state.released)
        released.pop(event.name, None)
        if event.alias is not None and event.alias in dict(state.released) and not new:
            # `h = g` after `g.release()`: h is the released guard too. A name that still holds
            # a live guard (the next element of `for g in (a, b)`) is that guard instead.
            released[event.name] = dict(state.released)[event.alias]
        return with_changes(
            state, live=live, bound=bound, released=tuple(released.items()), stale=stale
        )

    def guard_bids(self, guard: str | int, state: State) -> frozenset[int]:
        if isinstance(guard, int):
            return frozenset({guard}) if guard in state.live else frozenset()
        return state.bound.get(guard)

    def release_sites(self, lock: Lock) -> tuple[Link, ...]:
        return tuple(sorted(lock.not_held, key=lambda link: self.order.get(id(link.node), -1)))

    def first(self, bids: frozenset[int]) -> Borrow | None:
        return self.borrows[min(bids)] if bids else None

    def unlock_point(self, event: UnlockPoint, state: State) -> None:
        live = state.live if event.within is None else state.live & event.within
        if live:
            self.report(Hazard("BQL002", event.node, self.borrows[min(live)], (), event.kind))
        if self.recording and event.kind in ("unlock", "unlocked", "configured"):
            labels = {
                "unlock": "the BQL is released here",
                "unlocked": "the BQL is released for this block",
                "configured": "this configured unlock point releases the BQL",
            }
            self.result.summary.add_releases((self.link(event.node, labels[event.kind]),))

    def lock_change(self, event: LockChange, state: State) -> State:
        if event.action == "held":
            return with_changes(state, lock=HELD)
        if event.action == "not_held":
            label = "the BQL is released here"
            return with_changes(state, lock=Lock(False, False, frozenset({self.link(event.node, label)})))
        saved = dict(state.saved)
        if event.action == "save":
            saved[event.token] = state.lock
            return with_changes(state, saved=tuple(sorted(saved.items())))
        lock = saved.pop(event.token, INHERIT)
        return with_changes(state, lock=lock, saved=tuple(sorted(saved.items())))

    def call(self, event: Call, state: State) -> None:
        if event.thread_start is not None:
            self.thread_call(event)
            return
        if event.wrapped:
            self.wrapped_call(event, state)
            return
        here = event.label
        via = {id(fn): node for fn, node in event.via} if event.via else {}

        def step() -> Link:  # a summary's first link, made only in the recording pass
            return self.link(event.node, f"`{self.fn.name}()` calls `{here}` here")

        for callee in event.callees:
            if event.guard is not None:
                # Whether the callee writes its `self` is not a summary fact: a callee not yet
                # analysed (another module, later in the queue) is asked all the same.
                shared = [b for b in self.guard_bids(event.guard, state) if not self.borrows[b].mut]
                mutation = self.mutates(callee) if shared else None
                if mutation is not None:
                    self.report(
                        Hazard("BQL004", event.node, self.borrows[min(shared)], mutation, "call", event)
                    )
            summary = self.summaries.get(id(callee))
            if summary is None:
                continue
            if id(callee) in via:  # `lambda d: self._rx(d)`: that call is the first of the chain
                summary = prefixed(
                    summary, self.link(via[id(callee)], f"the handler calls `{callee.name}()` here")
                )
            apply_param_writes(self, event, callee, summary, step, state)
            if summary.releases is not None:
                if state.live:
                    self.report(
                        Hazard(
                            "BQL002",
                            event.node,
                            self.borrows[min(state.live)],
                            summary.releases,
                            "call",
                            event,
                        )
                    )
                if self.recording:
                    self.result.summary.add_releases((step(), *summary.releases))
            for (key, mut), chain in summary.borrows.items():
                mapped = map_key(callee, key, event)
                if mapped is None:
                    continue
                bid = self.first_conflict(state, mapped, mut)
                if bid is not None:
                    self.report(Hazard("BQL003", event.node, self.borrows[bid], chain, "call", event))
                if self.recording:
                    self.result.summary.add_borrow(mapped, mut, (step(), *chain))
            if summary.needs_bql is not None and not callee.wrapped_under_bql():
                if state.lock.known_not_held():
                    sites = self.release_sites(state.lock)
                    self.report(
                        Hazard("BQL006", event.node, None, (*sites, *summary.needs_bql), "call", event)
                    )
                elif state.lock.inherit and self.recording:
                    self.result.summary.add_needs((step(), *summary.needs_bql))

    def all_leave_held(self, event: Call) -> bool:
        summaries = [self.summaries.get(id(callee)) for callee in event.callees]
        return bool(summaries) and all(s is not None and s.leaves_held for s in summaries)

    def wrapped_call(self, event: Call, state: State) -> None:
        """A wrapper calls the function it wraps where the BQL is known not held (`with
        bql.unlocked(): return fn(...)`): BQL006 here if a decorated function needs it."""
        if state.lock.known_not_held():
            self.needs_bql_at(event, self.release_sites(state.lock))

    def thread_call(self, event: Call) -> None:
        """A call made by a lambda started as a thread: the BQL is not held there."""
        start = self.link(event.thread_start, "the lambda is started as a thread here")  # type: ignore[arg-type]
        self.needs_bql_at(event, (start,))

    def needs_bql_at(self, event: Call, why: Chain) -> None:
        """Report BQL006 at `event`, made without the BQL (`why`), if a callee needs it."""
        for callee in event.callees:
            summary = self.summaries.get(id(callee))
            if summary is not None and summary.needs_bql is not None and not callee.wrapped_under_bql():
                self.report(Hazard("BQL006", event.node, None, (*why, *summary.needs_bql), "call", event))
                return


# The transfer function of each event type (the event classes have no subclasses).
_STEPS: dict[type, Callable[[Analyzer, Any, State], State]] = {
    Borrow: Analyzer._borrow,
    EndBorrow: Analyzer._end_borrow,
    Bind: Analyzer._bind,
    ReleaseGuard: Analyzer._release_guard,
    DelName: Analyzer._del_name,
    Narrow: Analyzer._narrow,
    UnlockPoint: Analyzer._unlock_point,
    LockChange: Analyzer.lock_change,
    CellOp: Analyzer._cell_op,
    Call: Analyzer._call,
    GuardUse: Analyzer._guard_use,
    GuardWrite: Analyzer._guard_write,
    ParamWrite: Analyzer._param_write,
    Escape: Analyzer._escape,
}
