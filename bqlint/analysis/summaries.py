"""Per-function summaries: what a call to a function may do, as seen by its callers.

A summary says whether the function may release the BQL, which cells (relative to its
`self`, parameters or globals) it may borrow and how, and whether it needs the BQL held by
its caller. Each fact carries the chain that proves it:
the call sites inside the function down to the final operation (SPEC §3.1 related locations).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from bqlint.analysis.events import CellKey
from bqlint.model.project import ModuleInfo


@dataclass(frozen=True, slots=True)
class Link:
    """One labelled location of a chain ("`update()` calls `write_all()` here").

    Equal by value (the same node, module and label), so that dataflow facts holding links
    form a finite lattice: a loop that releases re-creates an equal link, not a new one.
    """

    node: cst.CSTNode
    module: ModuleInfo
    label: str


Chain = tuple[Link, ...]


# Borrow facts one summary keeps at most (SPEC §3.1.2 "Termination"): functions that pass
# fields of many parameters to each other can otherwise name a number of access paths that
# grows like (parameters x fields ^ path length). A fact dropped only loses findings.
MAX_BORROW_FACTS = 128


@dataclass
class Summary:
    releases: Chain | None = None
    borrows: dict[tuple[CellKey, bool], Chain] = field(default_factory=dict)
    needs_bql: Chain | None = None
    # Returns with the BQL held on every path though it was not held on entry (`bql.lock()`).
    leaves_held: bool = False
    # Parameters whose object (a guard the caller passes) is released on every path.
    releases_params: frozenset[str] = frozenset()
    # Parameters written through (attribute/item stores, in-place methods): chain to the write.
    writes_params: dict[str, Chain] = field(default_factory=dict)

    def add_releases(self, chain: Chain) -> None:
        if self.releases is None:
            self.releases = chain

    def add_borrow(self, key: CellKey, mut: bool, chain: Chain) -> None:
        if key[0].startswith(("l:", "c:")):  # a local of this function: no caller can name it
            return
        if len(self.borrows) < MAX_BORROW_FACTS or (key, mut) in self.borrows:
            self.borrows.setdefault((key, mut), chain)

    def add_param_write(self, param: str, chain: Chain) -> None:
        self.writes_params.setdefault(param, chain)

    def add_needs(self, chain: Chain) -> None:
        if self.needs_bql is None:
            self.needs_bql = chain

    def shape(
        self,
    ) -> tuple[bool, frozenset[tuple[CellKey, bool]], bool, bool, frozenset[str], frozenset[str]]:
        """Return the facts without their chains: what the fixed point compares."""
        return (
            self.releases is not None,
            frozenset(self.borrows),
            self.needs_bql is not None,
            self.leaves_held,
            self.releases_params,
            frozenset(self.writes_params),
        )


def grown(old: Summary | None, new: Summary) -> Summary:
    """Return `new` with the borrow facts of `old` it lacks: across rounds of the fixed point
    a summary's borrows only grow, up to MAX_BORROW_FACTS, so the rounds end."""
    if old is None or old.borrows.keys() <= new.borrows.keys():
        return new
    kept = dict(old.borrows)
    for fact, chain in new.borrows.items():
        if fact in kept or len(kept) < MAX_BORROW_FACTS:
            kept[fact] = chain
    new.borrows = kept
    return new
