"""The dataflow lattice of flow.py: what is known of borrows, guard names and the BQL at a point.

`State.join` is the meet at a CFG join: may-facts (live, bound, released) are unions,
"BQL known not held" is kept only where every path knows it (SPEC §3.1.1 "Flow").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from bqlint.analysis.summaries import Link
from bqlint.model.functions import FunctionInfo


_WIDTH = 64
_NO_NAMES: dict[str, frozenset[int]] = {}  # the shared empty bucket, never written to


class NameMap:
    """Guard names -> the borrows each may hold: an immutable map whose versions share all
    but the bucket a change touched. A state per event copied the whole map before (a
    function with n guard names alive did n² work); a change now copies 1/64 of it."""

    __slots__ = ("_buckets", "_size")

    def __init__(self, buckets: tuple[dict[str, frozenset[int]], ...] | None = None, size: int = 0) -> None:
        self._buckets = buckets if buckets is not None else (_NO_NAMES,) * _WIDTH
        self._size = size

    @staticmethod
    def of(pairs: Iterable[tuple[str, frozenset[int]]]) -> NameMap:
        names = NameMap()
        for name, bids in pairs:
            names = names.set(name, bids)
        return names

    def get(self, name: str, default: frozenset[int] = frozenset()) -> frozenset[int]:
        return self._buckets[hash(name) % _WIDTH].get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self._buckets[hash(name) % _WIDTH]

    def __len__(self) -> int:
        return self._size

    def items(self) -> Iterator[tuple[str, frozenset[int]]]:
        for bucket in self._buckets:
            yield from bucket.items()

    def values(self) -> Iterator[frozenset[int]]:
        for bucket in self._buckets:
            yield from bucket.values()

    def set(self, name: str, bids: frozenset[int]) -> NameMap:
        at = hash(name) % _WIDTH
        bucket = dict(self._buckets[at])
        size = self._size + (name not in bucket)
        bucket[name] = bids
        return NameMap(self._buckets[:at] + (bucket,) + self._buckets[at + 1 :], size)

    def remove(self, name: str) -> NameMap:
        at = hash(name) % _WIDTH
        if name not in self._buckets[at]:
            return self
        bucket = dict(self._buckets[at])
        del bucket[name]
        return NameMap(self._buckets[:at] + (bucket or _NO_NAMES,) + self._buckets[at + 1 :], self._size - 1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NameMap):
            return NotImplemented
        if self._size != other._size:
            return False
        return all(a is b or a == b for a, b in zip(self._buckets, other._buckets))

    def __hash__(self) -> int:
        return hash(frozenset(self.items()))

    def __repr__(self) -> str:
        return f"NameMap({dict(sorted(self.items()))!r})"


EMPTY_NAMES = NameMap()


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
    bound: NameMap
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
            _merge_names(self.bound, other.bound),
            _merge(self.released, other.released, first_release),
            self.lock.join(other.lock),
            _merge_locks(self.saved, other.saved),
            stale,
        )


def with_changes(
    state: State,
    *,
    live: frozenset[int] | None = None,
    bound: NameMap | None = None,
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


def _merge_names(a: NameMap, b: NameMap) -> NameMap:
    """Join two guard-name maps: the union per name."""
    if a == b:
        return a
    if len(a) < len(b):
        a, b = b, a
    out = a
    for name, bids in b.items():
        known = out.get(name)
        if not bids <= known or name not in out:
            out = out.set(name, known | bids)
    return out


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
    if fn.thread_starts and fn.wrapped_under_bql():
        return HELD  # a thread runs it through a wrapper that takes the BQL first
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
