"""The dataflow lattice of flow.py: what is known of borrows, guard names and the BQL at a point.

`State.join` is the meet at a CFG join: may-facts (live, bound, released) are unions,
"BQL known not held" is kept only where every path knows it (SPEC §3.1.1 "Flow").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bqlint.analysis.summaries import Link
from bqlint.model.functions import FunctionInfo


@dataclass(frozen=True, slots=True)
class Lock:
    """What may be true of the BQL here: inherited from the caller, held, or not held (where)."""

    inherit: bool
    held: bool
    not_held: frozenset[Link] = frozenset()

    def join(self, other: Lock) -> Lock:
        return Lock(self.inherit or other.inherit, self.held or other.held, self.not_held | other.not_held)

    def known_not_held(self) -> bool:
        return not self.inherit and not self.held and bool(self.not_held)


INHERIT = Lock(True, False)
HELD = Lock(False, True)


@dataclass(frozen=True, slots=True)
class State:
    live: frozenset[int]
    bound: tuple[tuple[str, frozenset[int]], ...]
    # name -> {(borrow id, rank of the release event, where it was released or None at the end
    # of a `with`)}: only the
    # release a use after it reports (the first borrow's, `first_release`), so that a name
    # released on many paths costs one entry, not one per path
    released: tuple[tuple[str, frozenset[tuple[int, int, Link | None]]], ...]
    lock: Lock
    saved: tuple[tuple[int, Lock], ...] = ()
    # Live borrows of a cell named by a local that has been rebound since (`for bank in banks:`
    # borrows another cell each time): a later borrow through that name is of another cell.
    stale: frozenset[int] = frozenset()

    def join(self, other: State) -> State:
        # Stale only where stale on every path that has it live (a may-fact of conflict).
        stale = (self.stale & other.stale) | (self.stale - other.live) | (other.stale - self.live)
        return State(
            self.live | other.live,
            _merge(self.bound, other.bound),
            _merge(self.released, other.released, first_release),
            self.lock.join(other.lock),
            _merge_locks(self.saved, other.saved),
            stale,
        )


def with_changes(
    state: State,
    *,
    live: frozenset[int] | None = None,
    bound: tuple[tuple[str, frozenset[int]], ...] | None = None,
    released: tuple[tuple[str, frozenset[tuple[int, int, Link | None]]], ...] | None = None,
    lock: Lock | None = None,
    saved: tuple[tuple[int, Lock], ...] | None = None,
    stale: frozenset[int] | None = None,
) -> State:
    """`dataclasses.replace` for a State, without its per-call field introspection (the
    dataflow makes a state per event)."""
    return State(
        state.live if live is None else live,
        state.bound if bound is None else bound,
        state.released if released is None else released,
        state.lock if lock is None else lock,
        state.saved if saved is None else saved,
        state.stale if stale is None else stale,
    )


def _merge(a: tuple, b: tuple, keep: Callable[[Any], Any] | None = None) -> tuple:  # type: ignore[type-arg]
    """Join two name -> set maps: the union per name, reduced by `keep` if given."""
    out = dict(a)
    for key, value in b:
        if key in out:
            union = out[key] | value
            out[key] = union if keep is None else keep(union)
        else:
            out[key] = value
    return tuple(sorted(out.items(), key=lambda kv: str(kv[0])))


def first_release(ends: frozenset[tuple[int, int, Link | None]]) -> frozenset[tuple[int, int, Link | None]]:
    """Keep the one release a use after it reports: the first borrow's, an explicit release
    before the end of a `with`, the first in the CFG."""
    if len(ends) <= 1:
        return ends
    return frozenset({min(ends, key=lambda end: (end[0], end[2] is None, end[1]))})


def _merge_locks(
    a: tuple[tuple[int, Lock], ...], b: tuple[tuple[int, Lock], ...]
) -> tuple[tuple[int, Lock], ...]:
    out = dict(a)
    for key, value in b:
        out[key] = out[key].join(value) if key in out else value
    return tuple(sorted(out.items()))

def entry_lock(fn: FunctionInfo) -> Lock:
    deco = fn.without_bql()
    if deco is not None:
        return Lock(
            False,
            False,
            frozenset({Link(deco, fn.module, f"`{fn.name}()` is marked `@bql.without_bql` here")}),
        )
    if fn.thread_starts:
        node, module = fn.thread_starts[0]
        return Lock(
            False, False, frozenset({Link(node, module, f"`{fn.name}()` is started as a thread here")})
        )
    return INHERIT

def forget_released(state: State, read_later: frozenset[str]) -> State:
    """Drop the released guards that no block reachable from here reads again.

    Keeping them would make every state carry every guard name the function ever released
    (quadratic time and memory on long functions); nothing that reads `released` changes.
    """
    if not state.released or all(name in read_later for name, _ in state.released):
        return state
    return with_changes(state, released=tuple((n, ends) for n, ends in state.released if n in read_later))
