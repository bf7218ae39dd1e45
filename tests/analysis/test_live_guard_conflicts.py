"""With many guards alive, a conflicting borrow is found through the function's borrows of
that cell (not by sorting every live guard), and names the same first borrow as before."""

from __future__ import annotations

from tests.analysis.helpers import flow_of

N = 200


def _guards(last: str) -> str:
    lines = ["def big(self) -> None:"]
    lines += [f"    g{i} = self.regs.borrow()" for i in range(N)]
    lines += [f"    {last}", ""]
    return "\n".join(lines)


def test_a_mutable_borrow_among_many_shared_ones_conflicts_with_the_first() -> None:
    result = flow_of(_guards("m = self.regs.borrow_mut()"), "big")
    assert [(h.code, h.detail) for h in result.hazards] == [("BQL003", "direct")]
    (hazard,) = result.hazards
    assert hazard.borrow is not None and hazard.borrow.bid == min(
        b.bid for b in _borrows(result) if b.key == hazard.borrow.key
    )


def test_a_shared_borrow_among_many_shared_ones_is_no_conflict() -> None:
    assert flow_of(_guards("s = self.regs.borrow()"), "big").hazards == []


def test_a_mutable_borrow_first_conflicts_with_each_later_shared_one() -> None:
    text = _guards("pass").replace("def big(self) -> None:", "def big(self) -> None:\n    m = self.regs.borrow_mut()")
    result = flow_of(text, "big")
    assert [h.code for h in result.hazards] == ["BQL003"] * N
    assert len({id(h.borrow) for h in result.hazards}) == 1  # each names the mutable borrow


def _borrows(result):  # type: ignore[no-untyped-def]
    from bqlint.analysis.cfg import CFGBuilder
    from bqlint.analysis.events import Borrow
    from bqlint.analysis.scope import FunctionScope

    cfg = CFGBuilder(FunctionScope(result.fn)).build()
    return [e for b in cfg.blocks for e in b.events if isinstance(e, Borrow)]
