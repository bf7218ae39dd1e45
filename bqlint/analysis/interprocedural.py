"""Summaries to a fixed point over the call graph (recursion included), then final hazards.

Each function's CFG is built once; its dataflow re-runs only when the summary of a callee
changes shape, so a project costs about one pass per function plus the chains' depth.
"""

from __future__ import annotations

from collections import deque

from bqlint.analysis.cfg import CFG, CFGBuilder
from bqlint.analysis.cfg_blocks import Block, CFGTooLarge
from bqlint.analysis.events import Call
from bqlint.analysis.flow import Analyzer, FunctionFlow
from bqlint.analysis.flow_state import INHERIT
from bqlint.analysis.scope import FunctionScope
from bqlint.analysis.summaries import Chain, Link, Summary, grown
from bqlint.model.functions import FunctionInfo
from bqlint.model.mutations import self_mutations


def build_cfg(fn: FunctionInfo) -> CFG:
    """Return the CFG of one function, with its events; past its block budget, a CFG with no
    events (the function is assumed to do nothing) and `fn.not_analysed` says why."""
    try:
        return CFGBuilder(FunctionScope(fn)).build()
    except CFGTooLarge as exc:
        fn.not_analysed = str(exc)
        entry, exit_ = Block([], []), Block([], [])
        entry.succ.append(exit_)
        return CFG(entry, exit_, [entry, exit_])


def analyze_project(functions: list[FunctionInfo], cfgs: dict[int, CFG] | None = None) -> dict[int, FunctionFlow]:
    """Return the flow result of every function in `functions`, keyed by id(function).

    `cfgs` holds CFGs already built (by id(function)); the others are built here.
    """
    cfgs = dict(cfgs or {})
    for fn in functions:
        if id(fn) not in cfgs:
            cfgs[id(fn)] = build_cfg(fn)
    callers: dict[int, list[FunctionInfo]] = {}
    self_calls: dict[int, list[tuple[Call, FunctionInfo]]] = {}
    for fn in functions:
        for block in cfgs[id(fn)].blocks:
            for event in block.events:
                if isinstance(event, Call):
                    for callee in event.callees:
                        callers.setdefault(id(callee), []).append(fn)
                        if event.receiver == ("self",) and event.guard is None:
                            self_calls.setdefault(id(fn), []).append((event, callee))
    mutates = SelfMutations(self_calls)
    summaries: dict[int, Summary] = {}
    flows: dict[int, FunctionFlow] = {}
    known = {id(fn) for fn in functions}
    work = deque(functions)
    queued = {id(fn) for fn in functions}
    empty = Summary().shape()
    while work:
        fn = work.popleft()
        queued.discard(id(fn))
        flow = Analyzer(fn, cfgs[id(fn)], summaries, mutates).run()
        summary = flow.summary
        if fn.thread_starts and fn.without_bql() is None:
            # Started as a thread, it runs without the BQL (its own findings); called
            # directly, it runs with its caller's: what callers see is that summary.
            summary = Analyzer(fn, cfgs[id(fn)], summaries, mutates, entry=INHERIT).run().summary
        old = summaries.get(id(fn))
        summary = grown(old, summary)
        summaries[id(fn)] = summary
        flows[id(fn)] = flow
        if (old.shape() if old is not None else empty) != summary.shape():
            for caller in callers.get(id(fn), ()):
                if id(caller) in known and id(caller) not in queued:
                    queued.add(id(caller))
                    work.append(caller)
    return flows


class SelfMutations:
    """Whether a method mutates its own `self`, directly or through `self.m()` (BQL004).

    Computed on demand: only methods called through a shared guard are ever asked about.
    """

    def __init__(self, self_calls: dict[int, list[tuple[Call, FunctionInfo]]]) -> None:
        self.self_calls = self_calls
        self.memo: dict[int, Chain | None] = {}

    def __call__(self, fn: FunctionInfo) -> Chain | None:
        if id(fn) in self.memo:
            return self.memo[id(fn)]
        self.memo[id(fn)] = None  # a recursive call adds nothing new
        chain: Chain | None = None
        found = self_mutations(fn)
        if found:
            chain = (Link(found[0].node, fn.module, f"`{fn.name}()` mutates `self.{found[0].field}` here"),)
        else:
            for call, callee in self.self_calls.get(id(fn), ()):
                sub = self(callee)
                if sub is not None:
                    chain = (Link(call.node, fn.module, f"`{fn.name}()` calls `{call.label}` here"), *sub)
                    break
        self.memo[id(fn)] = chain
        return chain
