"""bqlint finds a bug injected anywhere in the bundled PL011, one at a time, at the row SPEC
§3.1 fixes, and nothing else.

Each kind of bug is injected at every place of `runtime/pl011/device.py` where it is a bug:
at the top of each method of the device (a plain-field write, a cell rebound, a cell
operation without the BQL), and at the start or end of each `with` block that borrows the
registers (the BQL released, a re-entrant call, a write through a shared borrow, the guard
returned or used after the block). The injected line carries the code it must cause.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import libcst as cst
import pytest

from bqlint.config import Settings
from bqlint.engine import run

PL011 = Path(__file__).resolve().parents[2] / "runtime" / "pl011"
MARK = "# injected:"

# Injected at the top of each method of the device classes but `__init__`.
IN_METHODS: dict[str, str] = {
    "field": f"self.debug_count = 1  {MARK} BQL001\n",
    "rebind": f"self.regs = self.regs  {MARK} BQL007\n",
    "unlocked_cell": f"with bql.unlocked():\n    self.regs.borrow()  {MARK} BQL006\n",
}

# (kinds of borrow it applies to, where in the block, code with {g} for the guard's name).
IN_BORROWS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "unlock": (("borrow", "borrow_mut"), "start", f"with bql.unlocked():  {MARK} BQL002\n    pass\n"),
    "unlock_late": (
        ("borrow", "borrow_mut"),
        "end",
        f"if {{g}} is not None:\n    with bql.unlocked():  {MARK} BQL002\n        pass\n",
    ),
    "reenter": (("borrow_mut",), "start", f"self.update()  {MARK} BQL003\n"),
    "reenter_loop": (("borrow_mut",), "end", f"for _ in range(2):\n    self.update()  {MARK} BQL003\n"),
    "write_all": (("borrow_mut",), "start", f"self.char_frontend.write_all(b'x')  {MARK} BQL003\n"),
    "accept_input": (("borrow_mut",), "start", f"self.char_frontend.accept_input()  {MARK} BQL003\n"),
    "shared_write": (("borrow",), "start", f"{{g}}.injected = 0  {MARK} BQL004\n"),
    "returned": (("borrow", "borrow_mut"), "start", f"return {{g}}  {MARK} BQL005\n"),
    "used_after": (("borrow", "borrow_mut"), "after", f"print({{g}})  {MARK} BQL005\n"),
}


def _statements(code: str) -> list[cst.BaseStatement]:
    return list(cst.parse_module(code).body)


def _borrow(statement: cst.With) -> tuple[str, str] | None:
    """Return (borrow or borrow_mut, the guard's name) of `with x.borrow() as g:`."""
    for item in statement.items:
        call = item.item
        if (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in ("borrow", "borrow_mut")
            and item.asname is not None
            and isinstance(item.asname.name, cst.Name)
        ):
            return call.func.attr.value, item.asname.name.value
    return None


def _ends_in_return(block: cst.BaseSuite) -> bool:
    last = block.body[-1] if isinstance(block, cst.IndentedBlock) else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Return)


class _Injector(cst.CSTTransformer):
    """Inject at the `target`-th place (in file order) that `place` accepts."""

    def __init__(self, target: int, place: Callable[[_Injector, cst.CSTNode], cst.CSTNode | None]) -> None:
        self.target, self.place, self.seen, self.done = target, place, 0, False
        self.classes: list[str] = []
        self.depth = 0

    def take(self) -> bool:
        hit = self.seen == self.target
        self.seen += 1
        self.done = self.done or hit
        return hit

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.CSTNode:
        self.depth -= 1
        return self.place(self, updated) or updated

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.CSTNode:
        return self.place(self, updated) or updated


def _in_method(code: str) -> Callable[[_Injector, cst.CSTNode], cst.CSTNode | None]:
    def place(injector: _Injector, node: cst.CSTNode) -> cst.CSTNode | None:
        if not (
            isinstance(node, cst.FunctionDef)
            and injector.depth == 0
            and injector.classes[-1:] in (["PL011State"], ["PL011Luminary"])
            and node.name.value != "__init__"
            and isinstance(node.body, cst.IndentedBlock)
            and injector.take()
        ):
            return None
        body = list(node.body.body)
        first = body[0]
        docstring = (
            isinstance(first, cst.SimpleStatementLine)
            and isinstance(first.body[0], cst.Expr)
            and isinstance(first.body[0].value, cst.SimpleString)
        )
        at = 1 if docstring else 0
        return node.with_changes(body=node.body.with_changes(body=[*body[:at], *_statements(code), *body[at:]]))

    return place


def _in_borrow(kinds: tuple[str, ...], where: str, code: str) -> Callable[[_Injector, cst.CSTNode], cst.CSTNode | None]:
    def place(injector: _Injector, node: cst.CSTNode) -> cst.CSTNode | None:
        if not isinstance(node, cst.IndentedBlock):
            return None
        out: list[cst.BaseStatement] = []
        for statement in node.body:
            found = _borrow(statement) if isinstance(statement, cst.With) else None
            applies = (
                found is not None
                and found[0] in kinds
                and isinstance(statement, cst.With)
                and not (where != "start" and _ends_in_return(statement.body))  # unreachable after it
            )
            if not applies or not injector.take():
                out.append(statement)
                continue
            assert found is not None and isinstance(statement, cst.With)
            assert isinstance(statement.body, cst.IndentedBlock)
            new = _statements(code.format(g=found[1]))
            block = list(statement.body.body)
            if where == "after":
                out.extend([statement, *new])
            else:
                block = [*new, *block] if where == "start" else [*block, *new]
                out.append(statement.with_changes(body=statement.body.with_changes(body=block)))
        return node.with_changes(body=out)

    return place


def _mutants(place: Callable[[_Injector, cst.CSTNode], cst.CSTNode | None]) -> Iterator[str]:
    module = cst.parse_module((PL011 / "device.py").read_text())
    target = 0
    while True:
        injector = _Injector(target, place)
        code = module.visit(injector).code
        if not injector.done:
            return
        yield code
        target += 1


def _marked(code: str) -> set[tuple[str, str, int]]:
    return {
        (line.split(MARK)[1].split()[0], "device.py", row)
        for row, line in enumerate(code.splitlines(), 1)
        if MARK in line
    }


PLACES: dict[str, Callable[[_Injector, cst.CSTNode], cst.CSTNode | None]] = {
    **{name: _in_method(code) for name, code in IN_METHODS.items()},
    **{name: _in_borrow(*spec) for name, spec in IN_BORROWS.items()},
}


@pytest.mark.parametrize("kind", sorted(PLACES))
def test_each_injected_bug_is_found_at_its_row_and_alone(kind: str, tmp_path: Path) -> None:
    package = tmp_path / "pl011"
    shutil.copytree(PL011, package, ignore=shutil.ignore_patterns("__pycache__"))
    files = sorted(package.rglob("*.py"))
    device = package / "device.py"
    assert not run(Settings(root=tmp_path), files).diagnostics  # the PL011 as shipped is clean
    mutants = list(_mutants(PLACES[kind]))
    assert len(mutants) >= 2, kind  # the kind has places to go
    wrong = []
    for code in mutants:
        compile(code, "device.py", "exec")
        device.write_text(code)
        # Given only the changed file, as a pre-commit hook does: the others are read as context.
        diagnostics = run(Settings(root=tmp_path), [device]).diagnostics
        found = {(d.code, d.span.path.name, d.span.start.row) for d in diagnostics}
        if found != _marked(code):
            wrong.append((sorted(_marked(code)), sorted(found)))
    assert not wrong, f"{kind}: (injected, found) {wrong}"
