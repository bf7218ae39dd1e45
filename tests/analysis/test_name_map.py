"""NameMap, the guard-name map of a dataflow state: a dict's answers, shared structure.

A state is made per event; copying the whole map there made a function with n live guard
names cost n² (a 3,000-element tuple unpacking of borrows took 15.8 s). A change copies one
of 64 buckets now; the other buckets are the same objects in both versions.
"""

from __future__ import annotations

import random

import pytest

from bqlint.analysis.flow_state import EMPTY_NAMES, NameMap, State, _merge_names
from bqlint.analysis.flow_state import INHERIT


@pytest.mark.parametrize("seed", range(20))
def test_name_map_answers_as_a_dict_does(seed: int) -> None:
    rng = random.Random(seed)
    names, model = EMPTY_NAMES, {}
    versions = []
    for _ in range(300):
        name = f"g{rng.randrange(60)}"
        if rng.random() < 0.3:
            names, _ = names.remove(name), model.pop(name, None)
        else:
            bids = frozenset(rng.sample(range(20), rng.randrange(3)))
            names, model[name] = names.set(name, bids), bids
        versions.append((names, dict(model)))
    for version, expected in versions:  # earlier versions are unchanged by later ones
        assert dict(version.items()) == expected and len(version) == len(expected)
        assert all(version.get(n) == b and n in version for n, b in expected.items())
        assert version == NameMap.of(sorted(expected.items()))


def test_a_change_shares_every_other_bucket() -> None:
    names = NameMap.of((f"g{i}", frozenset({i})) for i in range(3000))
    changed = names.set("g5", frozenset({1, 2}))
    shared = sum(a is b for a, b in zip(names._buckets, changed._buckets))
    assert shared == len(names._buckets) - 1


def test_join_is_the_union_per_name() -> None:
    a = NameMap.of([("x", frozenset({1})), ("y", frozenset())])
    b = NameMap.of([("x", frozenset({2})), ("z", frozenset({3}))])
    joined = _merge_names(a, b)
    assert dict(joined.items()) == {"x": frozenset({1, 2}), "y": frozenset(), "z": frozenset({3})}
    state = State(frozenset(), a, (), INHERIT)
    assert state.join(State(frozenset(), b, (), INHERIT)).bound == joined
