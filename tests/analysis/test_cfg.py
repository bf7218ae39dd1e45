"""CFG shape as text dumps: one line per block, its events and successors."""

from __future__ import annotations

import textwrap

from tests.analysis.helpers import cfg_of


def _dump(body: str, name: str) -> str:
    return cfg_of(body, name).dump()


def test_break_leaves_the_loop_but_not_the_enclosing_with() -> None:
    body = """
    def f(self) -> None:
        with self.regs.borrow_mut() as r:
            for i in range(3):
                if i:
                    break
                r.touch()
        self.level.set(1)
    """
    assert _dump(body, "f") == textwrap.dedent("""\
        0: [] -> 2
        1: [] -> 
        2: [CellOp self.regs.borrow_mut(); Borrow b1 self.regs mut; Bind r <- b1] -> 3
        3: [] -> 4
        4: [] -> 6,14
        5: [] -> 15
        6: [Bind i] -> 7
        7: [] -> 8,11
        8: [] -> 9
        9: [] -> 5
        10: [] -> 12
        11: [] -> 12
        12: [] -> 13
        13: [GuardUse r; Call r.touch() -> dev.Regs.touch] -> 4
        14: [] -> 5
        15: [EndBorrow b1] -> 16
        16: [CellOp self.level.set()] -> 1""")


def test_finally_runs_on_the_exception_path_and_the_normal_path_from_before_the_raising_statement() -> None:
    body = """
    def g(self) -> None:
        g = self.regs.try_borrow_mut()
        if g is None:
            return
        try:
            self.poke()
        finally:
            g.release()
    """
    assert _dump(body, "g") == textwrap.dedent("""\
        0: [] -> 2
        1: [] -> 
        2: [CellOp self.regs.try_borrow_mut(); Borrow b1 self.regs mut try; Bind g <- b1] -> 3
        3: [GuardUse g] -> 4,7
        4: [Narrow g] -> 5
        5: [] -> 1
        6: [] -> 8
        7: [] -> 8
        8: [] -> 9
        9: [] -> 10
        10: [] -> 11,15
        11: [] -> 12
        12: [] -> 13
        13: [GuardUse g; ReleaseGuard g] -> 1
        15: [] -> 16
        16: [] -> 17
        17: [GuardUse g; ReleaseGuard g] -> 1""")


def test_while_true_has_no_exit_edge_but_break() -> None:
    body = """
    def h(self) -> None:
        while True:
            if self.level.get():
                break
    """
    dump = _dump(body, "h")
    assert "CellOp self.level.get()" in dump
    # The head is only left through `break`: exactly one path reaches the exit block.
    assert [line for line in dump.splitlines() if line.endswith("-> 1")] == ["4: [] -> 1"]


def test_conditional_expression_binds_either_borrow_through_a_join() -> None:
    body = """
    def h(self, fast: bool) -> None:
        g = self.regs.borrow() if fast else self.regs.borrow_mut()
        g.release()
    """
    assert _dump(body, "h") == textwrap.dedent("""\
        0: [] -> 2
        1: [] -> 
        2: [] -> 3,4
        3: [CellOp self.regs.borrow(); Borrow b1 self.regs shared; Bind $1 <- b1] -> 5
        4: [CellOp self.regs.borrow_mut(); Borrow b2 self.regs mut; Bind $1 <- b2] -> 5
        5: [Bind g <- $1; DelName $1] -> 6
        6: [GuardUse g; ReleaseGuard g] -> 1""")


def test_unpacking_a_display_pairs_each_name_with_its_own_guard() -> None:
    body = """
    def u(self) -> None:
        a, b = self.regs.borrow(), 0
    """
    assert _dump(body, "u") == textwrap.dedent("""\
        0: [] -> 2
        1: [] -> 
        2: [CellOp self.regs.borrow(); Borrow b1 self.regs shared; Bind $1 <- b1; Bind $2 <- $1; Bind a <- $1; Bind b; DelName $1; DelName $2] -> 1""")


def test_match_capture_of_the_whole_subject_holds_its_guard() -> None:
    body = """
    def m(self) -> None:
        match self.regs.try_borrow():
            case None:
                pass
            case g:
                g.release()
    """
    assert _dump(body, "m") == textwrap.dedent("""\
        0: [] -> 2
        1: [] -> 
        2: [CellOp self.regs.try_borrow(); Borrow b1 self.regs shared try; Bind $1 <- b1] -> 3,5
        3: [DelName $1] -> 4
        4: [] -> 7
        5: [Bind g <- $1; DelName $1] -> 6
        6: [GuardUse g; ReleaseGuard g] -> 7
        7: [] -> 1""")
