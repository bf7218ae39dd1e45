"""Live borrows, released guards and the BQL state, as the hazards one function yields."""

from __future__ import annotations

from tests.analysis.helpers import flow_of


def _codes(body: str, name: str) -> list[str]:
    return sorted(h.code for h in flow_of(body, name).hazards)


def test_borrow_released_on_one_branch_is_alive_after_the_join() -> None:
    body = """
    def f(self, fast: bool) -> None:
        g = self.regs.borrow_mut()
        if fast:
            g.release()
        with bql.unlocked():
            pass
    """
    assert _codes(body, "f") == ["BQL002"]


def test_borrow_released_on_every_branch_is_dead_after_the_join() -> None:
    body = """
    def f(self, fast: bool) -> None:
        g = self.regs.borrow_mut()
        if fast:
            g.release()
        else:
            del g
        with bql.unlocked():
            pass
    """
    assert _codes(body, "f") == []


def test_rebinding_in_a_loop_conflicts_with_the_previous_iterations_guard() -> None:
    body = """
    def f(self) -> None:
        for _ in range(2):
            g = self.regs.borrow_mut()
    """
    assert _codes(body, "f") == ["BQL003"]


def test_unlock_on_one_branch_only_is_not_known_not_held() -> None:
    body = """
    def f(self, slow: bool) -> None:
        if slow:
            bql.unlock()
        self.level.set(1)
    """
    assert _codes(body, "f") == []


def test_unlock_on_every_branch_is_known_not_held() -> None:
    body = """
    def f(self, slow: bool) -> None:
        if slow:
            bql.unlock()
        else:
            bql.unlock()
        self.level.set(1)
    """
    assert _codes(body, "f") == ["BQL006"]


def test_failed_try_borrow_holds_nothing() -> None:
    body = """
    def f(self) -> None:
        g = self.regs.try_borrow_mut()
        if g is None:
            with bql.unlocked():
                pass
            return
        g.release()
    """
    assert _codes(body, "f") == []


def test_summary_of_a_method_that_borrows_names_its_self_field() -> None:
    body = """
    def f(self) -> None:
        with self.regs.borrow():
            pass
    """
    summary = flow_of(body, "f").summary
    assert set(summary.borrows) == {(("self", "regs"), False)}
    assert summary.releases is None
