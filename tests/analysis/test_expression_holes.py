"""A call is seen wherever Python evaluates it: each expression form of the language, with a
call that borrows the cell again in one of its holes, inside a mutable borrow, is BQL003 on
that row (SPEC §3.1: the primary location is the call). Forms that do not evaluate the call
there (a lambda body, a nested def, a string annotation) are not. A generator expression's
elements count as run where it is made: it is nearly always consumed at once (`sum(...)`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analysis.helpers import findings_of

TEMPLATE = '''import bql


class Regs:
    def __init__(self) -> None:
        self.n = 0
        self.items = [0, 1]


class Dev(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    def again(self) -> int:
        with self.regs.borrow() as regs:
            return regs.n

    async def coro(self) -> None:
        with self.regs.borrow_mut() as regs:
            regs.n = 1
            {async_line}

    def method(self, data: list[int], flag: bool, other: object) -> object:
        with self.regs.borrow_mut() as regs:
            regs.n = 1
            {line}
        return None
'''

HOLES = {
    "slice_lower": "x = data[self.again():]",
    "slice_upper": "x = data[: self.again()]",
    "slice_step": "x = data[::self.again()]",
    "index": "x = data[self.again()]",
    "subscript_target": "data[self.again()] = 1",
    "slice_target": "data[: self.again()] = []",
    "attribute_target": "other.__dict__[self.again()] = 1",
    "augmented_target_index": "data[self.again()] += 1",
    "delete_index": "del data[self.again()]",
    "fstring": "x = f'{self.again()}'",
    "fstring_format_spec": "x = f'{1:{self.again()}}'",
    "dict_key": "x = {self.again(): 1}",
    "dict_value": "x = {1: self.again()}",
    "dict_unpack": "x = {**{1: self.again()}}",
    "set_display": "x = {self.again()}",
    "tuple_starred": "x = (*[self.again()],)",
    "comparison_right": "x = 1 < self.again()",
    "comparison_chain": "x = 0 < 1 < self.again()",
    "boolean_right": "x = flag and self.again()",
    "unary": "x = -self.again()",
    "binary": "x = 1 + self.again()",
    "conditional_test": "x = 1 if self.again() else 2",
    "conditional_branch": "x = 1 if flag else self.again()",
    "keyword_argument": "print(end=str(self.again()))",
    "starred_argument": "print(*[self.again()])",
    "double_starred_argument": "print(**{'end': str(self.again())})",
    "list_comprehension_iter": "x = [i for i in range(self.again())]",
    "comprehension_condition": "x = [i for i in data if self.again()]",
    "comprehension_element": "x = [self.again() for i in data]",
    "generator_first_iter": "x = list(i for i in range(self.again()))",
    "dict_comprehension": "x = {i: self.again() for i in data}",
    "walrus": "x = (y := self.again())",
    "assert_test": "assert self.again()",
    "assert_message": "assert flag, self.again()",
    "raise_cause": "raise ValueError() from ValueError(self.again())",
    "return_value": "return self.again()",
    "for_iter": "for i in range(self.again()): pass",
    "while_test": "while self.again(): break",
    "if_test": "if self.again(): pass",
    "with_item": "with open(str(self.again())): pass",
    "match_subject": "match self.again():\n                case _: pass",
    "annotated_value": "x: int = self.again()",
    "chained_method": "x = str(1).zfill(self.again())",
    "call_in_call_func": "x = [print][self.again()]()",
}

ASYNC_HOLES = {
    "await_argument": "await print(self.again())",
}

QUIET = {
    "lambda_body": "x = lambda: self.again()",
    "nested_def": "def inner() -> int: return self.again()",
    "string_annotation": "x: 'self.again()' = 1",
}


def _findings(tmp_path: Path, line: str, async_line: str = "pass") -> list[tuple[str, int]]:
    return findings_of(tmp_path, TEMPLATE.format(line=line, async_line=async_line))


@pytest.mark.parametrize("name", sorted(HOLES))
def test_a_call_in_every_hole_is_seen(tmp_path: Path, name: str) -> None:
    assert _findings(tmp_path, HOLES[name]) == [("BQL003", 27)]


@pytest.mark.parametrize("name", sorted(ASYNC_HOLES))
def test_a_call_in_an_awaited_expression_is_seen(tmp_path: Path, name: str) -> None:
    found = _findings(tmp_path, "pass", ASYNC_HOLES[name])
    assert ("BQL003", 22) in found


@pytest.mark.parametrize("name", sorted(QUIET))
def test_a_call_not_evaluated_there_is_not_reported(tmp_path: Path, name: str) -> None:
    assert _findings(tmp_path, QUIET[name]) == []
