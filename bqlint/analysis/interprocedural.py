"""Summaries to a fixed point over the call graph (recursion included), then final hazards.

Each function's CFG is built once; its dataflow re-runs only when the summary of a callee
changes shape, so a project costs about one pass per function plus the chains' depth.
"""

from __future__ import annotations

from collections import deque

from bqlint.analysis.cfg import CFG, CFGBuilder
from bqlint.analysis.events import Call
from bqlint.analysis.flow import Analyzer, FunctionFlow
from bqlint.analysis.scope import FunctionScope
from bqlint.analysis.summaries import Chain, Link, Summary
from bqlint.model.functions import FunctionInfo
from bqlint.model.mutations import self_mutations
from bqlint.model.project import Project


def analyze_project(project: Project, functions: list[FunctionInfo]) -> dict[int, FunctionFlow]:
    """Return the flow result of every function in `functions`, keyed by id(function)."""
    cfgs: dict[int, CFG] = {id(fn): CFGBuilder(FunctionScope(fn)).build() for fn in functions}
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
    mutates = _mutates_self(functions, self_calls)
    summaries: dict[int, Summary] = {}
    flows: dict[int, FunctionFlow] = {}
    known = {id(fn) for fn in functions}
    work = deque(functions)
    queued = {id(fn) for fn in functions}
    empty = Summary().shape()
    while work:
        fn = work.popleft()
        queued.discard(id(fn))
        flow = Analyzer(fn, cfgs[id(fn)], summaries).run()
        flow.summary.mutates_self = mutates.get(id(fn))
        old = summaries.get(id(fn))
        summaries[id(fn)] = flow.summary
        flows[id(fn)] = flow
        if (old.shape() if old is not None else empty) != flow.summary.shape():
            for caller in callers.get(id(fn), ()):
                if id(caller) in known and id(caller) not in queued:
                    queued.add(id(caller))
                    work.append(caller)
    return flows


def _mutates_self(functions: list[FunctionInfo], self_calls: dict[int, list[tuple[Call, FunctionInfo]]]) -> dict[int, Chain]:
    """Return, per function that mutates its `self` (directly or via `self.m()`), the chain."""
    out: dict[int, Chain] = {}
    for fn in functions:
        found = self_mutations(fn) if fn.self_name is not None else []
        if found:
            out[id(fn)] = (Link(found[0].node, fn.module, f"`{fn.name}()` mutates `self.{found[0].field}` here"),)
    changed = True
    while changed:
        changed = False
        for fn in functions:
            if id(fn) in out:
                continue
            for call, callee in self_calls.get(id(fn), ()):
                chain = out.get(id(callee))
                if chain is not None:
                    out[id(fn)] = (Link(call.node, fn.module, f"`{fn.name}()` calls `{call.label}` here"), *chain)
                    changed = True
                    break
    return out
