"""Long functions stay near-linear: a state carries only the released guards read later.

No timing here: the test counts what the dataflow keeps. Before the fix every state held
every guard name the function had released so far (quadratic time and memory: a 20,000-line
function took minutes and gigabytes); now a state holds the guards still readable.
"""

from __future__ import annotations

import pytest

from bqlint.analysis import flow
from tests.analysis.helpers import flow_of

N = 300


def _sequential_guards() -> str:
    lines = ["def big(self) -> int:", "    total = 0"]
    for i in range(N):
        lines += [f"    g{i} = self.regs.borrow()", f"    total += g{i}.x", f"    g{i}.release()"]
    return "\n".join([*lines, "    return total", ""])


def _guards_in_try_finally() -> str:
    lines = ["def big(self) -> int:", "    total = 0"]
    for i in range(N):
        lines += ["    try:", f"        g{i} = self.regs.borrow_mut()", f"        g{i}.x = {i}"]
        lines += ["    finally:", f"        g{i}.release()"]
    return "\n".join([*lines, "    return total", ""])


@pytest.fixture
def sizes(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Record the largest released map a state carries and the largest set of names read later."""
    seen = {"released": 0, "read_later": 0}
    forget, read_later = flow._forget_released, flow._guards_read_later

    def forget_spy(state, names):  # type: ignore[no-untyped-def]
        kept = forget(state, names)
        seen["released"] = max(seen["released"], len(kept.released))
        return kept

    def read_later_spy(by_rank, order):  # type: ignore[no-untyped-def]
        live = read_later(by_rank, order)
        seen["read_later"] = max([seen["read_later"], *map(len, live.values())])
        return live

    monkeypatch.setattr(flow, "_forget_released", forget_spy)
    monkeypatch.setattr(flow, "_guards_read_later", read_later_spy)
    return seen


@pytest.mark.parametrize(
    "source", [_sequential_guards, _guards_in_try_finally], ids=["sequential", "try-finally"]
)
def test_states_of_a_long_function_keep_only_guards_read_later(sizes, source):
    result = flow_of(source(), "big")
    assert result.hazards == []
    assert sizes["released"] <= 1
    assert sizes["read_later"] <= 1


def test_a_guard_used_after_release_far_below_is_still_reported(sizes):
    lines = [
        "def big(self) -> int:",
        "    total = 0",
        "    first = self.regs.borrow()",
        "    first.release()",
    ]
    for i in range(N):
        lines += [f"    g{i} = self.regs.borrow()", f"    total += g{i}.x", f"    g{i}.release()"]
    lines += ["    return first.x", ""]
    result = flow_of("\n".join(lines), "big")
    assert [(h.code, h.detail) for h in result.hazards] == [("BQL005", "use")]
    assert sizes["released"] <= 2


def test_a_guard_released_in_a_loop_is_reported_on_the_next_iteration():
    result = flow_of(
        """\
def spin(self, n: int) -> int:
    g = self.regs.borrow()
    total = 0
    for _ in range(n):
        total += g.x
        g.release()
    return total
""",
        "spin",
    )
    # `g.x` and `g.release()` on the second iteration both use the released guard.
    assert [(h.code, h.detail) for h in result.hazards] == [("BQL005", "use"), ("BQL005", "use")]
